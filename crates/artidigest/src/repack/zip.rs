//! The zip writer: deflate at the chosen level, DOS times in UTC from the clamped mtime, Unix
//! modes 0644/0755/0777.

use std::io::{self, Write};

use crate::repack::normalise::{Normal, NormalKind};
use crate::repack::options::{DEFAULT_EPOCH, RepackOptions};
use crate::repack::report::Stats;

/// Converts Unix seconds to a zip (DOS) timestamp in UTC, clamped to 1980-01-01..2107-12-31.
fn dos_time(secs: u64) -> zip::DateTime {
    let secs = secs.max(DEFAULT_EPOCH);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (proleptic Gregorian), valid for all dates here.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    if year > 2107 {
        return zip::DateTime::from_date_and_time(2107, 12, 31, 23, 59, 58).unwrap_or_default();
    }
    let hour = (rem / 3600) as u8;
    let minute = (rem % 3600 / 60) as u8;
    let second = (rem % 60) as u8 & !1;
    zip::DateTime::from_date_and_time(year as u16, month, day, hour, minute, second)
        .unwrap_or_default()
}

pub(crate) fn write_zip(
    entries: &[Normal],
    opts: &RepackOptions,
    stats: &mut Stats,
) -> io::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    for entry in entries {
        let base = zip::write::SimpleFileOptions::default()
            .last_modified_time(dos_time(entry.mtime))
            .large_file(false);
        match &entry.kind {
            NormalKind::File(data) => {
                stats.files += 1;
                stats.content_bytes += data.len() as u64;
                let options = base
                    .compression_method(zip::CompressionMethod::Deflated)
                    .compression_level(Some(i64::from(opts.level)))
                    .unix_permissions(if entry.executable { 0o755 } else { 0o644 })
                    .large_file(data.len() as u64 >= u64::from(u32::MAX));
                zip.start_file(entry.path.as_str(), options)
                    .map_err(io::Error::other)?;
                zip.write_all(data)?;
            }
            NormalKind::Directory => {
                stats.directories += 1;
                zip.add_directory(entry.path.as_str(), base.unix_permissions(0o755))
                    .map_err(io::Error::other)?;
            }
            NormalKind::Symlink(target) => {
                stats.symlinks += 1;
                zip.add_symlink(entry.path.as_str(), target, base.unix_permissions(0o777))
                    .map_err(io::Error::other)?;
            }
        }
    }
    let cursor = zip.finish().map_err(io::Error::other)?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_time_conversion() {
        let t = dos_time(0);
        assert_eq!((t.year(), t.month(), t.day()), (1980, 1, 1));
        // 2024-02-29T13:37:43Z
        let t = dos_time(1_709_213_863);
        assert_eq!(
            (
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            (2024, 2, 29, 13, 37, 42)
        );
        assert_eq!(dos_time(u64::MAX / 2).year(), 2107);
    }
}
