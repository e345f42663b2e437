//! Required-asset patterns name a package: a match of another package is
//! `asset-wrong-artifact`, and a pattern satisfied only by such files is `asset-missing`.

use relgate::{Code, Policy, RunContext, RunStatus};

fn run(files: &[&str], patterns: &str, tag: Option<&str>) -> relgate::Report {
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        std::fs::write(dir.path().join(f), b"bytes").unwrap();
    }
    let policy = Policy::from_toml_str(
        &format!(
            "schema-version = 1\n[project]\nname = \"ordvec\"\n[release]\nrequired-assets = [{patterns}]\n[[files.allow]]\nglob = \"*\"\nreason = \"only the asset names are under test\"\n"
        ),
        "release.toml",
    )
    .unwrap();
    let mut ctx = RunContext::new(dir.path())
        .options(relgate::RunOptions::default().phases([relgate::Phase::Prepublish]));
    if let Some(t) = tag {
        ctx = ctx.tag(t);
    }
    relgate::run_blocking(&policy, ctx)
}

fn findings(r: &relgate::Report) -> Vec<(Code, String, Option<String>)> {
    crate::archive_gate::rows_of(r, "required-assets-present", |f| {
        let f = &f.finding;
        (f.code, f.subject.clone(), f.found.clone())
    })
}

/// The two findings of pattern `pattern` matched only by `file`, a file of `package`.
fn only_another_packages(
    file: &str,
    package: &str,
    pattern: &str,
) -> [(Code, String, Option<String>); 2] {
    [
        (
            Code::AssetWrongArtifact,
            file.into(),
            Some(format!("a file of {package}")),
        ),
        (
            Code::AssetMissing,
            pattern.into(),
            Some(format!("only files of other packages: {file}")),
        ),
    ]
}

#[test]
fn a_pattern_is_not_satisfied_by_another_packages_file_alone() {
    let r = run(&["ordvec-manifest-0.5.0.crate"], "\"ordvec-*.crate\"", None);
    assert_eq!(
        findings(&r),
        only_another_packages(
            "ordvec-manifest-0.5.0.crate",
            "ordvec-manifest",
            "ordvec-*.crate"
        )
    );
    assert_eq!(r.decision.status, RunStatus::Blocked);
    let g = r.gate("required-assets-present").unwrap();
    assert_eq!(
        g.evidence["wrong-artifact"]["ordvec-*.crate"][0]["package"],
        "ordvec-manifest"
    );
}

#[test]
fn a_wrong_match_beside_a_right_one_is_still_reported() {
    let r = run(
        &["ordvec-0.5.0.crate", "ordvec-manifest-0.5.0.crate"],
        "\"ordvec-*.crate\", \"ordvec-manifest-*.crate\"",
        None,
    );
    assert_eq!(
        findings(&r),
        [(
            Code::AssetWrongArtifact,
            "ordvec-manifest-0.5.0.crate".into(),
            Some("a file of ordvec-manifest".into())
        )]
    );
    let g = r.gate("required-assets-present").unwrap();
    assert_eq!(
        g.evidence["matches"]["ordvec-*.crate"],
        relgate::Json::of(&serde_json::json!([
            "ordvec-0.5.0.crate",
            "ordvec-manifest-0.5.0.crate"
        ]))
    );
    assert_eq!(
        g.evidence["matches"]["ordvec-manifest-*.crate"],
        relgate::Json::of(&serde_json::json!(["ordvec-manifest-0.5.0.crate"]))
    );
}

#[test]
fn the_version_placeholder_takes_the_tags_version() {
    let files = [
        "ordvec-0.5.0.crate",
        "ordvec-manifest-0.5.0.crate",
        "ordvec-0.5.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        "ordvec_manifest-0.5.0-py3-none-any.whl",
    ];
    let patterns = "\"ordvec-{version}.crate\", \"ordvec-manifest-{version}.crate\", \"ordvec-{version}-*.whl\", \"ordvec_manifest-*.whl\", \"*.whl\"";
    let r = run(&files, patterns, Some("v0.5.0"));
    assert_eq!(findings(&r), [], "{r:#?}");
    assert_eq!(r.decision.status, RunStatus::Allowed, "{r:#?}");
    let g = r.gate("required-assets-present").unwrap();
    assert_eq!(
        g.evidence["matches"]["ordvec-{version}.crate"],
        relgate::Json::of(&serde_json::json!(["ordvec-0.5.0.crate"]))
    );
    // Another release's tag: the placeholder finds nothing.
    let r = run(&files, "\"ordvec-{version}.crate\"", Some("v0.6.0"));
    let f = findings(&r);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (f[0].0, f[0].1.as_str()),
        (Code::AssetMissing, "ordvec-{version}.crate")
    );
    // Without a tag it matches any version, and still names ordvec only.
    let r = run(
        &["ordvec-manifest-0.5.0.crate"],
        "\"ordvec-{version}.crate\"",
        None,
    );
    assert_eq!(findings(&r).len(), 2, "{r:#?}");
}

#[test]
fn python_names_compare_after_normalisation() {
    // PEP 503: `ordvec_manifest` and `ordvec-manifest` are one project; `ordvec` is another.
    let r = run(
        &[
            "ordvec_manifest-0.5.0-py3-none-any.whl",
            "ordvec_manifest-0.5.0.tar.gz",
        ],
        "\"ordvec_manifest-*.whl\", \"ordvec*.tar.gz\"",
        None,
    );
    let f = findings(&r);
    assert_eq!(
        f,
        only_another_packages(
            "ordvec_manifest-0.5.0.tar.gz",
            "ordvec_manifest",
            "ordvec*.tar.gz"
        )
    );
}
