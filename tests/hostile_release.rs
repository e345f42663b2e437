//! The hostile-release suite: release folders built here, each holding one thing a hostile or
//! careless release would ship, run through `relgate::run` the way `verify_release` runs them.
//! Every case must be BLOCKED with the root-cause codes in `tests/snapshots/hostile.tsv`, and
//! the same folder without the offending entry must be ALLOWED with every file covered.
//!
//! Re-bless the table after a deliberate change with `HOSTILE_BLESS=1 cargo nextest run --test
//! hostile_release` and review the diff.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed set-up step fails the test"
)]

use std::io::Write;
use std::path::{Path, PathBuf};

use artidigest::{Algorithm, Digest};
use relgate::{Policy, RunContext, RunStatus};
use relkit_testkit::archive::{
    RawEntry, ZipMember, crc32_ieee, gzip_stored, raw_tar, raw_zip, tar_header, zip_members,
};
use relkit_testkit::git::git;

/// Which policy a case runs under.
#[derive(Clone, Copy)]
enum PolicyOf {
    /// None given: the built-in policy for a plain folder (`verify_release DIR`).
    Folder,
    /// `[[artifacts]]` and a checksum file, no gate named (archive-safety must be implied).
    Artifacts,
    /// A checksum file and a required asset `ordvec-*.crate` (the runbook's own pattern).
    RequiredCrate,
}

/// One hostile case: `build(dir, hostile)` writes the release folder; with `hostile = false`
/// it writes the same folder without the offending entry.
struct Case {
    name: &'static str,
    policy: PolicyOf,
    build: fn(&Path, bool),
}

fn sha256_hex(bytes: &[u8]) -> String {
    Digest::of(Algorithm::Sha256, bytes).to_hex()
}

/// Writes `files` into `dir` and a `SHA256SUMS` listing them and `also` (paths whose bytes
/// are read from the folder, e.g. through a link).
fn release(dir: &Path, files: &[(&str, Vec<u8>)], also: &[&str]) {
    let mut sums = String::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        sums.push_str(&format!("{}  {name}\n", sha256_hex(bytes)));
    }
    for name in also {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        sums.push_str(&format!("{}  {name}\n", sha256_hex(&bytes)));
    }
    std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();
}

fn tgz(entries: &[RawEntry]) -> Vec<u8> {
    gzip_stored(&raw_tar(entries))
}

/// An sdist's honest entries.
fn sdist_entries(root: &str) -> Vec<RawEntry> {
    vec![
        RawEntry::file(
            &format!("{root}/PKG-INFO"),
            b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0.0\n",
        ),
        RawEntry::file(&format!("{root}/setup.py"), b"print(1)\n"),
    ]
}

/// A `.crate` of package `name`, version 1.0.0, as cargo lays it out.
fn krate(name: &str) -> Vec<u8> {
    let root = format!("{name}-1.0.0");
    let manifest = format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\n");
    tgz(&[
        RawEntry::file(&format!("{root}/Cargo.toml"), manifest.as_bytes()),
        RawEntry::file(&format!("{root}/Cargo.toml.orig"), manifest.as_bytes()),
        RawEntry::file(&format!("{root}/src/lib.rs"), b"\n"),
    ])
}

/// A wheel with an honest RECORD over `extra` files as well as its own.
fn wheel(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut files: Vec<(&str, &[u8])> = vec![
        ("demo/__init__.py", b"x = 1\n"),
        (
            "demo-1.0.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0.0\n",
        ),
        (
            "demo-1.0.0.dist-info/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
    ];
    files.extend_from_slice(extra);
    let mut record = String::new();
    for (p, b) in &files {
        let d = Digest::of(Algorithm::Sha256, b).to_record();
        record.push_str(&format!("{p},{d},{}\n", b.len()));
    }
    record.push_str("demo-1.0.0.dist-info/RECORD,,\n");
    let mut entries: Vec<RawEntry> = files.iter().map(|(p, b)| RawEntry::file(p, b)).collect();
    entries.push(RawEntry::file(
        "demo-1.0.0.dist-info/RECORD",
        record.as_bytes(),
    ));
    raw_zip(&entries)
}

/// `bytes` deflated whole (best compression) as one zip member with its true CRC-32 and size.
fn deflated(name: &str, bytes: &[u8]) -> ZipMember {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).unwrap();
    let size = u32::try_from(bytes.len()).unwrap();
    ZipMember::deflated(name, enc.finish().unwrap(), crc32_ieee(bytes), size)
}

/// A zip holding one entry of `size` zero bytes, deflated (the classic bomb layer).
fn zip_of_zeros(name: &str, size: u64) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    let mut crc = flate2::Crc::new();
    let mut left = size;
    while left > 0 {
        let n = usize::try_from(left.min(chunk.len() as u64)).unwrap();
        enc.write_all(&chunk[..n]).unwrap();
        crc.update(&chunk[..n]);
        left -= n as u64;
    }
    let size = u32::try_from(size).unwrap_or(u32::MAX);
    zip_members(&[ZipMember::deflated(
        name,
        enc.finish().unwrap(),
        crc.sum(),
        size,
    )])
}

/// A layer of a nested bomb: `mib` MiB of mostly zeros (a marker byte every 2 KiB keeps its
/// ratio between the bomb ratio and the hard cap, so the layer alone is accepted).
fn dense(mib: usize) -> Vec<u8> {
    (0..mib << 20)
        .map(|i| {
            if i % 2048 == 0 {
                (i / 2048 % 251) as u8
            } else {
                0
            }
        })
        .collect()
}

/// 16 zips of 16 zips of one `mib`-MiB entry: every archive alone is within the caps.
fn nested_bomb(mib: usize) -> Vec<u8> {
    let inner = zip_members(&[deflated("data.bin", &dense(mib))]);
    let one = deflated("x", &inner);
    let middle: Vec<ZipMember> = (0..16)
        .map(|i| one.renamed(&format!("inner/{i}.zip")))
        .collect();
    let one = deflated("x", &zip_members(&middle));
    let outer: Vec<ZipMember> = (0..16)
        .map(|i| one.renamed(&format!("layer/{i}.jar")))
        .collect();
    zip_members(&outer)
}

/// A sibling of the release folder (inside the test's temp dir) holding a file: what a link
/// out of the release would reach.
fn outside(dir: &Path) -> PathBuf {
    let out = dir.parent().unwrap().join("outside");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("secret.txt"), b"not part of the release\n").unwrap();
    out
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "sdist-entry-traversal-no-policy",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                let mut e = sdist_entries("evil-1.0.0");
                if hostile {
                    e.push(RawEntry::file("evil-1.0.0/../../outside.txt", b"boo\n"));
                }
                release(dir, &[("evil-1.0.0.tar.gz", tgz(&e))], &[]);
            },
        },
        Case {
            name: "wheel-traversal-artifacts-without-gates",
            policy: PolicyOf::Artifacts,
            build: |dir, hostile| {
                let extra: &[(&str, &[u8])] = if hostile {
                    &[("../escape.py", b"import os\n")]
                } else {
                    &[]
                };
                release(dir, &[("demo-1.0.0-py3-none-any.whl", wheel(extra))], &[]);
            },
        },
        Case {
            name: "tar-symlink-chain-through-link-to-self",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                let mut e = vec![
                    RawEntry::dir("pkg"),
                    RawEntry::file("pkg/readme.txt", b"hi\n"),
                    RawEntry::symlink("pkg/up", "."),
                ];
                if hostile {
                    e.push(RawEntry::symlink("pkg/x", "up/up/../../etc/hostname"));
                }
                release(dir, &[("data.tar.gz", tgz(&e))], &[]);
            },
        },
        Case {
            name: "zip-symlink-chain-through-link-to-self",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                let mut e = vec![
                    RawEntry::file("pkg/readme.txt", b"hi\n"),
                    RawEntry::symlink("pkg/up", "."),
                ];
                if hostile {
                    e.push(RawEntry::symlink("pkg/x", "up/up/../../etc/hostname"));
                }
                release(dir, &[("data.zip", raw_zip(&e))], &[]);
            },
        },
        Case {
            name: "tar-link-through-linked-folder",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                // `uplink` is `pkg`, so `uplink/../..` is above the root, while the same text
                // read without following links stays inside (`pkg/sub/uplink/../..` = `pkg`).
                let mut e = vec![
                    RawEntry::dir("pkg/sub"),
                    RawEntry::file("pkg/sub/f.txt", b"f\n"),
                    RawEntry::symlink("pkg/sub/uplink", ".."),
                ];
                if hostile {
                    e.push(RawEntry::symlink("pkg/sub/z", "uplink/../../etc/hostname"));
                }
                release(dir, &[("data.tar.gz", tgz(&e))], &[]);
            },
        },
        Case {
            name: "tar-hardlink-to-symlink",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                let mut e = vec![
                    RawEntry::dir("pkg/a/b"),
                    RawEntry::file("pkg/f.txt", b"f\n"),
                    RawEntry::symlink("pkg/a/b/s", "../../f.txt"),
                ];
                if hostile {
                    e.push(RawEntry::hardlink("h", "pkg/a/b/s"));
                }
                release(dir, &[("data.tar.gz", tgz(&e))], &[]);
            },
        },
        Case {
            name: "tar-file-through-symlinked-parent",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                let mut e = vec![
                    RawEntry::dir("pkg/sub"),
                    RawEntry::file("pkg/sub/x.txt", b"x\n"),
                    RawEntry::symlink("pkg/d", "sub"),
                ];
                if hostile {
                    e.push(RawEntry::file("pkg/d/y.txt", b"y\n"));
                }
                release(dir, &[("data.tar.gz", tgz(&e))], &[]);
            },
        },
        Case {
            name: "tar-link-loop",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                let mut e = vec![RawEntry::symlink("pkg/a", "b")];
                if hostile {
                    e.push(RawEntry::symlink("pkg/b", "a"));
                } else {
                    e.push(RawEntry::file("pkg/b", b"b\n"));
                }
                release(dir, &[("data.tar.gz", tgz(&e))], &[]);
            },
        },
        Case {
            name: "zip-link-loop",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                let mut e = vec![RawEntry::symlink("pkg/a", "b")];
                if hostile {
                    e.push(RawEntry::symlink("pkg/b", "a"));
                } else {
                    e.push(RawEntry::file("pkg/b", b"b\n"));
                }
                release(dir, &[("data.zip", raw_zip(&e))], &[]);
            },
        },
        Case {
            name: "folder-symlinked-folder-leading-out-listed-in-sums",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                if hostile {
                    let out = outside(dir);
                    std::os::unix::fs::symlink(&out, dir.join("sub")).unwrap();
                } else {
                    std::fs::create_dir_all(dir.join("sub")).unwrap();
                    std::fs::write(dir.join("sub/secret.txt"), b"part of it\n").unwrap();
                }
                release(dir, &[("app.txt", b"app\n".to_vec())], &["sub/secret.txt"]);
            },
        },
        Case {
            name: "folder-unlisted-symlink-to-outside-file",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                release(dir, &[("app.txt", b"app\n".to_vec())], &[]);
                if hostile {
                    let out = outside(dir);
                    std::os::unix::fs::symlink(out.join("secret.txt"), dir.join("latest")).unwrap();
                }
            },
        },
        Case {
            name: "folder-fifo",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                release(dir, &[("app.txt", b"app\n".to_vec())], &[]);
                if hostile {
                    let ok = std::process::Command::new("mkfifo")
                        .arg(dir.join("pipe"))
                        .status()
                        .unwrap()
                        .success();
                    assert!(ok, "mkfifo failed");
                }
            },
        },
        Case {
            name: "folder-socket",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                release(dir, &[("app.txt", b"app\n".to_vec())], &[]);
                if hostile {
                    // The listener is dropped; the socket node stays in the folder.
                    drop(std::os::unix::net::UnixListener::bind(dir.join("sock")).unwrap());
                }
            },
        },
        Case {
            name: "folder-checksum-file-is-a-fifo",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                release(dir, &[("app.txt", b"app\n".to_vec())], &[]);
                if hostile {
                    // Opening a FIFO for reading waits for a writer: it must be refused unopened.
                    std::fs::remove_file(dir.join("SHA256SUMS")).unwrap();
                    let ok = std::process::Command::new("mkfifo")
                        .arg(dir.join("SHA256SUMS"))
                        .status()
                        .unwrap()
                        .success();
                    assert!(ok, "mkfifo failed");
                }
            },
        },
        Case {
            name: "folder-checksum-file-links-out",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                release(dir, &[("app.txt", b"app\n".to_vec())], &[]);
                if hostile {
                    // The sums are right, but they live outside the release, where its
                    // publisher would not have put them.
                    let out = outside(dir);
                    std::fs::rename(dir.join("SHA256SUMS"), out.join("SHA256SUMS")).unwrap();
                    std::os::unix::fs::symlink(out.join("SHA256SUMS"), dir.join("SHA256SUMS"))
                        .unwrap();
                }
            },
        },
        Case {
            name: "required-asset-matched-only-by-another-package",
            policy: PolicyOf::RequiredCrate,
            build: |dir, hostile| {
                // `ordvec-*.crate` names the ordvec crate: the manifest crate is not it (and
                // any match of another package is reported, even beside the right one).
                let file = if hostile {
                    ("ordvec-manifest-1.0.0.crate", krate("ordvec-manifest"))
                } else {
                    ("ordvec-1.0.0.crate", krate("ordvec"))
                };
                release(dir, &[file], &[]);
            },
        },
        Case {
            name: "zip-entry-of-1-gib-zeros",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                let size = if hostile { 1 << 30 } else { 64 << 10 };
                release(dir, &[("zeros.zip", zip_of_zeros("zeros.bin", size))], &[]);
            },
        },
        Case {
            name: "nested-zip-bomb-16-of-16-of-64-mib",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                // Hostile: 16 GiB in all, twice the default total; benign: 256 MiB in all.
                let mib = if hostile { 64 } else { 1 };
                release(dir, &[("bundle.zip", nested_bomb(mib))], &[]);
            },
        },
        Case {
            name: "tar-of-100000-entries",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                let n = if hostile { 100_000 } else { 100 };
                let e: Vec<RawEntry> = (0..n)
                    .map(|i| RawEntry::file(&format!("pkg/f{i}"), b""))
                    .collect();
                release(dir, &[("many.tar.gz", tgz(&e))], &[]);
            },
        },
        Case {
            name: "tar-with-5000-pax-records-per-entry",
            policy: PolicyOf::Folder,
            build: |dir, hostile| {
                let per_entry = if hostile { 5_000 } else { 2 };
                release(dir, &[("pax.tar", pax_heavy_tar(1_000, per_entry))], &[]);
            },
        },
    ]
}

/// A plain tar of `entries` files, each preceded by a PAX extended header of `records`
/// `comment` records (about 12 bytes each).
fn pax_heavy_tar(entries: usize, records: usize) -> Vec<u8> {
    let record = "12 comment=\n";
    let mut out = Vec::new();
    for i in 0..entries {
        let body = record.repeat(records);
        out.extend_from_slice(&tar_header(
            &format!("PaxHeaders/f{i}"),
            body.len() as u64,
            b'x',
            "",
        ));
        out.extend_from_slice(body.as_bytes());
        out.resize(out.len().div_ceil(512) * 512, 0);
        out.extend_from_slice(&tar_header(&format!("pkg/f{i}"), 0, b'0', ""));
    }
    out.resize(out.len() + 1024, 0);
    out
}

fn policy_for(kind: PolicyOf, dir: &Path) -> Policy {
    match kind {
        PolicyOf::Folder => Policy::for_plain_folder(dir).unwrap(),
        PolicyOf::Artifacts => Policy::from_toml_str(
            "[project]\nname = \"demo\"\n[[artifacts]]\nglob = \"*.whl\"\nkind = \"wheel\"\n[checksums]\nfile = \"SHA256SUMS\"\n",
            "release.toml",
        )
        .unwrap(),
        PolicyOf::RequiredCrate => Policy::from_toml_str(
            "schema-version = 1\n[project]\nname = \"ordvec\"\n[release]\nrequired-assets = [\"ordvec-*.crate\"]\n[checksums]\nfile = \"SHA256SUMS\"\n",
            "release.toml",
        )
        .unwrap(),
    }
}

/// Runs a case's folder (hostile or not) and returns the report.
fn verify(case: &Case, hostile: bool) -> (relgate::Report, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a/release");
    std::fs::create_dir_all(&dir).unwrap();
    (case.build)(&dir, hostile);
    let policy = policy_for(case.policy, &dir);
    let report = relgate::run_blocking(&policy, RunContext::new(&dir).tag("v1.0.0"));
    (report, tmp)
}

/// A version-check case (`check_versions DIR --tag TAG`, no `relver.toml`): `build(dir,
/// hostile)` writes the project; the hostile tag and the benign tag.
struct VersionCase {
    name: &'static str,
    build: fn(&Path, bool),
    tags: (&'static str, &'static str),
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn cargo_toml(version: &str) -> String {
    format!("[package]\nname = \"app\"\nversion = \"{version}\"\nedition = \"2021\"\n")
}

fn version_cases() -> Vec<VersionCase> {
    vec![
        VersionCase {
            name: "versions-one-file-disagrees-with-the-tag",
            build: |dir, hostile| {
                write(dir, "Cargo.toml", &cargo_toml("1.2.3"));
                let v = if hostile { "1.2.2" } else { "1.2.3" };
                write(
                    dir,
                    "package.json",
                    &format!("{{\"name\": \"app\", \"version\": \"{v}\"}}"),
                );
            },
            tags: ("v1.2.3", "v1.2.3"),
        },
        VersionCase {
            name: "versions-unparsable-candidate",
            build: |dir, hostile| {
                write(dir, "Cargo.toml", &cargo_toml("1.2.3"));
                let text = if hostile {
                    "[project]\nname = \"app\"\nversion = \n"
                } else {
                    "[project]\nname = \"app\"\nversion = \"1.2.3\"\n"
                };
                write(dir, "pyproject.toml", text);
            },
            tags: ("v1.2.3", "v1.2.3"),
        },
        VersionCase {
            name: "versions-partial-tag",
            build: |dir, _| write(dir, "Cargo.toml", &cargo_toml("0.5.0")),
            tags: ("v0.5", "v0.5.0"),
        },
        VersionCase {
            name: "versions-floating-tag",
            build: |dir, _| write(dir, "Cargo.toml", &cargo_toml("1.0.0")),
            tags: ("v1", "v1.0.0"),
        },
        VersionCase {
            name: "versions-pre-release-tag",
            build: |dir, _| write(dir, "Cargo.toml", &cargo_toml("1.2.3")),
            tags: ("v1.2.3-rc.1", "v1.2.3"),
        },
        VersionCase {
            name: "versions-changelog-only-in-the-docs-mirror",
            build: |dir, hostile| {
                write(dir, "Cargo.toml", &cargo_toml("1.2.3"));
                let section = "# Changelog\n\n## [1.2.3] - 2026-12-01\n\n- Fixed a thing.\n\n## [1.2.2] - 2026-11-01\n\n- Older.\n";
                let stale = "# Changelog\n\n## [1.2.2] - 2026-11-01\n\n- Older.\n";
                write(dir, "CHANGELOG.md", if hostile { stale } else { section });
                write(dir, "docs/src/reference/changelog.md", section);
            },
            tags: ("v1.2.3", "v1.2.3"),
        },
        VersionCase {
            name: "versions-fifo-cargo-toml",
            build: |dir, hostile| {
                write(
                    dir,
                    "package.json",
                    "{\"name\": \"app\", \"version\": \"1.2.3\"}",
                );
                if hostile {
                    let ok = std::process::Command::new("mkfifo")
                        .arg(dir.join("Cargo.toml"))
                        .status()
                        .unwrap()
                        .success();
                    assert!(ok, "mkfifo failed");
                } else {
                    write(dir, "Cargo.toml", &cargo_toml("1.2.3"));
                }
            },
            tags: ("v1.2.3", "v1.2.3"),
        },
    ]
}

/// The error codes of `check_versions DIR --tag TAG` (or the configuration error's kind).
fn version_codes(case: &VersionCase, hostile: bool) -> Result<Vec<String>, String> {
    let tmp = tempfile::tempdir().unwrap();
    (case.build)(tmp.path(), hostile);
    let tag = if hostile { case.tags.0 } else { case.tags.1 };
    match relver::check_worktree(tmp.path(), Some(tag), relver::TagOptions::default()) {
        Ok(run) => {
            let mut codes: Vec<String> = run
                .report
                .errors()
                .map(|f| f.code.as_str().to_owned())
                .collect();
            codes.sort();
            codes.dedup();
            Ok(codes)
        }
        // The message names the file by its temporary path: keep what follows it.
        Err(e) => Err(format!(
            "refused: {}",
            e.to_string().rsplit(" is ").next().unwrap_or_default()
        )),
    }
}

/// A stale rebuild output: the working tree holds `target/package/app.bin` equal to the
/// release (left by an earlier build), and the hostile build command writes nothing where the
/// policy says it does (cargo wrote elsewhere). The benign command builds it.
fn stale_rebuild(hostile: bool) -> relgate::Report {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("src");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    write(&repo, "payload.txt", "release 1.0.0\n");
    write(&repo, ".gitignore", "/target/\n");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "release"]);
    git(&repo, &["tag", "v1.0.0"]);
    write(&repo, "target/package/app.bin", "release 1.0.0\n");
    let dist = tmp.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("app.bin"), "release 1.0.0\n").unwrap();
    let script = if hostile {
        "true"
    } else {
        "mkdir -p target/package && cp payload.txt target/package/app.bin"
    };
    let policy = Policy::from_toml_str(
        &format!(
            "[project]\nname = \"r\"\n[[artifacts]]\nglob = \"*.bin\"\nkind = \"binary\"\n[rebuild]\ncommand = [\"sh\", \"-c\", {script:?}]\noutput = \"target/package\"\n"
        ),
        "release.toml",
    )
    .unwrap();
    relgate::run_blocking(
        &policy,
        RunContext::new(&dist).source_dir(&repo).tag("v1.0.0"),
    )
}

fn snapshot_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/hostile.tsv")
}

#[test]
fn every_hostile_case_blocks_with_its_code_and_its_benign_twin_is_allowed() {
    let mut table = String::from("# case\troot-cause codes\tblocking gates\n");
    let mut problems = Vec::new();
    for case in cases() {
        let (hostile, tmp) = verify(&case, true);
        let codes: Vec<&str> = hostile
            .root_cause_codes()
            .iter()
            .map(|c| c.as_str())
            .collect();
        table.push_str(&format!(
            "{}\t{}\t{}\n",
            case.name,
            codes.join(","),
            hostile.decision.blocking_gates.join(",")
        ));
        if hostile.decision.status != RunStatus::Blocked {
            problems.push(format!(
                "{}: hostile folder was {:?}",
                case.name, hostile.decision.status
            ));
        }
        // The nested bomb is refused by the shared budget, naming the way down.
        if case.name.starts_with("nested-")
            && !hostile
                .gates
                .iter()
                .flat_map(|g| g.findings.iter())
                .any(|f| f.finding.subject.starts_with("bundle.zip!layer/"))
        {
            problems.push(format!("{}: no finding names the nested chain", case.name));
        }
        // Nothing was written next to the release folder by reading it.
        for stray in ["outside.txt", "escape.py", "evil"] {
            for at in [tmp.path().join(stray), tmp.path().join("a").join(stray)] {
                if at.exists() {
                    problems.push(format!("{}: {} was written", case.name, at.display()));
                }
            }
        }
        let (benign, _tmp) = verify(&case, false);
        if benign.decision.status != RunStatus::Allowed {
            let said: Vec<String> = benign
                .gates
                .iter()
                .flat_map(|g| g.findings.iter())
                .filter(|f| f.blocks())
                .map(|f| {
                    format!(
                        "{}: {} ({:?})",
                        f.finding.code, f.finding.subject, f.finding.found
                    )
                })
                .collect();
            problems.push(format!(
                "{}: the benign twin was {:?}: {said:?}",
                case.name, benign.decision.status
            ));
        }
        let ledger = benign.ledger.as_ref();
        let uncovered: Vec<String> = ledger
            .map(|l| {
                l.entries
                    .iter()
                    .filter(|e| e.coverage != relgate::ledger::Coverage::Covered)
                    .map(|e| e.path.clone())
                    .collect()
            })
            .unwrap_or_else(|| vec![String::from("(no ledger)")]);
        if !uncovered.is_empty() {
            problems.push(format!(
                "{}: benign twin has uncovered files {uncovered:?}",
                case.name
            ));
        }
    }
    let hostile = stale_rebuild(true);
    let codes: Vec<&str> = hostile
        .root_cause_codes()
        .iter()
        .map(|c| c.as_str())
        .collect();
    table.push_str(&format!(
        "rebuild-stale-output-in-the-working-tree\t{}\t{}\n",
        codes.join(","),
        hostile.decision.blocking_gates.join(",")
    ));
    if hostile.decision.status != RunStatus::Blocked {
        problems.push(String::from("stale rebuild output: not blocked"));
    }
    let benign = stale_rebuild(false);
    if benign.decision.status != RunStatus::Allowed {
        problems.push(format!(
            "stale rebuild output: the benign twin was {:?}: {:?}",
            benign.decision.status,
            benign.root_cause_codes()
        ));
    }
    for case in version_cases() {
        let hostile = version_codes(&case, true);
        let shown = match &hostile {
            Ok(codes) => codes.join(","),
            Err(e) => e.clone(),
        };
        table.push_str(&format!("{}\t{shown}\tcheck_versions\n", case.name));
        if hostile.as_ref().is_ok_and(Vec::is_empty) {
            problems.push(format!("{}: check_versions said ok", case.name));
        }
        match version_codes(&case, false) {
            Ok(codes) if codes.is_empty() => {}
            other => problems.push(format!("{}: the benign twin got {other:?}", case.name)),
        }
    }
    let path = snapshot_path();
    if std::env::var_os("HOSTILE_BLESS").is_some() {
        std::fs::write(&path, &table).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(
        table, expected,
        "the hostile table changed: re-bless with HOSTILE_BLESS=1 after review"
    );
}
