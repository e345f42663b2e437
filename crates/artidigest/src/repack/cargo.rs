//! The `cargo package` profile: GNU headers, cargo's fixed mtimes (and the older ones it kept),
//! generated files marked as cargo marks them, no directories, and `<top folder>.crate` as the
//! gzip name.

use std::collections::BTreeSet;
use std::io::Write;

use crate::repack::error::RepackError;
use crate::repack::normalise::{Normal, NormalKind};
use crate::repack::options::{
    CARGO_GENERATED_MTIME, CARGO_LEGACY_MTIME, CARGO_MTIME, Profile, RepackOptions,
};
use crate::repack::report::Stats;

pub(crate) fn gzip_name(normal: &[Normal], opts: &RepackOptions) -> Option<String> {
    if opts.gzip_name.is_some() || opts.profile != Profile::Cargo {
        return opts.gzip_name.clone();
    }
    let top: BTreeSet<&str> = normal
        .iter()
        .filter_map(|e| e.path.split('/').next())
        .collect();
    match top.into_iter().collect::<Vec<_>>().as_slice() {
        [only] => Some(format!("{only}.crate")),
        _ => None,
    }
}

/// The mtime cargo gives a generated file: 1 (cargo releases of 2021–2024) is kept when the
/// input has it, anything else becomes today's [`CARGO_MTIME`].
fn cargo_generated_mtime(input: u64) -> u64 {
    if input == CARGO_GENERATED_MTIME {
        input
    } else {
        CARGO_MTIME
    }
}

/// The mtime cargo gives a file copied from disk: [`CARGO_LEGACY_MTIME`] (older releases) is
/// kept when the input has it, anything else (0 included: it is also "not set") becomes
/// [`CARGO_MTIME`].
fn cargo_disk_mtime(input: u64) -> u64 {
    if input == CARGO_LEGACY_MTIME {
        input
    } else {
        CARGO_MTIME
    }
}

/// Files named by `cargo package` itself rather than copied from disk.
fn cargo_generated(path: &str) -> bool {
    let mut parts = path.splitn(2, '/');
    let _top = parts.next();
    matches!(
        parts.next(),
        Some("Cargo.toml" | "Cargo.lock" | ".cargo_vcs_info.json")
    )
}

pub(crate) fn append_cargo<W: Write>(
    builder: &mut tar::Builder<W>,
    entry: &Normal,
    opts: &RepackOptions,
    stats: &mut Stats,
) -> Result<(), RepackError> {
    let data = match &entry.kind {
        NormalKind::File(data) => data,
        NormalKind::Directory => {
            stats.directories_dropped += 1;
            return Ok(());
        }
        NormalKind::Symlink(_) => {
            return Err(RepackError::Unsupported {
                path: entry.path.clone(),
                what: "symbolic link",
                profile: opts.profile,
                format: opts.format,
            });
        }
    };
    stats.files += 1;
    stats.content_bytes += data.len() as u64;
    // The same header calls cargo makes: `set_metadata_in_mode(.., Deterministic)` for files on
    // disk, and a bare GNU header (no uid/gid/device fields) with mode 0644 for generated files.

    let mut h = tar::Header::new_gnu();
    if cargo_generated(&entry.path) {
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_mtime(cargo_generated_mtime(entry.mtime));
    } else {
        h.set_mtime(cargo_disk_mtime(entry.mtime));
        h.set_uid(0);
        h.set_gid(0);
        h.set_mode(if entry.executable { 0o755 } else { 0o644 });
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(data.len() as u64);
        if let Some(gnu) = h.as_gnu_mut() {
            gnu.set_device_major(0);
            gnu.set_device_minor(0);
        }
    }
    h.set_cksum();
    builder
        .append_data(&mut h, &entry.path, data.as_slice())
        .map_err(|source| RepackError::Write {
            format: opts.format,
            source,
        })
}
