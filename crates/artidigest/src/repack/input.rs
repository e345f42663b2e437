//! Reading what to repack: an archive through the hostile-safe readers, or a folder without
//! following any symlink; and writing the result atomically.

use std::fs;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::archive::{Entry, EntryKind, Format, Limits, visit_archive};
use crate::repack::error::RepackError;
use crate::repack::normalise::link_target;
use crate::repack::options::{RepackEntry, RepackKind};

/// Reads every entry of an archive through the hostile-safe readers ([`visit_archive`])
/// into repack entries, holding contents in memory within `limits`.
pub fn read_archive_entries<R: Read + Seek + Send>(
    reader: R,
    format: Format,
    limits: &Limits,
) -> Result<Vec<RepackEntry>, RepackError> {
    let mut out = Vec::new();
    let mut unsupported = None;
    visit_archive(reader, format, limits, |entry: &Entry, content| {
        let kind = match entry.kind {
            EntryKind::File => {
                let mut data = Vec::with_capacity(entry.size.min(1 << 20) as usize);
                content.read_to_end(&mut data)?;
                RepackKind::File(data)
            }
            EntryKind::Dir => RepackKind::Directory,
            EntryKind::Symlink => {
                RepackKind::Symlink(entry.link_target.clone().unwrap_or_default())
            }
            EntryKind::Hardlink => {
                RepackKind::Hardlink(entry.link_target.clone().unwrap_or_default())
            }
            other => {
                unsupported.get_or_insert((entry.path.clone(), other));
                return Ok(());
            }
        };
        if entry.path == "." {
            // The archive root itself (`./`): implied by every path, never written.
            return Ok(());
        }
        let mode = match (entry.mode, &kind) {
            (0, RepackKind::Directory) => 0o755,
            (0, _) => 0o644,
            (m, _) => m,
        };
        out.push(RepackEntry {
            path: entry.path.clone(),
            kind,
            mode,
            mtime: u64::try_from(entry.mtime).unwrap_or(0),
            uid: entry.uid,
            gid: entry.gid,
            uname: entry.uname.clone(),
            gname: entry.gname.clone(),
        });
        Ok(())
    })
    .map_err(RepackError::Read)?;
    if let Some((path, kind)) = unsupported {
        return Err(RepackError::UnsupportedEntry { path, kind });
    }
    Ok(out)
}

/// Reads a folder into entries without following any symlink: links become symlink entries
/// (refused when they point outside the folder), devices, FIFOs and sockets are refused.
pub fn read_dir_entries(root: &Path, limits: &Limits) -> Result<Vec<RepackEntry>, RepackError> {
    let mut out = Vec::new();
    let mut total = 0u64;
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RepackError::Io { path, source }
        };
        let mut children = Vec::new();
        for item in fs::read_dir(&dir).map_err(io_err(&dir))? {
            let item = item.map_err(io_err(&dir))?;
            children.push(item.path());
        }
        children.sort();
        for path in children {
            let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
                RepackError::InvalidPath {
                    path: path.display().to_string(),
                    reason: "not valid UTF-8",
                }
            })?;
            let rel_path = if rel.is_empty() {
                name.to_owned()
            } else {
                format!("{rel}/{name}")
            };
            if out.len() >= limits.max_entries {
                return Err(RepackError::TooManyEntries {
                    limit: limits.max_entries,
                });
            }
            let meta = fs::symlink_metadata(&path).map_err(io_err(&path))?;
            let ft = meta.file_type();
            let mut entry = if ft.is_symlink() {
                let target = fs::read_link(&path).map_err(io_err(&path))?;
                let target = target
                    .to_str()
                    .ok_or_else(|| RepackError::InvalidPath {
                        path: rel_path.clone(),
                        reason: "symlink target is not valid UTF-8",
                    })?
                    .to_owned();
                link_target(&rel_path, &target, limits)?;
                RepackEntry::symlink(rel_path.clone(), target)
            } else if ft.is_dir() {
                stack.push((path.clone(), rel_path.clone()));
                RepackEntry::directory(rel_path.clone())
            } else if ft.is_file() {
                let cap = limits.max_entry_size.min(limits.max_total_size - total);
                let file = fs::File::open(&path).map_err(io_err(&path))?;
                let mut data = Vec::new();
                file.take(cap + 1)
                    .read_to_end(&mut data)
                    .map_err(io_err(&path))?;
                if data.len() as u64 > cap {
                    return Err(RepackError::TooLarge {
                        path: rel_path,
                        limit: cap,
                    });
                }
                total += data.len() as u64;
                RepackEntry::file(rel_path.clone(), data)
            } else {
                return Err(RepackError::SpecialFile { path });
            };
            fill_unix_metadata(&mut entry, &meta);
            out.push(entry);
        }
    }
    Ok(out)
}

#[cfg(unix)]
fn fill_unix_metadata(entry: &mut RepackEntry, meta: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    entry.mode = meta.mode() & 0o7777;
    entry.mtime = u64::try_from(meta.mtime()).unwrap_or(0);
    entry.uid = u64::from(meta.uid());
    entry.gid = u64::from(meta.gid());
}

#[cfg(not(unix))]
fn fill_unix_metadata(entry: &mut RepackEntry, meta: &fs::Metadata) {
    entry.mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed, then
/// renamed over `path`. Nothing else is written; the temporary file is removed on failure.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RepackError> {
    let io_err = |source| RepackError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io_err(io::Error::other("output path has no file name")))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(io_err(e)),
        }
    };
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(e));
    }
    Ok(())
}
