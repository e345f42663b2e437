//! "Why do these differ" on pairs made by the real writers: GNU `tar`, `gzip`, `npm pack`,
//! `cargo package`, Python's `tarfile` and `zipfile` (written the way wheel builders stamp
//! `SOURCE_DATE_EPOCH`). Each test asserts the cause from the one cause table and that its fix
//! fits the container; one more keeps the table and its documentation in step.

use std::path::{Path, PathBuf};
use std::process::Command;

use artidigest::{
    Cause, Container, DiffCode, DiffOptions, DiffReport, Difference, diff_artifacts, diff_files,
};

use crate::real_archives::shared_vectors;

/// Whether a tool runs here; missing is a loud skip outside CI and a failure under CI=true.
fn tool(bin: &str) -> bool {
    if Command::new(bin).arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{bin} is required under CI=true"
    );
    eprintln!("SKIPPED: {bin} not found");
    false
}

/// A scratch folder for a test that runs `tools`; `None` when one of them is missing (see
/// [`tool`]).
fn scratch(tools: &[&str]) -> Option<tempfile::TempDir> {
    tools
        .iter()
        .all(|bin| tool(bin))
        .then(|| tempfile::tempdir().unwrap())
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn diff_paths(a: &Path, b: &Path) -> DiffReport {
    diff_files(a, b, &DiffOptions::default()).unwrap()
}

fn one(r: &DiffReport, code: DiffCode) -> &Difference {
    r.with_code(code)
        .next()
        .unwrap_or_else(|| panic!("no {code} in {r}"))
}

/// The difference about exactly the one entry `entry`.
fn of_entry<'r>(r: &'r DiffReport, entry: &str) -> &'r Difference {
    r.differences
        .iter()
        .find(|d| d.entries == [entry])
        .unwrap_or_else(|| panic!("no difference for {entry} alone in {r}"))
}

/// Flags only tar takes: a zip's or a gzip's fix never quotes them.
const TAR_FLAGS: &[&str] = &[
    "tar -",
    "--sort",
    "--mtime",
    "--clamp-mtime",
    "--owner",
    "--group",
    "--numeric-owner",
    "--mode",
    "--pax-option",
    "--no-xattrs",
    "--record-size",
    "--format=ustar",
];

fn assert_no_tar_flags(d: &Difference) {
    for flag in TAR_FLAGS {
        assert!(
            !d.fix.contains(flag),
            "{}: {:?} quotes {flag}",
            d.code,
            d.fix
        );
    }
}

/// Every difference carries its cause's own sentence and its fix for `container`.
fn assert_from_table(r: &DiffReport, container: Container) {
    for d in &r.differences {
        assert_eq!(d.cause, d.why.sentence(), "{}", d.code);
        let k = match d.code {
            DiffCode::FormatDiffers => Container::Mixed,
            _ if d.layer == artidigest::Layer::Container => Container::Gzip,
            _ => container,
        };
        assert_eq!(d.fix, d.why.fix(k), "{}", d.code);
    }
}

/// A Python script with `sys.argv` after `--`.
fn python(script: &str, args: &[&Path]) {
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(script).arg("--").env("TZ", "UTC");
    for a in args {
        cmd.arg(a);
    }
    run(&mut cmd);
}

/// A tiny npm package folder.
fn npm_package(dir: &Path, manifest: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("package.json"), manifest).unwrap();
    std::fs::write(dir.join("index.js"), "module.exports = 42;\n").unwrap();
    std::fs::write(dir.join("README.md"), "# tiny\n").unwrap();
}

const MANIFEST: &str = "{\n  \"name\": \"tiny-diff\",\n  \"version\": \"1.0.0\",\n  \"description\": \"a tiny package\",\n  \"main\": \"index.js\",\n  \"license\": \"MIT\"\n}\n";

/// `npm pack` of `dir` into `out`, offline, with its own cache and no registry to reach.
fn npm_pack(dir: &Path, out: &Path, scratch: &Path) -> PathBuf {
    std::fs::create_dir_all(out).unwrap();
    let stdout = run(Command::new("npm")
        .args(["pack", "--offline", "--ignore-scripts", "--silent"])
        .arg("--pack-destination")
        .arg(out)
        .current_dir(dir)
        .env("npm_config_cache", scratch.join("npm-cache"))
        .env("npm_config_userconfig", scratch.join("npmrc"))
        .env("npm_config_registry", "http://127.0.0.1:9/")
        .env("npm_config_update_notifier", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_audit", "false"));
    let name = String::from_utf8(stdout).unwrap();
    out.join(name.trim())
}

#[test]
fn a_served_npm_tarball_and_its_gnu_tar_repack_differ_in_number_formatting() {
    let Some(dir) = shared_vectors() else {
        return;
    };
    let Some(t) = scratch(&["tar", "gzip"]) else {
        return;
    };
    let served = dir.join("is-number-7.0.0.tgz");
    let tree = t.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    run(Command::new("tar")
        .arg("-xzf")
        .arg(&served)
        .arg("-C")
        .arg(&tree));
    let names = String::from_utf8(run(Command::new("tar").arg("-tzf").arg(&served))).unwrap();
    // The same entries, order, mtime, modes and owners, written by GNU tar in 512-byte
    // records, then gzip -9 -n.
    let tar = run(Command::new("tar")
        .args([
            "--format=ustar",
            "--mtime=@499162500",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "--no-recursion",
            "--record-size=512",
            "-cf",
            "-",
        ])
        .args(names.lines())
        .current_dir(&tree));
    let repacked = t.path().join("repacked.tgz");
    let gz = {
        let mut child = Command::new("gzip")
            .args(["-9", "-n", "-c"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), &tar).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        out.stdout
    };
    std::fs::write(&repacked, gz).unwrap();
    let r = diff_paths(&served, &repacked);
    // The numbers, not the metadata, differ; the gzip header differs as the writers do.
    assert_eq!(
        r.codes(),
        [
            DiffCode::GzipOs,
            DiffCode::GzipXfl,
            DiffCode::TarNumberFormat
        ],
        "{r}"
    );
    let d = one(&r, DiffCode::TarNumberFormat);
    assert_eq!(d.why, Cause::TarNumberFormat);
    assert_eq!(
        (d.left.as_deref(), d.right.as_deref()),
        (Some(r#"mode "000644 \0""#), Some(r#"mode "0000644\0""#))
    );
    assert_eq!(d.count, 4);
    assert!(
        d.cause
            .starts_with("tar header number formatting: different tar writers")
    );
    assert_eq!(d.fix, Cause::TarNumberFormat.fix(Container::Tar));
    assert!(d.fix.contains("same tar writer"), "{}", d.fix);
    // XFL is only a hint: with other tars inside it does not explain the difference.
    let x = one(&r, DiffCode::GzipXfl);
    assert_eq!(x.why, Cause::GzipWriterHint);
    assert_ne!(x.fix, Cause::CompressionLevel.fix(Container::Gzip));
    assert_from_table(&r, Container::Tar);
}

#[test]
fn npm_and_yarn_fixed_mtimes_are_packers_constants() {
    let Some(t) = scratch(&["npm", "python3"]) else {
        return;
    };
    let pkg = t.path().join("pkg");
    npm_package(&pkg, MANIFEST);
    let npm = npm_pack(&pkg, &t.path().join("npm"), t.path());
    // yarn is not installed here: the yarn side is what yarn's packer writes, package/ paths
    // stamped with its fixed mtime 456789000, written with Python's tarfile.
    let yarn = t.path().join("yarn.tgz");
    python(
        "import gzip, io, os, sys, tarfile\n\
         src, out = sys.argv[2], sys.argv[3]\n\
         with gzip.GzipFile(out, 'wb', mtime=0) as gz:\n\
         \x20   with tarfile.open(fileobj=gz, mode='w', format=tarfile.USTAR_FORMAT) as t:\n\
         \x20       for name in sorted(os.listdir(src)):\n\
         \x20           data = open(os.path.join(src, name), 'rb').read()\n\
         \x20           info = tarfile.TarInfo('package/' + name)\n\
         \x20           info.size, info.mtime, info.mode = len(data), 456789000, 0o644\n\
         \x20           t.addfile(info, io.BytesIO(data))\n",
        &[&pkg, &yarn],
    );
    let r = diff_paths(&npm, &yarn);
    let d = one(&r, DiffCode::Mtime);
    assert_eq!(d.why, Cause::PackerConstant, "{r}");
    assert_eq!(d.summary, "every mtime differs");
    assert_eq!(
        d.left.as_deref(),
        Some("499162500 (npm's fixed mtime, 1985-10-26T08:15:00Z)")
    );
    assert_eq!(
        d.right.as_deref(),
        Some("456789000 (yarn's fixed mtime, 1984-06-22T21:50:00Z)")
    );
    assert!(!d.cause.contains("checked out"), "{}", d.cause);
    assert!(d.fix.contains("same tool"), "{}", d.fix);
    // Two writers: their numbers are formatted differently too, and the contents agree.
    assert_eq!(
        one(&r, DiffCode::TarNumberFormat).why,
        Cause::TarNumberFormat
    );
    assert!(
        r.with_code(DiffCode::ContentChanged).next().is_none(),
        "{r}"
    );
    assert_from_table(&r, Container::Tar);
}

/// A wheel written as wheel builders write one: every entry stamped with
/// `SOURCE_DATE_EPOCH`, deflated, mode 0644.
fn wheel(out: &Path, epoch: u64, tree: &Path) {
    let mut cmd = Command::new("python3");
    cmd.arg("-c")
        .arg(
            "import os, sys, time, zipfile\n\
             src, out = sys.argv[1], sys.argv[2]\n\
             stamp = time.gmtime(int(os.environ['SOURCE_DATE_EPOCH']))[:6]\n\
             with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n\
             \x20   for name in sorted(os.listdir(src)):\n\
             \x20       info = zipfile.ZipInfo('tiny/' + name, date_time=stamp)\n\
             \x20       info.external_attr = 0o100644 << 16\n\
             \x20       info.compress_type = zipfile.ZIP_DEFLATED\n\
             \x20       z.writestr(info, open(os.path.join(src, name), 'rb').read())\n",
        )
        .arg(tree)
        .arg(out)
        .env("SOURCE_DATE_EPOCH", epoch.to_string())
        .env("TZ", "UTC");
    run(&mut cmd);
}

fn small_tree(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("__init__.py"), "VERSION = '1.0'\n").unwrap();
    std::fs::write(dir.join("core.py"), "def f():\n    return 1\n").unwrap();
}

#[test]
fn wheels_built_with_two_source_date_epochs_say_so() {
    let Some(t) = scratch(&["python3"]) else {
        return;
    };
    let tree = t.path().join("src");
    small_tree(&tree);
    let (a, b) = (t.path().join("a.whl"), t.path().join("b.whl"));
    wheel(&a, 1_700_000_000, &tree);
    wheel(&b, 1_750_000_000, &tree);
    let r = diff_paths(&a, &b);
    assert_eq!(r.codes(), [DiffCode::Mtime], "{r}");
    let d = one(&r, DiffCode::Mtime);
    assert_eq!(d.why, Cause::SourceDateEpoch);
    assert!(
        d.cause
            .starts_with("built with different SOURCE_DATE_EPOCH")
    );
    assert_eq!(
        (d.left.as_deref(), d.right.as_deref()),
        (
            Some("1700000000 on every entry"),
            Some("1750000000 on every entry")
        )
    );
    assert!(
        d.fix
            .contains("SOURCE_DATE_EPOCH to the release commit's time")
    );
    assert!(!d.cause.contains("checked out"), "{}", d.cause);
    assert_no_tar_flags(d);
    assert_from_table(&r, Container::Zip);
}

#[test]
fn a_zips_fixes_never_quote_tar_flags() {
    let Some(t) = scratch(&["python3"]) else {
        return;
    };
    let (one_tree, two_tree) = (t.path().join("one"), t.path().join("two"));
    small_tree(&one_tree);
    small_tree(&two_tree);
    // Checked out at different times, with another umask, zipped in another order.
    python(
        "import os, sys\n\
         one, two = sys.argv[2], sys.argv[3]\n\
         for i, n in enumerate(sorted(os.listdir(one))):\n\
         \x20   os.utime(os.path.join(one, n), (1600000000 + 100 * i,) * 2)\n\
         \x20   os.chmod(os.path.join(one, n), 0o644)\n\
         \x20   os.utime(os.path.join(two, n), (1650000000 + 200 * i,) * 2)\n\
         \x20   os.chmod(os.path.join(two, n), 0o664)\n",
        &[&one_tree, &two_tree],
    );
    let zip = |tree: &Path, out: &Path, order: &str| {
        python(
            &format!(
                "import os, sys, zipfile\n\
                 src, out = sys.argv[2], sys.argv[3]\n\
                 with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n\
                 \x20   for n in sorted(os.listdir(src), reverse={order}):\n\
                 \x20       z.write(os.path.join(src, n), 'tiny/' + n)\n"
            ),
            &[tree, out],
        );
    };
    let (a, b) = (t.path().join("a.zip"), t.path().join("b.zip"));
    zip(&one_tree, &a, "False");
    zip(&two_tree, &b, "True");
    let r = diff_paths(&a, &b);
    assert_eq!(
        r.codes(),
        [DiffCode::EntryOrder, DiffCode::Mtime, DiffCode::Mode],
        "{r}"
    );
    assert_eq!(one(&r, DiffCode::Mtime).why, Cause::CheckoutTimes);
    assert_eq!(one(&r, DiffCode::Mode).why, Cause::Umask);
    assert_eq!(one(&r, DiffCode::EntryOrder).why, Cause::FileSystemOrder);
    for d in &r.differences {
        assert_no_tar_flags(d);
    }
    assert_from_table(&r, Container::Zip);
    // Every cause's zip fix is free of tar flags, whatever produced it.
    for c in Cause::ALL {
        for flag in TAR_FLAGS {
            assert!(!c.fix(Container::Zip).contains(flag), "{c}: {flag}");
            assert!(!c.fix(Container::Mixed).contains(flag), "{c}: {flag}");
        }
    }
}

#[test]
fn gnu_tars_of_trees_checked_out_at_different_times() {
    let Some(t) = scratch(&["tar", "python3"]) else {
        return;
    };
    let tree = t.path().join("pkg-1.0");
    small_tree(&tree);
    let tar = |out: &str, base: u64| {
        python(
            &format!(
                "import os, sys\n\
                 d = sys.argv[2]\n\
                 for i, n in enumerate(sorted(os.listdir(d))):\n\
                 \x20   os.utime(os.path.join(d, n), ({base} + 10 * i,) * 2)\n"
            ),
            &[&tree],
        );
        run(Command::new("tar")
            .args([
                "--format=ustar",
                "--sort=name",
                "--owner=0",
                "--group=0",
                "--numeric-owner",
                "-cf",
                out,
                "pkg-1.0/__init__.py",
                "pkg-1.0/core.py",
            ])
            .current_dir(t.path()));
        t.path().join(out)
    };
    let (a, b) = (tar("a.tar", 1_600_000_000), tar("b.tar", 1_650_000_000));
    let r = diff_paths(&a, &b);
    assert_eq!(r.codes(), [DiffCode::Mtime], "{r}");
    let d = one(&r, DiffCode::Mtime);
    assert_eq!(d.why, Cause::CheckoutTimes);
    assert!(d.cause.contains("checked out or built at different times"));
    assert!(
        d.fix.contains("tar --mtime=@$SOURCE_DATE_EPOCH"),
        "{}",
        d.fix
    );
    assert_from_table(&r, Container::Tar);

    // Two fixed times (tar --mtime, as a build sets it from SOURCE_DATE_EPOCH).
    let stamped = |out: &str, epoch: u64| {
        run(Command::new("tar")
            .arg("--format=ustar")
            .arg(format!("--mtime=@{epoch}"))
            .args(["--sort=name", "--owner=0", "--group=0", "--numeric-owner"])
            .args(["-cf", out, "pkg-1.0/__init__.py", "pkg-1.0/core.py"])
            .current_dir(t.path()));
        t.path().join(out)
    };
    let r = diff_paths(
        &stamped("c.tar", 1_700_000_000),
        &stamped("d.tar", 1_750_000_000),
    );
    assert_eq!(r.codes(), [DiffCode::Mtime], "{r}");
    assert_eq!(one(&r, DiffCode::Mtime).why, Cause::SourceDateEpoch);
}

#[test]
fn a_hand_edited_package_json_is_not_generated_metadata() {
    let Some(t) = scratch(&["npm", "tar"]) else {
        return;
    };
    let pkg = t.path().join("pkg");
    npm_package(&pkg, MANIFEST);
    let before = npm_pack(&pkg, &t.path().join("before"), t.path());
    // npm pack copies package.json byte for byte: the packed manifest is the source's.
    let packed = Command::new("tar")
        .arg("-xzOf")
        .arg(&before)
        .arg("package/package.json")
        .output()
        .unwrap()
        .stdout;
    assert_eq!(packed, MANIFEST.as_bytes());
    let edited = MANIFEST.replace(
        "\"description\": \"a tiny package\",",
        "\"description\": \"a tiny edited package\",\n  \"custom\": true,",
    );
    std::fs::write(pkg.join("package.json"), &edited).unwrap();
    let after = npm_pack(&pkg, &t.path().join("after"), t.path());
    let r = diff_paths(&before, &after);
    assert_eq!(r.codes(), [DiffCode::ContentChanged], "{r}");
    let d = one(&r, DiffCode::ContentChanged);
    assert_eq!(d.why, Cause::HandEditedManifest);
    assert_eq!(
        d.summary,
        "content differs (manifest keys: custom added, description changed)"
    );
    assert!(d.cause.starts_with("hand-edited manifest"));
    assert_ne!(d.why, Cause::GeneratedMetadata);
    assert_eq!(d.entries, ["package/package.json"]);
    assert!(
        d.unified_diff
            .as_deref()
            .unwrap()
            .contains("+  \"custom\": true,")
    );

    // The same manifest re-serialised, as yarn and pnpm do when they pack: rewritten.
    let reserialised = "{\"description\":\"a tiny package\",\"license\":\"MIT\",\"main\":\"index.js\",\"name\":\"tiny-diff\",\"version\":\"1.0.0\"}";
    std::fs::write(pkg.join("package.json"), reserialised).unwrap();
    let rewritten = npm_pack(&pkg, &t.path().join("rewritten"), t.path());
    let r = diff_paths(&before, &rewritten);
    assert_eq!(
        one(&r, DiffCode::ContentChanged).why,
        Cause::ManifestRewritten,
        "{r}"
    );
    assert_from_table(&r, Container::Tar);
}

#[test]
fn a_crate_packaged_from_a_dirty_tree_says_so() {
    let Some(t) = scratch(&["cargo", "git"]) else {
        return;
    };
    let src = t.path().join("tiny");
    std::fs::create_dir_all(src.join("src")).unwrap();
    std::fs::write(
        src.join("Cargo.toml"),
        "[package]\nname = \"tiny-diff\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"x\"\n",
    )
    .unwrap();
    std::fs::write(src.join("src/lib.rs"), "pub fn f() {}\n").unwrap();
    let git = |args: &[&str]| {
        run(Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .current_dir(&src));
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    let package = |out: &str| {
        run(
            Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args([
                    "package",
                    "--offline",
                    "--no-verify",
                    "--allow-dirty",
                    "--quiet",
                ])
                .current_dir(&src)
                .env("CARGO_HOME", t.path().join("cargo-home"))
                .env("CARGO_TARGET_DIR", t.path().join("target")),
        );
        let made = t.path().join("target/package/tiny-diff-0.1.0.crate");
        let to = t.path().join(out);
        std::fs::rename(made, &to).unwrap();
        to
    };
    let clean = package("clean.crate");
    std::fs::write(src.join("src/lib.rs"), "pub fn f() {}\npub fn g() {}\n").unwrap();
    let dirty = package("dirty.crate");
    let r = diff_paths(&clean, &dirty);
    assert_eq!(
        r.codes(),
        [DiffCode::ContentChanged, DiffCode::ContentChanged],
        "{r}"
    );
    let vcs = of_entry(&r, "tiny-diff-0.1.0/.cargo_vcs_info.json");
    assert_eq!(vcs.why, Cause::DirtyTree);
    assert!(vcs.cause.starts_with("built from a dirty tree"));
    assert!(vcs.fix.contains("clean checkout of the tag"));
    assert!(vcs.summary.ends_with(" dirty)"), "{}", vcs.summary);
    assert!(vcs.summary.contains(" clean vs "), "{}", vcs.summary);
    let lib = of_entry(&r, "tiny-diff-0.1.0/src/lib.rs");
    assert_eq!(lib.why, Cause::UncommittedChange);
    assert_from_table(&r, Container::Tar);
}

/// The causes table of `docs/repack.md`, rendered from [`Cause::ALL`].
fn causes_table() -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut t = String::from("| Cause | Why | Fix |\n|---|---|---|\n");
    for c in Cause::ALL {
        let fixes: Vec<(Container, &str)> =
            Container::ALL.iter().map(|k| (*k, c.fix(*k))).collect();
        let fix = if fixes.iter().all(|(_, f)| *f == fixes[0].1) {
            cell(fixes[0].1)
        } else {
            let mut seen: Vec<&str> = Vec::new();
            let mut parts = Vec::new();
            for (_, f) in &fixes {
                if !seen.contains(f) {
                    seen.push(f);
                    let also: Vec<&str> = fixes
                        .iter()
                        .filter(|(_, g)| g == f)
                        .map(|(k, _)| k.name())
                        .collect();
                    parts.push(format!("{}: {}", also.join("/"), cell(f)));
                }
            }
            parts.join("<br>")
        };
        t.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.name(),
            cell(c.sentence()),
            fix
        ));
    }
    t
}

#[test]
fn every_cause_has_a_sentence_and_fixes_and_is_documented() {
    for c in Cause::ALL {
        assert!(!c.sentence().trim().is_empty(), "{c}");
        for k in Container::ALL {
            assert!(!c.fix(*k).trim().is_empty(), "{c} for {k}");
        }
    }
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/repack.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap();
    let (begin, end) = ("<!-- causes:begin -->\n", "<!-- causes:end -->");
    let (head, rest) = doc.split_once(begin).expect("causes:begin marker");
    let (_, tail) = rest.split_once(end).expect("causes:end marker");
    let table = causes_table();
    if std::env::var("RELKIT_BLESS").as_deref() == Ok("1") {
        std::fs::write(&doc_path, format!("{head}{begin}{table}{end}{tail}")).unwrap();
        return;
    }
    assert_eq!(
        rest.split_once(end).unwrap().0,
        table,
        "docs/repack.md's causes table is stale: rerun with RELKIT_BLESS=1"
    );
    for c in Cause::ALL {
        assert!(
            doc.contains(&format!("| `{}` |", c.name())),
            "{c} undocumented"
        );
    }
}

#[test]
fn a_report_names_its_cause_code() {
    let tar = crate::kit::Tar::new().file("p/a.txt", b"a").finish();
    let other = crate::kit::Tar::new().file("p/a.txt", b"b").finish();
    let r = diff_artifacts(("a", &tar), ("b", &other), &DiffOptions::default()).unwrap();
    let d = one(&r, DiffCode::ContentChanged);
    assert_eq!(d.why, Cause::SourceChanged);
    assert!(r.to_string().contains("[source-changed]"), "{r}");
}
