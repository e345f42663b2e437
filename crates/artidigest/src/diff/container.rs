//! The container layer: format, gzip header fields, deflate stream and trailing bytes.

use crate::archive::{GzipHeader, GzipInfo};
use crate::diff::cause::{Cause, Container};
use crate::diff::report::{DiffCode, Difference};
use crate::diff::side::Side;

pub(crate) fn container(l: &Side<'_>, r: &Side<'_>, out: &mut Vec<Difference>) {
    if l.format != r.format {
        out.push(
            Difference::new(
                DiffCode::FormatDiffers,
                "the artifacts are different archive formats",
                Cause::FormatsDiffer,
                Container::Mixed,
            )
            .values(l.format, r.format),
        );
    }
    let (Some((li, ltar)), Some((ri, rtar))) = (&l.gzip, &r.gzip) else {
        return;
    };
    let (Some(lh), Some(rh)) = (li.header(), ri.header()) else {
        return;
    };
    gzip_header(lh, rh, ltar == rtar, out);
    if li.members.len() != ri.members.len() {
        out.push(
            Difference::new(
                DiffCode::GzipMembers,
                "the number of gzip members differs",
                Cause::GzipMemberSplit,
                Container::Gzip,
            )
            .values(li.members.len(), ri.members.len()),
        );
    }
    if li.trailing_bytes != ri.trailing_bytes {
        out.push(
            Difference::new(
                DiffCode::TrailingData,
                "bytes after the gzip member differ",
                Cause::TrailingBytes,
                Container::Gzip,
            )
            .values(li.trailing_bytes, ri.trailing_bytes),
        );
    }
    if ltar == rtar {
        fn deflate<'b>(s: &Side<'b>, info: &GzipInfo) -> Option<&'b [u8]> {
            info.members.first().map(|m| {
                let start = m.offset as usize + m.header.len;
                s.bytes
                    .get(start..start.saturating_add(m.deflate_len as usize))
                    .unwrap_or_default()
            })
        }
        if deflate(l, li) != deflate(r, ri) || li.members.len() != ri.members.len() {
            out.push(
                Difference::new(
                    DiffCode::DeflateStream,
                    "same tar, different deflate stream",
                    Cause::DeflateImplementation,
                    Container::Gzip,
                )
                .values(
                    format!(
                        "{} deflate bytes",
                        li.members.iter().map(|m| m.deflate_len).sum::<u64>()
                    ),
                    format!(
                        "{} deflate bytes",
                        ri.members.iter().map(|m| m.deflate_len).sum::<u64>()
                    ),
                ),
            );
        }
    }
}

/// The gzip header fields; `same_tar` says whether both sides compress the same tar, which
/// decides what a different XFL hint can explain.
fn gzip_header(lh: &GzipHeader, rh: &GzipHeader, same_tar: bool, out: &mut Vec<Difference>) {
    let gzip =
        |code, summary: &'static str, why| Difference::new(code, summary, why, Container::Gzip);
    if lh.mtime != rh.mtime {
        out.push(
            gzip(
                DiffCode::GzipMtime,
                "gzip header MTIME differs",
                Cause::GzipStoredTime,
            )
            .values(lh.mtime, rh.mtime),
        );
    }
    if lh.os != rh.os {
        out.push(
            gzip(
                DiffCode::GzipOs,
                "gzip header OS byte differs",
                Cause::GzipSystem,
            )
            .values(
                format!("{} ({})", lh.os, lh.os_name()),
                format!("{} ({})", rh.os, rh.os_name()),
            ),
        );
    }
    if lh.name != rh.name {
        out.push(
            gzip(
                DiffCode::GzipName,
                "gzip header stored file name differs",
                Cause::GzipStoredName,
            )
            .values(
                lh.name_lossy().unwrap_or_else(|| "(none)".into()),
                rh.name_lossy().unwrap_or_else(|| "(none)".into()),
            ),
        );
    }
    if lh.comment != rh.comment {
        out.push(gzip(
            DiffCode::GzipComment,
            "gzip header comment differs",
            Cause::GzipCommentWritten,
        ));
    }
    if lh.extra != rh.extra {
        out.push(gzip(
            DiffCode::GzipExtra,
            "gzip header extra field differs",
            Cause::GzipExtraWritten,
        ));
    }
    let other = |h: &GzipHeader| h.flags & (0x01 | 0x02);
    if other(lh) != other(rh) {
        out.push(
            gzip(
                DiffCode::GzipFlags,
                "gzip FTEXT/FHCRC flags differ",
                Cause::GzipFlagsWritten,
            )
            .values(format!("{:#04x}", lh.flags), format!("{:#04x}", rh.flags)),
        );
    }
    if lh.xfl != rh.xfl {
        out.push(
            Difference::new(
                DiffCode::GzipXfl,
                "gzip XFL compression hint differs",
                // XFL is a hint the compressor writes: it explains the compressed bytes only
                // when the tars inside are the same.
                if same_tar {
                    Cause::CompressionLevel
                } else {
                    Cause::GzipWriterHint
                },
                Container::Gzip,
            )
            .values(lh.xfl, rh.xfl),
        );
    }
}
