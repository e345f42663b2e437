//! `relkit verify` and `relkit policy check|explain`, run as the built binary: the same decision
//! as the library call the `verify_release` example makes, CI evidence from the environment
//! against the loopback GitHub fake, the step summary, and the exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failing fixture fails the test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use relgate::{Endpoints, Format, Phase, Policy, RunContext, RunOptions};
use relkit_demo::{DemoRegistries, demo_release_dir, endpoints_for, run_demo_on};
use relkit_testkit::github::{GithubFake, Release, Run};
use serde_json::Value;

mod support;

const HEAD: &str = "1111111111111111111111111111111111111111";
const OTHER: &str = "2222222222222222222222222222222222222222";

/// The variables of a GitHub Actions job that `relkit` reads.
const GITHUB_VARS: &[&str] = &[
    "GITHUB_API_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
    "GITHUB_REF",
    "GITHUB_TOKEN",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_OUTPUT",
];

/// The built binary, with none of the GitHub Actions variables of the machine running the test.
fn relkit() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_relkit"));
    for v in GITHUB_VARS {
        c.env_remove(v);
    }
    c.env("NO_COLOR", "1");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("relkit runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("relkit exits")
}

/// A report without what differs between two runs of the same release: every `*_ms` timing
/// zeroed, the start and end times dropped (what `Report::without_timings` does).
fn without_timings(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("started");
                map.remove("finished");
                for (k, x) in map.iter_mut() {
                    if k.ends_with("_ms") && x.is_number() {
                        *x = Value::from(0);
                    } else {
                        walk(x);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

fn gate<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["gates"]
        .as_array()
        .unwrap_or_else(|| panic!("no gates in {report:#}"))
        .iter()
        .find(|g| g["id"] == id)
        .unwrap_or_else(|| panic!("no gate {id} in {report:#}"))
}

fn codes(gate: &Value) -> Vec<String> {
    gate["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn verify_on_the_demo_gives_the_examples_report_for_preflight_and_prepublish() {
    let regs = DemoRegistries::start().unwrap();
    let root = demo_release_dir();
    let policy_path = root.join("release.toml");
    let dist = root.join("dist");
    let policy = Policy::load(&policy_path).unwrap();
    // The loopback registries as a registries configuration file, as a real run reads them.
    let endpoints = endpoints_for(&policy, &regs);
    let mut text = String::new();
    for name in endpoints.names() {
        text.push_str(&format!(
            "[registries.{name}]\nurl = \"{}\"\n",
            endpoints.get(name).unwrap()
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let registries = dir.path().join("registries.toml");
    std::fs::write(&registries, &text).unwrap();

    let out = run(relkit()
        .args(["verify", "--format", "json", "--tag", "v1.2.3"])
        .args(["--phase", "preflight", "--phase", "prepublish"])
        .arg("--policy")
        .arg(&policy_path)
        .arg("--registries")
        .arg(&registries)
        .arg(&dist));
    let cli = support::stdout_json(&out);

    // The example's library call for a policy, a folder and a registries file.
    let ctx = RunContext::new(&dist)
        .tag("v1.2.3")
        .registries_file(&registries, text.as_bytes())
        .options(
            RunOptions::default()
                .phases([Phase::Preflight, Phase::Prepublish])
                .endpoints(
                    Endpoints::from_toml_str(&text, &registries.display().to_string()).unwrap(),
                ),
        );
    let report = relgate::run_blocking(&policy, ctx);
    let example: Value = serde_json::from_str(&Format::Json.render(&report, false)).unwrap();
    assert_eq!(without_timings(cli.clone()), without_timings(example));
    assert_eq!(code(&out), report.exit_code());

    // And gate by gate what the demo run (`cargo run --example verify_release -- --json`,
    // its first stage) decides, apart from the rebuild: the example rebuilds the demo with an
    // in-process rebuilder it registers, which a command line cannot; the demo policy names no
    // [rebuild] command, so relkit reports that gate as unable to run (fail closed).
    let demo = run_demo_on(
        &regs,
        &policy,
        &dist,
        "v1.2.3",
        None,
        RunOptions::default().phases([Phase::Preflight, Phase::Prepublish]),
        None,
    )
    .unwrap();
    let (_, first) = demo.stages.first().unwrap();
    // The demo run reads the source from the repository it makes of `source/` (the same tree,
    // committed and tagged); the command line reads the folder itself. Their paths differ.
    let repository = first.inputs.tag.repository.clone().unwrap();
    let demo_text = Format::Json
        .render(first, false)
        .replace(&repository, &root.join("source").display().to_string());
    let demo_json = without_timings(serde_json::from_str(&demo_text).unwrap());
    let cli = without_timings(cli);
    let ids = |r: &Value| -> Vec<String> {
        r["gates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&cli), ids(&demo_json));
    let mut compared = 0;
    for id in ids(&cli) {
        if id == "rebuild-identity" || id == "files-covered" {
            continue;
        }
        assert_eq!(gate(&cli, &id), gate(&demo_json, &id), "gate {id}");
        compared += 1;
    }
    assert_eq!(compared, ids(&cli).len() - 2);
    assert_eq!(gate(&demo_json, "rebuild-identity")["status"], "pass");
    let rebuild = gate(&cli, "rebuild-identity");
    assert_eq!(rebuild["status"], "error", "{rebuild:#}");
    assert!(
        rebuild["detail"]
            .as_str()
            .unwrap()
            .contains("nothing to rebuild with"),
        "{rebuild:#}"
    );
    assert_eq!(
        cli["decision"]["blocking_gates"],
        serde_json::json!(["rebuild-identity"])
    );
    assert_eq!(code(&out), 1);
}

/// A repository on the fake: main at HEAD, tag v1.0.0 at HEAD, the given runs, a draft
/// release with the assets every shipped policy requires.
fn github(runs: &[Run]) -> GithubFake {
    let fake = GithubFake::start();
    fake.max_per_page(3);
    fake.token("t0ken-secret");
    fake.private("example/project");
    fake.branch("example/project", "main", HEAD);
    fake.lightweight_tag("example/project", "v1.0.0", HEAD);
    for r in runs {
        fake.run("example/project", r.clone());
    }
    fake
}

/// The workflows a shipped policy's `[ci]` names.
fn workflows(policy: &Path) -> Vec<String> {
    Policy::load(policy)
        .unwrap()
        .ci
        .expect("the policy has [ci]")
        .workflows
}

/// `relkit verify --format json --policy POLICY ARGS... RELEASE`.
fn verify(policy: &Path, release: &Path, args: &[&str]) -> Command {
    let mut c = relkit();
    c.args(["verify", "--format", "json", "--policy"])
        .arg(policy)
        .args(args)
        .arg(release);
    c
}

fn ci_run(fake: &GithubFake, policy: &Path, source: &Path, release: &Path) -> Output {
    let source = source.display().to_string();
    run(verify(
        policy,
        release,
        &["--phase", "preflight", "--source", &source],
    )
    .env("GITHUB_API_URL", fake.base())
    .env("GITHUB_REPOSITORY", "example/project")
    .env("GITHUB_SHA", HEAD)
    .env("GITHUB_REF", "refs/tags/v1.0.0")
    .env("GITHUB_TOKEN", "t0ken-secret"))
}

/// Makes the run of one workflow (`id`, file name).
type MakeRun = dyn Fn(u64, &str) -> Run;

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/policies")
        .join(name)
}

#[test]
fn the_shipped_policies_with_ci_run_ci_green_from_the_environment() {
    let source = tempfile::tempdir().unwrap();
    let release = tempfile::tempdir().unwrap();
    let with_ci: Vec<String> = std::fs::read_dir(shipped(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| Policy::load(p).unwrap().ci.is_some())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(with_ci, ["gateway.toml", "ordvec.toml", "sketchlog.toml"]);
    for name in &with_ci {
        let policy = shipped(name);
        let names = workflows(&policy);
        let each = |f: &dyn Fn(u64, &str) -> Run| -> Vec<Run> {
            names.iter().zip(1u64..).map(|(w, id)| f(id, w)).collect()
        };
        // Green for the exact commit: passes, with the runs as evidence.
        let fake = github(&each(&|id, w| Run::push(id, w, HEAD).completed("success")));
        let out = ci_run(&fake, &policy, source.path(), release.path());
        let report = support::stdout_json(&out);
        let g = gate(&report, "ci-green");
        assert_eq!(g["status"], "pass", "{name}: {g:#}");
        assert_eq!(
            g["evidence"]["ci"]["commit"], HEAD,
            "{name}: the commit comes from GITHUB_SHA"
        );
        assert_eq!(
            g["evidence"]["ci"]["tag"], "v1.0.0",
            "{name}: the tag from GITHUB_REF"
        );
        assert_eq!(
            g["evidence"]["ci"]["runs"].as_array().unwrap().len(),
            names.len(),
            "{name}: every page read"
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stdout.contains("t0ken-secret") && !stderr.contains("t0ken-secret"),
            "{name}: the token is never printed"
        );
        assert!(
            fake.requests()
                .iter()
                .all(|r| r.authorization.as_deref() == Some("Bearer t0ken-secret")),
            "{name}: the token from GITHUB_TOKEN is sent"
        );

        // Cancelled, in progress, or green for another commit: ci-not-green.
        let last = names.len() as u64;
        let cases: [(&str, Box<MakeRun>); 3] = [
            (
                "cancelled",
                Box::new(move |id, w| {
                    let r = Run::push(id, w, HEAD);
                    if id == last {
                        r.completed("cancelled")
                    } else {
                        r.completed("success")
                    }
                }),
            ),
            (
                "in progress",
                Box::new(move |id, w| {
                    let r = Run::push(id, w, HEAD);
                    if id == last {
                        r.in_progress()
                    } else {
                        r.completed("success")
                    }
                }),
            ),
            (
                "green for another commit",
                Box::new(|id, w| Run::push(id, w, OTHER).completed("success")),
            ),
        ];
        for (what, make) in &cases {
            let fake = github(&each(make.as_ref()));
            let out = ci_run(&fake, &policy, source.path(), release.path());
            let report = support::stdout_json(&out);
            let g = gate(&report, "ci-green");
            assert_eq!(g["status"], "fail", "{name}, {what}: {g:#}");
            let found = codes(g);
            assert!(
                !found.is_empty() && found.iter().all(|c| c == "ci-not-green"),
                "{name}, {what}: {found:?}"
            );
            assert_eq!(code(&out), 1, "{name}, {what}: blocked");
            assert!(
                report["decision"]["blocking_gates"]
                    .as_array()
                    .unwrap()
                    .contains(&Value::from("ci-green")),
                "{name}, {what}"
            );
        }
    }
}

#[test]
fn flags_override_the_environment_and_forge_release_exists_gets_the_provider() {
    let fake = github(&[Run::push(1, "ci.yml", HEAD).completed("success")]);
    fake.release(
        "example/project",
        Release::published("v1.0.0", &["gateway-1.0.0.tar.gz"]).draft(),
    );
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("release.toml");
    std::fs::write(
        &policy,
        "schema-version = 1\n[project]\nname = \"p\"\n[ci]\nbranch = \"main\"\nworkflows = [\"ci.yml\"]\n\
         [release]\nrequired-assets = [\"gateway-{version}.tar.gz\"]\n[gates.forge-release-exists]\nphase = \"postpublish\"\n",
    )
    .unwrap();
    let release = tempfile::tempdir().unwrap();
    // The environment names another repository, commit and tag; the flags win. The token
    // comes from the variable --github-token-env names.
    let base = fake.base().to_owned();
    let flags = [
        "--phase",
        "preflight",
        "--phase",
        "postpublish",
        "--github-api-url",
        &base,
        "--github-repository",
        "example/project",
        "--github-token-env",
        "MY_TOKEN",
        "--tag",
        "v1.0.0",
        "--commit",
        HEAD,
    ];
    let out = run(verify(&policy, release.path(), &flags)
        .env("GITHUB_API_URL", "http://127.0.0.1:9")
        .env("GITHUB_REPOSITORY", "example/elsewhere")
        .env("GITHUB_SHA", OTHER)
        .env("GITHUB_REF", "refs/tags/v9.9.9")
        .env("MY_TOKEN", "t0ken-secret"));
    let report = support::stdout_json(&out);
    assert_eq!(gate(&report, "ci-green")["status"], "pass", "{report:#}");
    let forge = gate(&report, "forge-release-exists");
    assert_eq!(forge["status"], "pass", "{forge:#}");
    assert_eq!(forge["evidence"]["release"]["draft"], true);
    assert_eq!(report["tag"], "v1.0.0");
    assert_eq!(code(&out), 0);

    // Without a token the private repository is not found: an error, never a pass.
    let out = run(verify(&policy, release.path(), &["--phase", "preflight"])
        .env("GITHUB_API_URL", fake.base())
        .env("GITHUB_REPOSITORY", "example/project")
        .env("GITHUB_SHA", HEAD));
    let report = support::stdout_json(&out);
    assert_eq!(gate(&report, "ci-green")["status"], "error", "{report:#}");
    assert_eq!(code(&out), 1);

    // No provider configured at all: the gate says so and blocks.
    let out = run(&mut verify(
        &policy,
        release.path(),
        &["--phase", "preflight", "--tag", "v1.0.0"],
    ));
    let report = support::stdout_json(&out);
    let g = gate(&report, "ci-green");
    assert_eq!(g["status"], "error");
    assert!(g["detail"].as_str().unwrap().contains("provider"), "{g:#}");
    assert_eq!(code(&out), 1);
}

#[test]
fn the_step_summary_gets_the_markdown_report_appended() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("dist");
    std::fs::create_dir(&release).unwrap();
    std::fs::write(release.join("app.txt"), b"app\n").unwrap();
    let sum = "a4fbb5e8ab8b0ac7e6d6c1c3ae3fefa3ba7e2a8bd4b3a1e6b8dd5a0b2c3d4e5f";
    std::fs::write(release.join("SHA256SUMS"), format!("{sum}  app.txt\n")).unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let out = run(relkit()
        .args(["verify", "--format", "json"])
        .arg(&release)
        .env("GITHUB_STEP_SUMMARY", &summary));
    assert_eq!(code(&out), 1, "a wrong checksum blocks");
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("# earlier step\n"),
        "appended, not replaced: {text}"
    );
    let report: Value = support::stdout_json(&out);
    // The Markdown rendering of the very report printed as JSON.
    assert!(text.contains("checksum-file"), "{text}");
    assert!(
        text.contains("BLOCKED") || text.contains("blocked"),
        "{text}"
    );
    assert!(
        text.contains(report["decision"]["summary"].as_str().unwrap()),
        "{text}"
    );

    // A correct checksum passes: exit 0, and the summary gets a second report.
    let hex = artidigest::Digest::of(artidigest::Algorithm::Sha256, b"app\n").to_hex();
    std::fs::write(release.join("SHA256SUMS"), format!("{hex}  app.txt\n")).unwrap();
    let out = run(relkit()
        .args(["verify"])
        .arg(&release)
        .env("GITHUB_STEP_SUMMARY", &summary));
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let again = std::fs::read_to_string(&summary).unwrap();
    assert!(again.len() > text.len() && again.starts_with(&text));
}

#[test]
fn a_release_toml_inside_the_judged_folder_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    // The folder's own policy would allow anything; the plain-folder policy is used instead.
    std::fs::write(
        dir.path().join("release.toml"),
        "schema-version = 1\n[project]\nname = \"mine\"\n",
    )
    .unwrap();
    let out = run(relkit()
        .args(["verify", "--format", "json"])
        .arg(dir.path()));
    let report = support::stdout_json(&out);
    assert_ne!(report["project"], "mine", "{report:#}");
    assert_eq!(code(&out), 1, "no checksum file: blocked");
}

#[test]
fn exit_codes_usage_two_blocked_one_allowed_zero() {
    // Usage errors: an unknown flag, no release folder, a bad phase, a missing policy.
    assert_eq!(code(&run(relkit().args(["verify", "--no-such-flag"]))), 2);
    assert_eq!(code(&run(relkit().args(["verify"]))), 2);
    assert_eq!(
        code(&run(relkit().args(["verify", "--phase", "launch", "."]))),
        2
    );
    let out = run(relkit().args(["verify", "--policy", "/nonexistent/release.toml", "."]));
    assert_eq!(code(&out), 2);
    assert_eq!(
        code(&run(relkit().args(["verify", "/nonexistent/dist"]))),
        2,
        "not a folder"
    );
    // Half a GitHub configuration given by flag is a usage mistake.
    let dir = tempfile::tempdir().unwrap();
    let out = run(relkit()
        .args(["verify", "--github-api-url", "http://127.0.0.1:9"])
        .arg(dir.path()));
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stdout));
    // Blocked: a folder without a checksum file.
    assert_eq!(code(&run(relkit().arg("verify").arg(dir.path()))), 1);
    // Allowed: a policy requiring one asset that is there.
    let policy = dir.path().join("release.toml");
    std::fs::write(
        &policy,
        "schema-version = 1\n[project]\nname = \"p\"\n[release]\nrequired-assets = [\"*.txt\"]\n[[files.allow]]\nglob = \"*\"\nreason = \"test\"\n",
    )
    .unwrap();
    let release = tempfile::tempdir().unwrap();
    std::fs::write(release.path().join("notes.txt"), b"n").unwrap();
    let out = run(relkit()
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .arg(release.path()));
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    // --help exits 0 and shows an example.
    for args in [
        &["verify", "--help"][..],
        &["policy", "--help"],
        &["policy", "check", "--help"],
        &["policy", "explain", "--help"],
    ] {
        let out = run(relkit().args(args));
        assert_eq!(code(&out), 0, "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Example:"),
            "{args:?}"
        );
    }
}

#[test]
fn policy_check_names_file_line_and_key() {
    for name in [
        "advisoryhub.toml",
        "gateway.toml",
        "ordvec.toml",
        "securescan.toml",
        "sketchlog.toml",
    ] {
        let out = run(relkit().args(["policy", "check"]).arg(shipped(name)));
        assert_eq!(
            code(&out),
            0,
            "{name}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("release.toml");
    // `policy check --format json` of `text` written to `bad`.
    let check = |text: &str| {
        std::fs::write(&bad, text).unwrap();
        run(relkit()
            .args(["policy", "check", "--format", "json"])
            .arg(&bad))
    };
    let out = check(
        "schema-version = 1\n[project]\nname = \"p\"\n\n[release]\nrequired-asets = [\"*.whl\"]\n",
    );
    assert_eq!(code(&out), 2);
    let report = support::stdout_json(&out);
    let finding = &report["errors"][0];
    assert_eq!(finding["code"], "policy-invalid");
    assert_eq!(finding["location"]["path"], bad.display().to_string());
    assert_eq!(finding["location"]["line"], 6);
    assert_eq!(finding["location"]["key"], "release.required-asets");
    assert!(
        finding["found"]
            .as_str()
            .unwrap()
            .contains("required-assets"),
        "{finding:#}"
    );
    // verify reports the same located finding.
    let out = run(relkit()
        .args(["verify", "--format", "json", "--policy"])
        .arg(&bad)
        .arg(dir.path()));
    assert_eq!(code(&out), 2);
    assert_eq!(support::stdout_json(&out)["errors"][0], *finding);

    // A cycle of `after` edges is invalid too.
    let out = check(
        "schema-version = 1\n[project]\nname = \"p\"\n[gates.a]\ncommand = [\"true\"]\nafter = [\"b\"]\n[gates.b]\ncommand = [\"true\"]\nafter = [\"a\"]\n",
    );
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        support::stdout_json(&out)["errors"][0]["code"],
        "policy-invalid"
    );
}

#[test]
fn policy_explain_shows_the_plan_with_phases_and_reasons() {
    let policy = shipped("gateway.toml");
    let out = run(relkit()
        .args(["policy", "explain", "--format", "json"])
        .arg(&policy));
    assert_eq!(code(&out), 0);
    let plan = support::stdout_json(&out);
    assert_eq!(plan["schema"], "relgate-plan/1");
    let ci = gate(&plan, "ci-green");
    assert_eq!(ci["phase"], "preflight");
    assert_eq!(
        ci["implementation"], "unavailable",
        "no provider configured"
    );
    // With the provider configured from the environment the gate is the built-in one.
    let fake = github(&[]);
    let out = run(relkit()
        .args(["policy", "explain", "--format", "json"])
        .arg(&policy)
        .env("GITHUB_API_URL", fake.base())
        .env("GITHUB_REPOSITORY", "example/project"));
    let plan = support::stdout_json(&out);
    let ci = gate(&plan, "ci-green");
    assert_eq!(ci["implementation"], "built-in");
    assert!(fake.requests().is_empty(), "explaining asks nothing");

    // Human text: phases, each gate with what implied it; the folder's files imply gates.
    let release = tempfile::tempdir().unwrap();
    std::fs::write(release.path().join("app.zip"), b"PK\x05\x06").unwrap();
    let out = run(relkit()
        .args(["policy", "explain"])
        .arg(&policy)
        .arg("--release")
        .arg(release.path()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("preflight\n"), "{text}");
    assert!(text.contains("implied by policy section [ci]"), "{text}");
    assert!(text.contains("files: app.zip (zip)"), "{text}");
}
