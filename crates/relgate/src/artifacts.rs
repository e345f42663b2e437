//! The release's artifacts: files of the release folder matched by the policy's globs.

use std::path::Path;

use crate::folder::{glob_matcher, list_files};
use crate::policy::model::{ArtifactKind, Policy};

/// One artifact in the release folder.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LocalArtifact {
    /// Its path relative to the release folder, `/`-separated.
    pub path: String,
    /// Its kind, from the first `[[artifacts]]` rule whose glob matches.
    pub kind: ArtifactKind,
}

/// Why the artifacts could not be listed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ArtifactsError {
    /// The release folder could not be listed (or is past the listing limits).
    #[error("cannot list the release folder {}", folder.display())]
    Io {
        /// The folder.
        folder: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A glob of the policy is invalid.
    #[error("bad artifact glob {glob:?}")]
    Glob {
        /// The glob.
        glob: String,
        /// The glob parser's error (boxed: the parser's type is not part of relgate's API).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

/// Every regular file of `release_dir` that an `[[artifacts]]` glob of `policy` matches, with
/// its kind (the first matching rule wins), sorted by path. Symlinks are not followed.
pub fn local_artifacts(
    policy: &Policy,
    release_dir: &Path,
) -> Result<Vec<LocalArtifact>, ArtifactsError> {
    let matchers = policy
        .artifacts
        .iter()
        .map(|r| {
            glob_matcher(&r.glob)
                .map(|m| (m, r.kind))
                .map_err(|source| ArtifactsError::Glob {
                    glob: r.glob.clone(),
                    source: Box::new(source),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let files = list_files(release_dir).map_err(|source| ArtifactsError::Io {
        folder: release_dir.to_path_buf(),
        source,
    })?;
    Ok(files
        .into_iter()
        .filter_map(|path| {
            matchers
                .iter()
                .find(|(m, _)| m.is_match(&path))
                .map(|(_, kind)| LocalArtifact { path, kind: *kind })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_rule_gives_the_kind() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "a-1.0-py3-none-any.whl",
            "a-1.0.tar.gz",
            "SHA256SUMS",
            "notes.md",
        ] {
            std::fs::write(dir.path().join(f), b"x").unwrap();
        }
        let policy = Policy::from_toml_str(
            "[project]\nname = \"a\"\n[[artifacts]]\nglob = \"*.whl\"\nkind = \"wheel\"\n[[artifacts]]\nglob = \"*.tar.gz\"\nkind = \"sdist\"\n[[artifacts]]\nglob = \"*\"\nkind = \"binary\"\n",
            "release.toml",
        )
        .unwrap();
        let found: Vec<(String, ArtifactKind)> = local_artifacts(&policy, dir.path())
            .unwrap()
            .into_iter()
            .map(|a| (a.path, a.kind))
            .collect();
        assert_eq!(
            found,
            [
                ("SHA256SUMS".to_owned(), ArtifactKind::Binary),
                ("a-1.0-py3-none-any.whl".to_owned(), ArtifactKind::Wheel),
                ("a-1.0.tar.gz".to_owned(), ArtifactKind::Sdist),
                ("notes.md".to_owned(), ArtifactKind::Binary),
            ]
        );
        assert!(local_artifacts(&policy, &dir.path().join("missing")).is_err());
    }
}
