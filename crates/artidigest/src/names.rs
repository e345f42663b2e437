//! The file-name rules of each ecosystem, written once: wheels (PEP 427, with PEP 503 project
//! name normalisation), sdists (PEP 625, plus the legacy extensions indexes still serve),
//! `.crate` files, npm tarballs (scoped packages included) and Go module files (with the `v`
//! spelling of versions). Each is a typed parse of a file name and a builder of the name a
//! tool would write, so the readback, the attestation check, the archive profiles and the
//! release gates agree on what a file is called.
//!
//! ```
//! use artidigest::names::{CrateName, SdistName, WheelName, go_version, npm_tarball_name};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let wheel: WheelName = "Demo_Pkg-1.2.3-py3-none-any.whl".parse()?;
//! assert_eq!((wheel.name.as_str(), wheel.version.as_str()), ("Demo_Pkg", "1.2.3"));
//! assert_eq!(wheel.project()?, "demo-pkg");
//! let sdist: SdistName = "demo_pkg-1.2.3.tar.gz".parse()?;
//! assert!(sdist.is_project("Demo.Pkg"));
//! let krate: CrateName = "serde-json-wrap-1.0.0-rc.1.crate".parse()?;
//! assert_eq!((krate.name.as_str(), krate.version.as_str()), ("serde-json-wrap", "1.0.0-rc.1"));
//! assert_eq!(npm_tarball_name("@scope/client", "0.5.0"), "scope-client-0.5.0.tgz");
//! assert_eq!(go_version("1.4.0"), "v1.4.0");
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::str::FromStr;

/// The extension of a wheel.
pub const WHEEL_EXTENSION: &str = ".whl";
/// The extension of a cargo package.
pub const CRATE_EXTENSION: &str = ".crate";

/// Why a file or project name does not follow its ecosystem's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name:?}: {reason}")]
pub struct NameError {
    name: String,
    reason: &'static str,
}

impl NameError {
    fn new(name: &str, reason: &'static str) -> Self {
        NameError {
            name: name.to_owned(),
            reason,
        }
    }

    /// The name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What is wrong with it.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, '-' | '_' | '.')
}

/// Lower-cases `name` and writes every run of `-`, `_`, `.` as one `sep`; with `trim`,
/// separators before the first letter or digit are dropped.
fn fold_separators(name: &str, sep: char, trim: bool) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending = false;
    for c in name.chars() {
        if is_separator(c) {
            pending = true;
        } else {
            if pending && !(trim && out.is_empty()) {
                out.push(sep);
            }
            pending = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// PEP 503 normalisation of a Python project name: lower case, every run of `-`, `_`, `.`
/// becomes one `-`. Names that are not valid project names (empty, other characters, or not
/// starting and ending with a letter or digit) are refused.
///
/// ```
/// assert_eq!(artidigest::names::normalize_project("Friendly.-_Bard").unwrap(), "friendly-bard");
/// assert!(artidigest::names::normalize_project("../x").is_err());
/// ```
pub fn normalize_project(name: &str) -> Result<String, NameError> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || is_separator(c))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        Ok(fold_separators(name, '-', false))
    } else {
        Err(NameError::new(
            name,
            "not a Python project name (letters, digits, `-`, `_`, `.`; starting and ending with a letter or digit)",
        ))
    }
}

/// Whether two Python project names are the same project (PEP 503); a name that is not a
/// valid project name is compared as itself, lower-cased.
pub fn same_project(a: &str, b: &str) -> bool {
    let norm = |n: &str| normalize_project(n).unwrap_or_else(|_| n.to_ascii_lowercase());
    norm(a) == norm(b)
}

/// The name part of a distribution file name as the wheel and sdist specifications write it
/// (PEP 427 escaping, PEP 625): lower case, every run of `-`, `_`, `.` as one `_`.
pub fn escape_distribution(name: &str) -> String {
    fold_separators(name, '_', true)
}

/// A wheel file name (PEP 427): `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WheelName {
    /// The distribution name as written in the file name.
    pub name: String,
    /// The version as written.
    pub version: String,
    /// The optional build tag.
    pub build: Option<String>,
    /// The Python tag (`py3`, `cp312`, …).
    pub python: String,
    /// The ABI tag.
    pub abi: String,
    /// The platform tag.
    pub platform: String,
}

impl WheelName {
    /// A wheel name from its parts, with no build tag.
    pub fn new(name: &str, version: &str, python: &str, abi: &str, platform: &str) -> Self {
        WheelName {
            name: name.to_owned(),
            version: version.to_owned(),
            build: None,
            python: python.to_owned(),
            abi: abi.to_owned(),
            platform: platform.to_owned(),
        }
    }

    /// The PEP 503 project name the wheel belongs to.
    pub fn project(&self) -> Result<String, NameError> {
        normalize_project(&self.name)
    }

    /// Whether the wheel is a file of project `project` (PEP 503 comparison).
    pub fn is_project(&self, project: &str) -> bool {
        same_project(&self.name, project)
    }

    /// The file name with the name escaped and every other part lower-cased: two spellings
    /// of the same wheel have the same key.
    pub fn key(&self) -> String {
        let mut rest = vec![self.version.as_str()];
        rest.extend(self.build.as_deref());
        rest.extend([
            self.python.as_str(),
            self.abi.as_str(),
            self.platform.as_str(),
        ]);
        format!(
            "{}-{}.whl",
            escape_distribution(&self.name),
            rest.join("-").to_ascii_lowercase()
        )
    }
}

/// `file_name` without its `extension`, or the error saying `rule`.
fn stem_of<'a>(
    file_name: &'a str,
    extension: &str,
    rule: &'static str,
) -> Result<&'a str, NameError> {
    file_name
        .strip_suffix(extension)
        .ok_or_else(|| NameError::new(file_name, rule))
}

impl FromStr for WheelName {
    type Err = NameError;

    fn from_str(file_name: &str) -> Result<Self, NameError> {
        let stem = stem_of(file_name, WHEEL_EXTENSION, "a wheel's name ends in `.whl`")?;
        let parts: Vec<&str> = stem.split('-').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(NameError::new(
                file_name,
                "a part of the wheel name is empty",
            ));
        }
        let own = |s: &&str| (*s).to_owned();
        match parts.as_slice() {
            [name, version, python, abi, platform] => {
                Ok(WheelName::new(name, version, python, abi, platform))
            }
            [name, version, build, python, abi, platform] => Ok(WheelName {
                build: Some(own(build)),
                ..WheelName::new(name, version, python, abi, platform)
            }),
            _ => Err(NameError::new(
                file_name,
                "a wheel's name has five or six `-`-separated parts",
            )),
        }
    }
}

impl fmt::Display for WheelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.version)?;
        if let Some(build) = &self.build {
            write!(f, "-{build}")?;
        }
        write!(
            f,
            "-{}-{}-{}{WHEEL_EXTENSION}",
            self.python, self.abi, self.platform
        )
    }
}

/// The extension of a source distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SdistExtension {
    /// `.tar.gz`, the only one PEP 625 allows.
    TarGz,
    /// `.zip`, legacy but still served.
    Zip,
    /// `.tar.bz2`, legacy.
    TarBz2,
    /// `.tgz`, legacy.
    Tgz,
}

impl SdistExtension {
    /// Every extension, the standard one first.
    pub const ALL: [SdistExtension; 4] = [
        SdistExtension::TarGz,
        SdistExtension::Zip,
        SdistExtension::TarBz2,
        SdistExtension::Tgz,
    ];

    /// The extension with its leading dot.
    pub fn as_str(self) -> &'static str {
        match self {
            SdistExtension::TarGz => ".tar.gz",
            SdistExtension::Zip => ".zip",
            SdistExtension::TarBz2 => ".tar.bz2",
            SdistExtension::Tgz => ".tgz",
        }
    }
}

/// A source distribution file name (PEP 625): `{name}-{version}.tar.gz`, and the legacy
/// `.zip`, `.tar.bz2` and `.tgz` forms. The version is the part after the last `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SdistName {
    /// The distribution name as written.
    pub name: String,
    /// The version as written.
    pub version: String,
    /// The extension.
    pub extension: SdistExtension,
}

impl SdistName {
    /// The PEP 625 name a build backend writes: `{escaped name}-{version}.tar.gz`.
    pub fn new(project: &str, version: &str) -> Self {
        SdistName {
            name: escape_distribution(project),
            version: version.to_owned(),
            extension: SdistExtension::TarGz,
        }
    }

    /// Whether the sdist is a file of project `project` (PEP 503 comparison).
    pub fn is_project(&self, project: &str) -> bool {
        same_project(&self.name, project)
    }

    /// The file name with the name escaped and the version lower-cased.
    pub fn key(&self) -> String {
        format!(
            "{}-{}{}",
            escape_distribution(&self.name),
            self.version.to_ascii_lowercase(),
            self.extension.as_str()
        )
    }
}

impl FromStr for SdistName {
    type Err = NameError;

    fn from_str(file_name: &str) -> Result<Self, NameError> {
        let (stem, extension) = SdistExtension::ALL
            .iter()
            .find_map(|e| file_name.strip_suffix(e.as_str()).map(|s| (s, *e)))
            .ok_or_else(|| {
                NameError::new(file_name, "an sdist's name ends in `.tar.gz` (or `.zip`)")
            })?;
        match stem.rsplit_once('-') {
            Some((name, version)) if !name.is_empty() && !version.is_empty() => Ok(SdistName {
                name: name.to_owned(),
                version: version.to_owned(),
                extension,
            }),
            _ => Err(NameError::new(
                file_name,
                "an sdist's name is `{name}-{version}` before its extension",
            )),
        }
    }
}

impl fmt::Display for SdistName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}{}",
            self.name,
            self.version,
            self.extension.as_str()
        )
    }
}

/// The distribution key of a wheel or sdist file name ([`WheelName::key`],
/// [`SdistName::key`] for `.tar.gz` and `.zip`), or `None` for any other name: two spellings
/// of the same distribution file have the same key.
pub fn distribution_key(file_name: &str) -> Option<String> {
    if file_name.ends_with(WHEEL_EXTENSION) {
        return file_name.parse::<WheelName>().ok().map(|w| w.key());
    }
    file_name
        .parse::<SdistName>()
        .ok()
        .filter(|s| matches!(s.extension, SdistExtension::TarGz | SdistExtension::Zip))
        .map(|s| s.key())
}

/// The version part of a wheel or sdist file name, if it is one.
pub fn distribution_version(file_name: &str) -> Option<String> {
    if file_name.ends_with(WHEEL_EXTENSION) {
        return file_name.parse::<WheelName>().ok().map(|w| w.version);
    }
    file_name.parse::<SdistName>().ok().map(|s| s.version)
}

/// A `.crate` file name, `{name}-{version}.crate`. Crate names may contain `-` and versions
/// may too (pre-releases), so the version starts at the first `-` followed by
/// `<digits>.<digits>.<digits>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CrateName {
    /// The crate name, exactly as written (crates compare names exactly).
    pub name: String,
    /// The version.
    pub version: String,
}

impl CrateName {
    /// The name `cargo package` writes.
    pub fn new(name: &str, version: &str) -> Self {
        CrateName {
            name: name.to_owned(),
            version: version.to_owned(),
        }
    }
}

fn starts_with_semver_core(s: &str) -> bool {
    let mut it = s.splitn(3, '.');
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let (Some(major), Some(minor), Some(rest)) = (it.next(), it.next(), it.next()) else {
        return false;
    };
    let patch_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let after = rest.get(patch_len..).unwrap_or("x");
    digits(major)
        && digits(minor)
        && patch_len > 0
        && (after.is_empty() || after.starts_with(['-', '+']))
}

impl FromStr for CrateName {
    type Err = NameError;

    fn from_str(file_name: &str) -> Result<Self, NameError> {
        let stem = stem_of(
            file_name,
            CRATE_EXTENSION,
            "a crate file's name ends in `.crate`",
        )?;
        stem.match_indices('-')
            .find_map(|(i, _)| {
                let name = stem.get(..i)?;
                let version = stem.get(i + 1..)?;
                (!name.is_empty() && starts_with_semver_core(version))
                    .then(|| CrateName::new(name, version))
            })
            .ok_or_else(|| {
                NameError::new(
                    file_name,
                    "a crate file's name is `{name}-{major}.{minor}.{patch}…`",
                )
            })
    }
}

impl fmt::Display for CrateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}{CRATE_EXTENSION}", self.name, self.version)
    }
}

/// The tarball name `npm pack` writes for `package` at `version`: `{name}-{version}.tgz`,
/// with a scoped `@scope/name` packed as `scope-name`.
pub fn npm_tarball_name(package: &str, version: &str) -> String {
    format!("{}-{version}.tgz", npm_packed_name(package))
}

/// The name part of `npm pack`'s tarball name: `@scope/name` becomes `scope-name`.
pub fn npm_packed_name(package: &str) -> String {
    package.trim_start_matches('@').replace('/', "-")
}

/// A Go module version as the module system spells it: with one leading `v`
/// (`1.4.0` and `v1.4.0` both give `v1.4.0`).
pub fn go_version(version: &str) -> String {
    format!("v{}", version.trim_start_matches('v'))
}

/// A release version from a Go tag spelling: the `v` removed (`v1.4.0` gives `1.4.0`).
pub fn strip_go_v(version: &str) -> &str {
    version.strip_prefix('v').unwrap_or(version)
}

/// A Go module file as a proxy serves it (`v1.4.0.zip`, `v1.4.0.mod`, `v1.4.0.info`) or as a
/// release folder names it (`{anything}-v1.4.0.zip`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GoModuleFile {
    /// The version, `v` included.
    pub version: String,
    /// `zip`, `mod` or `info`.
    pub extension: String,
    /// What precedes `-{version}` in a release folder's name, if anything.
    pub prefix: Option<String>,
}

impl GoModuleFile {
    /// Whether `file_name` is the module zip or `go.mod` of `version` (either spelling),
    /// as served (`v1.4.0.zip`, `v1.4.0.mod`) or as a release names its zip
    /// (`{anything}-v1.4.0.zip`).
    pub fn is_for(file_name: &str, version: &str) -> bool {
        let v = go_version(version);
        file_name == format!("{v}.zip")
            || file_name == format!("{v}.mod")
            || file_name.ends_with(&format!("-{v}.zip"))
    }

    /// Whether the local file `local` is the file a registry serves as `served`: the same
    /// name, or a module zip a proxy serves as `vX.Y.Z.zip` that the release names
    /// `{anything}-vX.Y.Z.zip`.
    pub fn served_as(local: &str, served: &str) -> bool {
        local == served || (served.ends_with(".zip") && local.ends_with(&format!("-{served}")))
    }
}

impl FromStr for GoModuleFile {
    type Err = NameError;

    fn from_str(file_name: &str) -> Result<Self, NameError> {
        let (stem, extension) = ["zip", "mod", "info"]
            .iter()
            .find_map(|e| {
                file_name
                    .strip_suffix(e)
                    .and_then(|s| s.strip_suffix('.'))
                    .map(|s| (s, *e))
            })
            .ok_or_else(|| {
                NameError::new(
                    file_name,
                    "a Go module file ends in `.zip`, `.mod` or `.info`",
                )
            })?;
        let is_version = |v: &str| v.strip_prefix('v').is_some_and(starts_with_semver_core);
        let (prefix, version) = if is_version(stem) {
            (None, stem)
        } else {
            // A release folder's module zip: `{anything}-v1.2.3.zip`.
            stem.match_indices("-v")
                .filter(|_| extension == "zip")
                .find_map(|(i, _)| {
                    let (p, v) = (stem.get(..i)?, stem.get(i + 1..)?);
                    (!p.is_empty() && is_version(v)).then_some((Some(p), v))
                })
                .ok_or_else(|| {
                    NameError::new(
                        file_name,
                        "a Go module file is named after its `v`-prefixed semantic version",
                    )
                })?
        };
        Ok(GoModuleFile {
            version: version.to_owned(),
            extension: extension.to_owned(),
            prefix: prefix.map(str::to_owned),
        })
    }
}

impl fmt::Display for GoModuleFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.prefix {
            write!(f, "{p}-")?;
        }
        write!(f, "{}.{}", self.version, self.extension)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheels_parse_build_and_compare() {
        let w: WheelName = "ordvec-0.5.0-cp312-cp312-manylinux_2_17_x86_64.whl"
            .parse()
            .unwrap();
        assert_eq!(w.name, "ordvec");
        assert_eq!(w.platform, "manylinux_2_17_x86_64");
        assert_eq!(w.build, None);
        assert_eq!(
            w.to_string(),
            "ordvec-0.5.0-cp312-cp312-manylinux_2_17_x86_64.whl"
        );
        let b: WheelName = "demo-1.0-1abc-py3-none-any.whl".parse().unwrap();
        assert_eq!(b.build.as_deref(), Some("1abc"));
        assert_eq!(b.to_string(), "demo-1.0-1abc-py3-none-any.whl");
        assert!(
            "ordvec_manifest-0.5.0-py3-none-any.whl"
                .parse::<WheelName>()
                .unwrap()
                .is_project("Ordvec.Manifest")
        );
        assert!(!w.is_project("ordvec-manifest"));
        for bad in [
            "-0.5.0-py3-none-any.whl",
            "demo-1.0-py3-none.whl",
            "demo-1.0-a-b-py3-none-any.whl",
            "demo-1.0-py3-none-any.zip",
        ] {
            let e = bad.parse::<WheelName>().unwrap_err();
            assert_eq!(e.name(), bad);
            assert!(e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn sdists_take_the_version_after_the_last_dash() {
        let s: SdistName = "demo-pkg-1.2.3.tar.gz".parse().unwrap();
        assert_eq!((s.name.as_str(), s.version.as_str()), ("demo-pkg", "1.2.3"));
        assert_eq!(s.extension, SdistExtension::TarGz);
        assert!(s.is_project("demo_pkg"));
        assert_eq!(
            SdistName::new("Demo.Pkg", "1.2.3").to_string(),
            "demo_pkg-1.2.3.tar.gz"
        );
        let z: SdistName = "old-0.1.zip".parse().unwrap();
        assert_eq!(z.extension, SdistExtension::Zip);
        assert!("nodash.tar.gz".parse::<SdistName>().is_err());
        assert!("x-1.0.whl".parse::<SdistName>().is_err());
        assert_eq!(
            distribution_version("demo-1.2.3.tar.bz2").as_deref(),
            Some("1.2.3")
        );
        assert_eq!(
            distribution_version("demo_pkg-1.2.3-py3-none-any.whl").as_deref(),
            Some("1.2.3")
        );
        assert_eq!(distribution_version("README"), None);
    }

    #[test]
    fn distribution_keys_equate_spellings_only() {
        assert_eq!(
            distribution_key("Pypi.Attestation-Models-0.0.4A2.tar.gz"),
            distribution_key("pypi_attestation_models-0.0.4a2.tar.gz")
        );
        assert_eq!(
            distribution_key("rfc8785-0.1.2-py3-none-any.whl").as_deref(),
            Some("rfc8785-0.1.2-py3-none-any.whl")
        );
        assert_ne!(
            distribution_key("wrong_name-0.1.2-py3-none-any.whl"),
            distribution_key("rfc8785-0.1.2-py3-none-any.whl")
        );
        assert_eq!(distribution_key("x-1.0.tar.bz2"), None);
        assert_eq!(distribution_key("x.txt"), None);
    }

    #[test]
    fn project_names_normalise_per_pep_503() {
        assert_eq!(
            normalize_project("FRIENDLY__bard").unwrap(),
            "friendly-bard"
        );
        assert!(normalize_project("-x").is_err());
        assert!(normalize_project("").is_err());
        assert!(same_project("Ordvec__Manifest.x", "ordvec-manifest-x"));
        assert_eq!(escape_distribution("-My.Pkg--x"), "my_pkg_x");
    }

    #[test]
    fn crates_split_at_the_version_core() {
        let c: CrateName = "ordvec-manifest-0.5.0.crate".parse().unwrap();
        assert_eq!(
            (c.name.as_str(), c.version.as_str()),
            ("ordvec-manifest", "0.5.0")
        );
        let c: CrateName = "x2-d3-1.0.0-rc.1+b.2.crate".parse().unwrap();
        assert_eq!(
            (c.name.as_str(), c.version.as_str()),
            ("x2-d3", "1.0.0-rc.1+b.2")
        );
        assert_eq!(
            CrateName::new("a-b", "1.2.3").to_string(),
            "a-b-1.2.3.crate"
        );
        for bad in [
            "a-1.0.crate",
            "1.0.0.crate",
            "a-1.0.0x.crate",
            "a-1.0.0.tar.gz",
        ] {
            assert!(bad.parse::<CrateName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn npm_and_go_spellings() {
        assert_eq!(npm_tarball_name("left-pad", "1.3.0"), "left-pad-1.3.0.tgz");
        assert_eq!(npm_packed_name("@sketchlog/client"), "sketchlog-client");
        assert_eq!(go_version("v1.4.0"), "v1.4.0");
        assert_eq!(strip_go_v("v1.4.0"), "1.4.0");
        assert_eq!(strip_go_v("1.4.0"), "1.4.0");
        assert!(GoModuleFile::is_for("v0.5.0.zip", "0.5.0"));
        assert!(GoModuleFile::is_for("clients-go-v0.5.0.zip", "v0.5.0"));
        assert!(GoModuleFile::is_for("v0.5.0.mod", "0.5.0"));
        assert!(!GoModuleFile::is_for("v0.5.1.zip", "0.5.0"));
        assert!(GoModuleFile::served_as(
            "clients-go-v3.0.2.zip",
            "v3.0.2.zip"
        ));
        assert!(!GoModuleFile::served_as(
            "clients-go-v3.0.2.zip",
            "v3.0.2.mod"
        ));
        let f: GoModuleFile = "clients-go-v3.0.2.zip".parse().unwrap();
        assert_eq!(f.prefix.as_deref(), Some("clients-go"));
        assert_eq!(f.version, "v3.0.2");
        assert_eq!(f.to_string(), "clients-go-v3.0.2.zip");
        let m: GoModuleFile = "v1.0.0-rc.1.mod".parse().unwrap();
        assert_eq!((m.version.as_str(), m.prefix), ("v1.0.0-rc.1", None));
        assert!("1.0.0.zip".parse::<GoModuleFile>().is_err());
        let v: GoModuleFile = "v1.0.0-vendor.1.zip".parse().unwrap();
        assert_eq!((v.version.as_str(), v.prefix), ("v1.0.0-vendor.1", None));
        let g: GoModuleFile = "go-vet-v2.0.0.zip".parse().unwrap();
        assert_eq!(g.prefix.as_deref(), Some("go-vet"));
        assert!("v1.0.0.tgz".parse::<GoModuleFile>().is_err());
    }
}
