//! Bounded reads: version files, `relver.toml` and changelogs are read as regular files only
//! (a FIFO, socket or device is refused before it is opened), never past the byte limit, and
//! never through a link that leaves the tree. Errors name the file.
#![cfg(unix)]

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use relver::{
    Code, Config, ConfigError, DirTree, ReadError, Report, TagOptions, Tree, check_worktree,
    read_text_file,
};

use crate::support::write;

fn mkfifo(path: &Path) {
    let st = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success(), "mkfifo {}", path.display());
}

/// Run `f` on another thread; if it does not finish in 20 s, open every FIFO given for reading
/// and writing (never blocks on Linux, and releases a reader blocked in `open`) and fail.
fn bounded<T: Send + 'static>(fifos: &[&Path], f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The closure panicked: show its panic.
            match worker.join() {
                Err(p) => std::panic::resume_unwind(p),
                Ok(()) => panic!("the worker ended without a result"),
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            for p in fifos {
                let _ = std::fs::OpenOptions::new().read(true).write(true).open(p);
            }
            panic!("the read blocked on a FIFO");
        }
    }
}

fn run(dir: &Path, fifos: &[&Path]) -> Report {
    let dir = dir.to_owned();
    bounded(fifos, move || {
        check_worktree(&dir, Some("v1.2.3"), TagOptions::default())
            .unwrap()
            .report
    })
}

#[test]
fn a_fifo_cargo_toml_fails_the_check_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("package.json"), "{\"version\": \"1.2.3\"}").unwrap();
    std::fs::create_dir_all(d.join("crates/a")).unwrap();
    let fifo = d.join("crates/a/Cargo.toml");
    mkfifo(&fifo);
    let r = run(d, &[&fifo]);
    assert!(!r.ok, "{r}");
    let errors: Vec<_> = r.errors().collect();
    assert_eq!(errors.len(), 1, "{r}");
    assert_eq!(errors[0].code, Code::SourceUnreadable);
    assert_eq!(errors[0].path(), Some("crates/a/Cargo.toml"));
    assert!(
        errors[0]
            .subject
            .contains("Cargo.toml is a FIFO, not a regular file"),
        "{}",
        errors[0].subject
    );
    // The tree read itself is a typed error naming the file.
    let tree = DirTree::new(d);
    let e = bounded(&[&fifo], move || tree.read_text("crates/a/Cargo.toml")).unwrap_err();
    match e {
        ReadError::NotRegular { path, kind } => {
            assert_eq!((path, kind), (fifo.clone(), "FIFO"));
        }
        other => panic!("{other:?}"),
    }
    // At the root, Cargo.toml may hold the configuration (`[workspace.metadata.relver]`):
    // loading it fails, naming the file.
    let root = d.join("Cargo.toml");
    mkfifo(&root);
    let d2 = d.to_owned();
    let e = bounded(&[&fifo, &root], move || {
        check_worktree(&d2, Some("v1.2.3"), TagOptions::default())
    })
    .unwrap_err();
    assert!(
        matches!(&e, ConfigError::Read(ReadError::NotRegular { path, kind: "FIFO" }) if *path == root),
        "{e:?}"
    );
}

#[test]
fn fifo_config_changelog_and_python_module_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("package.json"), "{\"version\": \"1.2.3\"}").unwrap();
    let changelog = d.join("CHANGELOG.md");
    mkfifo(&changelog);
    std::fs::create_dir_all(d.join("pkg")).unwrap();
    let module = d.join("pkg/__init__.py");
    mkfifo(&module);
    let r = run(d, &[&changelog, &module]);
    let mut paths: Vec<&str> = r.errors().filter_map(|f| f.path()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["CHANGELOG.md", "pkg/__init__.py"], "{r}");
    assert!(r.errors().all(|f| f.code == Code::SourceUnreadable));
    // A FIFO relver.toml: loading the configuration fails with the file named.
    let config = d.join("relver.toml");
    mkfifo(&config);
    let tree = DirTree::new(d);
    let e = bounded(&[&config], move || Config::load(&tree)).unwrap_err();
    assert!(
        matches!(&e, ConfigError::Read(ReadError::NotRegular { path, kind: "FIFO" }) if *path == config),
        "{e:?}"
    );
    let d2 = d.to_owned();
    let e = bounded(&[&config], move || {
        check_worktree(&d2, Some("v1.2.3"), TagOptions::default())
    })
    .unwrap_err();
    assert!(e.to_string().contains("relver.toml is a FIFO"), "{e}");
}

#[test]
fn sockets_and_devices_are_refused_before_open() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("package.json");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    match read_text_file(&sock, 1024) {
        Err(ReadError::NotRegular {
            kind: "socket",
            path,
        }) => assert_eq!(path, sock),
        other => panic!("{other:?}"),
    }
    let r = run(dir.path(), &[]);
    assert_eq!(
        r.errors()
            .map(|f| (f.code, f.path().map(str::to_owned)))
            .collect::<Vec<_>>(),
        [(Code::SourceUnreadable, Some("package.json".to_owned()))],
        "{r}"
    );
    // An endless device is never read.
    match read_text_file(Path::new("/dev/zero"), 1024) {
        Err(ReadError::NotRegular {
            kind: "character device",
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    match read_text_file(dir.path(), 1024) {
        Err(ReadError::NotRegular {
            kind: "directory", ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

/// A file whose metadata says 0 bytes but which holds more: bounded by the bytes read.
#[cfg(target_os = "linux")]
#[test]
fn the_limit_counts_bytes_read_not_metadata() {
    let status = Path::new("/proc/self/status");
    assert_eq!(std::fs::metadata(status).unwrap().len(), 0);
    match read_text_file(status, 16) {
        Err(ReadError::TooLarge {
            size: 17,
            limit: 16,
            path,
        }) => assert_eq!(path, status),
        other => panic!("{other:?}"),
    }
    assert!(
        read_text_file(status, 1 << 20)
            .unwrap()
            .unwrap()
            .contains("Name:")
    );
}

#[test]
fn links_that_leave_the_tree_are_typed_errors() {
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "Cargo.toml",
        "[package]\nname = \"x\"\nversion = \"1.2.3\"\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("package.json"), "{\"version\": \"1.2.3\"}").unwrap();
    // A linked file and a linked directory, both leading out.
    std::os::unix::fs::symlink(outside.path().join("Cargo.toml"), d.join("Cargo.toml")).unwrap();
    std::os::unix::fs::symlink(outside.path(), d.join("vendor")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("CHANGELOG.md")).unwrap();
    let tree = DirTree::new(d);
    for rel in ["Cargo.toml", "vendor/Cargo.toml", "CHANGELOG.md"] {
        match tree.read_text(rel) {
            Err(ReadError::OutsideTree {
                path,
                target: Some(_),
            }) => assert_eq!(path, d.join(rel)),
            other => panic!("{rel}: {other:?}"),
        }
    }
    assert!(matches!(
        tree.read_text("../x"),
        Err(ReadError::OutsideTree { target: None, .. })
    ));
    // The root Cargo.toml may hold the configuration: loading it fails, naming the file.
    let d2 = d.to_owned();
    let e = check_worktree(&d2, Some("v1.2.3"), TagOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("Cargo.toml leads outside the tree"),
        "{e}"
    );
    // Elsewhere, discovery lists the linked files and the check fails on them (never skips).
    std::fs::remove_file(d.join("Cargo.toml")).unwrap();
    std::fs::create_dir_all(d.join("crates/a")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("Cargo.toml"),
        d.join("crates/a/Cargo.toml"),
    )
    .unwrap();
    let r = run(d, &[]);
    let mut paths: Vec<&str> = r.errors().filter_map(|f| f.path()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["CHANGELOG.md", "crates/a/Cargo.toml"], "{r}");
    assert!(
        r.errors()
            .all(|f| f.subject.contains("leads outside the tree")),
        "{r}"
    );
}
