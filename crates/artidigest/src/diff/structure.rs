//! The structure layer: entry order, tar header formats, PAX records, end padding, zip methods,
//! flags and extra fields.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use crate::archive::{Format, HashedEntry, Listing};
use crate::diff::report::{DiffCode, DiffOptions, Difference};
use crate::diff::side::Side;

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
    let rpaths: BTreeSet<&str> = r
        .listing
        .entries
        .iter()
        .map(|h| h.entry.path.as_str())
        .collect();
    let lpaths: BTreeSet<&str> = l
        .listing
        .entries
        .iter()
        .map(|h| h.entry.path.as_str())
        .collect();
    let lorder: Vec<&str> = l
        .listing
        .entries
        .iter()
        .map(|h| h.entry.path.as_str())
        .filter(|p| rpaths.contains(p))
        .collect();
    let rorder: Vec<&str> = r
        .listing
        .entries
        .iter()
        .map(|h| h.entry.path.as_str())
        .filter(|p| lpaths.contains(p))
        .collect();
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
                "the archiver listed files in directory (file system) order, which differs between machines",
                "entry order differs: sort entries (tar --sort=name, or repack)",
            )
            .values(
                if sorted(&lorder) { "sorted" } else { "unsorted" },
                if sorted(&rorder) { "sorted" } else { "unsorted" },
            )
            .affecting(moved, opts.max_listed),
        );
    }
    if let (Some(ltar), Some(rtar)) = (l.tar_bytes(), r.tar_bytes()) {
        tar_structure(l, r, ltar, rtar, out);
    }
    if l.format == Format::Zip && r.format == Format::Zip {
        zip_structure(l, r, opts, out);
    }
}

fn tar_structure(l: &Side<'_>, r: &Side<'_>, ltar: &[u8], rtar: &[u8], out: &mut Vec<Difference>) {
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
                "different tar writers or --format options (GNU tar defaults to gnu, Python's tarfile to pax, bsdtar to ustar/pax)",
                "write the same format on both sides (tar --format=ustar or pax), or repack",
            )
            .values(show_counts(&lf), show_counts(&rf)),
        );
    }
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
        let cause = if xattr {
            "extended attributes (xattrs, ACLs) were archived as PAX records on one side"
        } else if times {
            "PAX time records (atime/ctime/sub-second mtime) were stored, as GNU tar --format=posix and Python's tarfile do"
        } else {
            "one writer needed or chose PAX records (long names, large values, global headers)"
        };
        let fix = if xattr {
            "use tar --no-xattrs --no-acls --no-selinux, or repack"
        } else if times {
            "use --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime, or repack"
        } else {
            "write PAX records only where ustar cannot hold a value (as repack does)"
        };
        out.push(
            Difference::new(DiffCode::PaxRecords, "PAX records differ", cause, fix).values(
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
                "one side stores long paths as GNU ././@LongLink entries, the other in PAX or ustar prefix fields",
                "write the same tar format on both sides",
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
                "GNU tar and bsdtar pad the archive to a 10240-byte record (blocking factor 20); library writers stop after the two zero blocks",
                "use the same writer, or tar --record-size=1024 / repack",
            )
            .values(format!("{lp} bytes"), format!("{rp} bytes")),
        );
    }
}

fn zip_structure(l: &Side<'_>, r: &Side<'_>, opts: &DiffOptions, out: &mut Vec<Difference>) {
    let rmap: HashMap<&str, &HashedEntry> = r
        .listing
        .entries
        .iter()
        .map(|h| (h.entry.path.as_str(), h))
        .collect();
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
    let max = opts.max_listed;
    if !method.is_empty() {
        out.push(
            Difference::new(
                DiffCode::ZipMethod,
                "zip compression methods differ",
                "different zip writers or settings stored some entries instead of deflating them",
                "use the same zip writer and compression settings, or repack",
            )
            .affecting(method, max),
        );
    }
    if !extra.is_empty() {
        out.push(
            Difference::new(
                DiffCode::ZipExtraFields,
                "zip extra fields differ",
                "extra fields carry timestamps and uid/gid (Info-ZIP UT/ux records)",
                "use zip -X (no extra attributes), or repack",
            )
            .affecting(extra, max),
        );
    }
    if !host.is_empty() {
        out.push(
            Difference::new(
                DiffCode::ZipHost,
                "zip 'version made by' host differs",
                "the archives were made on different systems (Unix vs FAT/NTFS), which also changes how modes are stored",
                "build on the same platform, or repack",
            )
            .affecting(host, max),
        );
    }
    if !dd.is_empty() {
        out.push(
            Difference::new(
                DiffCode::ZipDataDescriptor,
                "zip data-descriptor use differs",
                "one writer streamed (sizes after the data), the other seeked back",
                "use the same zip writer, or repack",
            )
            .affecting(dd, max),
        );
    }
    if l.listing.summary.zip_comment != r.listing.summary.zip_comment {
        out.push(Difference::new(
            DiffCode::ZipComment,
            "zip archive comment differs",
            "a tool wrote an archive comment",
            "write no archive comment",
        ));
    }
}
