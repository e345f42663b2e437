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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PublishedFile, RegistryKind, VersionState};
    use artidigest::{Algorithm, digest_bytes};

    fn d(b: &[u8], a: Algorithm) -> Digest {
        *digest_bytes(b, &[a]).get(a).unwrap()
    }

    fn view(files: Vec<(&str, Option<u64>, Vec<Digest>)>) -> PublishedVersion {
        PublishedVersion {
            kind: RegistryKind::Pypi,
            registry: "http://127.0.0.1:1/".into(),
            package: "p".into(),
            version: "1".into(),
            state: VersionState::Present,
            files: files
                .into_iter()
                .map(|(n, size, digests)| PublishedFile {
                    name: n.into(),
                    url: format!("http://127.0.0.1:1/{n}"),
                    size,
                    digests,
                    yanked: false,
                    media_type: None,
                })
                .collect(),
        }
    }

    #[test]
    fn views_agree_or_say_where_they_differ() {
        let a = view(vec![
            (
                "w.whl",
                Some(3),
                vec![d(b"w", Algorithm::Sha256), d(b"w", Algorithm::Md5)],
            ),
            ("s.tar.gz", Some(5), vec![d(b"s", Algorithm::Sha256)]),
            ("only-a", None, vec![d(b"a", Algorithm::Sha256)]),
        ]);
        let b = view(vec![
            ("w.whl", None, vec![d(b"w", Algorithm::Sha256)]),
            ("s.tar.gz", Some(6), vec![d(b"S", Algorithm::Sha256)]),
            ("only-b", None, vec![d(b"b", Algorithm::Sha512)]),
        ]);
        let diff = compare_views(&a, &b);
        assert_eq!(diff.len(), 4, "{diff:?}");
        assert!(
            matches!(&diff[0], ViewDifference::Size { file, a: 5, b: 6 } if file == "s.tar.gz")
        );
        assert!(matches!(&diff[1], ViewDifference::Digest { file, .. } if file == "s.tar.gz"));
        assert!(matches!(&diff[2], ViewDifference::OnlyIn { view: "a", file } if file == "only-a"));
        assert!(matches!(&diff[3], ViewDifference::OnlyIn { view: "b", file } if file == "only-b"));
        assert!(compare_views(&a, &a).is_empty());
        let mut c = a.clone();
        c.files[0].digests = vec![d(b"w", Algorithm::Sha512)];
        assert!(
            compare_views(&a, &c).contains(&ViewDifference::NoCommonDigest {
                file: "w.whl".into()
            })
        );
    }
}
