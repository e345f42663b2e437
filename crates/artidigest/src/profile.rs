//! Content profiles: the top-level layout each kind of release archive must have (wheel,
//! sdist, `.crate`, npm tarball, Helm chart), checked on a [`Listing`] with typed findings.

use std::collections::BTreeSet;

use crate::archive::{EntryKind, Format, Listing};
use crate::names;

/// A kind of release archive and the layout it must have.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum ContentProfile {
    /// A Python wheel: zip with exactly one `<name>-<version>.dist-info/` holding `METADATA`,
    /// `WHEEL` and `RECORD`; files and directories only.
    Wheel,
    /// A Python sdist: tar.gz with one root `<name>-<version>/` holding `PKG-INFO`.
    Sdist,
    /// A cargo `.crate`: tar.gz with one root `<name>-<version>/` holding `Cargo.toml`;
    /// files and directories only. `Cargo.toml.orig` (written by cargo since 2017) is expected;
    /// a crate without it is accepted with an info-level [`ProfileFinding::LegacyCrate`].
    Crate,
    /// An npm tarball: tar.gz whose entries are all under one root folder holding
    /// `package.json`. npm strips whatever the root is called: `package/` by convention,
    /// `node/` or `react/` in DefinitelyTyped tarballs.
    Npm,
    /// A Helm chart: tar.gz with one root `<chart>/` holding `Chart.yaml`.
    Helm,
}

impl ContentProfile {
    /// Every profile.
    pub const ALL: [ContentProfile; 5] = [
        ContentProfile::Wheel,
        ContentProfile::Sdist,
        ContentProfile::Crate,
        ContentProfile::Npm,
        ContentProfile::Helm,
    ];

    /// The container format the profile requires.
    pub fn format(self) -> Format {
        match self {
            ContentProfile::Wheel => Format::Zip,
            _ => Format::TarGz,
        }
    }

    /// The profile a file name implies, where it is unambiguous (`.whl`, `.crate`). A
    /// `.tar.gz` is not enough: Go and C projects ship binary tarballs and forges serve source
    /// archives under that name, so an sdist is recognised by its content
    /// ([`ContentProfile::detect`]) or declared by the policy; `.tgz` may be npm or Helm.
    pub fn from_file_name(name: &str) -> Option<ContentProfile> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(names::WHEEL_EXTENSION) {
            Some(ContentProfile::Wheel)
        } else if lower.ends_with(names::CRATE_EXTENSION) {
            Some(ContentProfile::Crate)
        } else {
            None
        }
    }

    /// Guesses the profile from the file name, then from the content: `package/package.json`
    /// means npm; a single root folder holding `Chart.yaml` means Helm, `package.json` npm, and
    /// Python build metadata (`PKG-INFO`, `pyproject.toml`, `setup.py` or `setup.cfg`) in a
    /// `.tar.gz` an sdist (whose full layout, `PKG-INFO` included, is then required).
    ///
    /// ```
    /// use artidigest::{ContentProfile, Format, RepackEntry, RepackOptions, list_archive, repack_entries};
    /// let pack = |files: &[&str]| {
    ///     let entries = files.iter().map(|p| RepackEntry::file(*p, b"x".to_vec())).collect();
    ///     let bytes = repack_entries(entries, &RepackOptions::new(Format::TarGz)).unwrap().bytes;
    ///     list_archive(std::io::Cursor::new(bytes), Format::TarGz, &Default::default(), &[]).unwrap()
    /// };
    /// let sdist = pack(&["demo-1.0/PKG-INFO", "demo-1.0/setup.py"]);
    /// assert_eq!(ContentProfile::detect("demo-1.0.tar.gz", &sdist), Some(ContentProfile::Sdist));
    /// let go = pack(&["tool-1.0/tool", "tool-1.0/LICENSE"]);
    /// assert_eq!(ContentProfile::detect("tool_1.0_linux_amd64.tar.gz", &go), None);
    /// ```
    pub fn detect(file_name: &str, listing: &Listing) -> Option<ContentProfile> {
        if let Some(p) = ContentProfile::from_file_name(file_name) {
            return Some(p);
        }
        if listing.get("package/package.json").is_some() {
            return Some(ContentProfile::Npm);
        }
        let roots = roots(listing);
        if roots.len() != 1 {
            return None;
        }
        let root = roots.iter().next()?;
        let has = |name: &str| listing.get(&format!("{root}/{name}")).is_some();
        if has("Chart.yaml") {
            Some(ContentProfile::Helm)
        } else if has("package.json") {
            Some(ContentProfile::Npm)
        } else if file_name
            .to_ascii_lowercase()
            .ends_with(names::SdistExtension::TarGz.as_str())
            && ["PKG-INFO", "pyproject.toml", "setup.py", "setup.cfg"]
                .iter()
                .any(|n| has(n))
        {
            Some(ContentProfile::Sdist)
        } else {
            None
        }
    }
}

relkit_finding::names! {
    ContentProfile, unknown = UnknownProfile,
    /// The short name (`wheel`, `sdist`, `crate`, `npm`, `helm`).
    fn name {
        Wheel => "wheel",
        Sdist => "sdist",
        Crate => "crate",
        Npm => "npm",
        Helm => "helm",
    }
}

/// [`ContentProfile`]'s [`FromStr`](std::str::FromStr) was given an unknown name.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown content profile {0:?} (expected wheel, sdist, crate, npm or helm)")]
pub struct UnknownProfile(pub String);

impl From<ContentProfile> for String {
    fn from(p: ContentProfile) -> String {
        p.name().to_owned()
    }
}

impl TryFrom<String> for ContentProfile {
    type Error = UnknownProfile;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// One way an archive departs from its profile.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum ProfileFinding {
    /// The container format is not the profile's.
    #[error("a {profile} must be {expected}, this is {found}")]
    WrongFormat {
        /// The profile.
        profile: ContentProfile,
        /// Its format.
        expected: Format,
        /// The archive's format.
        found: Format,
    },
    /// Not exactly one top-level directory.
    #[error("expected one top-level directory, found {roots:?}")]
    NotSingleRoot {
        /// The top-level names found.
        roots: Vec<String>,
    },
    /// Entries outside the required root: one finding for all of them, naming the first.
    #[error("entry {index} {path:?} is outside {root}/{}", more(*others))]
    OutsideRoot {
        /// The first such entry's index.
        index: usize,
        /// Its path.
        path: String,
        /// The required root.
        root: String,
        /// How many more entries are outside it.
        #[serde(default)]
        others: usize,
    },
    /// A required file is missing.
    #[error("{path} is missing")]
    MissingFile {
        /// The required path.
        path: String,
    },
    /// Not exactly one `*.dist-info` directory in a wheel.
    #[error("expected one top-level *.dist-info directory, found {found:?}")]
    DistInfo {
        /// The `*.dist-info` directories found.
        found: Vec<String>,
    },
    /// Links or special entries where the profile allows only files and directories: one
    /// finding for all of them, naming the first.
    #[error(
        "entry {index} {path:?} is a {kind}{}; a {profile} holds only files and directories",
        more(*others)
    )]
    NotAFile {
        /// The first such entry's index.
        index: usize,
        /// Its path.
        path: String,
        /// What it is.
        kind: EntryKind,
        /// The profile.
        profile: ContentProfile,
        /// How many more entries are not files or directories.
        #[serde(default)]
        others: usize,
    },
    /// Info, not an error: a `.crate` without `Cargo.toml.orig`, as cargo packaged crates
    /// before 2017. Cargo builds it; it is accepted.
    #[error(
        "no {missing}: a legacy crate layout (cargo wrote Cargo.toml.orig only from 2017); accepted"
    )]
    LegacyCrate {
        /// The file a current `cargo package` would have written.
        missing: String,
    },
}

/// `" (and N more)"`, or nothing.
fn more(others: usize) -> String {
    if others == 0 {
        String::new()
    } else {
        format!(" (and {others} more)")
    }
}

impl ProfileFinding {
    /// Whether the archive departs from its profile; `false` for info-level notes
    /// ([`ProfileFinding::LegacyCrate`]), which accept the archive.
    pub fn is_error(&self) -> bool {
        !matches!(self, ProfileFinding::LegacyCrate { .. })
    }

    /// A stable kebab-case code (`wrong-format`, `not-single-root`, `outside-root`,
    /// `missing-file`, `dist-info`, `not-a-file`, `legacy-crate`).
    pub fn code(&self) -> &'static str {
        match self {
            ProfileFinding::WrongFormat { .. } => "wrong-format",
            ProfileFinding::NotSingleRoot { .. } => "not-single-root",
            ProfileFinding::OutsideRoot { .. } => "outside-root",
            ProfileFinding::MissingFile { .. } => "missing-file",
            ProfileFinding::DistInfo { .. } => "dist-info",
            ProfileFinding::NotAFile { .. } => "not-a-file",
            ProfileFinding::LegacyCrate { .. } => "legacy-crate",
        }
    }
}

/// The distinct first path components of the entries (the archive root `.` aside).
fn roots(listing: &Listing) -> BTreeSet<String> {
    listing
        .entries
        .iter()
        .filter(|e| e.entry.path != ".")
        .map(|e| {
            e.entry
                .path
                .split('/')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

fn require_file(listing: &Listing, path: String, out: &mut Vec<ProfileFinding>) {
    let found = listing
        .get(&path)
        .is_some_and(|e| e.entry.kind == EntryKind::File);
    if !found {
        out.push(ProfileFinding::MissingFile { path });
    }
}

fn only_files(listing: &Listing, profile: ContentProfile, out: &mut Vec<ProfileFinding>) {
    let mut bad = listing
        .entries
        .iter()
        .filter(|e| !matches!(e.entry.kind, EntryKind::File | EntryKind::Dir));
    if let Some(first) = bad.next() {
        out.push(ProfileFinding::NotAFile {
            index: first.entry.index,
            path: first.entry.path.clone(),
            kind: first.entry.kind,
            profile,
            others: bad.count(),
        });
    }
}

/// One finding for every entry outside `root/` (the root directory itself is inside).
fn outside_root(listing: &Listing, root: &str, out: &mut Vec<ProfileFinding>) {
    let mut outside = listing.entries.iter().filter(|e| {
        e.entry.path != root
            && !e
                .entry
                .path
                .strip_prefix(root)
                .is_some_and(|rest| rest.starts_with('/'))
    });
    if let Some(first) = outside.next() {
        out.push(ProfileFinding::OutsideRoot {
            index: first.entry.index,
            path: first.entry.path.clone(),
            root: root.to_owned(),
            others: outside.count(),
        });
    }
}

/// Checks a listing against a profile; a result without an error-level finding
/// ([`ProfileFinding::is_error`]) means the layout conforms. Each problem is one finding, however
/// many entries it concerns.
///
/// ```
/// use artidigest::{ContentProfile, Format, Limits, list_archive, check_profile};
/// use std::io::Write;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut b = tar::Builder::new(Vec::new());
/// let mut h = tar::Header::new_ustar();
/// h.set_size(2);
/// h.set_cksum();
/// b.append_data(&mut h, "package/package.json", &b"{}"[..])?;
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
/// gz.write_all(&b.into_inner()?)?;
/// let listing = list_archive(std::io::Cursor::new(gz.finish()?), Format::TarGz, &Limits::default(), &[])?;
/// assert!(check_profile(&listing, ContentProfile::Npm).is_empty());
/// let findings = check_profile(&listing, ContentProfile::Helm);
/// assert_eq!(findings[0].code(), "missing-file");
/// # Ok(())
/// # }
/// ```
pub fn check_profile(listing: &Listing, profile: ContentProfile) -> Vec<ProfileFinding> {
    let mut out = Vec::new();
    if listing.format != profile.format()
        && !(profile.format() == Format::TarGz && listing.format == Format::Tar)
    {
        out.push(ProfileFinding::WrongFormat {
            profile,
            expected: profile.format(),
            found: listing.format,
        });
    }
    let roots = roots(listing);
    match profile {
        ContentProfile::Wheel => {
            only_files(listing, profile, &mut out);
            let dist_infos: Vec<String> = roots
                .iter()
                .filter(|r| r.ends_with(".dist-info"))
                .cloned()
                .collect();
            if let [dist_info] = dist_infos.as_slice() {
                for f in ["METADATA", "WHEEL", "RECORD"] {
                    require_file(listing, format!("{dist_info}/{f}"), &mut out);
                }
            } else {
                out.push(ProfileFinding::DistInfo { found: dist_infos });
            }
        }
        ContentProfile::Npm => {
            // npm strips the first path component whatever it is called; `package/` is the
            // convention and wins when present, any other single root is accepted as is.
            let root = if roots.contains("package") || roots.is_empty() {
                Some(String::from("package"))
            } else if roots.len() == 1 {
                roots.iter().next().cloned()
            } else {
                None
            };
            match root {
                Some(root) => {
                    outside_root(listing, &root, &mut out);
                    require_file(listing, format!("{root}/package.json"), &mut out);
                }
                None => out.push(ProfileFinding::NotSingleRoot {
                    roots: roots.into_iter().collect(),
                }),
            }
        }
        ContentProfile::Sdist | ContentProfile::Crate | ContentProfile::Helm => {
            if profile == ContentProfile::Crate {
                only_files(listing, profile, &mut out);
            }
            if roots.len() != 1 {
                out.push(ProfileFinding::NotSingleRoot {
                    roots: roots.into_iter().collect(),
                });
            } else if let Some(root) = roots.into_iter().next() {
                let required: &[&str] = match profile {
                    ContentProfile::Sdist => &["PKG-INFO"],
                    ContentProfile::Crate => &["Cargo.toml"],
                    _ => &["Chart.yaml"],
                };
                for f in required {
                    require_file(listing, format!("{root}/{f}"), &mut out);
                }
                let orig = format!("{root}/Cargo.toml.orig");
                if profile == ContentProfile::Crate
                    && !listing
                        .get(&orig)
                        .is_some_and(|e| e.entry.kind == EntryKind::File)
                {
                    out.push(ProfileFinding::LegacyCrate { missing: orig });
                }
                // A lone file at the top level is not a root directory.
                if listing
                    .get(&root)
                    .is_some_and(|e| e.entry.kind != EntryKind::Dir)
                    || listing.entries.iter().all(|e| e.entry.path == root)
                {
                    out.push(ProfileFinding::NotSingleRoot { roots: vec![root] });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in ContentProfile::ALL {
            assert_eq!(p.to_string().parse::<ContentProfile>().unwrap(), p);
        }
        assert!("rpm".parse::<ContentProfile>().is_err());
        assert_eq!(
            ContentProfile::from_file_name("six-1.16.0-py2.py3-none-any.whl"),
            Some(ContentProfile::Wheel)
        );
    }
}
