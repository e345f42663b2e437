//! The real extraction tools as oracles: an archive (a small tree of dirs, files, symlinks and
//! hard links) is written as tar and zip, extracted by GNU `tar` and Info-ZIP `unzip` into a
//! folder of a temporary sentinel tree, and inspected: did anything land outside the folder,
//! and does any symlink of the extracted tree resolve (`realpath -m`: symlinks followed where
//! they exist, missing components taken as they are) outside it?

use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use artidigest::{ArchiveErrorKind, Limits, visit_tar, visit_zip};

use crate::kit::{Tar, ZipEntry, zip};

/// One entry of a generated tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Dir(String),
    File(String),
    Symlink(String, String),
    Hardlink(String, String),
}

pub(crate) fn dir(p: &str) -> Node {
    Node::Dir(p.into())
}
pub(crate) fn file(p: &str) -> Node {
    Node::File(p.into())
}
pub(crate) fn sym(p: &str, t: &str) -> Node {
    Node::Symlink(p.into(), t.into())
}
pub(crate) fn hard(p: &str, t: &str) -> Node {
    Node::Hardlink(p.into(), t.into())
}

/// The tree as a tar stream (directories with a trailing `/`).
pub(crate) fn tar_of(nodes: &[Node]) -> Vec<u8> {
    let mut t = Tar::new();
    for n in nodes {
        match n {
            Node::Dir(p) => t.dir(&format!("{p}/")),
            Node::File(p) => t.file(p, b"data\n"),
            Node::Symlink(p, target) => t.symlink(p, target),
            Node::Hardlink(p, target) => t.hardlink(p, target),
        };
    }
    t.finish()
}

/// The tree as a zip (symlinks: mode `S_IFLNK`, content = target); `None` with hard links,
/// which zip cannot hold.
pub(crate) fn zip_of(nodes: &[Node]) -> Option<Vec<u8>> {
    let mut entries = Vec::new();
    for n in nodes {
        entries.push(match n {
            Node::Dir(p) => {
                let mut e = ZipEntry::stored(&format!("{p}/"), b"");
                e.unix_mode = 0o040_755;
                e
            }
            Node::File(p) => ZipEntry::stored(p, b"data\n"),
            Node::Symlink(p, target) => {
                let mut e = ZipEntry::stored(p, target.as_bytes());
                e.unix_mode = 0o120_777;
                e
            }
            Node::Hardlink(..) => return None,
        });
    }
    Some(zip(&entries))
}

/// artidigest's verdict: `Ok` or the refusal's kind, by name.
pub(crate) fn verdict(bytes: &[u8], is_zip: bool) -> Result<(), &'static str> {
    let limits = Limits::default();
    let skip = |_: &artidigest::Entry, r: &mut dyn std::io::Read| {
        std::io::copy(r, &mut std::io::sink()).map(drop)
    };
    let result = if is_zip {
        visit_zip(Cursor::new(bytes), &limits, skip)
    } else {
        visit_tar(bytes, &limits, skip)
    };
    result.map(drop).map_err(|e| kind_name(e.kind()))
}

pub(crate) fn kind_name(kind: &ArchiveErrorKind) -> &'static str {
    match kind {
        ArchiveErrorKind::LinkEscapes { .. } => "LinkEscapes",
        ArchiveErrorKind::LinkLoop { .. } => "LinkLoop",
        ArchiveErrorKind::HardlinkToSymlink { .. } => "HardlinkToSymlink",
        ArchiveErrorKind::DanglingHardlink { .. } => "DanglingHardlink",
        ArchiveErrorKind::PathThroughSymlink { .. } => "PathThroughSymlink",
        ArchiveErrorKind::DuplicateName { .. } => "DuplicateName",
        ArchiveErrorKind::InvalidPath { .. } => "InvalidPath",
        ArchiveErrorKind::PathTraversal { .. } => "PathTraversal",
        ArchiveErrorKind::AbsolutePath { .. } => "AbsolutePath",
        ArchiveErrorKind::PathTooLong { .. } => "PathTooLong",
        _ => "other",
    }
}

/// `true` when `tar`, `unzip` and `realpath` can run. Without them the oracle tests fail under
/// `CI=true` and say they were skipped otherwise.
pub(crate) fn tools_present(test: &str) -> bool {
    let missing: Vec<&str> = ["tar", "unzip", "realpath"]
        .into_iter()
        .filter(|tool| {
            Command::new(tool)
                .arg(if *tool == "unzip" { "-v" } else { "--version" })
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| !s.success())
                .unwrap_or(true)
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: {missing:?} not found, and CI=true");
    }
    eprintln!("{test}: SKIPPED, {missing:?} not found");
    false
}

/// Every entry under `top` with its type, when known (symlinks not followed), except those
/// under `skip`.
fn walk(top: &Path, skip: Option<&Path>) -> Vec<(PathBuf, Option<std::fs::FileType>)> {
    let mut out = Vec::new();
    let mut stack = vec![top.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if skip.is_some_and(|s| p.starts_with(s)) {
                continue;
            }
            let t = e.file_type().ok();
            if t.is_some_and(|t| t.is_dir()) {
                stack.push(p.clone());
            }
            out.push((p, t));
        }
    }
    out
}

/// Every path under `top` (symlinks not followed), except those under `skip`.
fn listing(top: &Path, skip: &Path) -> BTreeSet<PathBuf> {
    walk(top, Some(skip)).into_iter().map(|(p, _)| p).collect()
}

/// Symlinks under `root` (not followed).
fn symlinks(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walk(root, None)
        .into_iter()
        .filter(|(_, t)| t.is_some_and(|t| t.is_symlink()))
        .map(|(p, _)| p)
        .collect();
    out.sort();
    out
}

/// `realpath -m` of one path, or `None` if it does not answer within two seconds (coreutils
/// 9.1 spins on some link loops, such as `a -> b/..`, `b -> a/..`).
fn realpath(path: &Path) -> Option<String> {
    let mut child = Command::new("realpath")
        .arg("-m")
        .arg("--")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            return Some(String::from_utf8(out.stdout).unwrap().trim_end().to_owned());
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Extracts `bytes` with the real tool and reports how it got out, if it did.
pub(crate) fn real_escape(bytes: &[u8], is_zip: bool) -> Option<String> {
    let tmp = tempfile::tempdir().unwrap();
    // The sentinel tree: the extraction folder two levels down, siblings around it.
    let top = tmp.path().canonicalize().unwrap();
    let root = top.join("a/b/root");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(top.join("a/b/sibling")).unwrap();
    std::fs::write(top.join("a/sentinel"), b"s").unwrap();
    let archive = top.join(if is_zip { "x.zip" } else { "x.tar" });
    std::fs::write(&archive, bytes).unwrap();
    let before = listing(&top, &root);
    let mut cmd = if is_zip {
        let mut c = Command::new("unzip");
        c.arg("-q").arg("-n").arg(&archive).arg("-d").arg(&root);
        c
    } else {
        let mut c = Command::new("tar");
        c.arg("--no-same-owner")
            .arg("-x")
            .arg("-f")
            .arg(&archive)
            .arg("-C")
            .arg(&root);
        c
    };
    // Exit status ignored: both tools refuse some things themselves, and that is fine.
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let after = listing(&top, &root);
    if let Some(p) = after.difference(&before).next() {
        return Some(format!("wrote {} outside the folder", p.display()));
    }
    let links = symlinks(&root);
    if links.is_empty() {
        return None;
    }
    for link in &links {
        let Some(resolved) = realpath(link) else {
            // Did not terminate: a loop, which the kernel refuses to follow (ELOOP).
            continue;
        };
        if !Path::new(&resolved).starts_with(&root) {
            return Some(format!(
                "{} resolves to {resolved}",
                link.strip_prefix(&root).unwrap_or(link).display()
            ));
        }
    }
    None
}
