//! Comparing two views of the same version (a JSON API and a simple index, an index and a
//! mirror): file lists, sizes and digests must agree.

use artidigest::Digest;

use crate::model::PublishedVersion;

/// One disagreement between two views.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ViewDifference {
    /// The versions' states differ.
    State {
        /// State in view A.
        a: String,
        /// State in view B.
        b: String,
    },
    /// A file is listed by only one view.
    OnlyIn {
        /// `"a"` or `"b"`.
        view: &'static str,
        /// The file.
        file: String,
    },
    /// Both views state a size and the sizes differ.
    Size {
        /// The file.
        file: String,
        /// Size in A.
        a: u64,
        /// Size in B.
        b: u64,
    },
    /// Both views claim a digest of the same algorithm and the values differ.
    Digest {
        /// The file.
        file: String,
        /// Claim in A.
        a: Digest,
        /// Claim in B.
        b: Digest,
    },
    /// The views share no digest algorithm for a file, so they cannot be compared.
    NoCommonDigest {
        /// The file.
        file: String,
    },
}

/// Compares two views of one version. An empty result means they agree.
pub fn compare_views(a: &PublishedVersion, b: &PublishedVersion) -> Vec<ViewDifference> {
    let mut out = Vec::new();
    if a.state != b.state {
        out.push(ViewDifference::State {
            a: a.state.to_string(),
            b: b.state.to_string(),
        });
    }
    for fa in &a.files {
        let Some(fb) = b.file(&fa.name) else {
            out.push(ViewDifference::OnlyIn {
                view: "a",
                file: fa.name.clone(),
            });
            continue;
        };
        if let (Some(sa), Some(sb)) = (fa.size, fb.size)
            && sa != sb
        {
            out.push(ViewDifference::Size {
                file: fa.name.clone(),
                a: sa,
                b: sb,
            });
        }
        let mut common = false;
        for da in &fa.digests {
            if let Some(db) = fb.digest(da.algorithm()) {
                common = true;
                if da != db {
                    out.push(ViewDifference::Digest {
                        file: fa.name.clone(),
                        a: *da,
                        b: *db,
                    });
                }
            }
        }
        if !common {
            out.push(ViewDifference::NoCommonDigest {
                file: fa.name.clone(),
            });
        }
    }
    for fb in &b.files {
        if a.file(&fb.name).is_none() {
            out.push(ViewDifference::OnlyIn {
                view: "b",
                file: fb.name.clone(),
            });
        }
    }
    out
}
