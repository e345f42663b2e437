//! The tar reader: ustar, GNU (long names), PAX (local and global records) and v7 headers,
//! read front to back from any `Read`, checked entry by entry, never extracted.
//!
//! PAX and GNU long-name entries are read by this module (not by the `tar` crate) so that their
//! sizes are capped before anything is allocated and so that a PAX `size` that disagrees with
//! the header can be refused instead of silently chosen.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::{self, Read};
use std::rc::Rc;

use ::tar::{Archive, EntryType, Header};

use crate::archive::error::{ArchiveError, ArchiveErrorKind};
use crate::archive::model::{
    ArchiveSummary, Entry, EntryKind, FormatDetail, Limits, PaxRecord, TarDetail, TarHeaderFormat,
};
use crate::archive::paths::normalise_path;
use crate::archive::track::{SizedReader, Tracker, run_visitor};

const BLOCK: u64 = 512;

/// Reads a plain tar stream, calling `visitor` for each entry (with a reader of its content)
/// after the entry passed every check. Returns the summary once the end-of-archive marker and
/// what follows it were checked.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut builder = tar::Builder::new(Vec::new());
/// let mut header = tar::Header::new_ustar();
/// header.set_size(5);
/// header.set_mode(0o644);
/// header.set_cksum();
/// builder.append_data(&mut header, "pkg/hello.txt", &b"hello"[..])?;
/// let bytes = builder.into_inner()?;
///
/// let mut names = Vec::new();
/// artidigest::visit_tar(&bytes[..], &artidigest::Limits::default(), |entry, content| {
///     let mut text = String::new();
///     content.read_to_string(&mut text)?;
///     names.push((entry.path.clone(), text));
///     Ok(())
/// })?;
/// assert_eq!(names, [("pkg/hello.txt".to_string(), "hello".to_string())]);
/// # Ok(())
/// # }
/// ```
pub fn visit_tar<R, F>(
    reader: R,
    limits: &Limits,
    visitor: F,
) -> Result<ArchiveSummary, ArchiveError>
where
    R: Read,
    F: FnMut(&Entry, &mut dyn Read) -> io::Result<()>,
{
    let mut summary = ArchiveSummary::default();
    visit_tar_stream(reader, limits, visitor, &mut summary)?;
    summary.compressed_size = summary.uncompressed_size;
    Ok(summary)
}

/// Counts bytes read and enforces [`Limits::max_total_size`] on the tar stream.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
    limit: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.count.get() + n as u64;
        self.count.set(total);
        if total > self.limit {
            return Err(ArchiveError::new(ArchiveErrorKind::TotalTooLarge {
                limit: self.limit,
                actual: total,
            })
            .into_io());
        }
        Ok(n)
    }
}

fn malformed(what: impl Into<String>) -> ArchiveErrorKind {
    ArchiveErrorKind::Malformed { what: what.into() }
}

/// Maps an error of the `tar` crate or of the layers below it.
fn tar_err(e: io::Error) -> ArchiveError {
    let typed = ArchiveError::from_io(e);
    match typed.kind() {
        // The `tar` crate reports running out of input while skipping padding this way.
        ArchiveErrorKind::Io(inner) if inner.to_string().contains("unexpected EOF") => {
            ArchiveError::new(ArchiveErrorKind::TruncatedTar)
        }
        ArchiveErrorKind::Io(inner) if inner.kind() == io::ErrorKind::Other => {
            ArchiveError::new(malformed(inner.to_string()))
        }
        _ => typed,
    }
}

/// The tar stream reader shared by [`visit_tar`] and the tar.gz readers; fills `summary`.
pub(crate) fn visit_tar_stream<R, F>(
    reader: R,
    limits: &Limits,
    mut visitor: F,
    summary: &mut ArchiveSummary,
) -> Result<(), ArchiveError>
where
    R: Read,
    F: FnMut(&Entry, &mut dyn Read) -> io::Result<()>,
{
    let count = Rc::new(Cell::new(0u64));
    let counting = Counting {
        inner: reader,
        count: Rc::clone(&count),
        limit: limits.max_total_size,
    };
    let mut archive = Archive::new(counting);
    let mut tracker = Tracker::default();
    let mut pax: Option<Vec<PaxRecord>> = None;
    let mut long_name: Option<Vec<u8>> = None;
    let mut long_link: Option<Vec<u8>> = None;
    let mut globals: Vec<PaxRecord> = Vec::new();
    // The global records in effect, by key (the last one wins): constant time per lookup.
    let mut global_map: HashMap<String, String> = HashMap::new();
    let mut pax_budget = PaxBudget::default();
    // Where the header after the last one seen starts.
    let mut next_header: u64 = 0;
    {
        let entries = archive.entries().map_err(tar_err)?.raw(true);
        for item in entries {
            let next_index = tracker.entries_admitted();
            let mut raw = item.map_err(|e| tar_err(e).with_entry_index(next_index))?;
            let header: Header = raw.header().clone();
            let header_offset = raw.raw_header_position();
            let size = raw.size();
            next_header = raw.raw_file_position() + size.div_ceil(BLOCK) * BLOCK;
            let type_flag = header.as_bytes()[156];
            let etype = header.entry_type();
            match etype {
                EntryType::XHeader | EntryType::XGlobalHeader => {
                    let ext_name = String::from_utf8_lossy(&header.path_bytes()).into_owned();
                    let capped = |k| ArchiveError::at(k, next_index, &ext_name);
                    pax_budget.add_bytes(size, limits).map_err(capped)?;
                    let body = read_extension(&mut raw, size, limits)
                        .map_err(|k| ArchiveError::from(k).with_entry_index(next_index))?;
                    let records = parse_pax_capped(&body, limits.max_pax_records).map_err(|k| {
                        if matches!(k, ArchiveErrorKind::TooManyPaxRecords { .. }) {
                            capped(k)
                        } else {
                            ArchiveError::from(k).with_entry_index(next_index)
                        }
                    })?;
                    pax_budget
                        .add_records(records.len(), limits)
                        .map_err(capped)?;
                    if etype == EntryType::XGlobalHeader {
                        tracker
                            .count_header(limits)
                            .map_err(|k| ArchiveError::from(k).with_entry_index(next_index))?;
                        if let Some(r) = records
                            .iter()
                            .find(|r| matches!(r.key.as_str(), "path" | "linkpath" | "size"))
                        {
                            return Err(ArchiveError::from(malformed(format!(
                                "PAX global header sets {:?}, which would rename or resize every entry",
                                r.key
                            )))
                            .with_entry_index(next_index));
                        }
                        // Only the keys an entry reads from the global records are kept in
                        // the map (the summary keeps every record once): memory stays one
                        // copy per record however many records there are.
                        for r in records
                            .iter()
                            .filter(|r| GLOBAL_KEYS_READ.contains(&r.key.as_str()))
                        {
                            global_map.insert(r.key.clone(), r.value.clone());
                        }
                        globals.extend(records);
                    } else {
                        if pax.is_some() {
                            return Err(ArchiveError::from(malformed(
                                "two PAX headers describe the same entry",
                            ))
                            .with_entry_index(next_index));
                        }
                        pax = Some(records);
                    }
                    continue;
                }
                EntryType::GNULongName | EntryType::GNULongLink => {
                    let mut body = read_extension(&mut raw, size, limits)
                        .map_err(|k| ArchiveError::from(k).with_entry_index(next_index))?;
                    while body.last() == Some(&0) {
                        body.pop();
                    }
                    let slot = if etype == EntryType::GNULongName {
                        &mut long_name
                    } else {
                        &mut long_link
                    };
                    if slot.is_some() {
                        return Err(ArchiveError::from(malformed(
                            "two GNU long-name entries describe the same entry",
                        ))
                        .with_entry_index(next_index));
                    }
                    *slot = Some(body);
                    continue;
                }
                _ => {}
            }

            tracker
                .count_header(limits)
                .map_err(|k| ArchiveError::from(k).with_entry_index(next_index))?;
            let index = next_index;
            let records = pax.take();
            let gnu_long_name = long_name.is_some();
            let gnu_long_link = long_link.is_some();
            let ln = long_name.take();
            let ll = long_link.take();
            let entry = describe(
                &header,
                DescribeInput {
                    index,
                    header_offset,
                    type_flag,
                    size,
                    records,
                    globals: &global_map,
                    long_name: ln,
                    long_link: ll,
                    gnu_long_name,
                    gnu_long_link,
                },
                limits,
            )?;
            tracker
                .admit(&entry, limits)
                .map_err(|k| ArchiveError::at(k, entry.index, &entry.raw_path))?;
            let mut content = SizedReader::new(&mut raw, entry.size);
            run_visitor(&entry, &mut content, &mut visitor).map_err(|e| {
                // A short entry in a tar stream means the stream ended.
                match e.kind() {
                    ArchiveErrorKind::SizeMismatch { declared, actual }
                        if actual < declared && e.chain().is_empty() =>
                    {
                        ArchiveError::at(
                            ArchiveErrorKind::TruncatedTar,
                            entry.index,
                            &entry.raw_path,
                        )
                    }
                    _ => e,
                }
            })?;
        }
    }
    if pax.is_some() || long_name.is_some() || long_link.is_some() {
        return Err(
            malformed("extension header at the end of the archive describes no entry").into(),
        );
    }
    let consumed = count.get();
    if consumed < next_header + BLOCK {
        // The stream ended where a header (or the end-of-archive block) should have been.
        return Err(ArchiveErrorKind::TruncatedTar.into());
    }
    let mut inner = archive.into_inner();
    // After the first zero block: only zeros (the second end block and record padding).
    let mut buf = vec![0u8; 64 * 1024];
    let mut garbage = 0u64;
    loop {
        let n = match inner.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ArchiveError::from_io(e)),
        };
        let chunk = crate::hasher::filled(&buf, n).map_err(ArchiveError::from_io)?;
        if !limits.allow_trailing_data && chunk.iter().any(|&b| b != 0) {
            garbage += n as u64;
            return Err(ArchiveErrorKind::TrailingData {
                after: "tar end-of-archive marker",
                len: garbage,
            }
            .into());
        }
    }
    tracker.finish()?;
    summary.entries = tracker.entries_admitted();
    summary.content_size = tracker.content_size();
    summary.uncompressed_size = count.get();
    summary.pax_global = globals;
    Ok(())
}

fn read_extension<R: Read>(
    raw: &mut R,
    size: u64,
    limits: &Limits,
) -> Result<Vec<u8>, ArchiveErrorKind> {
    if size > limits.max_pax_size {
        return Err(ArchiveErrorKind::PaxTooLarge {
            limit: limits.max_pax_size,
            actual: size,
        });
    }
    let mut body = Vec::with_capacity(size as usize);
    raw.take(size)
        .read_to_end(&mut body)
        .map_err(|e| ArchiveError::from_io(e).into_kind())?;
    if (body.len() as u64) < size {
        return Err(ArchiveErrorKind::TruncatedTar);
    }
    Ok(body)
}

/// The keys an entry takes from PAX global records when its own header does not set them
/// (`path`, `linkpath` and `size` are refused in global records).
const GLOBAL_KEYS_READ: [&str; 5] = ["uid", "gid", "mtime", "uname", "gname"];

/// The archive-wide PAX caps: records and bytes of every extended header, local and global.
#[derive(Default)]
struct PaxBudget {
    records: usize,
    bytes: u64,
}

impl PaxBudget {
    fn add_bytes(&mut self, size: u64, limits: &Limits) -> Result<(), ArchiveErrorKind> {
        self.bytes = self.bytes.saturating_add(size);
        if self.bytes > limits.max_pax_total_size {
            return Err(ArchiveErrorKind::PaxTotalTooLarge {
                limit: limits.max_pax_total_size,
                actual: self.bytes,
            });
        }
        Ok(())
    }

    fn add_records(&mut self, n: usize, limits: &Limits) -> Result<(), ArchiveErrorKind> {
        self.records = self.records.saturating_add(n);
        if self.records > limits.max_pax_total_records {
            return Err(ArchiveErrorKind::TooManyPaxRecords {
                scope: "in total",
                limit: limits.max_pax_total_records,
                actual: self.records,
            });
        }
        Ok(())
    }
}

/// Parses PAX extended header records: `"<len> <key>=<value>\n"`, repeated.
#[cfg(test)]
fn parse_pax(body: &[u8]) -> Result<Vec<PaxRecord>, ArchiveErrorKind> {
    parse_pax_capped(body, usize::MAX)
}

/// [`parse_pax`], refusing more than `max_records` records before allocating the next one.
fn parse_pax_capped(body: &[u8], max_records: usize) -> Result<Vec<PaxRecord>, ArchiveErrorKind> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        // GNU tar pads some headers with NULs.
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let space = rest
            .iter()
            .position(|&b| b == b' ')
            .filter(|&p| p > 0 && p <= 20)
            .ok_or_else(|| malformed("PAX record without a length"))?;
        let len: usize = std::str::from_utf8(rest.get(..space).unwrap_or_default())
            .ok()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| malformed("PAX record length is not a number"))?;
        if len <= space + 1 || len > rest.len() {
            return Err(malformed(format!(
                "PAX record length {len} does not fit the header"
            )));
        }
        // `space + 1 < len <= rest.len()` was just checked.
        let record = rest.get(space + 1..len).unwrap_or_default();
        let Some((&b'\n', kv)) = record.split_last() else {
            return Err(malformed("PAX record does not end with a newline"));
        };
        let eq = kv
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| malformed("PAX record without '='"))?;
        // `eq` is the position of a byte in `kv`.
        let (key, value) = (
            kv.get(..eq).unwrap_or_default(),
            kv.get(eq + 1..).unwrap_or_default(),
        );
        let key = std::str::from_utf8(key).map_err(|_| malformed("PAX key is not UTF-8"))?;
        let value = std::str::from_utf8(value).map_err(|_| malformed("PAX value is not UTF-8"))?;
        if key.is_empty() {
            return Err(malformed("empty PAX key"));
        }
        if out.len() >= max_records {
            return Err(ArchiveErrorKind::TooManyPaxRecords {
                scope: "per entry",
                limit: max_records,
                actual: out.len() + 1,
            });
        }
        out.push(PaxRecord {
            key: key.to_owned(),
            value: value.to_owned(),
        });
        rest = rest.get(len..).unwrap_or_default();
    }
    Ok(out)
}

struct DescribeInput<'a> {
    index: usize,
    header_offset: u64,
    type_flag: u8,
    size: u64,
    records: Option<Vec<PaxRecord>>,
    globals: &'a HashMap<String, String>,
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    gnu_long_name: bool,
    gnu_long_link: bool,
}

/// The value of `key` in the entry's own records (the last one wins).
fn local_lookup<'a>(local: &'a [PaxRecord], key: &str) -> Option<&'a str> {
    local
        .iter()
        .rev()
        .find(|r| r.key == key)
        .map(|r| r.value.as_str())
}

/// The value of `key`: the entry's own record (the last one; at most
/// [`Limits::max_pax_records`] to scan), else the global one in effect (one map lookup).
fn lookup<'a>(
    local: &'a [PaxRecord],
    globals: &'a HashMap<String, String>,
    key: &str,
) -> Option<&'a str> {
    local_lookup(local, key).or_else(|| globals.get(key).map(String::as_str))
}

fn utf8_path(bytes: Vec<u8>) -> Result<String, ArchiveErrorKind> {
    String::from_utf8(bytes).map_err(|e| ArchiveErrorKind::InvalidPath {
        path: String::from_utf8_lossy(e.as_bytes()).into_owned(),
        reason: "not UTF-8",
    })
}

/// Builds the entry from its header and the extension records that precede it.
fn describe(
    header: &Header,
    input: DescribeInput<'_>,
    limits: &Limits,
) -> Result<Entry, ArchiveError> {
    let index = input.index;
    let local: Vec<PaxRecord> = input.records.clone().unwrap_or_default();
    let globals = input.globals;

    let raw_bytes = match (&input.long_name, local_lookup(&local, "path")) {
        (_, Some(p)) => p.as_bytes().to_vec(),
        (Some(long), None) => long.clone(),
        (None, None) => header.path_bytes().into_owned(),
    };
    if raw_bytes.len() > limits.max_path_len {
        return Err(ArchiveError::new(ArchiveErrorKind::PathTooLong {
            limit: limits.max_path_len,
            actual: raw_bytes.len(),
        })
        .with_entry_index(index));
    }
    let raw_path =
        utf8_path(raw_bytes).map_err(|k| ArchiveError::from(k).with_entry_index(index))?;
    let at = |k: ArchiveErrorKind| ArchiveError::at(k, index, &raw_path);
    // A numeric field left blank (all NUL or spaces) reads as 0, as GNU tar does.
    let num = |r: io::Result<u64>, field: &str, range: std::ops::Range<usize>| {
        let blank = header
            .as_bytes()
            .get(range)
            .is_some_and(|f| f.iter().all(|&b| b == 0 || b == b' '));
        if blank {
            return Ok(0);
        }
        r.map_err(|_| at(malformed(format!("invalid numeric {field} field"))))
    };

    let header_format = if input.records.is_some() {
        TarHeaderFormat::Pax
    } else if header.as_gnu().is_some() {
        TarHeaderFormat::Gnu
    } else if header.as_ustar().is_some() {
        TarHeaderFormat::Ustar
    } else {
        TarHeaderFormat::Old
    };

    let header_size = input.size;
    if let Some(pax_size) = local_lookup(&local, "size")
        && pax_size.parse::<u64>().ok() != Some(header_size)
    {
        return Err(at(ArchiveErrorKind::PaxSizeMismatch {
            header: header_size,
            pax: pax_size.to_owned(),
        }));
    }

    let parse_u64 = |key: &str, fallback: u64| -> Result<u64, ArchiveError> {
        match lookup(&local, globals, key) {
            Some(v) => v
                .parse::<u64>()
                .map_err(|_| at(malformed(format!("PAX {key} {v:?} is not a number")))),
            None => Ok(fallback),
        }
    };
    let uid = parse_u64("uid", num(header.uid(), "uid", 108..116)?)?;
    let gid = parse_u64("gid", num(header.gid(), "gid", 116..124)?)?;
    let header_mtime = i64::try_from(num(header.mtime(), "mtime", 136..148)?).unwrap_or(i64::MAX);
    let mtime = match lookup(&local, globals, "mtime") {
        Some(v) => {
            let whole = v.split('.').next().unwrap_or("");
            whole
                .parse::<i64>()
                .map_err(|_| at(malformed(format!("PAX mtime {v:?} is not a time"))))?
        }
        None => header_mtime,
    };
    let mode = (num(header.mode().map(u64::from), "mode", 100..108)? & 0o7777) as u32;
    let name_field = |pax_key: &str, bytes: Option<&[u8]>| -> String {
        match lookup(&local, globals, pax_key) {
            Some(v) => v.to_owned(),
            None => bytes
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
        }
    };
    let uname = name_field("uname", header.username_bytes());
    let gname = name_field("gname", header.groupname_bytes());

    let etype = header.entry_type();
    let kind = match etype {
        EntryType::Regular | EntryType::Continuous => {
            if header_format == TarHeaderFormat::Old && raw_path.ends_with('/') {
                EntryKind::Dir
            } else {
                EntryKind::File
            }
        }
        EntryType::Directory => EntryKind::Dir,
        EntryType::Symlink => EntryKind::Symlink,
        EntryType::Link => EntryKind::Hardlink,
        _ => EntryKind::Other,
    };
    let link_target = if matches!(kind, EntryKind::Symlink | EntryKind::Hardlink) {
        let bytes = match (&input.long_link, local_lookup(&local, "linkpath")) {
            (_, Some(p)) => p.as_bytes().to_vec(),
            (Some(long), None) => long.clone(),
            (None, None) => header
                .link_name_bytes()
                .map(|b| b.into_owned())
                .unwrap_or_default(),
        };
        if bytes.len() > limits.max_path_len {
            return Err(at(ArchiveErrorKind::PathTooLong {
                limit: limits.max_path_len,
                actual: bytes.len(),
            }));
        }
        Some(utf8_path(bytes).map_err(at)?)
    } else {
        None
    };
    let path = normalise_path(&raw_path, limits).map_err(at)?;
    Ok(Entry {
        index,
        path,
        raw_path: raw_path.clone(),
        kind,
        size: header_size,
        mode,
        mtime,
        uid,
        gid,
        uname,
        gname,
        link_target,
        detail: FormatDetail::Tar(TarDetail {
            header_format,
            type_flag: input.type_flag,
            pax: local,
            gnu_long_name: input.gnu_long_name,
            gnu_long_link: input.gnu_long_link,
            header_offset: input.header_offset,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_records_parse() {
        let body = b"30 mtime=1153704088.123456789\n18 path=a/b/c.txt\n";
        let r = parse_pax(body).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].key, "mtime");
        assert_eq!(r[1].value, "a/b/c.txt");
        assert!(parse_pax(b"99 path=x\n").is_err());
        assert!(parse_pax(b"9 pathx\n").is_err());
        assert!(parse_pax(b"abc path=x\n").is_err());
        assert!(parse_pax(b"").unwrap().is_empty());
    }
}
