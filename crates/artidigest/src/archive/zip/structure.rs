//! The zip structure, parsed here rather than by the `zip` crate: the end record (and zip64
//! locator), the central directory and every local header, with caps checked before anything is
//! allocated, local headers compared with the central directory, and the byte ranges of all
//! entries tiling the file exactly. Each record is then described as an [`Entry`].

use std::io::{self, BufReader, Read, Seek, SeekFrom};

use crate::archive::error::{ArchiveError, ArchiveErrorKind};
use crate::archive::model::{Entry, EntryKind, FormatDetail, Limits, ZipDetail, ZipLocalHeader};
use crate::archive::paths::normalise_path;

const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const LOCAL_SIG: u32 = 0x0403_4b50;
const DESCRIPTOR_SIG: u32 = 0x0807_4b50;

/// The `N` bytes at `at`. Every caller checks the record's length first, so a short buffer
/// (a bug here, never hostile input) reads as zeros rather than panicking.
fn bytes_at<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    b.get(at..)
        .and_then(|rest| rest.first_chunk::<N>())
        .copied()
        .unwrap_or([0; N])
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(bytes_at(b, at))
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes_at(b, at))
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes_at(b, at))
}

/// `range` of a fixed-size record buffer, or a typed error instead of a panic.
fn part(buf: &mut [u8], range: std::ops::Range<usize>) -> Result<&mut [u8], ArchiveError> {
    buf.get_mut(range)
        .ok_or_else(|| malformed("record field out of range"))
}

pub(super) fn malformed(what: impl Into<String>) -> ArchiveError {
    ArchiveErrorKind::Malformed { what: what.into() }.into()
}

pub(super) fn io_err(e: io::Error) -> ArchiveError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        malformed("zip structure runs past the end of the file")
    } else {
        ArchiveError::from_io(e)
    }
}

/// One central directory record, with its checked local header.
pub(super) struct Record {
    pub(super) index: usize,
    pub(super) name: String,
    pub(super) flags: u16,
    pub(super) method: u16,
    version_made_by: u16,
    version_needed: u16,
    dos_time: u16,
    dos_date: u16,
    crc32: u32,
    pub(super) compressed: u64,
    pub(super) uncompressed: u64,
    offset: u64,
    external: u32,
    central_extra_len: u16,
    comment: String,
    zip64: bool,
    unix_mtime: Option<i64>,
    local: Option<ZipLocalHeader>,
    end: u64,
}

/// Where the central directory is, from the end records.
pub(super) struct Directory {
    entries: u64,
    offset: u64,
    /// Where the directory must end (the zip64 end record or the end record).
    end: u64,
    pub(super) comment: String,
}

fn find_directory<R: Read + Seek>(r: &mut R, limits: &Limits) -> Result<Directory, ArchiveError> {
    let len = r.seek(SeekFrom::End(0)).map_err(io_err)?;
    let tail_len = len.min(22 + 65_535);
    r.seek(SeekFrom::Start(len - tail_len)).map_err(io_err)?;
    let mut tail = vec![0u8; tail_len as usize];
    r.read_exact(&mut tail).map_err(io_err)?;
    if tail.len() < 22 {
        return Err(malformed("too short for a zip end record"));
    }
    let mut found = None;
    for p in (0..=tail.len() - 22).rev() {
        if le32(&tail, p) == EOCD_SIG && p + 22 + le16(&tail, p + 20) as usize <= tail.len() {
            found = Some(p);
            break;
        }
    }
    let p = found.ok_or_else(|| malformed("no zip end-of-central-directory record"))?;
    let eocd_pos = len - tail_len + p as u64;
    let comment_len = le16(&tail, p + 20) as usize;
    let after = tail.len() - (p + 22 + comment_len);
    if after > 0 && !limits.allow_trailing_data {
        return Err(ArchiveErrorKind::TrailingData {
            after: "zip end record",
            len: after as u64,
        }
        .into());
    }
    let comment = String::from_utf8_lossy(
        // `p + 22 + comment_len <= tail.len()` is how `p` was found.
        tail.get(p + 22..p + 22 + comment_len).unwrap_or_default(),
    )
    .into_owned();
    let (disk, cd_disk) = (le16(&tail, p + 4), le16(&tail, p + 6));
    if disk != 0 || cd_disk != 0 || le16(&tail, p + 8) != le16(&tail, p + 10) {
        return Err(malformed("multi-disk zip archives are not supported"));
    }
    let mut entries = le16(&tail, p + 10) as u64;
    let mut size = le32(&tail, p + 12) as u64;
    let mut offset = le32(&tail, p + 16) as u64;
    let mut end = eocd_pos;
    if entries == 0xffff || size == 0xffff_ffff || offset == 0xffff_ffff {
        // Without a zip64 locator the values are taken literally.
        let mut loc = [0u8; 20];
        if eocd_pos >= 20 {
            r.seek(SeekFrom::Start(eocd_pos - 20)).map_err(io_err)?;
            r.read_exact(&mut loc).map_err(io_err)?;
        }
        if eocd_pos >= 20 && le32(&loc, 0) == ZIP64_LOCATOR_SIG {
            let z64 = le64(&loc, 8);
            if z64 + 56 > eocd_pos - 20 {
                return Err(malformed("zip64 end record out of range"));
            }
            let mut rec = [0u8; 56];
            r.seek(SeekFrom::Start(z64)).map_err(io_err)?;
            r.read_exact(&mut rec).map_err(io_err)?;
            if le32(&rec, 0) != ZIP64_EOCD_SIG {
                return Err(malformed("bad zip64 end record signature"));
            }
            if le64(&rec, 4) + 12 != eocd_pos - 20 - z64 {
                return Err(ArchiveErrorKind::ZipGap {
                    offset: z64 + 12 + le64(&rec, 4),
                    len: (eocd_pos - 20).saturating_sub(z64 + 12 + le64(&rec, 4)),
                }
                .into());
            }
            entries = le64(&rec, 32);
            size = le64(&rec, 40);
            offset = le64(&rec, 48);
            end = z64;
        }
    }
    if entries > limits.max_entries as u64 {
        return Err(ArchiveErrorKind::TooManyEntries {
            limit: limits.max_entries,
            actual: usize::try_from(entries).unwrap_or(usize::MAX),
        }
        .into());
    }
    match offset.checked_add(size) {
        Some(e) if e == end => {}
        Some(e) if e < end => {
            return Err(ArchiveErrorKind::ZipGap {
                offset: e,
                len: end - e,
            }
            .into());
        }
        _ => return Err(malformed("central directory runs past the end record")),
    }
    Ok(Directory {
        entries,
        offset,
        end,
        comment,
    })
}

/// Reads the zip64 extended-information extra field (0x0001) and the extended timestamp
/// (0x5455) from an extra field.
fn parse_extra(
    extra: &[u8],
    rec: &mut Record,
    want_uncompressed: bool,
    want_compressed: bool,
    want_offset: bool,
) -> Result<(), ArchiveError> {
    let mut p = 0;
    while p + 4 <= extra.len() {
        let id = le16(extra, p);
        let size = le16(extra, p + 2) as usize;
        let body = extra
            .get(p + 4..p + 4 + size)
            .ok_or_else(|| malformed("extra field runs past its length"))?;
        match id {
            0x0001 => {
                let mut q = 0;
                let mut next = |b: &[u8]| -> Result<u64, ArchiveError> {
                    if q + 8 > b.len() {
                        return Err(malformed("short zip64 extra field"));
                    }
                    let v = le64(b, q);
                    q += 8;
                    Ok(v)
                };
                if want_uncompressed {
                    rec.uncompressed = next(body)?;
                }
                if want_compressed {
                    rec.compressed = next(body)?;
                }
                if want_offset {
                    rec.offset = next(body)?;
                }
                rec.zip64 = true;
            }
            0x5455 => {
                if let &[flags, a, b, c, d, ..] = body
                    && flags & 1 != 0
                {
                    rec.unix_mtime = Some(i64::from(i32::from_le_bytes([a, b, c, d])));
                }
            }
            _ => {}
        }
        p += 4 + size;
    }
    Ok(())
}

fn read_central<R: Read>(
    r: &mut R,
    index: usize,
    limits: &Limits,
    extra_buf: &mut Vec<u8>,
) -> Result<Record, ArchiveError> {
    let mut h = [0u8; 46];
    r.read_exact(&mut h).map_err(io_err)?;
    if le32(&h, 0) != CENTRAL_SIG {
        return Err(malformed("bad central directory signature"));
    }
    let name_len = le16(&h, 28) as usize;
    let extra_len = le16(&h, 30) as usize;
    let comment_len = le16(&h, 32) as usize;
    if name_len > limits.max_path_len {
        return Err(ArchiveErrorKind::PathTooLong {
            limit: limits.max_path_len,
            actual: name_len,
        }
        .into());
    }
    if comment_len > limits.max_path_len {
        return Err(malformed(format!(
            "entry comment of {comment_len} bytes exceeds the cap of {}",
            limits.max_path_len
        )));
    }
    let mut name = vec![0u8; name_len];
    r.read_exact(&mut name).map_err(io_err)?;
    extra_buf.resize(extra_len, 0);
    r.read_exact(extra_buf).map_err(io_err)?;
    let mut comment = vec![0u8; comment_len];
    r.read_exact(&mut comment).map_err(io_err)?;
    let name = String::from_utf8(name).map_err(|e| {
        ArchiveError::from(ArchiveErrorKind::InvalidPath {
            path: String::from_utf8_lossy(e.as_bytes()).into_owned(),
            reason: "not UTF-8",
        })
    })?;
    let mut rec = Record {
        index,
        name,
        version_made_by: le16(&h, 4),
        version_needed: le16(&h, 6),
        flags: le16(&h, 8),
        method: le16(&h, 10),
        dos_time: le16(&h, 12),
        dos_date: le16(&h, 14),
        crc32: le32(&h, 16),
        compressed: le32(&h, 20) as u64,
        uncompressed: le32(&h, 24) as u64,
        offset: le32(&h, 42) as u64,
        external: le32(&h, 38),
        central_extra_len: extra_len as u16,
        comment: String::from_utf8_lossy(&comment).into_owned(),
        zip64: false,
        unix_mtime: None,
        local: None,
        end: 0,
    };
    if le16(&h, 34) != 0 {
        return Err(malformed("entry on another disk"));
    }
    let (wu, wc, wo) = (
        rec.uncompressed == 0xffff_ffff,
        rec.compressed == 0xffff_ffff,
        rec.offset == 0xffff_ffff,
    );
    let extra = std::mem::take(extra_buf);
    let parsed = parse_extra(&extra, &mut rec, wu, wc, wo);
    *extra_buf = extra;
    parsed?;
    Ok(rec)
}

fn mismatch(field: &'static str, central: impl ToString, local: impl ToString) -> ArchiveError {
    ArchiveErrorKind::ZipLocalMismatch {
        field,
        central: central.to_string(),
        local: local.to_string(),
    }
    .into()
}

/// Reads a record's local header (and data descriptor) and checks them against the record.
fn check_local<R: Read + Seek>(
    r: &mut R,
    rec: &mut Record,
    file_len: u64,
) -> Result<(), ArchiveError> {
    r.seek(SeekFrom::Start(rec.offset)).map_err(io_err)?;
    let mut h = [0u8; 30];
    r.read_exact(&mut h).map_err(io_err)?;
    if le32(&h, 0) != LOCAL_SIG {
        return Err(malformed(format!(
            "no local header at offset {} (bad signature)",
            rec.offset
        )));
    }
    let flags = le16(&h, 6);
    let method = le16(&h, 8);
    let name_len = le16(&h, 26) as usize;
    let extra_len = le16(&h, 28);
    let local = ZipLocalHeader {
        flags,
        method,
        dos_time: le16(&h, 10),
        dos_date: le16(&h, 12),
        extra_len,
    };
    if name_len != rec.name.len() {
        return Err(mismatch("name length", rec.name.len(), name_len));
    }
    let mut name = vec![0u8; name_len];
    r.read_exact(&mut name).map_err(io_err)?;
    if name != rec.name.as_bytes() {
        return Err(mismatch("name", &rec.name, String::from_utf8_lossy(&name)));
    }
    let mut extra = vec![0u8; extra_len as usize];
    r.read_exact(&mut extra).map_err(io_err)?;
    if method != rec.method {
        return Err(mismatch("method", rec.method, method));
    }
    if flags != rec.flags {
        return Err(mismatch(
            "flags",
            format!("{:#06x}", rec.flags),
            format!("{flags:#06x}"),
        ));
    }
    let data_descriptor = flags & 8 != 0;
    let mut local_rec = Record {
        crc32: le32(&h, 14),
        compressed: le32(&h, 18) as u64,
        uncompressed: le32(&h, 22) as u64,
        ..shadow(rec)
    };
    let (wu, wc) = (
        local_rec.uncompressed == 0xffff_ffff,
        local_rec.compressed == 0xffff_ffff,
    );
    parse_extra(&extra, &mut local_rec, wu, wc, false)?;
    let data_start = rec.offset + 30 + name_len as u64 + extra_len as u64;
    let data_end = data_start
        .checked_add(rec.compressed)
        .filter(|&e| e <= file_len)
        .ok_or_else(|| malformed("entry data runs past the end of the file"))?;
    let mut end = data_end;
    if data_descriptor {
        // Local values are zero or equal to the central ones; the descriptor must agree.
        for (field, c, l) in [
            ("crc32", rec.crc32 as u64, local_rec.crc32 as u64),
            ("compressed size", rec.compressed, local_rec.compressed),
            (
                "uncompressed size",
                rec.uncompressed,
                local_rec.uncompressed,
            ),
        ] {
            if l != 0 && l != c {
                return Err(mismatch(field, c, l));
            }
        }
        r.seek(SeekFrom::Start(data_end)).map_err(io_err)?;
        let wide = rec.zip64 || local_rec.zip64;
        let mut d = [0u8; 24];
        let body = if wide { 20 } else { 12 };
        // `body` is 12 or 20, so every range below lies in the 24-byte `d`.
        r.read_exact(part(&mut d, 0..4)?).map_err(io_err)?;
        let (off, total) = if le32(&d, 0) == DESCRIPTOR_SIG {
            r.read_exact(part(&mut d, 4..4 + body)?).map_err(io_err)?;
            (4, 4 + body)
        } else {
            r.read_exact(part(&mut d, 4..body)?).map_err(io_err)?;
            (0, body)
        };
        let crc = le32(&d, off);
        let (cs, us) = if wide {
            (le64(&d, off + 4), le64(&d, off + 12))
        } else {
            (le32(&d, off + 4) as u64, le32(&d, off + 8) as u64)
        };
        if crc != rec.crc32 {
            return Err(mismatch("descriptor crc32", rec.crc32, crc));
        }
        if cs != rec.compressed {
            return Err(mismatch("descriptor compressed size", rec.compressed, cs));
        }
        if us != rec.uncompressed {
            return Err(mismatch(
                "descriptor uncompressed size",
                rec.uncompressed,
                us,
            ));
        }
        end += total as u64;
    } else {
        if local_rec.crc32 != rec.crc32 {
            return Err(mismatch(
                "crc32",
                format!("{:#010x}", rec.crc32),
                format!("{:#010x}", local_rec.crc32),
            ));
        }
        if local_rec.compressed != rec.compressed {
            return Err(mismatch(
                "compressed size",
                rec.compressed,
                local_rec.compressed,
            ));
        }
        if local_rec.uncompressed != rec.uncompressed {
            return Err(mismatch(
                "uncompressed size",
                rec.uncompressed,
                local_rec.uncompressed,
            ));
        }
    }
    rec.local = Some(local);
    rec.end = end;
    Ok(())
}

/// A blank copy used to parse a local header's extra field with the same logic.
fn shadow(rec: &Record) -> Record {
    Record {
        index: rec.index,
        name: String::new(),
        flags: rec.flags,
        method: rec.method,
        version_made_by: 0,
        version_needed: 0,
        dos_time: 0,
        dos_date: 0,
        crc32: 0,
        compressed: 0,
        uncompressed: 0,
        offset: rec.offset,
        external: 0,
        central_extra_len: 0,
        comment: String::new(),
        zip64: false,
        unix_mtime: None,
        local: None,
        end: 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An MS-DOS date and time read as UTC seconds since the epoch.
fn dos_to_unix(date: u16, time: u16) -> i64 {
    let year = 1980 + (date >> 9) as i64;
    let month = ((date >> 5) & 15).clamp(1, 12) as i64;
    let day = (date & 31).max(1) as i64;
    let (h, mi, s) = (
        (time >> 11) as i64,
        ((time >> 5) & 63) as i64,
        ((time & 31) * 2) as i64,
    );
    days_from_civil(year, month, day) * 86_400 + h * 3600 + mi * 60 + s
}

pub(super) fn describe(rec: &Record, limits: &Limits) -> Result<Entry, ArchiveErrorKind> {
    let unix = rec.version_made_by >> 8 == 3;
    let unix_mode = if unix { rec.external >> 16 } else { 0 };
    let kind = if rec.name.ends_with('/') || (!unix && rec.external & 0x10 != 0) {
        EntryKind::Dir
    } else {
        match unix_mode & 0o170_000 {
            0o120_000 => EntryKind::Symlink,
            0o040_000 => EntryKind::Dir,
            0o100_000 | 0 => EntryKind::File,
            _ => EntryKind::Other,
        }
    };
    let path = normalise_path(&rec.name, limits)?;
    Ok(Entry {
        index: rec.index,
        path,
        raw_path: rec.name.clone(),
        kind,
        size: rec.uncompressed,
        mode: unix_mode & 0o7777,
        mtime: rec
            .unix_mtime
            .unwrap_or_else(|| dos_to_unix(rec.dos_date, rec.dos_time)),
        uid: 0,
        gid: 0,
        uname: String::new(),
        gname: String::new(),
        link_target: None,
        detail: FormatDetail::Zip(ZipDetail {
            method: rec.method,
            flags: rec.flags,
            version_made_by: rec.version_made_by,
            version_needed: rec.version_needed,
            external_attributes: rec.external,
            crc32: rec.crc32,
            compressed_size: rec.compressed,
            local_header_offset: rec.offset,
            central_extra_len: rec.central_extra_len,
            comment: rec.comment.clone(),
            data_descriptor: rec.flags & 8 != 0,
            zip64: rec.zip64,
            local: rec.local.clone().unwrap_or(ZipLocalHeader {
                flags: 0,
                method: 0,
                dos_time: 0,
                dos_date: 0,
                extra_len: 0,
            }),
        }),
    })
}

/// Parses and checks the whole structure of a zip file; returns the records in central
/// directory order, each with its local header checked.
pub(super) fn scan<R: Read + Seek>(
    r: &mut R,
    limits: &Limits,
) -> Result<(Directory, Vec<Record>), ArchiveError> {
    let dir = find_directory(r, limits)?;
    let file_len = r.seek(SeekFrom::End(0)).map_err(io_err)?;
    r.seek(SeekFrom::Start(dir.offset)).map_err(io_err)?;
    let mut records = Vec::with_capacity(dir.entries as usize);
    {
        let mut br = BufReader::with_capacity(64 * 1024, &mut *r);
        let mut extra_buf = Vec::new();
        for index in 0..dir.entries as usize {
            let rec = read_central(&mut br, index, limits, &mut extra_buf)
                .map_err(|e| e.with_entry_index(index))?;
            records.push(rec);
        }
        let pos = br.stream_position().map_err(io_err)?;
        if pos != dir.end {
            return Err(malformed(format!(
                "central directory holds {} bytes more than its {} records",
                dir.end.saturating_sub(pos),
                dir.entries
            )));
        }
    }
    for rec in &mut records {
        if rec.offset >= dir.offset {
            return Err(ArchiveError::at(
                ArchiveErrorKind::Malformed {
                    what: "local header offset points into the central directory".into(),
                },
                rec.index,
                &rec.name,
            ));
        }
        check_local(r, rec, file_len).map_err(|e| e.with_entry(rec.index, &rec.name))?;
    }
    // The entries must tile [0, directory offset) exactly.
    let mut order: Vec<&Record> = records.iter().collect();
    order.sort_by_key(|rec| (rec.offset, rec.index));
    let mut cursor = 0u64;
    let mut prev: Option<&Record> = None;
    for &rec in &order {
        if rec.offset < cursor {
            let other = prev;
            return Err(ArchiveError::at(
                ArchiveErrorKind::ZipOverlap {
                    other_index: other.map(|o| o.index).unwrap_or(0),
                    other_name: other.map(|o| o.name.clone()).unwrap_or_default(),
                    start: rec.offset,
                    end: rec.end,
                },
                rec.index,
                &rec.name,
            ));
        }
        if rec.offset > cursor {
            return Err(ArchiveError::at(
                ArchiveErrorKind::ZipGap {
                    offset: cursor,
                    len: rec.offset - cursor,
                },
                rec.index,
                &rec.name,
            ));
        }
        cursor = rec.end;
        prev = Some(rec);
    }
    if cursor > dir.offset {
        let last = prev;
        return Err(ArchiveError::at(
            ArchiveErrorKind::Malformed {
                what: "entry data runs into the central directory".into(),
            },
            last.map(|l| l.index).unwrap_or(0),
            last.map(|l| l.name.as_str()).unwrap_or(""),
        ));
    }
    if cursor < dir.offset {
        return Err(ArchiveErrorKind::ZipGap {
            offset: cursor,
            len: dir.offset - cursor,
        }
        .into());
    }
    Ok((dir, records))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_times_convert() {
        // 1980-01-01 00:00:00
        assert_eq!(dos_to_unix((1 << 5) | 1, 0), 315_532_800);
        // 2024-02-29 12:34:56
        let date = ((2024 - 1980) << 9) | (2 << 5) | 29;
        let time = (12 << 11) | (34 << 5) | 28;
        assert_eq!(dos_to_unix(date, time), 1_709_210_096);
    }
}
