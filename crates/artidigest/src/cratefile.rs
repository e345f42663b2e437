//! `.crate` files (what `cargo package` writes): one root directory `<name>-<version>/`,
//! `Cargo.toml` in it (its `[package]` name and version read), `Cargo.toml.orig` expected (a
//! crate packaged before 2017 has none: accepted with a note), and `.cargo_vcs_info.json`
//! parsed when present (it is never required).

use std::io::Read;

use crate::archive::{
    ArchiveError, EntryKind, Format, Limits, Listing, hashing_visitor, visit_tar_gz,
};
use crate::digest::Algorithm;

/// `.cargo_vcs_info.json` larger than this is refused before it is buffered.
pub const MAX_VCS_INFO_SIZE: u64 = 64 << 10;

/// A root `Cargo.toml` larger than this is refused before it is buffered.
const MAX_MANIFEST_SIZE: u64 = 1 << 20;

/// What `.cargo_vcs_info.json` records: the commit the crate was packaged from.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VcsInfo {
    /// The git commit (40 lower-case hex digits).
    pub sha1: String,
    /// The package's directory inside the repository (empty for the root; older cargo omits it).
    pub path_in_vcs: String,
    /// Packaged from a work tree with uncommitted changes (`--allow-dirty`).
    pub dirty: bool,
}

/// What a valid `.crate` holds.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CrateInfo {
    /// The single root directory, `<name>-<version>`.
    pub root: String,
    /// The VCS record, when the crate has one.
    pub vcs: Option<VcsInfo>,
    /// `[package] name` of the root `Cargo.toml`, when it could be read.
    pub name: Option<String>,
    /// `[package] version` of the root `Cargo.toml`, when it could be read.
    pub version: Option<String>,
    /// Info-level notes on an accepted crate (a legacy layout without `Cargo.toml.orig`).
    pub notes: Vec<String>,
    /// Every entry with its sha256.
    pub listing: Listing,
}

/// Why a `.crate` is not valid.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum CrateError {
    /// The tar.gz itself was refused.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The archive is empty.
    #[error("the .crate is empty")]
    Empty,
    /// An entry outside the first entry's root directory.
    #[error("entry {index} {path:?} is outside the root directory {root:?}")]
    OutsideRoot {
        /// Entry index.
        index: usize,
        /// Its path.
        path: String,
        /// The root.
        root: String,
    },
    /// An entry that is not a regular file (cargo packages only files).
    #[error("entry {index} {path:?} is a {kind}, a .crate holds only files")]
    NotAFile {
        /// Entry index.
        index: usize,
        /// Its path.
        path: String,
        /// What it is.
        kind: EntryKind,
    },
    /// A required file is missing.
    #[error("{path} is missing")]
    Missing {
        /// The missing path.
        path: String,
    },
    /// The root is not `<name>-<version>` (checked by [`check_crate_named`]).
    #[error("root directory is {found:?}, the file name says {expected:?}")]
    RootName {
        /// From the file name.
        expected: String,
        /// In the archive.
        found: String,
    },
    /// The root `Cargo.toml`'s `[package]` name or version disagrees with the file name
    /// (checked by [`check_crate_named`]), or is not there.
    #[error(
        "Cargo.toml [package] {field} is {found:?}, the file name {file_name:?} says {expected:?}"
    )]
    ManifestMismatch {
        /// `name` or `version`.
        field: &'static str,
        /// What the file name implies.
        expected: String,
        /// What `Cargo.toml` says (`None`: not found).
        found: Option<String>,
        /// The file name.
        file_name: String,
    },
    /// The root `Cargo.toml` cannot be read (too large, not UTF-8).
    #[error("cannot read Cargo.toml: {reason}")]
    Manifest {
        /// What is wrong.
        reason: String,
    },
    /// `.cargo_vcs_info.json` does not parse or lacks the commit.
    #[error("invalid .cargo_vcs_info.json: {reason}")]
    VcsInfo {
        /// What is wrong.
        reason: String,
    },
}

pub(crate) fn parse_vcs_info(bytes: &[u8]) -> Result<VcsInfo, CrateError> {
    let bad = |reason: &str| CrateError::VcsInfo {
        reason: reason.to_owned(),
    };
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let git = v.get("git").ok_or_else(|| bad("no \"git\" object"))?;
    let sha1 = git
        .get("sha1")
        .and_then(|s| s.as_str())
        .ok_or_else(|| bad("no git.sha1 string"))?;
    if sha1.len() != 40 || !sha1.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(&format!("git.sha1 {sha1:?} is not 40 hex digits")));
    }
    let dirty = match git.get("dirty") {
        None => false,
        Some(d) => d
            .as_bool()
            .ok_or_else(|| bad("git.dirty is not a boolean"))?,
    };
    let path_in_vcs = match v.get("path_in_vcs") {
        None => String::new(),
        Some(p) => p
            .as_str()
            .ok_or_else(|| bad("path_in_vcs is not a string"))?
            .to_owned(),
    };
    if path_in_vcs.starts_with('/') || path_in_vcs.split('/').any(|c| c == "..") {
        return Err(bad(&format!(
            "path_in_vcs {path_in_vcs:?} leaves the repository"
        )));
    }
    Ok(VcsInfo {
        sha1: sha1.to_ascii_lowercase(),
        path_in_vcs,
        dirty,
    })
}

/// Reads a `.crate` once (hashing every entry) and checks its layout: a single root
/// directory, only regular files, `Cargo.toml` present (its `[package]` name and version
/// read), and `.cargo_vcs_info.json` parsed when present. A crate without `Cargo.toml.orig`
/// (packaged before 2017) is accepted with a note in [`CrateInfo::notes`].
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let file = std::fs::File::open("serde-1.0.0.crate")?;
/// let info = artidigest::check_crate(std::io::BufReader::new(file), &artidigest::Limits::default())?;
/// println!("{} from {:?}", info.root, info.vcs.map(|v| v.sha1));
/// # Ok(())
/// # }
/// ```
pub fn check_crate<R: Read + Send>(reader: R, limits: &Limits) -> Result<CrateInfo, CrateError> {
    let mut entries = Vec::new();
    let mut vcs_raw: Option<Vec<u8>> = None;
    let mut vcs_too_large = false;
    let mut first_root: Option<String> = None;
    let mut manifest: Option<Result<Vec<u8>, String>> = None;
    let algorithms = [Algorithm::Sha256];
    let summary = {
        let mut hash = hashing_visitor(&mut entries, &algorithms);
        visit_tar_gz(reader, limits, |entry, content| {
            let root = first_root
                .get_or_insert_with(|| entry.path.split('/').next().unwrap_or_default().to_owned());
            let is_manifest = entry
                .path
                .strip_prefix(root.as_str())
                .is_some_and(|rest| rest == "/Cargo.toml");
            if is_manifest && entry.kind == EntryKind::File && manifest.is_none() {
                if entry.size > MAX_MANIFEST_SIZE {
                    manifest = Some(Err(format!("larger than {MAX_MANIFEST_SIZE} bytes")));
                    return hash(entry, content);
                }
                let mut body = Vec::with_capacity(entry.size as usize);
                content.take(MAX_MANIFEST_SIZE).read_to_end(&mut body)?;
                let mut again: &[u8] = &body;
                let result = hash(entry, &mut again as &mut dyn Read);
                manifest = Some(Ok(body));
                return result;
            }
            let is_vcs = entry
                .path
                .split_once('/')
                .is_some_and(|(_, rest)| rest == ".cargo_vcs_info.json");
            if is_vcs && entry.kind == EntryKind::File {
                if entry.size > MAX_VCS_INFO_SIZE {
                    vcs_too_large = true;
                    return hash(entry, content);
                }
                let mut body = Vec::with_capacity(entry.size as usize);
                content.take(MAX_VCS_INFO_SIZE).read_to_end(&mut body)?;
                let mut again: &[u8] = &body;
                vcs_raw = Some(body.clone());
                return hash(entry, &mut again as &mut dyn Read);
            }
            hash(entry, content)
        })?
    };
    if vcs_too_large {
        return Err(CrateError::VcsInfo {
            reason: format!("larger than {MAX_VCS_INFO_SIZE} bytes"),
        });
    }
    let listing = Listing {
        format: Format::TarGz,
        summary,
        entries,
    };
    let first = listing.entries.first().ok_or(CrateError::Empty)?;
    let root = first
        .entry
        .path
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    for e in &listing.entries {
        let inside = e
            .entry
            .path
            .strip_prefix(root.as_str())
            .is_some_and(|rest| rest.starts_with('/'));
        let is_root_dir = e.entry.path == root && e.entry.kind == EntryKind::Dir;
        if !inside && !is_root_dir {
            return Err(CrateError::OutsideRoot {
                index: e.entry.index,
                path: e.entry.path.clone(),
                root,
            });
        }
        if !matches!(e.entry.kind, EntryKind::File | EntryKind::Dir) {
            return Err(CrateError::NotAFile {
                index: e.entry.index,
                path: e.entry.path.clone(),
                kind: e.entry.kind,
            });
        }
    }
    let has_file = |path: &str| {
        listing
            .entries
            .iter()
            .any(|e| e.entry.path == path && e.entry.kind == EntryKind::File)
    };
    let toml_path = format!("{root}/Cargo.toml");
    if !has_file(&toml_path) {
        return Err(CrateError::Missing { path: toml_path });
    }
    let mut notes = Vec::new();
    let orig = format!("{root}/Cargo.toml.orig");
    if !has_file(&orig) {
        notes.push(format!(
            "no {orig}: a legacy crate layout (cargo wrote Cargo.toml.orig only from 2017); accepted"
        ));
    }
    let vcs = vcs_raw.as_deref().map(parse_vcs_info).transpose()?;
    let (name, version) = match manifest {
        Some(Ok(bytes)) => {
            let text = std::str::from_utf8(&bytes).map_err(|_| CrateError::Manifest {
                reason: String::from("not UTF-8"),
            })?;
            package_name_version(text)
        }
        Some(Err(reason)) => return Err(CrateError::Manifest { reason }),
        None => (None, None),
    };
    Ok(CrateInfo {
        root,
        vcs,
        name,
        version,
        notes,
        listing,
    })
}

/// Reads `[package]` (or the pre-2016 `[project]`) `name` and `version` from a `Cargo.toml`:
/// the subset of TOML a published manifest uses for them (basic or literal strings, dotted
/// `package.name` keys), skipping multi-line strings.
fn package_name_version(text: &str) -> (Option<String>, Option<String>) {
    let mut table = String::new();
    let mut in_basic = false;
    let mut in_literal = false;
    let (mut name, mut version) = (None, None);
    for line in text.lines() {
        let was_inside = in_basic || in_literal;
        if !in_literal && line.matches("\"\"\"").count() % 2 == 1 {
            in_basic = !in_basic;
        }
        if !in_basic && line.matches("'''").count() % 2 == 1 {
            in_literal = !in_literal;
        }
        if was_inside {
            continue;
        }
        let t = line.trim();
        if t.starts_with('[') {
            table = t
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            continue;
        }
        let Some((key, value)) = t.split_once('=') else {
            continue;
        };
        let key: String = key
            .split('.')
            .map(|k| k.trim().trim_matches('"').trim_matches('\''))
            .collect::<Vec<_>>()
            .join(".");
        let full = if table.is_empty() {
            key
        } else {
            format!("{table}.{key}")
        };
        let slot = match full.as_str() {
            "package.name" | "project.name" => &mut name,
            "package.version" | "project.version" => &mut version,
            _ => continue,
        };
        if slot.is_none() {
            *slot = toml_string(value.trim());
        }
    }
    (name, version)
}

/// A one-line TOML basic (`"…"`, with escapes) or literal (`'…'`) string.
fn toml_string(v: &str) -> Option<String> {
    if let Some(rest) = v.strip_prefix('\'') {
        if rest.starts_with("''") {
            return None;
        }
        return rest.split_once('\'').map(|(s, _)| s.to_owned());
    }
    let rest = v.strip_prefix('"')?;
    if rest.starts_with("\"\"") {
        return None;
    }
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// [`check_crate`], and the root directory must equal the file name without `.crate`
/// (`serde-1.0.0.crate` → `serde-1.0.0/`), and so must the root `Cargo.toml`'s `[package]`
/// `name` and `version` ([`CrateError::ManifestMismatch`] otherwise, or when they are missing).
pub fn check_crate_named<R: Read + Send>(
    reader: R,
    file_name: &str,
    limits: &Limits,
) -> Result<CrateInfo, CrateError> {
    let info = check_crate(reader, limits)?;
    let expected = file_name
        .rsplit('/')
        .next()
        .unwrap_or(file_name)
        .trim_end_matches(".crate");
    if info.root != expected {
        return Err(CrateError::RootName {
            expected: expected.to_owned(),
            found: info.root,
        });
    }
    let mismatch = |field, expected: &str, found: &Option<String>| CrateError::ManifestMismatch {
        field,
        expected: expected.to_owned(),
        found: found.clone(),
        file_name: file_name.to_owned(),
    };
    let Some(name) = info.name.as_deref() else {
        return Err(mismatch("name", expected, &info.name));
    };
    // The file name is `<name>-<version>`; the name may itself hold dashes.
    let Some(file_version) = expected
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('-'))
    else {
        let file_name_part = info
            .version
            .as_deref()
            .and_then(|v| expected.strip_suffix(v))
            .and_then(|n| n.strip_suffix('-'))
            .unwrap_or(expected);
        return Err(mismatch("name", file_name_part, &info.name));
    };
    if info.version.as_deref() != Some(file_version) {
        return Err(mismatch("version", file_version, &info.version));
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vcs_info_parses() {
        let v = parse_vcs_info(
            br#"{"git":{"sha1":"17f8b32e3b7c845ef3c5429b823804f552f14ec9","dirty":true},"path_in_vcs":"crates/x"}"#,
        )
        .unwrap();
        assert_eq!(v.path_in_vcs, "crates/x");
        assert!(v.dirty);
        assert!(parse_vcs_info(br#"{"git":{"sha1":"abc"}}"#).is_err());
        assert!(parse_vcs_info(br#"{"hg":{}}"#).is_err());
        assert!(
            parse_vcs_info(
                br#"{"git":{"sha1":"17f8b32e3b7c845ef3c5429b823804f552f14ec9"},"path_in_vcs":"../x"}"#
            )
            .is_err()
        );
        let old = parse_vcs_info(br#"{"git":{"sha1":"17f8b32e3b7c845ef3c5429b823804f552f14ec9"}}"#)
            .unwrap();
        assert_eq!(old.path_in_vcs, "");
    }
}
