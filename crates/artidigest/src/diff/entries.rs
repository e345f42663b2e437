//! The entry layers: per-entry metadata (mtime, mode, owners, link targets) and content (added,
//! removed, changed, with a likely cause and a bounded unified diff of text).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Cursor, Read};

use crate::archive::{EntryKind, HashedEntry, visit_archive};
use crate::diff::report::{DiffCode, DiffError, DiffOptions, Difference};
use crate::diff::side::Side;
use crate::digest::{Algorithm, Digest};

pub(crate) fn metadata(l: &Side<'_>, r: &Side<'_>, opts: &DiffOptions, out: &mut Vec<Difference>) {
    let rmap: HashMap<&str, &HashedEntry> = r
        .listing
        .entries
        .iter()
        .map(|h| (h.entry.path.as_str(), h))
        .collect();
    let (mut kind, mut mtime, mut mode, mut ids, mut names, mut link) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut common = 0usize;
    let mut mtime_pair = None;
    for h in &l.listing.entries {
        let Some(o) = rmap.get(h.entry.path.as_str()) else {
            continue;
        };
        common += 1;
        let (a, b) = (&h.entry, &o.entry);
        let p = a.path.clone();
        if a.kind != b.kind {
            kind.push(p.clone());
            continue;
        }
        if a.mtime != b.mtime {
            mtime_pair.get_or_insert((a.mtime, b.mtime));
            mtime.push(p.clone());
        }
        if a.mode != b.mode {
            mode.push(format!("{p} ({:o} vs {:o})", a.mode, b.mode));
        }
        if (a.uid, a.gid) != (b.uid, b.gid) {
            ids.push(format!("{p} ({}:{} vs {}:{})", a.uid, a.gid, b.uid, b.gid));
        }
        if (&a.uname, &a.gname) != (&b.uname, &b.gname) {
            names.push(format!(
                "{p} ({}:{} vs {}:{})",
                a.uname, a.gname, b.uname, b.gname
            ));
        }
        if a.link_target != b.link_target {
            link.push(format!(
                "{p} ({} vs {})",
                a.link_target.as_deref().unwrap_or(""),
                b.link_target.as_deref().unwrap_or("")
            ));
        }
    }
    let max = opts.max_listed;
    if !kind.is_empty() {
        out.push(
            Difference::new(
                DiffCode::Kind,
                "entry kinds differ",
                "a path is a file on one side and a directory or link on the other",
                "check the source trees: a symlink may have been dereferenced",
            )
            .affecting(kind, max),
        );
    }
    if !mtime.is_empty() {
        let every = mtime.len() == common;
        let (summary, cause, fix) = if every {
            (
                "every mtime differs".to_owned(),
                "every mtime differs: the trees were checked out or built at different times",
                "every mtime differs: set SOURCE_DATE_EPOCH (tar --mtime=@$SOURCE_DATE_EPOCH --clamp-mtime), or repack with a fixed mtime",
            )
        } else {
            (
                format!("{} of {common} mtimes differ", mtime.len()),
                "those files were modified or regenerated between the builds",
                "set SOURCE_DATE_EPOCH and clamp mtimes, or repack with a fixed mtime",
            )
        };
        let mut d = Difference::new(DiffCode::Mtime, summary, cause, fix).affecting(mtime, max);
        if let Some((a, b)) = mtime_pair {
            d = d.values(a, b);
        }
        out.push(d);
    }
    if !mode.is_empty() {
        out.push(
            Difference::new(
                DiffCode::Mode,
                "permission bits differ",
                "different umasks or checkout modes (group-writable files, lost executable bits)",
                "normalise modes (umask 022, tar --mode=go-w), or repack to 0644/0755",
            )
            .affecting(mode, max),
        );
    }
    if !ids.is_empty() {
        out.push(
            Difference::new(
                DiffCode::OwnerIds,
                "numeric owners differ",
                "the archives were built by different users",
                "use --owner=0 --group=0 --numeric-owner",
            )
            .affecting(ids, max),
        );
    }
    if !names.is_empty() {
        out.push(
            Difference::new(
                DiffCode::OwnerNames,
                "owner names differ",
                "the archiver recorded the building user's names",
                "owner names differ: use --owner=0 --group=0 --numeric-owner",
            )
            .affecting(names, max),
        );
    }
    if !link.is_empty() {
        out.push(
            Difference::new(
                DiffCode::LinkTarget,
                "link targets differ",
                "the symlinks in the source trees point elsewhere",
                "fix the links in the source tree; relative links inside the package are the reproducible form",
            )
            .affecting(link, max),
        );
    }
}

/// Why a path might be present on one side only.
fn classify_extra(path: &str) -> (&'static str, &'static str, &'static str) {
    let comps: Vec<&str> = path.split('/').collect();
    let has = |n: &str| comps.contains(&n);
    if has("build") || has("dist") {
        (
            "build-output",
            "the sdist contains build/ output: a previous build's build/ or dist/ folder was packed",
            "clean the tree before packaging (rm -rf build dist) or prune them in MANIFEST.in / the include rules",
        )
    } else if has("__pycache__") || path.ends_with(".pyc") || path.ends_with(".pyo") {
        (
            "bytecode",
            "compiled Python bytecode was packed",
            "exclude __pycache__ and *.pyc (global-exclude *.py[cod])",
        )
    } else if has("target") {
        (
            "target",
            "a target/ build folder was packed",
            "exclude target/ from the package",
        )
    } else if comps.iter().any(|c| matches!(*c, ".git" | ".hg" | ".svn")) {
        (
            "vcs",
            "version-control metadata was packed",
            "exclude VCS folders (build from a clean export)",
        )
    } else if comps.last().is_some_and(|c| {
        matches!(*c, ".DS_Store" | "Thumbs.db") || c.ends_with('~') || c.ends_with(".swp")
    }) {
        (
            "junk",
            "editor or desktop junk files were packed",
            "exclude editor/OS junk files, or build from a clean checkout",
        )
    } else if comps.iter().any(|c| c.ends_with(".egg-info")) {
        (
            "egg-info",
            "a stale .egg-info folder differs between the trees",
            "delete *.egg-info before building",
        )
    } else {
        (
            "other",
            "the file lists differ: the include/exclude rules or the source trees differ",
            "build both from the same commit with the same include rules",
        )
    }
}

pub(crate) fn content(
    l: &Side<'_>,
    r: &Side<'_>,
    opts: &DiffOptions,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let lmap: HashMap<&str, &HashedEntry> = l
        .listing
        .entries
        .iter()
        .map(|h| (h.entry.path.as_str(), h))
        .collect();
    let rmap: HashMap<&str, &HashedEntry> = r
        .listing
        .entries
        .iter()
        .map(|h| (h.entry.path.as_str(), h))
        .collect();
    for (code, from, other) in [(DiffCode::Removed, l, &rmap), (DiffCode::Added, r, &lmap)] {
        let mut groups: BTreeMap<&'static str, (Vec<String>, &'static str, &'static str)> =
            BTreeMap::new();
        for h in &from.listing.entries {
            if other.contains_key(h.entry.path.as_str()) {
                continue;
            }
            let (group, cause, fix) = classify_extra(&h.entry.path);
            groups
                .entry(group)
                .or_insert_with(|| (Vec::new(), cause, fix))
                .0
                .push(h.entry.path.clone());
        }
        for (_, (paths, cause, fix)) in groups {
            let summary = format!(
                "{} {} only in the {} artifact",
                paths.len(),
                if paths.len() == 1 { "entry" } else { "entries" },
                from.label
            );
            out.push(Difference::new(code, summary, cause, fix).affecting(paths, opts.max_listed));
        }
    }
    // Changed files: compare digests; fetch text of the changed ones for a unified diff.
    let mut changed = Vec::new();
    for h in &l.listing.entries {
        let Some(o) = rmap.get(h.entry.path.as_str()) else {
            continue;
        };
        if h.entry.kind != EntryKind::File || o.entry.kind != EntryKind::File {
            continue;
        }
        let (a, b) = (
            h.digests.get(Algorithm::Sha256),
            o.digests.get(Algorithm::Sha256),
        );
        if a != b {
            changed.push((
                h.entry.path.clone(),
                a.copied(),
                b.copied(),
                h.entry.size,
                o.entry.size,
            ));
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let wanted: BTreeSet<String> = changed
        .iter()
        .filter(|c| c.3 <= opts.max_text_bytes && c.4 <= opts.max_text_bytes)
        .map(|c| c.0.clone())
        .collect();
    let ltext = contents(l, &wanted, opts)?;
    let rtext = contents(r, &wanted, opts)?;
    for (path, a, b, _, _) in changed {
        let show = |d: Option<Digest>| d.map_or_else(|| "?".to_owned(), |d| d.to_string());
        let texts = match (ltext.get(&path), rtext.get(&path)) {
            (Some(x), Some(y)) => std::str::from_utf8(x).ok().zip(std::str::from_utf8(y).ok()),
            _ => None,
        };
        let (cause, fix, diff) = match texts {
            Some((x, y)) if x.replace("\r\n", "\n") == y.replace("\r\n", "\n") => (
                "line endings differ (CRLF vs LF)",
                "check out with the same line-ending settings (.gitattributes, core.autocrlf=false)",
                None,
            ),
            Some((x, y)) => {
                let (cause, fix) = changed_text_cause(&path);
                (cause, fix, Some(unified(&path, x, y, opts.max_diff_lines)))
            }
            None => {
                let (cause, fix) = changed_text_cause(&path);
                (cause, fix, None)
            }
        };
        let mut d = Difference::new(DiffCode::ContentChanged, "content differs", cause, fix)
            .values(show(a), show(b))
            .affecting(vec![path], opts.max_listed);
        d.unified_diff = diff;
        out.push(d);
    }
    Ok(())
}

fn changed_text_cause(path: &str) -> (&'static str, &'static str) {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name {
        "PKG-INFO"
        | "METADATA"
        | "WHEEL"
        | "RECORD"
        | "setup.cfg"
        | "Cargo.toml"
        | "Cargo.lock"
        | "package.json"
        | ".cargo_vcs_info.json" => (
            "generated packaging metadata differs: another build-tool version, another commit, or other build inputs",
            "pin the build backend and its version, and build both from the same commit",
        ),
        _ => (
            "the file's content changed: other sources, or a generated file embedding build data (timestamps, paths, versions)",
            "build both from the same commit; look for embedded dates or absolute paths in generated files",
        ),
    }
}

/// A unified diff of two texts, cut to `max_lines` lines.
fn unified(path: &str, a: &str, b: &str, max_lines: usize) -> String {
    let diff = similar::TextDiff::from_lines(a, b);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string();
    let total = text.lines().count();
    if total <= max_lines {
        return text;
    }
    let mut kept: String = text
        .lines()
        .take(max_lines)
        .map(|l| format!("{l}\n"))
        .collect();
    kept.push_str(&format!("… ({} more lines)\n", total - max_lines));
    kept
}

/// The contents of the `wanted` entries of one side (each at most `max_text_bytes`).
fn contents(
    side: &Side<'_>,
    wanted: &BTreeSet<String>,
    opts: &DiffOptions,
) -> Result<HashMap<String, Vec<u8>>, DiffError> {
    let mut map = HashMap::new();
    if wanted.is_empty() {
        return Ok(map);
    }
    visit_archive(
        Cursor::new(side.bytes),
        side.format,
        &opts.limits,
        |entry, content| {
            if wanted.contains(&entry.path) {
                let mut data = Vec::new();
                content.take(opts.max_text_bytes).read_to_end(&mut data)?;
                map.insert(entry.path.clone(), data);
            }
            Ok(())
        },
    )
    .map_err(|source| DiffError::Read {
        side: side.label,
        name: side.name.to_owned(),
        source,
    })?;
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_diff_is_bounded() {
        let a: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let b: String = (0..100).map(|i| format!("LINE {i}\n")).collect();
        let d = unified("f.txt", &a, &b, 10);
        assert_eq!(d.lines().count(), 11);
        assert!(d.starts_with("--- a/f.txt"));
        assert!(d.ends_with("more lines)\n"));
    }

    #[test]
    fn extra_files_are_classified() {
        assert_eq!(
            classify_extra("pkg-1.0/build/lib/pkg/x.py").0,
            "build-output"
        );
        assert_eq!(
            classify_extra("pkg/__pycache__/x.cpython-312.pyc").0,
            "bytecode"
        );
        assert_eq!(classify_extra("pkg/.git/HEAD").0, "vcs");
        assert_eq!(classify_extra("pkg/.DS_Store").0, "junk");
        assert_eq!(classify_extra("pkg/src/new.rs").0, "other");
    }
}
