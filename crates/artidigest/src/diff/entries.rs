//! The entry layers: per-entry metadata (mtime, mode, owners, link targets) and content (added,
//! removed, changed, with a likely cause and a bounded unified diff of text).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Cursor, Read};

use serde_json::{Map, Value};

use crate::archive::{EntryKind, visit_archive};
use crate::cratefile::{MAX_VCS_INFO_SIZE, VcsInfo, parse_vcs_info};
use crate::diff::cause::{Cause, packer_of};
use crate::diff::report::{DiffCode, DiffError, DiffOptions, Difference, push_rows};
use crate::diff::side::{Side, inner_container};
use crate::digest::{Algorithm, Digest};

pub(crate) fn metadata(l: &Side<'_>, r: &Side<'_>, opts: &DiffOptions, out: &mut Vec<Difference>) {
    let rmap = r.by_path();
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
    let c = inner_container(l, r);
    if !kind.is_empty() {
        out.push(
            Difference::new(DiffCode::Kind, "entry kinds differ", Cause::KindChanged, c)
                .affecting(kind, max),
        );
    }
    if !mtime.is_empty() {
        let every = mtime.len() == common;
        let summary = if every {
            "every mtime differs".to_owned()
        } else {
            format!("{} of {common} mtimes differ", mtime.len())
        };
        let (why, left, right) = if every {
            every_mtime_differs(l, r)
        } else {
            let (a, b) = mtime_pair.unwrap_or_default();
            (Cause::FilesModified, a.to_string(), b.to_string())
        };
        out.push(
            Difference::new(DiffCode::Mtime, summary, why, c)
                .values(left, right)
                .affecting(mtime, max),
        );
    }
    let rows = [
        (DiffCode::Mode, "permission bits differ", Cause::Umask, mode),
        (
            DiffCode::OwnerIds,
            "numeric owners differ",
            Cause::BuildUsers,
            ids,
        ),
        (
            DiffCode::OwnerNames,
            "owner names differ",
            Cause::OwnerNames,
            names,
        ),
        (
            DiffCode::LinkTarget,
            "link targets differ",
            Cause::LinkTargets,
            link,
        ),
    ];
    push_rows(out, rows, c, max);
}

/// The distinct mtimes of every entry of a side.
fn mtimes(s: &Side<'_>) -> BTreeSet<i64> {
    s.listing.entries.iter().map(|h| h.entry.mtime).collect()
}

/// How a side's mtimes read: the packers' constants they are, one fixed time, or file times.
fn describe_mtimes(set: &BTreeSet<i64>) -> String {
    let packers: Vec<String> = set
        .iter()
        .filter_map(|t| packer_of(*t).map(|p| format!("{t} ({p})")))
        .collect();
    match set.iter().collect::<Vec<_>>().as_slice() {
        _ if !packers.is_empty() && packers.len() == set.len() => packers.join(", "),
        [one] => format!("{one} on every entry"),
        _ => format!(
            "{} distinct file times, {}..{}",
            set.len(),
            set.first().copied().unwrap_or_default(),
            set.last().copied().unwrap_or_default()
        ),
    }
}

/// Why every shared entry's mtime differs: packers' constants, two fixed times (two
/// SOURCE_DATE_EPOCH values), one fixed time against file times, or file times on both sides.
fn every_mtime_differs(l: &Side<'_>, r: &Side<'_>) -> (Cause, String, String) {
    let (ls, rs) = (mtimes(l), mtimes(r));
    let constants = |set: &BTreeSet<i64>| set.iter().all(|t| packer_of(*t).is_some());
    let why = if constants(&ls) || constants(&rs) {
        Cause::PackerConstant
    } else {
        match (ls.len(), rs.len()) {
            (1, 1) => Cause::SourceDateEpoch,
            (1, _) | (_, 1) => Cause::FixedVersusFileTimes,
            _ => Cause::CheckoutTimes,
        }
    };
    (why, describe_mtimes(&ls), describe_mtimes(&rs))
}

/// Why a path might be present on one side only.
fn classify_extra(path: &str) -> Cause {
    let comps: Vec<&str> = path.split('/').collect();
    let has = |n: &str| comps.contains(&n);
    let last = comps.last().copied().unwrap_or_default();
    if last == VCS_INFO {
        Cause::NoVcsInfo
    } else if has("build") || has("dist") {
        Cause::BuildOutput
    } else if has("__pycache__") || path.ends_with(".pyc") || path.ends_with(".pyo") {
        Cause::Bytecode
    } else if has("target") {
        Cause::TargetFolder
    } else if comps.iter().any(|c| matches!(*c, ".git" | ".hg" | ".svn")) {
        Cause::VcsFolder
    } else if matches!(last, ".DS_Store" | "Thumbs.db")
        || last.ends_with('~')
        || last.ends_with(".swp")
    {
        Cause::JunkFiles
    } else if comps.iter().any(|c| c.ends_with(".egg-info")) {
        Cause::StaleEggInfo
    } else {
        Cause::IncludeRules
    }
}

/// The file cargo writes at the root of a `.crate` packaged from a git checkout.
const VCS_INFO: &str = ".cargo_vcs_info.json";

/// The path of a `.crate`'s root `.cargo_vcs_info.json`, when a side has one.
fn vcs_info_path<'s>(s: &'s Side<'_>) -> Option<&'s str> {
    s.listing
        .entries
        .iter()
        .find(|h| {
            h.entry.kind == EntryKind::File
                && h.entry.size <= MAX_VCS_INFO_SIZE
                && h.entry
                    .path
                    .split_once('/')
                    .is_some_and(|(_, rest)| rest == VCS_INFO)
        })
        .map(|h| h.entry.path.as_str())
}

pub(crate) fn content(
    l: &Side<'_>,
    r: &Side<'_>,
    opts: &DiffOptions,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let lmap = l.by_path();
    let rmap = r.by_path();
    let c = inner_container(l, r);
    for (code, from, other) in [(DiffCode::Removed, l, &rmap), (DiffCode::Added, r, &lmap)] {
        let mut groups: BTreeMap<Cause, Vec<String>> = BTreeMap::new();
        for h in &from.listing.entries {
            if other.contains_key(h.entry.path.as_str()) {
                continue;
            }
            groups
                .entry(classify_extra(&h.entry.path))
                .or_default()
                .push(h.entry.path.clone());
        }
        for (why, paths) in groups {
            let summary = format!(
                "{} {} only in the {} artifact",
                paths.len(),
                if paths.len() == 1 { "entry" } else { "entries" },
                from.label
            );
            out.push(Difference::new(code, summary, why, c).affecting(paths, opts.max_listed));
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
    let mut wanted: BTreeSet<String> = changed
        .iter()
        .filter(|c| c.3 <= opts.max_text_bytes && c.4 <= opts.max_text_bytes)
        .map(|c| c.0.clone())
        .collect();
    // Both crates' VCS records, to tell a dirty tree or another commit from other causes.
    let vcs_paths = vcs_info_path(l).zip(vcs_info_path(r));
    if let Some((a, b)) = vcs_paths {
        wanted.insert(a.to_owned());
        wanted.insert(b.to_owned());
    }
    let ltext = contents(l, &wanted, opts)?;
    let rtext = contents(r, &wanted, opts)?;
    let vcs = vcs_paths.and_then(|(a, b)| {
        let read = |text: &HashMap<String, Vec<u8>>, p: &str| {
            text.get(p).and_then(|t| parse_vcs_info(t).ok())
        };
        read(&ltext, a).zip(read(&rtext, b))
    });
    for (path, a, b, _, _) in changed {
        let show = |d: Option<Digest>| d.map_or_else(|| "?".to_owned(), |d| d.to_string());
        let texts = match (ltext.get(&path), rtext.get(&path)) {
            (Some(x), Some(y)) => std::str::from_utf8(x).ok().zip(std::str::from_utf8(y).ok()),
            _ => None,
        };
        let (why, detail) = changed_cause(&path, texts, vcs.as_ref());
        let summary = match detail {
            Some(d) => format!("content differs ({d})"),
            None => "content differs".to_owned(),
        };
        let diff = texts
            .filter(|_| why != Cause::LineEndings)
            .map(|(x, y)| unified(&path, x, y, opts.max_diff_lines));
        let mut d = Difference::new(DiffCode::ContentChanged, summary, why, c)
            .values(show(a), show(b))
            .affecting(vec![path], opts.max_listed);
        d.unified_diff = diff;
        out.push(d);
    }
    Ok(())
}

/// Files that packaging tools write themselves.
fn generated(name: &str) -> bool {
    matches!(
        name,
        "PKG-INFO" | "METADATA" | "WHEEL" | "RECORD" | "setup.cfg" | "Cargo.toml" | "Cargo.lock"
    )
}

/// Why a changed entry changed, with a detail for the summary.
fn changed_cause(
    path: &str,
    texts: Option<(&str, &str)>,
    vcs: Option<&(VcsInfo, VcsInfo)>,
) -> (Cause, Option<String>) {
    if let Some((x, y)) = texts
        && x.replace("\r\n", "\n") == y.replace("\r\n", "\n")
    {
        return (Cause::LineEndings, None);
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == VCS_INFO {
        let state = |v: &VcsInfo| {
            let sha: String = v.sha1.chars().take(12).collect();
            format!("{sha} {}", if v.dirty { "dirty" } else { "clean" })
        };
        return match vcs {
            Some((a, b)) if a.dirty != b.dirty => (
                Cause::DirtyTree,
                Some(format!("{} vs {}", state(a), state(b))),
            ),
            Some((a, b)) if a.sha1 != b.sha1 => (
                Cause::DifferentCommits,
                Some(format!("{} vs {}", state(a), state(b))),
            ),
            _ => (Cause::GeneratedMetadata, None),
        };
    }
    if name == "package.json"
        && let Some((x, y)) = texts
        && let Some((why, detail)) = manifest_cause(x, y)
    {
        return (why, Some(detail));
    }
    if generated(name) {
        return (Cause::GeneratedMetadata, None);
    }
    match vcs {
        Some((a, b)) if a.sha1 != b.sha1 => (Cause::DifferentCommits, None),
        Some((a, b)) if a.dirty || b.dirty => (Cause::UncommittedChange, None),
        _ => (Cause::SourceChanged, None),
    }
}

/// The dependency sections of package.json whose ranges packers rewrite.
const DEPENDENCY_SECTIONS: &[&str] = &[
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
];

/// Range protocols a workspace packer (yarn, pnpm) replaces with versions when it packs.
const PACKER_PROTOCOLS: &[&str] = &["workspace:", "catalog:", "link:", "portal:"];

/// How two package.json files differ: the same JSON re-serialised or with only what packers
/// rewrite (workspace ranges, publishConfig fields) → rewritten by a packer; any other key →
/// edited. `None` when either is not a JSON object.
fn manifest_cause(a: &str, b: &str) -> Option<(Cause, String)> {
    let (Ok(Value::Object(x)), Ok(Value::Object(y))) = (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) else {
        return None;
    };
    if x == y {
        return Some((
            Cause::ManifestRewritten,
            "the same JSON, other formatting or key order".to_owned(),
        ));
    }
    let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
    let mut edited = Vec::new();
    for k in keys {
        let (va, vb) = (x.get(k), y.get(k));
        if va == vb || packer_rewrote(k, va, vb, &x, &y) {
            continue;
        }
        edited.push(match (va, vb) {
            (None, _) => format!("{k} added"),
            (_, None) => format!("{k} removed"),
            _ => format!("{k} changed"),
        });
    }
    Some(if edited.is_empty() {
        (
            Cause::ManifestRewritten,
            "only workspace ranges or publishConfig fields differ".to_owned(),
        )
    } else {
        (
            Cause::HandEditedManifest,
            format!("manifest keys: {}", edited.join(", ")),
        )
    })
}

/// Whether a packer's rewrite explains the difference in `key`: a publishConfig field lifted
/// to the top level, or dependency ranges where one side names a workspace protocol.
fn packer_rewrote(
    key: &str,
    va: Option<&Value>,
    vb: Option<&Value>,
    x: &Map<String, Value>,
    y: &Map<String, Value>,
) -> bool {
    let lifted = |m: &Map<String, Value>, v: Option<&Value>| {
        v.is_some() && m.get("publishConfig").and_then(|p| p.get(key)) == v
    };
    if key == "publishConfig" || lifted(x, vb) || lifted(y, va) {
        return true;
    }
    if !DEPENDENCY_SECTIONS.contains(&key) {
        return false;
    }
    let (Some(Value::Object(da)), Some(Value::Object(db))) = (va, vb) else {
        return false;
    };
    let protocol = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .is_some_and(|s| PACKER_PROTOCOLS.iter().any(|p| s.starts_with(p)))
    };
    da.keys().eq(db.keys())
        && da.iter().all(|(dep, spec)| {
            db.get(dep) == Some(spec) || protocol(Some(spec)) || protocol(db.get(dep))
        })
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
            classify_extra("pkg-1.0/build/lib/pkg/x.py"),
            Cause::BuildOutput
        );
        assert_eq!(
            classify_extra("pkg/__pycache__/x.cpython-312.pyc"),
            Cause::Bytecode
        );
        assert_eq!(classify_extra("pkg/.git/HEAD"), Cause::VcsFolder);
        assert_eq!(classify_extra("pkg/.DS_Store"), Cause::JunkFiles);
        assert_eq!(classify_extra("pkg/target/x"), Cause::TargetFolder);
        assert_eq!(classify_extra("p.egg-info/PKG-INFO"), Cause::StaleEggInfo);
        assert_eq!(
            classify_extra("c-1.0/.cargo_vcs_info.json"),
            Cause::NoVcsInfo
        );
        assert_eq!(classify_extra("pkg/src/new.rs"), Cause::IncludeRules);
    }

    #[test]
    fn manifests_tell_packers_from_edits() {
        let a = r#"{"name": "p", "version": "1.0.0", "dependencies": {"q": "workspace:^"}}"#;
        let re = r#"{"version":"1.0.0","name":"p","dependencies":{"q":"workspace:^"}}"#;
        assert_eq!(manifest_cause(a, re).unwrap().0, Cause::ManifestRewritten);
        let packed = r#"{"name": "p", "version": "1.0.0", "dependencies": {"q": "^2.1.0"}}"#;
        assert_eq!(
            manifest_cause(a, packed).unwrap().0,
            Cause::ManifestRewritten
        );
        let edited = r#"{"name": "p", "version": "1.0.1", "dependencies": {"q": "workspace:^"}}"#;
        let (why, detail) = manifest_cause(a, edited).unwrap();
        assert_eq!(why, Cause::HandEditedManifest);
        assert_eq!(detail, "manifest keys: version changed");
        assert_eq!(manifest_cause(a, "not json"), None);
    }
}
