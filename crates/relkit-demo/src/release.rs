//! The demo release that ships in `examples/demo-release/`, and the code that makes it.
//!
//! The demo is a small project, `relkit-demo` 1.2.3, released as a Python wheel and sdist, a
//! Rust `.crate` and an npm tarball, with a `SHA256SUMS` file, plus the tree its version files
//! come from. Every archive is written by `artidigest`'s deterministic repacker, so the same
//! code always makes the same bytes: the workspace test `demo_release` regenerates it and
//! compares it with the committed copy, and `cargo run --example make_demo_release` rewrites it.
//!
//! The demo also carries its release policy, `release.toml` (checked by `relgate`: strict tag,
//! lockstep versions via `source/relver.toml`, changelog section, required assets, checksum
//! file), and [`Tamper`] breaks a copy of it in one known way for tests and for
//! `verify_release --tamper KIND`. Its registries (a Python index, a crates index, npm) are
//! served from loopback by [`crate::demo_registry`].
//!
//! [`DemoRelease`] can also make variants (another version, tampered bytes) for tests.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use artidigest::checksums::Style;
use artidigest::{Algorithm, ChecksumFile, digest_bytes, inflate_gzip};
use artidigest::{Format, RepackEntry, RepackError, RepackOptions, repack_entries};

/// The folder of the demo release in this repository.
pub fn demo_release_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-release")
}

/// The seed of the demo's test-stack keys (throwaway; trusted by nothing real).
pub const DEMO_STACK_SEED: [u8; 32] = [0x5e; 32];

/// The demo's fixed signing time (unix seconds, 2025-06-15).
pub const DEMO_SIGNED_AT: i64 = 1_750_000_000;

/// A demo release to generate.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DemoRelease {
    /// Project name as Cargo and npm spell it (`relkit-demo`).
    pub name: String,
    /// The release version (`1.2.3`).
    pub version: String,
    /// The release date written into the changelog (`2026-11-20`).
    pub date: String,
}

impl Default for DemoRelease {
    fn default() -> Self {
        DemoRelease {
            name: String::from("relkit-demo"),
            version: String::from("1.2.3"),
            date: String::from("2026-11-20"),
        }
    }
}

/// Why the demo release could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// A file could not be written.
    #[error("cannot write {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// An archive could not be built.
    #[error("cannot build {name}")]
    Repack {
        /// The artifact.
        name: String,
        /// The cause.
        #[source]
        source: RepackError,
    },
    /// A bundle, the provenance or the trust root could not be made.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// Signing with attest's test stack failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign {what} with the test stack")]
pub struct SignError {
    /// What was being signed.
    pub what: String,
    /// The cause.
    #[source]
    pub source: attest::Error,
}

/// What [`DemoRelease::write`] produced: the artifact files, relative to the release folder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DemoFiles {
    /// `dist/…` artifacts, in checksum-file order.
    pub artifacts: Vec<String>,
    /// `source/…` files.
    pub sources: Vec<String>,
}

impl DemoRelease {
    /// The Python distribution name (`relkit_demo`).
    pub fn python_name(&self) -> String {
        self.name.replace('-', "_")
    }

    /// The release tag (`v1.2.3`).
    pub fn tag(&self) -> String {
        format!("v{}", self.version)
    }

    /// The demo's release policy (`release.toml`), read by `relgate`. Relative paths resolve
    /// against the folder it sits in; the release folder (artifacts) is `dist/`.
    pub fn policy(&self) -> String {
        format!(
            r#"# The release policy of the demo release, checked by `cargo run --example verify_release`.
# The release folder is dist/; the version files and changelog are in source/.

[project]
name = "{n}"

[tag]
pattern = "v{{version}}"

[versions]
tree = "source"
config = "source/relver.toml"

[[artifacts]]
glob = "*.whl"
kind = "wheel"

[[artifacts]]
glob = "*.tar.gz"
kind = "sdist"

[[artifacts]]
glob = "*.crate"
kind = "crate"

[[artifacts]]
glob = "*.tgz"
kind = "npm-tarball"

[release]
required-assets = ["*.whl", "*.tar.gz", "*.crate", "*.tgz", "SHA256SUMS"]

[checksums]
file = "SHA256SUMS"
# Bundles, provenance and the trust root are verified by the signature gates, not listed.
unlisted-allowed = ["*.sigstore.json", "*.intoto.jsonl", "trusted_root.json"]

[signing]
server = "https://github.com"
repository = "relkit/{n}"
workflow = ".github/workflows/release.yml"
issuer = "{issuer}"
denied-triggers = ["workflow_dispatch"]
trusted-root = "trusted_root.json"

[provenance]
glob = "*.intoto.jsonl"
predicate-type = "https://slsa.dev/provenance/v1"

# Where the release is published. Endpoints are NOT here: they come from the registries
# configuration or RELGATE_REGISTRY_<NAME>_URL (verify_release starts loopback registries).
[registries.python-index]
kind = "pypi"
package = "{n}"
artifacts = ["wheel", "sdist"]
visible-within-secs = 2

[registries.crates-index]
kind = "cargo"
package = "{n}"
artifacts = ["crate"]
visible-within-secs = 2

[registries.npm-registry]
kind = "npm"
package = "{n}"
artifacts = ["npm-tarball"]
visible-within-secs = 2

[gates.changelog-section]

[gates.checksum-file]
after = ["required-assets-present"]

[gates.archive-safety]
[gates.signatures-valid]
after = ["tag-strict-semver", "checksum-file"]

[gates.provenance-valid]
after = ["tag-strict-semver", "checksum-file"]

# Byte identity before publishing: the release is built again from source/ (in-process by
# verify_release, the demo's build recipe) and every artifact must come out identical.
[gates.rebuild-identity]
after = ["checksum-file", "archive-safety"]

[gates.version-unpublished]
after = ["tag-strict-semver"]

[gates.registry-visible]
[gates.consumer-verify]
"#,
            n = self.name,
            issuer = attest::GITHUB_ACTIONS_ISSUER
        )
    }

    fn relver_config(&self) -> String {
        let py = self.python_name();
        format!(
            "# The version sources of the demo release, checked by relver (and relgate's versions-lockstep).\ntag-prefixes = [\"v\"]\n\n[[source]]\npath = \"Cargo.toml\"\nkind = \"cargo\"\n\n[[source]]\npath = \"pyproject.toml\"\nkind = \"pyproject\"\n\n[[source]]\npath = \"{py}/__init__.py\"\nkind = \"python-version\"\n\n[[source]]\npath = \"package.json\"\nkind = \"package-json\"\n\n[[source]]\npath = \"CHANGELOG.md\"\nkind = \"changelog\"\n"
        )
    }

    /// Writes `release.toml`, `source/` and `dist/` (with `dist/SHA256SUMS`) under `dir`.
    pub fn write(&self, dir: &Path) -> Result<DemoFiles, DemoError> {
        let mut files = DemoFiles {
            artifacts: Vec::new(),
            sources: Vec::new(),
        };
        write_file(&dir.join("release.toml"), self.policy().as_bytes())?;
        for (rel, text) in self.source_files() {
            write_file(&dir.join("source").join(&rel), text.as_bytes())?;
            files.sources.push(format!("source/{rel}"));
        }
        let dist = dir.join("dist");
        let mut sums = Vec::new();
        for (name, bytes) in self.artifacts()? {
            write_file(&dist.join(&name), &bytes)?;
            let set = digest_bytes(&bytes, &[Algorithm::Sha256]);
            if let Some(d) = set.get(Algorithm::Sha256) {
                sums.push((name.clone(), *d));
            }
            files.artifacts.push(format!("dist/{name}"));
        }
        let sums = ChecksumFile::from_entries(sums, Style::Text);
        write_file(&dist.join("SHA256SUMS"), sums.to_string().as_bytes())?;
        self.sign(
            &dist,
            &self.signer("release.yml", &self.tag(), "push"),
            None,
        )?;
        Ok(files)
    }

    /// The GitHub repository the demo claims to be released from (`relkit/relkit-demo`).
    pub fn repository(&self) -> String {
        format!("relkit/{}", self.name)
    }

    /// A test-stack signing identity of the demo's repository: workflow file, tag, trigger,
    /// at the fixed signing time [`DEMO_SIGNED_AT`].
    pub fn signer(&self, workflow: &str, tag: &str, trigger: &str) -> attest::TestIdentity {
        attest::TestIdentity::github(
            &self.repository(),
            workflow,
            &format!("refs/tags/{tag}"),
            trigger,
            DEMO_SIGNED_AT,
        )
    }

    /// Signs the artifacts in `dist` (those [`DemoRelease::artifacts`] names) with attest's
    /// test stack seeded by [`DEMO_STACK_SEED`]: one `<artifact>.sigstore.json` each signed
    /// as `signer`, `<name>.intoto.jsonl` (SLSA v1, signed by the release identity) whose
    /// subjects are every artifact but `leave_out`, and `trusted_root.json`. Keys derive from
    /// the seed and ECDSA signatures are deterministic (RFC 6979), so the bytes are stable.
    pub fn sign(
        &self,
        dist: &Path,
        signer: &attest::TestIdentity,
        leave_out: Option<&str>,
    ) -> Result<(), DemoError> {
        let files: Vec<String> = self.artifacts()?.into_iter().map(|(n, _)| n).collect();
        let covered: Vec<String> = files
            .iter()
            .filter(|n| leave_out != Some(n.as_str()))
            .cloned()
            .collect();
        sign_folder(
            dist,
            &SigningPlan {
                seed: DEMO_STACK_SEED,
                files: &files,
                signer,
                repository: &self.repository(),
                tag: &self.tag(),
                covered: &covered,
                provenance: &format!("{}.intoto.jsonl", self.name),
                registry_subjects: &[],
            },
        )
    }

    /// The version-bearing files of the project's tree at the release tag.
    pub fn source_files(&self) -> Vec<(String, String)> {
        let (n, v, py, date) = (&self.name, &self.version, self.python_name(), &self.date);
        vec![
            (
                String::from("Cargo.toml"),
                format!(
                    "[package]\nname = \"{n}\"\nversion = \"{v}\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"relkit's demo release\"\n"
                ),
            ),
            (
                String::from("pyproject.toml"),
                format!(
                    "[build-system]\nrequires = [\"flit_core>=3.9\"]\nbuild-backend = \"flit_core.buildapi\"\n\n[project]\nname = \"{py}\"\nversion = \"{v}\"\ndescription = \"relkit's demo release\"\nrequires-python = \">=3.9\"\n"
                ),
            ),
            (format!("{py}/__init__.py"), self.init_py()),
            (
                String::from("package.json"),
                format!(
                    "{{\n  \"name\": \"{n}\",\n  \"version\": \"{v}\",\n  \"description\": \"relkit's demo release\",\n  \"main\": \"index.js\",\n  \"license\": \"MIT\"\n}}\n"
                ),
            ),
            (String::from("relver.toml"), self.relver_config()),
            (
                String::from("CHANGELOG.md"),
                format!(
                    "# Changelog\n\n## [Unreleased]\n\n## [{v}] - {date}\n\n### Added\n\n- The demo release that relkit verifies.\n\n## [1.2.2] - 2026-10-01\n\n### Fixed\n\n- An earlier release.\n\n[Unreleased]: https://example.invalid/compare/v{v}...HEAD\n[{v}]: https://example.invalid/compare/v1.2.2...v{v}\n[1.2.2]: https://example.invalid/releases/v1.2.2\n"
                ),
            ),
        ]
    }

    fn init_py(&self) -> String {
        format!(
            "\"\"\"relkit's demo package.\"\"\"\n\n__version__ = \"{}\"\n",
            self.version
        )
    }

    /// The wheel's file name and bytes; with `wrong_record`, RECORD lists a wrong sha256 for
    /// the package's `__init__.py` (size still right).
    fn wheel(&self, wrong_record: bool) -> Result<(String, Vec<u8>), DemoError> {
        python_wheel(
            &self.python_name(),
            &self.version,
            "py3-none-any",
            self.init_py().into_bytes(),
            wrong_record,
        )
    }

    /// The release artifacts: name and bytes, in a fixed order.
    pub fn artifacts(&self) -> Result<Vec<(String, Vec<u8>)>, DemoError> {
        let (n, v, py) = (&self.name, &self.version, self.python_name());
        let mut out = Vec::new();

        // The wheel, with an honest RECORD.
        out.push(self.wheel(false)?);

        // The sdist.
        let root = format!("{py}-{v}");
        let sources = self.source_files();
        let pick = |name: &str| {
            sources
                .iter()
                .find(|(p, _)| p == name)
                .map(|(_, t)| t.clone().into_bytes())
                .unwrap_or_default()
        };
        let sdist_files = vec![
            (
                format!("{root}/PKG-INFO"),
                format!("Metadata-Version: 2.1\nName: {py}\nVersion: {v}\nSummary: relkit's demo release\n").into_bytes(),
            ),
            (format!("{root}/pyproject.toml"), pick("pyproject.toml")),
            (format!("{root}/{py}/__init__.py"), self.init_py().into_bytes()),
        ];
        let sdist = format!("{root}.tar.gz");
        out.push((
            sdist.clone(),
            pack(
                &sdist,
                files(sdist_files),
                RepackOptions::new(Format::TarGz),
            )?,
        ));

        // The crate, following `cargo package`'s conventions.
        let croot = format!("{n}-{v}");
        let crate_files = vec![
            (
                format!("{croot}/.cargo_vcs_info.json"),
                b"{\n  \"git\": {\n    \"sha1\": \"4b825dc642cb6eb9a060e54bf8d69288fbee4904\"\n  },\n  \"path_in_vcs\": \"\"\n}".to_vec(),
            ),
            (format!("{croot}/Cargo.toml"), pick("Cargo.toml")),
            (format!("{croot}/Cargo.toml.orig"), pick("Cargo.toml")),
            (
                format!("{croot}/src/lib.rs"),
                b"//! relkit's demo crate.\n\n/// The answer.\npub fn answer() -> u32 {\n    42\n}\n".to_vec(),
            ),
        ];
        let krate = format!("{croot}.crate");
        out.push((
            krate.clone(),
            pack(&krate, files(crate_files), RepackOptions::cargo())?,
        ));

        // The npm tarball.
        let npm_files = vec![
            (String::from("package/package.json"), pick("package.json")),
            (
                String::from("package/index.js"),
                b"module.exports = function answer() { return 42; };\n".to_vec(),
            ),
        ];
        let npm = format!("{n}-{v}.tgz");
        out.push((
            npm.clone(),
            pack(&npm, files(npm_files), RepackOptions::new(Format::TarGz))?,
        ));
        Ok(out)
    }
}

/// One known way to break the demo release, and the failure it must cause.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// One version file (`source/package.json`) bumped to the next patch version.
    Version,
    /// The release's section removed from `source/CHANGELOG.md`.
    Changelog,
    /// One byte of an artifact (the wheel) flipped after the checksum file was written.
    Checksum,
    /// An artifact (the `.crate`) deleted from the release folder.
    Asset,
    /// The release run under a non-strict tag (`vX.Y.Z-rc.1`).
    Tag,
    /// The wheel rebuilt with a RECORD listing a wrong sha256 for one file (`SHA256SUMS`
    /// updated, so only the RECORD is wrong).
    Record,
    /// The sdist rebuilt with a `../evil` entry first (`SHA256SUMS` updated).
    Traversal,
    /// One byte of a bundle's signature (the sdist's) flipped.
    Signature,
    /// The artifacts signed by another workflow (`nightly.yml`).
    Identity,
    /// The artifacts signed from a `workflow_dispatch` run.
    Trigger,
    /// The provenance leaves one artifact (the npm tarball) out of its subjects.
    Provenance,
    /// A registry (the Python index) already holds the version before the release starts.
    Published,
    /// After the upload, a registry (the crates index) serves other bytes for the `.crate`.
    RegistryBytes,
    /// The rebuild ignores `SOURCE_DATE_EPOCH`: its sdist carries the build time as mtimes.
    Rebuild,
    /// The upload to one registry (npm) never happens, so the version never shows up there.
    NotVisible,
}

/// A tamper kind name that is not one of [`Tamper::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown tamper kind {0:?} (expected version, changelog, checksum, asset, tag, record, traversal, signature, identity, trigger, provenance, published, registry-bytes or not-visible)"
)]
pub struct UnknownTamper(pub String);

impl Tamper {
    /// Every kind.
    pub const ALL: [Tamper; 15] = [
        Tamper::Version,
        Tamper::Changelog,
        Tamper::Checksum,
        Tamper::Asset,
        Tamper::Tag,
        Tamper::Record,
        Tamper::Traversal,
        Tamper::Signature,
        Tamper::Identity,
        Tamper::Trigger,
        Tamper::Provenance,
        Tamper::Published,
        Tamper::RegistryBytes,
        Tamper::NotVisible,
        Tamper::Rebuild,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tamper::Version => "version",
            Tamper::Changelog => "changelog",
            Tamper::Checksum => "checksum",
            Tamper::Asset => "asset",
            Tamper::Tag => "tag",
            Tamper::Record => "record",
            Tamper::Traversal => "traversal",
            Tamper::Signature => "signature",
            Tamper::Identity => "identity",
            Tamper::Trigger => "trigger",
            Tamper::Provenance => "provenance",
            Tamper::Published => "published",
            Tamper::RegistryBytes => "registry-bytes",
            Tamper::NotVisible => "not-visible",
            Tamper::Rebuild => "rebuild",
        }
    }

    /// Whether this kind breaks the registries (see [`crate::demo_registry`]) rather than the
    /// release folder.
    pub fn on_registry(self) -> bool {
        matches!(
            self,
            Tamper::Published | Tamper::RegistryBytes | Tamper::NotVisible
        )
    }

    /// Breaks the demo release written by `demo` in `dir` (a copy, never the committed one) and
    /// returns the tag to run it under and a sentence saying what was broken. Registry kinds
    /// leave the folder alone: [`crate::demo_registry::run_demo`] breaks the registries.
    pub fn apply(self, demo: &DemoRelease, dir: &Path) -> Result<(String, String), DemoError> {
        let read = |p: &Path| {
            fs::read(p).map_err(|source| DemoError::Io {
                path: p.to_path_buf(),
                source,
            })
        };
        let v = &demo.version;
        let next = bump_patch(v);
        let tag = demo.tag();
        Ok(match self {
            Tamper::Version => {
                let p = dir.join("source/package.json");
                let text = String::from_utf8_lossy(&read(&p)?).replace(
                    &format!("\"version\": \"{v}\""),
                    &format!("\"version\": \"{next}\""),
                );
                write_file(&p, text.as_bytes())?;
                (tag, format!("source/package.json bumped to {next}"))
            }
            Tamper::Changelog => {
                let p = dir.join("source/CHANGELOG.md");
                let text = String::from_utf8_lossy(&read(&p)?).into_owned();
                let head = format!("## [{v}]");
                let kept: String = match (text.find(&head), text.find("## [1.2.2]")) {
                    (Some(a), Some(b)) if a < b => format!("{}{}", &text[..a], &text[b..]),
                    _ => text.replace(&head, "## [0.0.0]"),
                };
                write_file(&p, kept.as_bytes())?;
                (
                    tag,
                    format!("the [{v}] section removed from source/CHANGELOG.md"),
                )
            }
            Tamper::Checksum => {
                let name = format!("{}-{v}-py3-none-any.whl", demo.python_name());
                let p = dir.join("dist").join(&name);
                let mut bytes = read(&p)?;
                let mid = bytes.len() / 2;
                if let Some(b) = bytes.get_mut(mid) {
                    *b ^= 0x01;
                }
                write_file(&p, &bytes)?;
                (tag, format!("one byte of dist/{name} flipped"))
            }
            Tamper::Asset => {
                let name = format!("{}-{v}.crate", demo.name);
                let p = dir.join("dist").join(&name);
                fs::remove_file(&p).map_err(|source| DemoError::Io { path: p, source })?;
                (tag, format!("dist/{name} deleted"))
            }
            Tamper::Tag => (
                format!("{tag}-rc.1"),
                format!("released under the pre-release tag {tag}-rc.1"),
            ),
            Tamper::Record => {
                let (name, bytes) = demo.wheel(true)?;
                write_file(&dir.join("dist").join(&name), &bytes)?;
                resum(&dir.join("dist"))?;
                // Signed by the real release workflow: the build itself was bad.
                demo.sign(
                    &dir.join("dist"),
                    &demo.signer("release.yml", &tag, "push"),
                    None,
                )?;
                (
                    tag,
                    format!("dist/{name} rebuilt with a wrong RECORD digest, SHA256SUMS updated"),
                )
            }
            Tamper::Traversal => {
                let name = format!("{}-{v}.tar.gz", demo.python_name());
                let p = dir.join("dist").join(&name);
                let honest = read(&p)?;
                let (_, tar) = inflate_gzip(&honest, 64 << 20).map_err(|e| DemoError::Io {
                    path: p.clone(),
                    source: io::Error::other(e.to_string()),
                })?;
                let mut evil = ustar_file_header("../evil", 5);
                evil.extend_from_slice(b"evil\n");
                evil.resize(1024, 0);
                evil.extend_from_slice(&tar);
                write_file(&p, &gzip_stored(&evil))?;
                resum(&dir.join("dist"))?;
                demo.sign(
                    &dir.join("dist"),
                    &demo.signer("release.yml", &tag, "push"),
                    None,
                )?;
                (
                    tag,
                    format!("dist/{name} rebuilt with a ../evil entry, SHA256SUMS updated"),
                )
            }
            Tamper::Signature => {
                let name = format!("{}-{v}.tar.gz.sigstore.json", demo.python_name());
                let p = dir.join("dist").join(&name);
                let text = String::from_utf8_lossy(&read(&p)?).into_owned();
                let flipped = flip_signature(&text).unwrap_or(text);
                write_file(&p, flipped.as_bytes())?;
                (
                    tag,
                    format!("one byte of the signature in dist/{name} flipped"),
                )
            }
            Tamper::Identity => {
                let signer = demo.signer("nightly.yml", &tag, "push");
                demo.sign(&dir.join("dist"), &signer, None)?;
                (tag, format!("the artifacts signed by {}", signer.san))
            }
            Tamper::Trigger => {
                let signer = demo.signer("release.yml", &tag, "workflow_dispatch");
                demo.sign(&dir.join("dist"), &signer, None)?;
                (
                    tag,
                    String::from("the artifacts signed from a workflow_dispatch run"),
                )
            }
            Tamper::Provenance => {
                let name = format!("{}-{v}.tgz", demo.name);
                let signer = demo.signer("release.yml", &tag, "push");
                demo.sign(&dir.join("dist"), &signer, Some(&name))?;
                (
                    tag,
                    format!("dist/{name} left out of the provenance subjects"),
                )
            }
            Tamper::Published => (
                tag,
                format!("the python-index registry already holds {} {v}", demo.name),
            ),
            Tamper::RegistryBytes => (
                tag,
                format!(
                    "after the upload the crates-index registry serves other bytes for {}-{v}.crate",
                    demo.name
                ),
            ),
            Tamper::NotVisible => (
                tag,
                format!(
                    "{} {v} never uploaded to the npm-registry registry",
                    demo.name
                ),
            ),
            Tamper::Rebuild => (
                tag,
                String::from(
                    "the rebuild ignores SOURCE_DATE_EPOCH: its sdist carries the build time as mtimes",
                ),
            ),
        })
    }
}

impl fmt::Display for Tamper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tamper {
    type Err = UnknownTamper;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tamper::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownTamper(s.to_owned()))
    }
}

/// A wheel `{py}-{version}-{tag}.whl` holding `{py}/__init__.py` and its dist-info (METADATA,
/// WHEEL with `tag`, an honest RECORD — or, with `wrong_record`, one whose first hash is of
/// other bytes).
pub fn python_wheel(
    py: &str,
    version: &str,
    tag: &str,
    init_py: Vec<u8>,
    wrong_record: bool,
) -> Result<(String, Vec<u8>), DemoError> {
    let v = version;
    let dist_info = format!("{py}-{v}.dist-info");
    let pure = tag.ends_with("-none-any");
    let mut wheel_files = vec![
        (format!("{py}/__init__.py"), init_py),
        (
            format!("{dist_info}/METADATA"),
            format!(
                "Metadata-Version: 2.1\nName: {py}\nVersion: {v}\nSummary: relkit's demo release\n"
            )
            .into_bytes(),
        ),
        (
            format!("{dist_info}/WHEEL"),
            format!(
                "Wheel-Version: 1.0\nGenerator: relkit-demo\nRoot-Is-Purelib: {pure}\nTag: {tag}\n"
            )
            .into_bytes(),
        ),
    ];
    let mut record = String::new();
    for (i, (path, bytes)) in wheel_files.iter().enumerate() {
        let hashed: &[u8] = if wrong_record && i == 0 {
            b"not the file"
        } else {
            bytes
        };
        let set = digest_bytes(hashed, &[Algorithm::Sha256]);
        if let Some(d) = set.get(Algorithm::Sha256) {
            record.push_str(&format!("{path},{},{}\n", d.to_record(), bytes.len()));
        }
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    wheel_files.push((format!("{dist_info}/RECORD"), record.into_bytes()));
    let wheel = format!("{py}-{v}-{tag}.whl");
    let bytes = pack(&wheel, files(wheel_files), RepackOptions::new(Format::Zip))?;
    Ok((wheel, bytes))
}

/// A Go module zip as the go command lays it out: every file under `module@version/`.
pub fn go_module_zip(
    module: &str,
    version: &str,
    module_files: &[(&str, &[u8])],
) -> Result<Vec<u8>, DemoError> {
    let entries = module_files
        .iter()
        .map(|(p, b)| (format!("{module}@{version}/{p}"), b.to_vec()))
        .collect();
    pack(
        &format!("{version}.zip"),
        files(entries),
        RepackOptions::new(Format::Zip),
    )
}

/// What [`sign_folder`] signs, and as whom.
#[derive(Debug, Clone, Copy)]
pub struct SigningPlan<'a> {
    /// The test stack's seed (keys derive from it; the trust root too).
    pub seed: [u8; 32],
    /// Files of the folder that each get a `<file>.sigstore.json`.
    pub files: &'a [String],
    /// The identity the bundles are signed as.
    pub signer: &'a attest::TestIdentity,
    /// `owner/repo`: the provenance is signed as its `release.yml` run for `tag` (push).
    pub repository: &'a str,
    /// The release tag.
    pub tag: &'a str,
    /// Files the provenance names as subjects.
    pub covered: &'a [String],
    /// The provenance file name (`<name>.intoto.jsonl`).
    pub provenance: &'a str,
    /// Further subjects held by a registry, not the folder: (name, digest) of pushed images.
    pub registry_subjects: &'a [(String, artidigest::Digest)],
}

/// Signs the release folder `dir` with attest's test stack: a `<file>.sigstore.json` bundle
/// for each of `plan.files` signed as `plan.signer`, SLSA v1 provenance over `plan.covered`
/// signed as the repository's `release.yml` run for the tag, and `trusted_root.json`. ECDSA
/// signatures are deterministic (RFC 6979), so the same plan gives the same bytes.
pub fn sign_folder(dir: &Path, plan: &SigningPlan<'_>) -> Result<(), DemoError> {
    let fail = |what: &str| {
        let what = what.to_owned();
        move |source| DemoError::from(SignError { what, source })
    };
    let read = |name: &str| {
        let p = dir.join(name);
        fs::read(&p).map_err(|source| DemoError::Io { path: p, source })
    };
    let mut stack = attest::TestStack::new(plan.seed).map_err(fail("the stack"))?;
    for name in plan.files {
        let bundle = stack
            .sign_blob(&read(name)?, plan.signer)
            .map_err(fail(name))?;
        write_file(
            &dir.join(format!("{name}.sigstore.json")),
            bundle.as_bytes(),
        )?;
    }
    let mut subjects = Vec::new();
    for name in plan.covered {
        let d = digest_bytes(&read(name)?, &[Algorithm::Sha256]);
        if let Some(d) = d.get(Algorithm::Sha256) {
            subjects.push(serde_json::json!({"name": name, "digest": {"sha256": d.to_hex()}}));
        }
    }
    for (name, d) in plan.registry_subjects {
        subjects
            .push(serde_json::json!({"name": name, "digest": {d.algorithm().name(): d.to_hex()}}));
    }
    let statement = slsa_statement(plan.repository, plan.tag, subjects);
    let release = attest::TestIdentity::github(
        plan.repository,
        "release.yml",
        &format!("refs/tags/{}", plan.tag),
        "push",
        DEMO_SIGNED_AT,
    );
    let line = stack
        .sign_statement(statement.as_bytes(), &release)
        .map_err(fail("the provenance"))?;
    write_file(&dir.join(plan.provenance), format!("{line}\n").as_bytes())?;
    let root = stack.trusted_root_json().map_err(fail("the trust root"))?;
    write_file(&dir.join("trusted_root.json"), root.as_bytes())
}

/// A SLSA v1 statement for `repository`'s `release.yml` run of `tag`, consistent with the
/// certificate the test stack issues for it.
pub fn slsa_statement(repo: &str, tag: &str, subjects: Vec<serde_json::Value>) -> String {
    let git_ref = format!("refs/tags/{tag}");
    let sha = digest_bytes(format!("{repo}@{git_ref}").as_bytes(), &[Algorithm::Sha256])
        .get(Algorithm::Sha256)
        .map(|d| d.to_hex()[..40].to_owned())
        .unwrap_or_default();
    serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {"workflow": {"ref": git_ref, "repository": format!("https://github.com/{repo}"), "path": ".github/workflows/release.yml"}},
                "internalParameters": {"github": {"event_name": "push"}},
                "resolvedDependencies": [{"uri": format!("git+https://github.com/{repo}@{git_ref}"), "digest": {"gitCommit": sha}}],
            },
            "runDetails": {"builder": {"id": format!("https://github.com/{repo}/.github/workflows/release.yml@{git_ref}")}},
        },
    })
    .to_string()
}

/// The demo's build recipe as the `rebuild-identity` gate's rebuilder, run in-process: it reads
/// the package name and version from the source tree's `Cargo.toml` and builds that release's
/// artifacts into the request's output folder. Its `SOURCE_DATE_EPOCH`-ignoring variant
/// ([`Tamper::Rebuild`]) stamps the sdist's entries with the build time instead.
#[derive(Debug, Clone, Copy)]
pub struct DemoRebuilder {
    honour_epoch: bool,
}

impl DemoRebuilder {
    /// A rebuilder; `honour_epoch = false` builds like a tool that ignores
    /// `SOURCE_DATE_EPOCH`.
    pub fn new(honour_epoch: bool) -> Self {
        DemoRebuilder { honour_epoch }
    }

    fn build(&self, req: &relgate::RebuildRequest) -> Result<(), String> {
        let manifest = req.source_dir.join("Cargo.toml");
        let text =
            fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
        let doc: toml::Table = text
            .parse()
            .map_err(|e| format!("{}: {e}", manifest.display()))?;
        let field = |key: &str| {
            doc.get("package")
                .and_then(|p| p.get(key))
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("{}: no [package] {key}", manifest.display()))
        };
        let demo = DemoRelease {
            name: field("name")?,
            version: field("version")?,
            ..DemoRelease::default()
        };
        for (name, bytes) in demo.artifacts().map_err(|e| e.to_string())? {
            let bytes = if !self.honour_epoch && name.ends_with(".tar.gz") {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let opts = RepackOptions::new(Format::TarGz)
                    .with_mtime(artidigest::MtimePolicy::Fixed(now));
                artidigest::repack_bytes(&bytes, Some(Format::TarGz), &opts)
                    .map_err(|e| format!("{name}: {e}"))?
                    .bytes
            } else {
                bytes
            };
            write_file(&req.out_dir.join(&name), &bytes).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

impl relgate::Rebuilder for DemoRebuilder {
    fn rebuild<'a>(
        &'a self,
        req: &'a relgate::RebuildRequest,
    ) -> relgate::BoxFuture<'a, Result<relgate::RebuildOutput, relgate::RebuildError>> {
        Box::pin(async move {
            self.build(req).map_err(relgate::RebuildError::Other)?;
            Ok(relgate::RebuildOutput::new(&req.out_dir))
        })
    }
}

/// Rewrites `dist/SHA256SUMS` with the current digests of the files it lists.
fn resum(dist: &Path) -> Result<(), DemoError> {
    let sums_path = dist.join("SHA256SUMS");
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DemoError::Io { path, source }
    };
    let text = fs::read_to_string(&sums_path).map_err(io_err(&sums_path))?;
    let mut sums = Vec::new();
    for line in text.lines() {
        let Some((_, name)) = line.split_once("  ") else {
            continue;
        };
        let p = dist.join(name);
        let bytes = fs::read(&p).map_err(io_err(&p))?;
        if let Some(d) = digest_bytes(&bytes, &[Algorithm::Sha256]).get(Algorithm::Sha256) {
            sums.push((name.to_owned(), *d));
        }
    }
    let sums = ChecksumFile::from_entries(sums, Style::Text);
    write_file(&sums_path, sums.to_string().as_bytes())
}

/// A ustar header for a regular file `name` of `size` bytes (written by hand: the repack
/// writer rightly refuses a `..` path).
fn ustar_file_header(name: &str, size: u64) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    let mut put = |at: usize, field: &[u8]| {
        if let Some(dst) = h.get_mut(at..at + field.len()) {
            dst.copy_from_slice(field);
        }
    };
    put(0, name.as_bytes());
    put(100, b"0000644\0");
    put(108, b"0000000\0");
    put(116, b"0000000\0");
    put(124, format!("{size:011o}\0").as_bytes());
    put(136, b"00000000000\0");
    put(148, b"        ");
    put(156, b"0");
    put(257, b"ustar\0");
    put(263, b"00");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let field = format!("{sum:06o}\0 ");
    if let Some(dst) = h.get_mut(148..156) {
        dst.copy_from_slice(field.as_bytes());
    }
    h
}

/// `data` as a gzip member of stored (uncompressed) deflate blocks.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = data.chunks(0xffff).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    out.extend_from_slice(&(!crc).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// The bundle JSON `text` with the last byte of its message signature flipped.
fn flip_signature(text: &str) -> Option<String> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let sig = v.get("messageSignature")?.get("signature")?.as_str()?;
    let mut raw = b64.decode(sig).ok()?;
    let last = raw.last_mut()?;
    *last ^= 0x01;
    Some(text.replace(sig, &b64.encode(&raw)))
}

/// `X.Y.(Z+1)` for `X.Y.Z`; anything else gets `.1` appended.
fn bump_patch(v: &str) -> String {
    match v.rsplit_once('.') {
        Some((head, z)) => match z.parse::<u64>() {
            Ok(n) => format!("{head}.{}", n.saturating_add(1)),
            Err(_) => format!("{v}.1"),
        },
        None => format!("{v}.1"),
    }
}

/// Copies the folder `from` (regular files and folders only) into `to`.
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), DemoError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DemoError::Io { path, source }
    };
    fs::create_dir_all(to).map_err(io_err(to))?;
    for entry in fs::read_dir(from).map_err(io_err(from))? {
        let entry = entry.map_err(io_err(from))?;
        let ty = entry.file_type().map_err(io_err(&entry.path()))?;
        let target = to.join(entry.file_name());
        if ty.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if ty.is_file() {
            fs::copy(entry.path(), &target).map_err(io_err(&target))?;
        }
    }
    Ok(())
}

fn files(list: Vec<(String, Vec<u8>)>) -> Vec<RepackEntry> {
    list.into_iter()
        .map(|(p, b)| RepackEntry::file(p, b))
        .collect()
}

fn pack(name: &str, entries: Vec<RepackEntry>, opts: RepackOptions) -> Result<Vec<u8>, DemoError> {
    repack_entries(entries, &opts)
        .map(|r| r.bytes)
        .map_err(|source| DemoError::Repack {
            name: name.to_owned(),
            source,
        })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), DemoError> {
    let io_err = |source| DemoError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_err)?;
    }
    fs::write(path, bytes).map_err(io_err)
}
