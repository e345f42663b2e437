//! The container layer: format, gzip header fields, deflate stream and trailing bytes.

use crate::archive::{GzipHeader, GzipInfo};
use crate::diff::report::{DiffCode, Difference};
use crate::diff::side::Side;

pub(crate) fn container(l: &Side<'_>, r: &Side<'_>, out: &mut Vec<Difference>) {
    if l.format != r.format {
        out.push(
            Difference::new(
                DiffCode::FormatDiffers,
                "the artifacts are different archive formats",
                "they were produced by different packaging steps",
                "compare artifacts of the same kind (entries are still compared below)",
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
    gzip_header(lh, rh, out);
    if li.members.len() != ri.members.len() {
        out.push(
            Difference::new(
                DiffCode::GzipMembers,
                "the number of gzip members differs",
                "one side was written by a parallel or appending compressor (pigz -i, concatenation)",
                "compress the tar in one gzip member",
            )
            .values(li.members.len(), ri.members.len()),
        );
    }
    if li.trailing_bytes != ri.trailing_bytes {
        out.push(
            Difference::new(
                DiffCode::TrailingData,
                "bytes after the gzip member differ",
                "padding or garbage was appended after the compressed stream",
                "write the gzip stream without trailing bytes",
            )
            .values(li.trailing_bytes, ri.trailing_bytes),
        );
    }
    if ltar == rtar {
        fn deflate<'b>(s: &Side<'b>, info: &GzipInfo) -> Option<&'b [u8]> {
            info.members.first().map(|m| {
                let start = m.offset as usize + m.header.len;
                s.bytes
                    .get(start..start + m.deflate_len as usize)
                    .unwrap_or_default()
            })
        }
        if deflate(l, li) != deflate(r, ri) || li.members.len() != ri.members.len() {
            out.push(
                Difference::new(
                    DiffCode::DeflateStream,
                    "same tar, different deflate stream",
                    &format!(
                        "another deflate implementation or level compressed the same tar (XFL {} vs {}); zlib, zlib-ng, zlib-rs and miniz_oxide emit different valid streams",
                        lh.xfl, rh.xfl
                    ),
                    "compress with the same implementation and level (the repack report records both), or compare the uncompressed tar",
                )
                .values(
                    format!("{} deflate bytes", li.members.iter().map(|m| m.deflate_len).sum::<u64>()),
                    format!("{} deflate bytes", ri.members.iter().map(|m| m.deflate_len).sum::<u64>()),
                ),
            );
        }
    }
}

fn gzip_header(lh: &GzipHeader, rh: &GzipHeader, out: &mut Vec<Difference>) {
    if lh.mtime != rh.mtime {
        out.push(
            Difference::new(
                DiffCode::GzipMtime,
                "gzip header MTIME differs",
                "gzip stored the build time or the input file's mtime",
                "use gzip -n (or GzBuilder::mtime(0)); with SOURCE_DATE_EPOCH set, tools write 0 or the epoch",
            )
            .values(lh.mtime, rh.mtime),
        );
    }
    if lh.os != rh.os {
        out.push(
            Difference::new(
                DiffCode::GzipOs,
                "gzip header OS byte differs",
                "the archives were compressed on different systems or by different gzip implementations",
                "write a fixed OS byte (255, unknown), e.g. by repacking",
            )
            .values(
                format!("{} ({})", lh.os, lh.os_name()),
                format!("{} ({})", rh.os, rh.os_name()),
            ),
        );
    }
    if lh.name != rh.name {
        out.push(
            Difference::new(
                DiffCode::GzipName,
                "gzip header stored file name differs",
                "gzip recorded the input file's name (gzip without -n, or a tool that sets FNAME)",
                "use gzip -n, or write the same name on both sides",
            )
            .values(
                lh.name_lossy().unwrap_or_else(|| "(none)".into()),
                rh.name_lossy().unwrap_or_else(|| "(none)".into()),
            ),
        );
    }
    if lh.comment != rh.comment {
        out.push(Difference::new(
            DiffCode::GzipComment,
            "gzip header comment differs",
            "a tool stored a comment in the gzip header",
            "write no gzip comment",
        ));
    }
    if lh.extra != rh.extra {
        out.push(Difference::new(
            DiffCode::GzipExtra,
            "gzip header extra field differs",
            "a tool stored an FEXTRA field (e.g. BGZF or a timestamp)",
            "write no FEXTRA field",
        ));
    }
    let other = |h: &GzipHeader| h.flags & (0x01 | 0x02);
    if other(lh) != other(rh) {
        out.push(
            Difference::new(
                DiffCode::GzipFlags,
                "gzip FTEXT/FHCRC flags differ",
                "different gzip implementations set the text guess or header CRC differently",
                "compress with the same implementation",
            )
            .values(format!("{:#04x}", lh.flags), format!("{:#04x}", rh.flags)),
        );
    }
    if lh.xfl != rh.xfl {
        out.push(
            Difference::new(
                DiffCode::GzipXfl,
                "gzip XFL compression hint differs",
                "different compression levels were used (2 = best, 4 = fastest)",
                "compress at the same level",
            )
            .values(lh.xfl, rh.xfl),
        );
    }
}
