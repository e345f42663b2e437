//! Repacking and the readers share one path rule: for entries with arbitrary paths and link
//! targets, repack either refuses with a typed error naming the problem or writes an archive
//! that every reader accepts (and that repacks again).

use std::io::{self, Cursor};

use artidigest::{
    Format, Limits, Profile, RepackEntry, RepackError, RepackOptions, list_archive, repack_bytes,
    repack_entries, visit_tar, visit_tar_gz, visit_tar_gz_single_thread, visit_zip,
};
use proptest::prelude::*;

/// Path pieces chosen to hit every rule: empty, `.` and `..` components, drive letters,
/// backslashes, NUL bytes, non-ASCII names and names long enough for PAX or GNU long names.
fn component() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-c]{1,3}",
        1 => Just(String::new()),
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
        1 => Just("C:".to_owned()),
        1 => Just("d:x".to_owned()),
        1 => Just("a\\b".to_owned()),
        1 => Just("nul\0".to_owned()),
        1 => Just("é".to_owned()),
        1 => "[a-z]{90,130}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (
            prop_oneof![Just(""), Just("./"), Just("/"), Just("././")],
            prop::collection::vec(component(), 1..5),
            prop_oneof![Just(""), Just("/"), Just("//")],
        )
            .prop_map(|(lead, parts, trail)| format!("{lead}{}{trail}", parts.join("/"))),
        1 => any::<String>(),
        1 => "[a./\\\\:]{0,8}",
    ]
}

fn entry() -> impl Strategy<Value = RepackEntry> {
    (
        path(),
        0u8..4,
        path(),
        prop::collection::vec(any::<u8>(), 0..40),
        any::<bool>(),
    )
        .prop_map(|(path, kind, target, data, exec)| {
            let e = match kind {
                0 => RepackEntry::file(path, data),
                1 => RepackEntry::directory(path),
                2 => RepackEntry::symlink(path, target),
                _ => RepackEntry::hardlink(path, target),
            };
            e.with_mode(if exec { 0o755 } else { 0o644 })
        })
}

fn options() -> impl Strategy<Value = RepackOptions> {
    (0usize..4, prop_oneof![Just(1024usize), 4usize..140]).prop_map(|(which, max_path_len)| {
        let mut limits = Limits::default();
        limits.max_path_len = max_path_len;
        let opts = match which {
            0 => RepackOptions::new(Format::Tar),
            1 => RepackOptions::new(Format::TarGz),
            2 => RepackOptions::new(Format::Zip),
            _ => RepackOptions::cargo(),
        };
        opts.with_limits(limits)
    })
}

/// Every reader of the written format, with the caps repack was given.
fn readers_accept(bytes: &[u8], format: Format, limits: &Limits) -> Result<(), String> {
    let skip = |_: &artidigest::Entry, r: &mut dyn io::Read| io::copy(r, &mut io::sink()).map(drop);
    let listed = list_archive(Cursor::new(bytes), format, limits, &[])
        .map_err(|e| format!("list_archive: {e}"))?;
    let visited = match format {
        Format::Tar => visit_tar(bytes, limits, skip),
        Format::TarGz => {
            visit_tar_gz_single_thread(bytes, limits, skip)
                .map_err(|e| format!("visit_tar_gz_single_thread: {e}"))?;
            visit_tar_gz(bytes, limits, skip)
        }
        _ => visit_zip(Cursor::new(bytes), limits, skip),
    }
    .map_err(|e| format!("{format} reader: {e}"))?;
    if visited.entries != listed.summary.entries {
        return Err(format!(
            "{} entries visited, {} listed",
            visited.entries, listed.summary.entries
        ));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn repack_never_writes_what_the_readers_refuse(
        entries in prop::collection::vec(entry(), 1..6),
        opts in options(),
    ) {
        match repack_entries(entries.clone(), &opts) {
            Ok(out) => {
                if let Err(why) = readers_accept(&out.bytes, opts.format, &opts.limits) {
                    prop_assert!(false, "repack wrote what a reader refuses: {why}\n{entries:?}");
                }
                // What the readers accept repacks again; under the deterministic profile to
                // the same bytes (the cargo profile drops directories, and with them the top
                // folder its gzip name may come from).
                let again = repack_bytes(&out.bytes, Some(opts.format), &opts);
                prop_assert!(again.is_ok(), "{again:?}\n{entries:?}");
                if let (Ok(again), Profile::Deterministic) = (again, opts.profile) {
                    prop_assert_eq!(again.bytes, out.bytes);
                }
            }
            Err(e) => {
                // Refusals name the entry problem; a writer failure would be a bug.
                let typed = matches!(
                    e,
                    RepackError::InvalidPath { .. }
                        | RepackError::DuplicatePath { .. }
                        | RepackError::ParentNotDirectory { .. }
                        | RepackError::BadLinkTarget { .. }
                ) || matches!(
                    (&e, opts.profile),
                    (RepackError::Unsupported { .. }, Profile::Cargo)
                );
                prop_assert!(typed, "unexpected refusal {e:?}\n{entries:?}");
            }
        }
    }
}

/// Trees of links pointing through each other: paths of one or two components from `a`, `b`,
/// `c`, targets built from `.`, `..` and those names (`a -> .`, `b -> a/a/../..`, loops).
fn linked_entry() -> impl Strategy<Value = RepackEntry> {
    let name = prop_oneof![Just("a"), Just("b"), Just("c")];
    let path = prop::collection::vec(name.clone(), 1..3).prop_map(|c| format!("r/{}", c.join("/")));
    let target = prop::collection::vec(prop_oneof![Just("."), Just(".."), name], 1..5)
        .prop_map(|c| c.join("/"));
    (path, 0u8..3, target).prop_map(|(path, kind, target)| match kind {
        0 => RepackEntry::directory(path),
        1 => RepackEntry::file(path, "x"),
        _ => RepackEntry::symlink(path, target),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The readers resolve links through each other; repack applies the same model, so it
    /// never writes a link set a reader refuses.
    #[test]
    fn repack_never_writes_links_the_readers_refuse(
        entries in prop::collection::vec(linked_entry(), 1..7),
        which in 0usize..3,
    ) {
        let format = [Format::Tar, Format::TarGz, Format::Zip][which];
        let opts = RepackOptions::new(format);
        match repack_entries(entries.clone(), &opts) {
            Ok(out) => {
                if let Err(why) = readers_accept(&out.bytes, format, &opts.limits) {
                    prop_assert!(false, "repack wrote what a reader refuses: {why}\n{entries:?}");
                }
            }
            Err(e) => {
                let typed = matches!(
                    e,
                    RepackError::DuplicatePath { .. }
                        | RepackError::ParentNotDirectory { .. }
                        | RepackError::BadLinkTarget { .. }
                );
                prop_assert!(typed, "unexpected refusal {e:?}\n{entries:?}");
            }
        }
    }
}

#[test]
fn the_readers_rule_binds_repack() {
    let opts = RepackOptions::new(Format::Tar);
    // Refused by the readers before the rules were merged, accepted by repack.
    for (path, reason) in [("C:x", "absolute"), ("./C:/x", "absolute")] {
        let out = repack_entries(vec![RepackEntry::file(path, "x")], &opts);
        assert!(
            matches!(&out, Err(RepackError::InvalidPath { reason: r, .. }) if *r == reason),
            "{path:?}: {out:?}"
        );
    }
    let link = repack_entries(vec![RepackEntry::symlink("l", "C:x")], &opts);
    assert!(
        matches!(&link, Err(RepackError::BadLinkTarget { reason, .. }) if *reason == "is absolute"),
        "{link:?}"
    );
    // A directory whose path fits the cap only without the `/` it is written with.
    let mut three = Limits::default();
    three.max_path_len = 3;
    let tight = opts.clone().with_limits(three);
    assert!(matches!(
        repack_entries(vec![RepackEntry::directory("abc")], &tight),
        Err(RepackError::InvalidPath { .. })
    ));
    assert!(repack_entries(vec![RepackEntry::directory("ab")], &tight).is_ok());
    // A link target longer than the cap.
    assert!(matches!(
        repack_entries(vec![RepackEntry::symlink("l", "abcd")], &tight),
        Err(RepackError::BadLinkTarget { .. })
    ));
    // Refused by repack before the merge, accepted by the readers: `a//b` and `a/./b`.
    for raw in ["a//b", "a/./b"] {
        let bytes = crate::kit::Tar::new().file(raw, b"x").finish();
        let err = list_archive(Cursor::new(&bytes), Format::Tar, &Limits::default(), &[]);
        assert!(
            matches!(&err, Err(e) if matches!(e.kind(), artidigest::ArchiveErrorKind::InvalidPath { .. })),
            "{raw:?}: {err:?}"
        );
    }
}
