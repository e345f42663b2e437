//! The structure layer: entry order, tar header formats, PAX records, end padding, zip methods,
//! flags and extra fields.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use crate::archive::{Format, HashedEntry, Listing};
use crate::diff::cause::{Cause, Container};
use crate::diff::report::{DiffCode, DiffOptions, Difference, push_rows};
use crate::diff::side::{Side, inner_container};

/// Bytes after the last entry's data in a tar stream (end blocks plus record padding).
fn tar_end_padding(tar: &[u8], listing: &Listing) -> u64 {
    let end = listing
        .entries
        .iter()
        .filter_map(|h| {
            h.entry
                .tar()
                .map(|t| t.header_offset + 512 + h.entry.size.div_ceil(512) * 512)
        })
        .max()
        .unwrap_or(0);
    (tar.len() as u64).saturating_sub(end)
}

fn count_by<T: Ord>(items: impl Iterator<Item = T>) -> BTreeMap<T, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i).or_insert(0) += 1;
    }
    m
}

fn show_counts<T: fmt::Display>(m: &BTreeMap<T, usize>) -> String {
    if m.is_empty() {
        return "none".into();
    }
    m.iter()
        .map(|(k, v)| format!("{k}×{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn structure(l: &Side<'_>, r: &Side<'_>, opts: &DiffOptions, out: &mut Vec<Difference>) {
    // Entry order over the entries both sides have.
    let rpaths: BTreeSet<&str> = r.paths().collect();
    let lpaths: BTreeSet<&str> = l.paths().collect();
    let lorder: Vec<&str> = l.paths().filter(|p| rpaths.contains(p)).collect();
    let rorder: Vec<&str> = r.paths().filter(|p| lpaths.contains(p)).collect();
    if lorder != rorder {
        let moved: Vec<String> = lorder
            .iter()
            .zip(&rorder)
            .filter(|(a, b)| a != b)
            .map(|(a, _)| (*a).to_owned())
            .collect();
        let sorted = |v: &[&str]| v.iter().zip(v.iter().skip(1)).all(|(a, b)| a <= b);
        out.push(
            Difference::new(
                DiffCode::EntryOrder,
                "entry order differs",
                Cause::FileSystemOrder,
                inner_container(l, r),
            )
            .values(
                if sorted(&lorder) {
                    "sorted"
                } else {
                    "unsorted"
                },
                if sorted(&rorder) {
                    "sorted"
                } else {
                    "unsorted"
                },
            )
            .affecting(moved, opts.max_listed),
        );
    }
    if let (Some(ltar), Some(rtar)) = (l.tar_bytes(), r.tar_bytes()) {
        tar_structure(l, r, ltar, rtar, opts, out);
    }
    if l.format == Format::Zip && r.format == Format::Zip {
        zip_structure(l, r, opts, out);
    }
}

fn tar_structure(
    l: &Side<'_>,
    r: &Side<'_>,
    ltar: &[u8],
    rtar: &[u8],
    opts: &DiffOptions,
    out: &mut Vec<Difference>,
) {
    let formats = |s: &Side<'_>| {
        count_by(
            s.listing
                .entries
                .iter()
                .filter_map(|h| h.entry.tar().map(|t| t.header_format.to_string())),
        )
    };
    let (lf, rf) = (formats(l), formats(r));
    if lf.keys().collect::<Vec<_>>() != rf.keys().collect::<Vec<_>>() {
        out.push(
            Difference::new(
                DiffCode::TarHeaderFormat,
                "tar header formats differ",
                Cause::TarWriters,
                Container::Tar,
            )
            .values(show_counts(&lf), show_counts(&rf)),
        );
    }
    number_formatting(l, r, ltar, rtar, opts, out);
    let pax_keys = |s: &Side<'_>| {
        count_by(s.listing.entries.iter().flat_map(|h| {
            h.entry
                .tar()
                .map(|t| t.pax.iter().map(|p| p.key.clone()).collect::<Vec<_>>())
                .unwrap_or_default()
        }))
    };
    let (lk, rk) = (pax_keys(l), pax_keys(r));
    let (lg, rg) = (&l.listing.summary.pax_global, &r.listing.summary.pax_global);
    if lk != rk || lg != rg {
        let all: BTreeSet<&String> = lk.keys().chain(rk.keys()).collect();
        let times = all
            .iter()
            .any(|k| matches!(k.as_str(), "atime" | "ctime" | "mtime"));
        let xattr = all.iter().any(|k| {
            k.contains("xattr") || k.starts_with("SCHILY.") || k.starts_with("LIBARCHIVE.")
        });
        let why = if xattr {
            Cause::PaxXattrs
        } else if times {
            Cause::PaxTimes
        } else {
            Cause::PaxNeeded
        };
        out.push(
            Difference::new(
                DiffCode::PaxRecords,
                "PAX records differ",
                why,
                Container::Tar,
            )
            .values(
                format!("{}; global {}", show_counts(&lk), lg.len()),
                format!("{}; global {}", show_counts(&rk), rg.len()),
            ),
        );
    }
    let gnu_long = |s: &Side<'_>| {
        s.listing
            .entries
            .iter()
            .filter(|h| {
                h.entry
                    .tar()
                    .is_some_and(|t| t.gnu_long_name || t.gnu_long_link)
            })
            .count()
    };
    let (lgl, rgl) = (gnu_long(l), gnu_long(r));
    if lgl != rgl {
        out.push(
            Difference::new(
                DiffCode::GnuLongNames,
                "GNU long-name records differ",
                Cause::GnuLongNames,
                Container::Tar,
            )
            .values(lgl, rgl),
        );
    }
    let (lp, rp) = (
        tar_end_padding(ltar, &l.listing),
        tar_end_padding(rtar, &r.listing),
    );
    if lp != rp {
        out.push(
            Difference::new(
                DiffCode::EndPadding,
                "tar end-of-archive padding differs",
                Cause::RecordPadding,
                Container::Tar,
            )
            .values(format!("{lp} bytes"), format!("{rp} bytes")),
        );
    }
}

/// The numeric fields of a ustar, GNU or v7 tar header: name, offset, length.
const NUMERIC_FIELDS: &[(&str, usize, usize)] = &[
    ("mode", 100, 8),
    ("uid", 108, 8),
    ("gid", 116, 8),
    ("size", 124, 12),
    ("mtime", 136, 12),
    ("chksum", 148, 8),
    ("devmajor", 329, 8),
    ("devminor", 337, 8),
];

/// How a numeric header field is written: leading spaces, octal digits, then terminators
/// (spaces and NULs), or GNU base-256 (high bit set).
#[derive(Debug, PartialEq, Eq)]
enum Written<'a> {
    Octal {
        lead: usize,
        digits: &'a [u8],
        tail: &'a [u8],
    },
    Base256(&'a [u8]),
}

impl Written<'_> {
    fn read(field: &[u8]) -> Option<Written<'_>> {
        if field.first().is_some_and(|b| b & 0x80 != 0) {
            return Some(Written::Base256(field));
        }
        let lead = field.iter().take_while(|b| **b == b' ').count();
        let body = field.get(lead..)?;
        let n = body.iter().take_while(|b| b.is_ascii_digit()).count();
        let (digits, tail) = body.split_at_checked(n)?;
        tail.iter()
            .all(|b| *b == 0 || *b == b' ')
            .then_some(Written::Octal { lead, digits, tail })
    }

    /// The number; an empty field (all NULs or spaces) reads as 0, as tar readers do.
    fn value(&self) -> Option<u64> {
        match self {
            Written::Octal { digits, .. } => digits.iter().try_fold(0u64, |v, d| {
                v.checked_mul(8)?
                    .checked_add(u64::from(d.checked_sub(b'0').filter(|d| *d < 8)?))
            }),
            Written::Base256(bytes) => {
                let (first, rest) = bytes.split_first()?;
                if first & 0x40 != 0 {
                    return None;
                }
                rest.iter().try_fold(u64::from(first & 0x3f), |v, b| {
                    v.checked_mul(256)?.checked_add(u64::from(*b))
                })
            }
        }
    }

    /// The layout without the digits' values: where the digits are and what ends them.
    fn shape(&self) -> (usize, usize, &[u8]) {
        match self {
            Written::Octal { lead, digits, tail } => (*lead, digits.len(), tail),
            Written::Base256(_) => (0, 0, &[0x80]),
        }
    }
}

/// A header field's bytes as text: printable ASCII as is, NUL as `\0`, others as `\xNN`.
fn show_field(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for b in bytes {
        match b {
            0 => s.push_str("\\0"),
            b' '..=b'~' => s.push(char::from(*b)),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

/// The 512-byte header block of an entry, by path, for every tar entry of a side.
fn headers<'t>(s: &Side<'_>, tar: &'t [u8]) -> HashMap<String, &'t [u8]> {
    s.listing
        .entries
        .iter()
        .filter_map(|h| Some((h.entry.path.clone(), headers_one(h, tar)?)))
        .collect()
}

/// Numeric header fields written differently (digit count, leading zeros, space or NUL
/// terminators) while holding the same numbers: another tar writer, not other metadata.
fn number_formatting(
    l: &Side<'_>,
    r: &Side<'_>,
    ltar: &[u8],
    rtar: &[u8],
    opts: &DiffOptions,
    out: &mut Vec<Difference>,
) {
    let rh = headers(r, rtar);
    let mut affected = Vec::new();
    let mut example: Option<(&str, &[u8], &[u8])> = None;
    for h in &l.listing.entries {
        let Some(rb) = rh.get(&h.entry.path) else {
            continue;
        };
        let Some(lb) = headers_one(h, ltar) else {
            continue;
        };
        let mut differs = false;
        for (name, off, len) in NUMERIC_FIELDS {
            let field = |b: &'_ [u8]| b.get(*off..off + len).map(<[u8]>::to_vec);
            let (Some(a), Some(b)) = (field(lb), field(rb)) else {
                continue;
            };
            if a == b {
                continue;
            }
            let (Some(wa), Some(wb)) = (Written::read(&a), Written::read(&b)) else {
                continue;
            };
            // The checksum's value follows every other byte of the header, so only its
            // layout tells writers apart; any other field counts when its number is the same.
            let same_number = if *name == "chksum" {
                wa.shape() != wb.shape()
            } else {
                wa.value().is_some() && wa.value() == wb.value()
            };
            if same_number {
                differs = true;
                if example.is_none_or(|(n, _, _)| n == "chksum" && *name != "chksum") {
                    let (a, b) = (lb.get(*off..off + len), rb.get(*off..off + len));
                    if let (Some(a), Some(b)) = (a, b) {
                        example = Some((name, a, b));
                    }
                }
            }
        }
        if differs {
            affected.push(h.entry.path.clone());
        }
    }
    if let Some((name, a, b)) = example {
        out.push(
            Difference::new(
                DiffCode::TarNumberFormat,
                "tar header numbers are written differently (same values)",
                Cause::TarNumberFormat,
                Container::Tar,
            )
            .values(
                format!("{name} {}", show_field(a)),
                format!("{name} {}", show_field(b)),
            )
            .affecting(affected, opts.max_listed),
        );
    }
}

/// The 512-byte header block of one tar entry.
fn headers_one<'t>(h: &HashedEntry, tar: &'t [u8]) -> Option<&'t [u8]> {
    let off = usize::try_from(h.entry.tar()?.header_offset).ok()?;
    tar.get(off..off.checked_add(512)?)
}

/// When nothing inside the tars explains why they differ: the entries whose header blocks
/// differ (bytes the readers do not model), else the record layout.
pub(crate) fn unexplained_tar(
    l: &Side<'_>,
    r: &Side<'_>,
    opts: &DiffOptions,
    out: &mut Vec<Difference>,
) {
    let (Some(ltar), Some(rtar)) = (l.tar_bytes(), r.tar_bytes()) else {
        return;
    };
    if ltar == rtar {
        return;
    }
    let rh = headers(r, rtar);
    let affected: Vec<String> = l
        .listing
        .entries
        .iter()
        .filter(|h| {
            let lb = headers_one(h, ltar);
            lb.is_some() && rh.get(&h.entry.path).copied() != lb
        })
        .map(|h| h.entry.path.clone())
        .collect();
    let d = if affected.is_empty() {
        Difference::new(
            DiffCode::CompressedData,
            "entries, metadata and contents agree, but the tar bytes differ",
            Cause::OtherCompressedBytes,
            Container::Tar,
        )
    } else {
        Difference::new(
            DiffCode::TarHeaderBytes,
            "tar header bytes differ where they decode to the same entries",
            Cause::TarHeaderBytes,
            Container::Tar,
        )
        .affecting(affected, opts.max_listed)
    };
    out.push(d);
}

fn zip_structure(l: &Side<'_>, r: &Side<'_>, opts: &DiffOptions, out: &mut Vec<Difference>) {
    let rmap = r.by_path();
    let (mut method, mut extra, mut host, mut dd) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for h in &l.listing.entries {
        let Some(o) = rmap.get(h.entry.path.as_str()) else {
            continue;
        };
        let (Some(a), Some(b)) = (h.entry.zip(), o.entry.zip()) else {
            continue;
        };
        let p = h.entry.path.clone();
        if a.method != b.method {
            method.push(p.clone());
        }
        if a.local.extra_len != b.local.extra_len || a.central_extra_len != b.central_extra_len {
            extra.push(p.clone());
        }
        if a.version_made_by >> 8 != b.version_made_by >> 8 {
            host.push(p.clone());
        }
        if a.data_descriptor != b.data_descriptor {
            dd.push(p);
        }
    }
    let rows = [
        (
            DiffCode::ZipMethod,
            "zip compression methods differ",
            Cause::ZipMethods,
            method,
        ),
        (
            DiffCode::ZipExtraFields,
            "zip extra fields differ",
            Cause::ZipExtraRecords,
            extra,
        ),
        (
            DiffCode::ZipHost,
            "zip 'version made by' host differs",
            Cause::ZipHostSystem,
            host,
        ),
        (
            DiffCode::ZipDataDescriptor,
            "zip data-descriptor use differs",
            Cause::ZipStreamed,
            dd,
        ),
    ];
    push_rows(out, rows, Container::Zip, opts.max_listed);
    if l.listing.summary.zip_comment != r.listing.summary.zip_comment {
        out.push(Difference::new(
            DiffCode::ZipComment,
            "zip archive comment differs",
            Cause::ZipCommentWritten,
            Container::Zip,
        ));
    }
}
