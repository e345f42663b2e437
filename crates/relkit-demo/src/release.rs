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
//! served from loopback by [`crate::registry`].
//!
//! [`DemoRelease`] can also make variants (another version, tampered bytes) for tests.

use std::fs;
use std::path::{Path, PathBuf};

use artidigest::checksums::Style;
use artidigest::{Algorithm, ChecksumFile, digest_bytes};
use artidigest::{Format, RepackOptions};

use crate::common::{DEMO_SIGNED_AT, DemoError, files, pack, write_file};
use crate::sign::{SigningPlan, python_wheel, sign_folder};

/// The folder of the demo release in this repository.
pub fn demo_release_dir() -> PathBuf {
    // This crate sits at `crates/relkit-demo` in the workspace; the demo is the root package's.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .join("examples/demo-release")
}

/// The seed of the demo's test-stack keys (throwaway; trusted by nothing real).
pub const DEMO_STACK_SEED: [u8; 32] = [0x5e; 32];

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

schema-version = 1

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
# Bundles and provenance are verified by the signature gates, not listed.
unlisted-allowed = ["*.sigstore.json", "*.intoto.jsonl"]

[signing]
server = "https://github.com"
repository = "relkit/{n}"
workflow = ".github/workflows/release.yml"
issuer = "{issuer}"
denied-triggers = ["workflow_dispatch"]
# The verifier's trust root, relative to this file (never inside dist/, which it judges): the
# throwaway test stack's root. Without it the Sigstore public-good root embedded in attest is used.
trusted-root = "trusted_root.json"

[provenance]
glob = "*.intoto.jsonl"
predicate-type = "https://slsa.dev/provenance/v1"

# Where the release is published. Endpoints are NOT here: they come from the registries
# configuration or RELKIT_REGISTRY_<NAME>_URL (verify_release starts loopback registries).
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

    /// Writes `release.toml`, `trusted_root.json` (the test root), `source/` and `dist/` (with
    /// `dist/SHA256SUMS`) under `dir`.
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
    /// subjects are every artifact but `leave_out`, and `trusted_root.json` next to `dist`
    /// (beside `release.toml`, outside the release folder). Keys derive from
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
                trusted_root: &dist.parent().unwrap_or(dist).join("trusted_root.json"),
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
    pub(crate) fn wheel(&self, wrong_record: bool) -> Result<(String, Vec<u8>), DemoError> {
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

/// Rewrites `dist/SHA256SUMS` with the current digests of the files it lists.
pub(crate) fn resum(dist: &Path) -> Result<(), DemoError> {
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

/// `X.Y.(Z+1)` for `X.Y.Z`; anything else gets `.1` appended.
pub(crate) fn bump_patch(v: &str) -> String {
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
