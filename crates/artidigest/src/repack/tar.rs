//! The tar writer of the deterministic profile: ustar headers with zeroed owners, PAX records
//! only where a field does not fit, no record padding.

use std::io::{self, Write};

use crate::repack::cargo::append_cargo;
use crate::repack::error::RepackError;
use crate::repack::normalise::{Normal, NormalKind};
use crate::repack::options::{Profile, RepackOptions};
use crate::repack::report::Stats;

/// The largest value an 11-digit octal tar header field can hold.
const OCTAL_11_MAX: u64 = 0o777_7777_7777;

pub(crate) fn write_tar<W: Write>(
    sink: W,
    entries: &[Normal],
    opts: &RepackOptions,
    stats: &mut Stats,
) -> Result<W, RepackError> {
    let werr = |source| RepackError::Write {
        format: opts.format,
        source,
    };
    let mut builder = tar::Builder::new(sink);
    for entry in entries {
        match opts.profile {
            Profile::Deterministic => append_ustar(&mut builder, entry, stats).map_err(werr)?,
            Profile::Cargo => append_cargo(&mut builder, entry, opts, stats)?,
        }
    }
    builder.into_inner().map_err(werr)
}

/// Splits a path into ustar `prefix` and `name` fields, or `None` when it does not fit.
fn split_ustar(path: &[u8]) -> Option<(&[u8], &[u8])> {
    if path.len() <= 100 {
        return Some((&[], path));
    }
    // The longest prefix (≤ 155 bytes) ending just before a `/`, leaving a name of ≤ 100 bytes.
    let limit = path.len().min(156);
    let split = path.get(..limit)?.iter().rposition(|&b| b == b'/')?;
    let (prefix, name) = (path.get(..split)?, path.get(split + 1..)?);
    (!name.is_empty() && name.len() <= 100 && !prefix.is_empty()).then_some((prefix, name))
}

/// One PAX record: `"<len> <key>=<value>\n"`, where `<len>` counts the whole record.
fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let body = key.len() + value.len() + 3; // space, '=', newline
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    out.extend_from_slice(len.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(key.as_bytes());
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// Truncates `s` to at most `max` bytes on a character boundary, keeping the end.
fn tail(s: &str, max: usize) -> &str {
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s.get(start..).unwrap_or_default()
}

fn base_ustar_header(mode: u32, mtime: u64, size: u64, kind: tar::EntryType) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_size(size);
    h.set_mtime(mtime);
    h.set_entry_type(kind);
    if let Some(u) = h.as_ustar_mut() {
        u.set_device_major(0);
        u.set_device_minor(0);
    }
    h
}

/// Writes `value` at the start of the fixed-size header `field`. Callers cap names at the
/// field's size (`split_ustar`, `tail`), so the error is never expected.
fn put(field: &mut [u8], value: &[u8]) -> io::Result<()> {
    field
        .get_mut(..value.len())
        .ok_or_else(|| io::Error::other("ustar header field overflow"))?
        .copy_from_slice(value);
    Ok(())
}

fn append_ustar<W: Write>(
    builder: &mut tar::Builder<W>,
    entry: &Normal,
    stats: &mut Stats,
) -> io::Result<()> {
    let (kind, mode, data, link): (_, _, &[u8], Option<&str>) = match &entry.kind {
        NormalKind::File(data) => {
            stats.files += 1;
            stats.content_bytes += data.len() as u64;
            let mode = if entry.executable { 0o755 } else { 0o644 };
            (tar::EntryType::Regular, mode, data, None)
        }
        NormalKind::Directory => {
            stats.directories += 1;
            (tar::EntryType::Directory, 0o755, &[], None)
        }
        NormalKind::Symlink(target) => {
            stats.symlinks += 1;
            (tar::EntryType::Symlink, 0o777, &[], Some(target.as_str()))
        }
    };
    let stored_path = match entry.kind {
        NormalKind::Directory => format!("{}/", entry.path),
        _ => entry.path.clone(),
    };
    let size = data.len() as u64;
    let mut pax = Vec::new();
    let split = split_ustar(stored_path.as_bytes());
    if split.is_none() {
        pax_record(&mut pax, "path", stored_path.as_bytes());
    }
    if let Some(target) = link
        && target.len() > 100
    {
        pax_record(&mut pax, "linkpath", target.as_bytes());
    }
    if entry.mtime > OCTAL_11_MAX {
        pax_record(&mut pax, "mtime", entry.mtime.to_string().as_bytes());
    }
    if size > OCTAL_11_MAX {
        pax_record(&mut pax, "size", size.to_string().as_bytes());
    }
    // Records must be sorted by key for determinism; they were added in key order above.
    let mtime = entry.mtime.min(OCTAL_11_MAX);
    if !pax.is_empty() {
        stats.pax_headers += 1;
        let mut ph = base_ustar_header(0o644, mtime, pax.len() as u64, tar::EntryType::XHeader);
        let name = format!("PaxHeaders/{}", tail(&entry.path, 89));
        if let Some(u) = ph.as_ustar_mut() {
            put(&mut u.name, name.as_bytes())?;
        }
        ph.set_cksum();
        builder.append(&ph, pax.as_slice())?;
    }
    let mut h = base_ustar_header(mode, mtime, size.min(OCTAL_11_MAX), kind);
    if let Some(u) = h.as_ustar_mut() {
        match split {
            Some((prefix, name)) => {
                put(&mut u.prefix, prefix)?;
                put(&mut u.name, name)?;
            }
            None => {
                let short = tail(&stored_path, 100);
                put(&mut u.name, short.as_bytes())?;
            }
        }
        if let Some(target) = link {
            let short = target.as_bytes().get(..100).unwrap_or(target.as_bytes());
            put(&mut u.linkname, short)?;
        }
    }
    h.set_cksum();
    builder.append(&h, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ustar_split_and_pax_records() {
        assert_eq!(split_ustar(b"short"), Some((&b""[..], &b"short"[..])));
        let long = format!("{}/{}", "d".repeat(150), "f".repeat(99));
        let (p, n) = split_ustar(long.as_bytes()).unwrap();
        assert_eq!((p.len(), n.len()), (150, 99));
        assert!(split_ustar("x".repeat(101).as_bytes()).is_none());
        let mut rec = Vec::new();
        pax_record(&mut rec, "path", b"abc");
        assert_eq!(rec, b"12 path=abc\n");
        let mut rec = Vec::new();
        // 1 + 1 + 4 + 1 + 91 + 1 = 99 without the length digits; 2 digits make 101 -> 3 digits.
        pax_record(&mut rec, "path", "x".repeat(91).as_bytes());
        assert!(rec.starts_with(b"101 path="));
        assert_eq!(rec.len(), 101);
    }
}
