//! `relkit bundle verify` and `relkit provenance verify`, run as the built binary: every case
//! of the shared Sigstore and SLSA vectors in artifact and digest mode, held to attest's
//! committed reason table (exit 1 with the kind's finding code, or exit 2 for a policy that
//! cannot run), and the cosign / gh / slsa-verifier flag names.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "test code"
)]

use std::path::{Path, PathBuf};
use std::process::Output;

use attest::{
    BundleError, CertificateError, ErrorKind, IdentityError, PolicyError, ProvenanceError, Stage,
    TimeError, TlogError, TrustRootError,
};
use serde_json::Value;

mod support;

include!("../crates/attest/tests/attest/expected_kinds.rs");

const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The shared folder beside the checkout (or `RELKIT_SHARED`).
fn shared() -> Option<PathBuf> {
    relkit_testkit::shared_folder(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        "vectors/sigstore/manifest.json",
        "relkit bundle/provenance verify",
    )
}

/// Runs `relkit --format json ARGS` in `dir`.
fn relkit(dir: &Path, args: &[String]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_relkit"))
        .current_dir(dir)
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("run relkit")
}

fn s(v: &str) -> String {
    v.to_owned()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Artifact,
    Digest,
}

/// ARTIFACT, or `--digest sha256:…` in digest mode.
fn artifact_args(case: &Value, mode: Mode) -> Vec<String> {
    let file = case["files"]["artifact"]
        .as_str()
        .or(case["files"]["distribution"].as_str());
    // A case without an artifact file names the digest its statement's subject carries.
    let sha = case["subject_sha256_for_digest_mode"]
        .as_str()
        .or(case["artifact_sha256"].as_str())
        .or(case["facts"]["subjects"][0]["digest"]["sha256"].as_str());
    match (mode, file, sha) {
        (Mode::Artifact, Some(f), _) | (Mode::Digest, Some(f), None) => vec![s(f)],
        (_, _, Some(sha)) => vec![s("--digest"), format!("sha256:{sha}")],
        (_, None, None) => panic!("{}: no artifact", case["name"]),
    }
}

/// The case's identity policy as cosign's flags (and relkit's for pins cosign has no flag for),
/// as attest's conformance test reads it: a null policy pins what the facts say.
fn identity_args(case: &Value) -> Vec<String> {
    let p = &case["policy"];
    let facts = &case["facts"];
    let mut a = Vec::new();
    match (p["identity"].as_str(), p["issuer"].as_str()) {
        (Some(id), _) => a.extend([s("--certificate-identity"), s(id)]),
        (None, None) => match facts["san"][0].as_str() {
            Some(id) => a.extend([s("--certificate-identity"), s(id)]),
            None => a.extend([s("--certificate-identity-regexp"), s(".*")]),
        },
        (None, Some(_)) => a.extend([s("--certificate-identity-regexp"), s(".*")]),
    }
    let fact_issuer = facts["fulcio_extensions"]["issuer"]
        .as_str()
        .or(facts["fulcio_extensions"]["issuer_v1"].as_str());
    let issuer = p["issuer"].as_str().or(fact_issuer).unwrap_or_default();
    a.extend([s("--certificate-oidc-issuer"), s(issuer)]);
    if let Some(exts) = p["extensions"].as_object() {
        for (k, v) in exts {
            let v = s(v.as_str().unwrap());
            let cosign = match k.as_str() {
                "gh_workflow_trigger_v1" => Some("--certificate-github-workflow-trigger"),
                "gh_workflow_sha_v1" => Some("--certificate-github-workflow-sha"),
                "gh_workflow_name_v1" => Some("--certificate-github-workflow-name"),
                "gh_workflow_repository_v1" => Some("--certificate-github-workflow-repository"),
                "gh_workflow_ref_v1" => Some("--certificate-github-workflow-ref"),
                _ => None,
            };
            match cosign {
                Some(flag) => a.extend([s(flag), v]),
                None => a.extend([s("--certificate-extension"), format!("{k}={v}")]),
            }
        }
    }
    for t in p["allowed_build_triggers"].as_array().into_iter().flatten() {
        a.extend([s("--allow-trigger"), s(t.as_str().unwrap())]);
    }
    for t in p["forbidden_build_triggers"]
        .as_array()
        .into_iter()
        .flatten()
    {
        a.extend([s("--deny-trigger"), s(t.as_str().unwrap())]);
    }
    a
}

/// The command line for one case in one mode.
fn case_args(case: &Value, mode: Mode) -> Vec<String> {
    let p = &case["policy"];
    let files = &case["files"];
    let root = s(files["trusted_root"].as_str().unwrap());
    let mut a = match case["kind"].as_str().unwrap() {
        kind @ ("sigstore-bundle" | "sigstore-bundle-dsse") => {
            let bundle = files["bundle"].as_str().or(files["provenance"].as_str());
            let mut a = vec![s("bundle"), s("verify"), s("--bundle"), s(bundle.unwrap())];
            match p["public_key"].as_str() {
                Some(k) if kind == "sigstore-bundle" => a.extend([s("--key"), s(k)]),
                _ => a.extend(identity_args(case)),
            }
            a
        }
        "pep740-bundle" | "pep740-attestation" => {
            // An attestation object is detected behind --bundle; a bundle is named with --pep740.
            let (flag, file) = match files["attestation"].as_str() {
                Some(f) => ("--bundle", f),
                None => ("--pep740", files["bundle"].as_str().unwrap()),
            };
            let mut a = vec![s("bundle"), s("verify"), s(flag), s(file)];
            let filename = case["distribution_filename"].as_str().unwrap();
            let named = files["distribution"]
                .as_str()
                .and_then(|d| Path::new(d).file_name())
                .and_then(|n| n.to_str());
            if mode == Mode::Digest || named != Some(filename) {
                a.extend([s("--filename"), s(filename)]);
            }
            if p["publisher"].is_object() {
                a.extend([s("--publisher"), p["publisher"].to_string()]);
            } else {
                a.extend(identity_args(case));
            }
            a
        }
        "slsa-provenance-sigstore-bundle" | "slsa-provenance-legacy-dsse" => {
            let mut a = vec![
                s("provenance"),
                s("verify"),
                s("--provenance"),
                s(files["provenance"].as_str().unwrap()),
                s("--source-uri"),
                s(p["source_uri"].as_str().unwrap()),
            ];
            if let Some(b) = p["builder_id"].as_str() {
                a.extend([s("--builder-id"), s(b)]);
            }
            for (key, flag) in [
                ("tag", "--source-tag"),
                ("versioned_tag", "--source-versioned-tag"),
                ("branch", "--source-branch"),
            ] {
                if let Some(v) = p[key].as_str() {
                    a.extend([s(flag), s(v)]);
                }
            }
            for t in p["forbidden_triggers"].as_array().into_iter().flatten() {
                a.extend([s("--deny-trigger"), s(t.as_str().unwrap())]);
            }
            for (k, v) in p["inputs"].as_object().into_iter().flatten() {
                a.extend([
                    s("--build-workflow-input"),
                    format!("{k}={}", v.as_str().unwrap()),
                ]);
            }
            a
        }
        other => panic!("{}: kind {other} has no command", case["name"]),
    };
    a.extend([s("--trusted-root"), root]);
    a.extend(artifact_args(case, mode));
    a
}

/// Whether the outcome is the case's: `None`, or why not.
fn check_outcome(case: &Value, out: &Output) -> Option<String> {
    let name = case["name"].as_str().unwrap();
    let code = out.status.code();
    let report = match serde_json::from_slice::<Value>(&out.stdout) {
        Ok(r) => r,
        Err(e) => {
            return Some(format!(
                "exit {code:?}, stdout not JSON ({e}); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    };
    if case["expected"] == "verify" {
        let status = &report["decision"]["status"];
        return (code != Some(0) || status != "allowed").then(|| {
            format!(
                "must verify; exit {code:?}, status {status}, findings {}",
                report["gates"][0]["findings"]
            )
        });
    }
    let Some(kind) = EXPECTED_KINDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, k)| *k)
    else {
        return Some("a rejected case missing from the reason table".to_owned());
    };
    // A policy that cannot be applied is "could not run" (exit 2, the finding under errors).
    let (want_exit, finding) = if kind.stage() == Stage::Policy {
        (2, &report["errors"][0])
    } else {
        (1, &report["gates"][0]["findings"][0])
    };
    let want_code = kind.finding_code().to_string();
    let found_ok = finding["found"]
        .as_str()
        .is_some_and(|f| f.starts_with(&format!("{}: ", kind.code())));
    (code != Some(want_exit) || finding["code"] != want_code.as_str() || !found_ok).then(|| {
        format!(
            "must be refused as {want_code} ({}) with exit {want_exit}; exit {code:?}, finding {finding}",
            kind.code()
        )
    })
}

/// Every case of `vectors/<folder>/manifest.json` in both modes through the binary, on a few
/// threads; returns (runs, failures).
fn run_manifest(shared: &Path, folder: &str) -> (usize, Vec<String>) {
    let dir = shared.join("vectors").join(folder);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let runs: Vec<(&Value, Mode)> = manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| [(c, Mode::Artifact), (c, Mode::Digest)])
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let chunk = runs.len().div_ceil(threads);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .chunks(chunk)
            .map(|part| {
                let dir = &dir;
                scope.spawn(move || {
                    part.iter()
                        .filter_map(|(case, mode)| {
                            let args = case_args(case, *mode);
                            let out = relkit(dir, &args);
                            check_outcome(case, &out).map(|why| {
                                format!(
                                    "{} [{mode:?}]: {why}\n  relkit {}",
                                    case["name"],
                                    args.join(" ")
                                )
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    (runs.len(), failures)
}

/// Every case of `folder` (`cases` of them) in both modes gives the expected outcome.
fn assert_every_case(folder: &str, cases: usize) {
    let Some(shared) = shared() else { return };
    let (runs, failures) = run_manifest(&shared, folder);
    assert!(
        failures.is_empty(),
        "{} of {runs} runs wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(runs, cases * 2);
    println!(
        "{folder}: {runs} runs ({cases} cases x 2 modes) through relkit, every outcome as expected"
    );
}

#[test]
fn every_sigstore_vector_through_the_cli() {
    assert_every_case("sigstore", 98);
}

#[test]
fn every_slsa_vector_through_the_cli() {
    assert_every_case("slsa", 32);
}

/// The real GitHub Actions wheel signature of the Sigstore vectors: (folder, base arguments
/// without identity flags).
fn wheel(shared: &Path) -> (PathBuf, Vec<String>) {
    let case = "sigstore-python/github-release-wheel";
    (
        shared.join("vectors/sigstore"),
        [
            "bundle",
            "verify",
            &format!("{case}/artifact"),
            "--bundle",
            &format!("{case}/bundle.sigstore.json"),
            "--trusted-root",
            "trusted_roots/public-good.json",
        ]
        .map(s)
        .to_vec(),
    )
}

const WHEEL_SAN: &str =
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2";

/// Runs the wheel's bundle with `flags`; returns (exit, first finding code or "").
fn wheel_with(shared: &Path, flags: &[&str]) -> (Option<i32>, String) {
    let (dir, mut args) = wheel(shared);
    args.extend(flags.iter().copied().map(s));
    let out = relkit(&dir, &args);
    let r = support::stdout_json(&out);
    let code = r["gates"][0]["findings"][0]["code"]
        .as_str()
        .or(r["errors"][0]["code"].as_str())
        .unwrap_or_default()
        .to_owned();
    (out.status.code(), code)
}

#[test]
fn cosign_flags_pass_and_a_wrong_identity_is_identity_mismatch() {
    let Some(shared) = shared() else { return };
    let ok = |flags: &[&str]| {
        assert_eq!(
            wheel_with(&shared, flags),
            (Some(0), String::new()),
            "{flags:?}"
        )
    };
    ok(&[
        "--certificate-identity",
        WHEEL_SAN,
        "--certificate-oidc-issuer",
        GITHUB_ISSUER,
    ]);
    ok(&[
        "--certificate-identity-regexp",
        r"https://github\.com/trailofbits/rfc8785\.py/.*",
        "--certificate-oidc-issuer-regexp",
        r"https://token\.actions\.githubusercontent\.com|https://gitlab\.com",
        "--certificate-github-workflow-repository",
        "trailofbits/rfc8785.py",
        "--certificate-github-workflow-ref",
        "refs/tags/v0.1.2",
        "--certificate-github-workflow-sha",
        "d8b4a6445f38c48b9137a8099706d9b8073146e4",
        "--certificate-github-workflow-trigger",
        "release",
        "--certificate-github-workflow-name",
        "release",
    ]);
    let wrong_tag = WHEEL_SAN.replace("v0.1.2", "v0.1.3");
    let id = ["--certificate-identity", WHEEL_SAN];
    let github = ["--certificate-oidc-issuer", GITHUB_ISSUER];
    // (flags after the identity, code): a wrong SAN, a wrong issuer, an issuer regexp that
    // matches a prefix only (it is anchored), a wrong workflow trigger, a denied trigger.
    let refusals: [(Vec<&str>, &str); 5] = [
        (
            [&["--certificate-identity", &wrong_tag][..], &github].concat(),
            "identity-mismatch",
        ),
        (
            [
                &id[..],
                &["--certificate-oidc-issuer", "https://gitlab.com"],
            ]
            .concat(),
            "identity-mismatch",
        ),
        (
            [
                &id[..],
                &["--certificate-oidc-issuer-regexp", "https://token"],
            ]
            .concat(),
            "identity-mismatch",
        ),
        (
            [
                &id[..],
                &github,
                &["--certificate-github-workflow-trigger", "push"],
            ]
            .concat(),
            "identity-mismatch",
        ),
        (
            [&id[..], &github, &["--deny-trigger", "release"]].concat(),
            "trigger-denied",
        ),
    ];
    for (flags, code) in refusals {
        assert_eq!(wheel_with(&shared, &flags), (Some(1), s(code)), "{flags:?}");
    }
}

#[test]
fn gh_flags_scope_the_signer_to_the_owner_repo_and_workflow() {
    let Some(shared) = shared() else { return };
    let got = |flags: &[&str]| wheel_with(&shared, flags);
    let pass = (Some(0), String::new());
    let mismatch = (Some(1), s("identity-mismatch"));
    assert_eq!(got(&["--owner", "trailofbits"]), pass);
    assert_eq!(
        got(&[
            "--repo",
            "trailofbits/rfc8785.py",
            "--deny-self-hosted-runners"
        ]),
        pass
    );
    assert_eq!(
        got(&[
            "--repo",
            "trailofbits/rfc8785.py",
            "--signer-workflow",
            "trailofbits/rfc8785.py/.github/workflows/release.yml"
        ]),
        pass
    );
    assert_eq!(
        got(&[
            "--signer-workflow",
            "github.com/trailofbits/rfc8785.py/.github/workflows/release.yml"
        ]),
        pass
    );
    assert_eq!(got(&["--owner", "sigstore"]), mismatch);
    assert_eq!(got(&["--repo", "trailofbits/rfc8785"]), mismatch);
    assert_eq!(
        got(&[
            "--signer-workflow",
            "trailofbits/rfc8785.py/.github/workflows/other.yml"
        ]),
        mismatch
    );
    // gh's flags imply GitHub Actions' issuer; an explicit other one is checked.
    assert_eq!(
        got(&[
            "--owner",
            "trailofbits",
            "--certificate-oidc-issuer",
            "https://gitlab.com"
        ]),
        mismatch
    );
}

#[test]
fn digest_mode_verifies_the_digest_and_refuses_another() {
    let Some(shared) = shared() else { return };
    let (dir, base) = wheel(&shared);
    // The same bundle, with --digest in place of the artifact.
    let mut args: Vec<String> = base
        .iter()
        .filter(|a| !a.ends_with("/artifact"))
        .cloned()
        .collect();
    args.extend(
        [
            "--certificate-identity",
            WHEEL_SAN,
            "--certificate-oidc-issuer",
            GITHUB_ISSUER,
        ]
        .map(s),
    );
    let sha = "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201";
    let mut good = args.clone();
    good.extend([s("--digest"), format!("sha256:{sha}")]);
    let out = relkit(&dir, &good);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let r = support::stdout_json(&out);
    assert_eq!(r["project"], format!("sha256:{sha}"));
    assert_eq!(
        r["gates"][0]["evidence"]["verification"]["artifact_digest"]
            .as_str()
            .map(|d| d.contains(sha)),
        Some(true),
        "{r}"
    );
    let mut bad = args;
    bad.extend([s("--digest"), format!("sha256:{}", "0".repeat(64))]);
    let out = relkit(&dir, &bad);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        support::stdout_json(&out)["gates"][0]["findings"][0]["code"],
        "subject-not-covered"
    );
}

#[test]
fn provenance_flags_are_slsa_verifiers() {
    let Some(shared) = shared() else { return };
    let dir = shared.join("vectors/slsa");
    let base = [
        "provenance",
        "verify",
        "artifacts/gha_generic-binary-linux-amd64",
        "--provenance-path",
        "generic-generator-v2.1.0/push-v14.intoto.jsonl",
        "--trusted-root",
        "trusted_roots/public-good.json",
        "--source-uri",
        "github.com/slsa-framework/example-package",
        "--builder-id",
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml",
    ]
    .map(s);
    let run = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend(extra.iter().copied().map(s));
        let out = relkit(&dir, &a);
        let r = support::stdout_json(&out);
        let code = r["gates"][0]["findings"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (out.status.code(), code)
    };
    assert_eq!(run(&["--source-tag", "v14"]), (Some(0), String::new()));
    assert_eq!(
        run(&["--source-versioned-tag", "v14"]),
        (Some(0), String::new())
    );
    assert_eq!(
        run(&["--source-tag", "v15"]),
        (Some(1), s("provenance-invalid"))
    );
    assert_eq!(
        run(&["--source-branch", "main"]),
        (Some(1), s("provenance-invalid"))
    );
    // The identity flags add checks on the signing certificate.
    assert_eq!(
        run(&["--source-tag", "v14", "--owner", "slsa-framework"]),
        (Some(0), String::new())
    );
    assert_eq!(
        run(&["--source-tag", "v14", "--owner", "someone-else"]),
        (Some(1), s("identity-mismatch"))
    );
    // Two ref flags are a usage error (clap's, on stderr).
    let mut a = base.to_vec();
    a.extend(["--source-tag", "v14", "--source-branch", "main"].map(s));
    let out = relkit(&dir, &a);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

#[test]
fn usage_errors_exit_2() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let zeros = format!("sha256:{}", "0".repeat(64));
    // No --bundle; ARTIFACT and --digest together; exact and regex identity together; an
    // unknown flag; a digest that is not one; no ARTIFACT or --digest; no --source-uri.
    let cases: [&[&str]; 7] = [
        &[
            "bundle",
            "verify",
            "Cargo.toml",
            "--certificate-identity",
            "x",
        ],
        &[
            "bundle",
            "verify",
            "Cargo.toml",
            "--digest",
            &zeros,
            "--bundle",
            "b",
        ],
        &[
            "bundle",
            "verify",
            "--bundle",
            "b",
            "--certificate-identity",
            "a",
            "--certificate-identity-regexp",
            "b",
        ],
        &[
            "bundle",
            "verify",
            "Cargo.toml",
            "--bundle",
            "b",
            "--identity",
            "a",
        ],
        &["bundle", "verify", "--digest", "sha256:zz", "--bundle", "b"],
        &["bundle", "verify", "--bundle", "b"],
        &["provenance", "verify", "Cargo.toml", "--provenance", "p"],
    ];
    for args in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_relkit"))
            .current_dir(here)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        // clap's usage error: on stderr, nothing on stdout.
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("error: "),
            "{args:?}"
        );
    }
}

#[test]
fn what_could_not_run_is_reported_with_exit_2() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    // (flags after `bundle verify Cargo.toml`, what the finding must name): an unreadable
    // bundle, an unreadable trust root, no signer named, a pattern that does not compile, a
    // managed key for a PEP 740 attestation.
    let cases: [(&[&str], &str); 5] = [
        (&["--pep740", "Cargo.toml", "--key", "Cargo.toml"], "--key"),
        (
            &["--bundle", "no-such.sigstore.json", "--owner", "o"],
            "no-such.sigstore.json",
        ),
        (
            &[
                "--bundle",
                "Cargo.toml",
                "--owner",
                "o",
                "--trusted-root",
                "no-such-root.json",
            ],
            "no-such-root.json",
        ),
        (
            &[
                "--bundle",
                "Cargo.toml",
                "--certificate-oidc-issuer",
                GITHUB_ISSUER,
            ],
            "--certificate-identity",
        ),
        (
            &[
                "--bundle",
                "Cargo.toml",
                "--certificate-identity-regexp",
                "(",
                "--owner",
                "o",
            ],
            "regex",
        ),
    ];
    for (flags, named) in cases {
        let mut args = vec![s("bundle"), s("verify"), s("Cargo.toml")];
        args.extend(flags.iter().copied().map(s));
        let out = relkit(here, &args);
        let r = support::stdout_json(&out);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {r}");
        assert_eq!(r["decision"]["status"], "could-not-run", "{r}");
        assert_eq!(r["errors"][0]["code"], "policy-invalid", "{r}");
        let found = r["errors"][0]["found"].as_str().unwrap_or_default();
        assert!(found.contains(named), "{flags:?}: {found}");
    }
}

#[test]
fn help_names_the_flags_and_shows_an_example() {
    let help = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_relkit"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let bundle = help(&["bundle", "verify", "--help"]);
    for flag in [
        "Example:",
        "--certificate-identity ",
        "--certificate-identity-regexp",
        "--certificate-oidc-issuer ",
        "--certificate-oidc-issuer-regexp",
        "--certificate-github-workflow-repository",
        "--certificate-github-workflow-ref",
        "--certificate-github-workflow-sha",
        "--certificate-github-workflow-trigger",
        "--certificate-github-workflow-name",
        "--owner",
        "--repo",
        "--signer-workflow",
        "--deny-self-hosted-runners",
        "--trusted-root",
        "--digest",
        "--pep740",
        "--key",
    ] {
        assert!(
            bundle.contains(flag),
            "bundle verify --help lacks {flag}:\n{bundle}"
        );
    }
    let prov = help(&["provenance", "verify", "--help"]);
    for flag in [
        "Example:",
        "--source-uri",
        "--source-tag",
        "--source-branch",
        "--source-versioned-tag",
        "--builder-id",
        "--provenance",
        "--certificate-identity",
    ] {
        assert!(
            prov.contains(flag),
            "provenance verify --help lacks {flag}:\n{prov}"
        );
    }
    assert!(help(&["bundle", "--help"]).contains("verify"));
    assert!(help(&["provenance", "--help"]).contains("verify"));
}
