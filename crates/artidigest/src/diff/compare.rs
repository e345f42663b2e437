//! The entry points: compare two artifacts layer by layer, outermost first.

use std::path::Path;

use crate::diff::cause::Cause;
use crate::diff::container::container;
use crate::diff::entries::{content, metadata};
use crate::diff::report::{
    ArtifactSide, DiffCode, DiffError, DiffOptions, DiffReport, Difference, Layer,
};
use crate::diff::side::{inner_container, open, side_summary};
use crate::diff::structure::{structure, unexplained_tar};

/// Reads two files and compares them with [`diff_artifacts`].
pub fn diff_files(left: &Path, right: &Path, opts: &DiffOptions) -> Result<DiffReport, DiffError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| DiffError::Io {
            path: p.to_path_buf(),
            source,
        })
    };
    let (l, r) = (read(left)?, read(right)?);
    let name = |p: &Path| {
        p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    diff_artifacts((&name(left), &l), (&name(right), &r), opts)
}

/// Compares two artifacts (name, bytes) and explains every difference, layer by layer.
pub fn diff_artifacts(
    left: (&str, &[u8]),
    right: (&str, &[u8]),
    opts: &DiffOptions,
) -> Result<DiffReport, DiffError> {
    if left.1 == right.1 {
        let l = open("left", left.0, left.1, opts).ok();
        let summary = side_summary(left.0, left.1, l.as_ref());
        return Ok(DiffReport {
            right: ArtifactSide {
                name: right.0.to_owned(),
                ..summary.clone()
            },
            left: summary,
            identical: true,
            differences: Vec::new(),
        });
    }
    let l = open("left", left.0, left.1, opts)?;
    let r = open("right", right.0, right.1, opts)?;
    let mut out = Vec::new();
    container(&l, &r, &mut out);
    structure(&l, &r, opts, &mut out);
    metadata(&l, &r, opts, &mut out);
    content(&l, &r, opts, &mut out)?;
    // Nothing inside the archives explained it: name the bytes that differ.
    if out.iter().all(|d| d.layer == Layer::Container) {
        unexplained_tar(&l, &r, opts, &mut out);
    }
    if out.is_empty() {
        out.push(Difference::new(
            DiffCode::CompressedData,
            "entries, metadata and contents agree, but the archive bytes differ",
            Cause::OtherCompressedBytes,
            inner_container(&l, &r),
        ));
    }
    out.sort_by_key(|d| d.layer);
    Ok(DiffReport {
        left: side_summary(left.0, left.1, Some(&l)),
        right: side_summary(right.0, right.1, Some(&r)),
        identical: false,
        differences: out,
    })
}
