//! [`Tamper`]: one known way to break a copy of the demo release, and the failure it must cause.

use std::fs;
use std::io;
use std::path::Path;

use artidigest::inflate_gzip;
use relkit_testkit::archive::{gzip_stored, ustar_header};

use crate::common::{DemoError, write_file};
use crate::release::{DemoRelease, bump_patch, resum};

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

    /// Whether this kind breaks the registries (see [`DemoRegistries`](crate::DemoRegistries))
    /// rather than the release folder.
    pub fn on_registry(self) -> bool {
        matches!(
            self,
            Tamper::Published | Tamper::RegistryBytes | Tamper::NotVisible
        )
    }

    /// Breaks the demo release written by `demo` in `dir` (a copy, never the committed one) and
    /// returns the tag to run it under and a sentence saying what was broken. Registry kinds
    /// leave the folder alone: [`crate::run_demo`] breaks the registries.
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
                rebuilt(demo, dir, tag, &name, "a wrong RECORD digest")?
            }
            Tamper::Traversal => {
                let name = format!("{}-{v}.tar.gz", demo.python_name());
                let p = dir.join("dist").join(&name);
                let honest = read(&p)?;
                let (_, tar) = inflate_gzip(&honest, 64 << 20).map_err(|e| DemoError::Io {
                    path: p.clone(),
                    source: io::Error::other(e.to_string()),
                })?;
                let mut evil = ustar_header("../evil", 5);
                evil.extend_from_slice(b"evil\n");
                evil.resize(1024, 0);
                evil.extend_from_slice(&tar);
                write_file(&p, &gzip_stored(&evil))?;
                rebuilt(demo, dir, tag, &name, "a ../evil entry")?
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

relkit_finding::names! {
    Tamper, unknown = UnknownTamper,
    /// The kebab-case name.
    fn as_str {
        Version => "version",
        Changelog => "changelog",
        Checksum => "checksum",
        Asset => "asset",
        Tag => "tag",
        Record => "record",
        Traversal => "traversal",
        Signature => "signature",
        Identity => "identity",
        Trigger => "trigger",
        Provenance => "provenance",
        Published => "published",
        RegistryBytes => "registry-bytes",
        NotVisible => "not-visible",
        Rebuild => "rebuild",
    }
}

/// After `dist/{name}` was rebuilt with `what`: the checksums and signatures are made again
/// so that they agree with it; returns the tag and the sentence for [`Tamper::apply`].
fn rebuilt(
    demo: &DemoRelease,
    dir: &Path,
    tag: String,
    name: &str,
    what: &str,
) -> Result<(String, String), DemoError> {
    resum_and_sign(demo, &dir.join("dist"), &tag)?;
    let said = format!("dist/{name} rebuilt with {what}, SHA256SUMS updated");
    Ok((tag, said))
}

/// `dist` after one of its artifacts was rebuilt: `SHA256SUMS` written again and every artifact
/// signed again by the real release workflow (the build itself was bad, not the signing).
fn resum_and_sign(demo: &DemoRelease, dist: &Path, tag: &str) -> Result<(), DemoError> {
    resum(dist)?;
    demo.sign(dist, &demo.signer("release.yml", tag, "push"), None)
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
