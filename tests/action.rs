//! The GitHub Action (`action.yml`), run as a runner would run its composite steps: each
//! `run:` step with bash, its `${{ … }}` expressions substituted, `GITHUB_OUTPUT`,
//! `GITHUB_STEP_SUMMARY` and `GITHUB_PATH` pointed at files; then what those files hold.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failing fixture fails the test"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn action() -> Yaml {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let mut docs = YamlLoader::load_from_str(&text).unwrap();
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

fn text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Boolean(b) => Some(b.to_string()),
        Yaml::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

/// What a run of the action left: every step's outputs, the action's outputs, the files.
#[derive(Debug, Default)]
struct Outcome {
    steps: BTreeMap<String, BTreeMap<String, String>>,
    outputs: BTreeMap<String, String>,
    codes: BTreeMap<String, i32>,
    stdout: String,
    summary: String,
    /// The steps a runner would run, by name (`uses:` steps by their `if:`).
    ran: Vec<String>,
}

/// Parses a `GITHUB_OUTPUT` file: `name=value` lines and `name<<DELIM` blocks.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            out.insert(name.to_owned(), value.to_owned());
        }
    }
    out
}

struct Context<'a> {
    inputs: &'a BTreeMap<String, String>,
    steps: &'a BTreeMap<String, BTreeMap<String, String>>,
}

impl Context<'_> {
    /// The value of one expression: `inputs.X`, `steps.ID.outputs.X`, `github.token`, a
    /// quoted literal. Anything else fails the test: the action must not use it unnoticed.
    fn value(&self, expr: &str) -> String {
        let expr = expr.trim();
        if let Some(lit) = expr.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
            return lit.to_owned();
        }
        if let Some(name) = expr.strip_prefix("inputs.") {
            return self
                .inputs
                .get(name)
                .unwrap_or_else(|| panic!("no input {name}"))
                .clone();
        }
        if let Some(rest) = expr.strip_prefix("steps.") {
            let (id, out) = rest.split_once(".outputs.").unwrap();
            // A step that did not run (or a `uses:` step here) has empty outputs.
            return self
                .steps
                .get(id)
                .and_then(|o| o.get(out))
                .cloned()
                .unwrap_or_default();
        }
        if expr == "github.token" {
            return String::from("t0ken-from-the-workflow");
        }
        panic!("expression the test does not know: {expr}");
    }

    /// `text` with every `${{ … }}` replaced by its value.
    fn expand(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("closed expression") + start;
            out.push_str(&self.value(&rest[start + 3..end]));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// An `if:` condition: `&&` of `always()`, `A == 'x'`, `A != 'x'`.
    fn holds(&self, condition: &str) -> bool {
        condition.split("&&").all(|term| {
            let term = term.trim();
            if term == "always()" {
                true
            } else if let Some((a, b)) = term.split_once("!=") {
                self.value(a) != self.value(b)
            } else if let Some((a, b)) = term.split_once("==") {
                self.value(a) == self.value(b)
            } else {
                panic!("condition the test does not know: {term}")
            }
        })
    }
}

/// Runs the action in `workspace` with `given` inputs (the rest take their defaults) and
/// `job_env` as the job's environment (`GITHUB_REF`, ...).
fn run_action(workspace: &Path, given: &[(&str, &str)], job_env: &[(&str, &str)]) -> Outcome {
    let action = action();
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let mut inputs = BTreeMap::new();
    let steps_none = BTreeMap::new();
    for (name, spec) in action["inputs"].as_hash().unwrap() {
        let name = name.as_str().unwrap().to_owned();
        let default = text(&spec["default"]).unwrap_or_default();
        let ctx = Context {
            inputs: &BTreeMap::new(),
            steps: &steps_none,
        };
        inputs.insert(name, ctx.expand(&default));
    }
    for (k, v) in given {
        assert!(inputs.contains_key(*k), "action.yml has no input {k}");
        inputs.insert((*k).to_owned(), (*v).to_owned());
    }

    let runner = tempfile::tempdir().unwrap();
    let temp = runner.path().join("temp");
    let tool_cache = runner.path().join("tool-cache");
    std::fs::create_dir_all(&temp).unwrap();
    std::fs::create_dir_all(&tool_cache).unwrap();
    let summary = runner.path().join("step-summary.md");
    let github_path = runner.path().join("github-path");
    std::fs::write(&summary, "").unwrap();
    std::fs::write(&github_path, "").unwrap();
    let built = Path::new(env!("CARGO_BIN_EXE_relkit")).parent().unwrap();

    let mut outcome = Outcome::default();
    for (i, step) in action["runs"]["steps"].as_vec().unwrap().iter().enumerate() {
        let name = step["name"].as_str().unwrap().to_owned();
        let id = step["id"]
            .as_str()
            .map_or_else(|| format!("step{i}"), str::to_owned);
        let ctx = Context {
            inputs: &inputs,
            steps: &outcome.steps,
        };
        let runs = step["if"].as_str().is_none_or(|c| ctx.holds(c));
        if let Some(uses) = step["uses"].as_str() {
            // Other actions are pinned by full commit SHA, and not run here (no network).
            let (_, pin) = uses.split_once('@').unwrap();
            assert!(
                pin.len() == 40 && pin.chars().all(|c| c.is_ascii_hexdigit()),
                "{uses} is not pinned by a full commit SHA"
            );
            if runs {
                outcome.ran.push(name);
            }
            // actions/cache/restore on a cold cache: no hit.
            outcome.steps.insert(id, BTreeMap::new());
            continue;
        }
        let script = step["run"].as_str().expect("a step runs or uses");
        assert_eq!(step["shell"].as_str(), Some("bash"), "{name}");
        if !runs {
            continue;
        }
        outcome.ran.push(name.clone());
        if script.contains("cargo install") {
            // The install step builds relkit from the action's own ref; here the test's
            // built binary stands for it: its folder goes on PATH instead (tests never run
            // `cargo install`).
            assert!(
                script.contains(r#"cargo install --locked --path "$GITHUB_ACTION_PATH""#),
                "{script}"
            );
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&github_path)
                .unwrap();
            use std::io::Write as _;
            writeln!(f, "{}", built.display()).unwrap();
            outcome.steps.insert(id, BTreeMap::new());
            continue;
        }
        assert!(
            !script.contains("${{"),
            "{name}: inputs reach scripts through env, never spliced into the script"
        );
        let output = runner.path().join(format!("output-{i}"));
        std::fs::write(&output, "").unwrap();
        // PATH as the runner makes it: GITHUB_PATH entries first, the latest added first.
        let mut path: Vec<String> = std::fs::read_to_string(&github_path)
            .unwrap()
            .lines()
            .rev()
            .map(str::to_owned)
            .collect();
        path.push(std::env::var("PATH").unwrap());
        // As the runner runs a `shell: bash` step: the script in a file, with
        // `bash --noprofile --norc -eo pipefail {0}`.
        let file = runner.path().join(format!("step-{i}.sh"));
        std::fs::write(&file, script).unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&file)
            .current_dir(workspace)
            .env_clear()
            .env("PATH", path.join(":"))
            .env("HOME", runner.path())
            .env("RUNNER_TEMP", &temp)
            .env("RUNNER_TOOL_CACHE", &tool_cache)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("NO_COLOR", "1")
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_PATH", &github_path)
            .envs(job_env.iter().copied());
        if let Some(env) = step["env"].as_hash() {
            for (k, v) in env {
                cmd.env(k.as_str().unwrap(), ctx.expand(&text(v).unwrap()));
            }
        }
        let out = cmd.output().unwrap();
        outcome
            .stdout
            .push_str(&String::from_utf8_lossy(&out.stdout));
        outcome
            .codes
            .insert(id.clone(), out.status.code().unwrap_or(-1));
        let written = parse_outputs(&std::fs::read_to_string(&output).unwrap());
        outcome.steps.insert(id.clone(), written);
        if !out.status.success() {
            // A failing step ends the job; `always()` steps would still run.
            for later in action["runs"]["steps"].as_vec().unwrap().iter().skip(i + 1) {
                let cond = later["if"].as_str().unwrap_or("");
                let ctx = Context {
                    inputs: &inputs,
                    steps: &outcome.steps,
                };
                if cond.contains("always()") && ctx.holds(cond) {
                    outcome.ran.push(later["name"].as_str().unwrap().to_owned());
                }
            }
            break;
        }
    }
    let ctx = Context {
        inputs: &inputs,
        steps: &outcome.steps,
    };
    for (name, spec) in action["outputs"].as_hash().unwrap() {
        let value = ctx.expand(spec["value"].as_str().unwrap());
        outcome
            .outputs
            .insert(name.as_str().unwrap().to_owned(), value);
    }
    outcome.summary = std::fs::read_to_string(&summary).unwrap();
    // The runner's temp folder goes with `runner`; keep what the checks need.
    if let Some(report) = outcome.outputs.get("report").filter(|r| !r.is_empty()) {
        let kept = workspace.join("report.json");
        if Path::new(report).is_file() {
            std::fs::copy(report, &kept).unwrap();
            outcome
                .outputs
                .insert(String::from("report"), kept.display().to_string());
        }
    }
    if let Some(sarif) = outcome.outputs.get("sarif").filter(|r| !r.is_empty()) {
        let kept = workspace.join("relkit.sarif");
        if Path::new(sarif).is_file() {
            std::fs::copy(sarif, &kept).unwrap();
            outcome
                .outputs
                .insert(String::from("sarif"), kept.display().to_string());
        }
    }
    outcome
}

fn sha256_hex(bytes: &[u8]) -> String {
    artidigest::Digest::of(artidigest::Algorithm::Sha256, bytes).to_hex()
}

/// A workspace with `dist/` (one file and its checksum file) and `src/pyproject.toml` at
/// `version`.
fn workspace(version: &str) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    relkit_testkit::write_files(
        ws.path(),
        &[
            ("dist/notes.txt", "notes\n"),
            (
                "dist/SHA256SUMS",
                &format!("{}  notes.txt\n", sha256_hex(b"notes\n")),
            ),
            (
                "src/pyproject.toml",
                &format!("[project]\nname = \"demo\"\nversion = \"{version}\"\n"),
            ),
            (
                "release.toml",
                "schema-version = 1\n[project]\nname = \"demo\"\n[tag]\npattern = \"v{version}\"\n\
                 [versions.inline]\n[[versions.inline.source]]\npath = \"pyproject.toml\"\nkind = \"pyproject\"\n\
                 [checksums]\nfile = \"SHA256SUMS\"\n",
            ),
        ],
    );
    ws
}

fn report(outcome: &Outcome) -> serde_json::Value {
    let path = PathBuf::from(&outcome.outputs["report"]);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

#[test]
fn a_plain_folder_that_verifies_is_allowed() {
    let ws = workspace("1.0.0");
    let o = run_action(ws.path(), &[], &[]);
    assert_eq!(o.outputs["decision"], "allowed", "{o:#?}");
    assert_eq!(o.outputs["exit-code"], "0");
    assert_eq!(o.codes["verify"], 0);
    let r = report(&o);
    assert_eq!(r["schema"], "relgate-report/2");
    assert_eq!(r["decision"]["status"], "allowed");
    // The step summary holds the Markdown report, written by relkit itself.
    assert!(o.summary.contains("checksum-file"), "{}", o.summary);
    assert!(
        o.summary
            .contains(r["decision"]["summary"].as_str().unwrap())
    );
    // The cache key step ran on the action's sources; the install step was the one replaced.
    let key = &o.steps["key"]["key"];
    assert!(
        key.starts_with("relkit-Linux-X64-") && key.len() == 33,
        "{key}"
    );
    assert!(o.steps["key"]["root"].ends_with(&key["relkit-Linux-X64-".len()..]));
    assert!(o.ran.contains(&String::from("Install relkit")));
    assert!(!o.ran.contains(&String::from("Upload SARIF")));
    assert_eq!(o.outputs["sarif"], "");
}

#[test]
fn policy_source_phase_and_the_job_ref_reach_relkit() {
    // The tag comes from the job's GITHUB_REF; the version from the source input.
    let ws = workspace("1.0.0");
    let inputs = [
        ("policy", "release.toml"),
        ("source", "src"),
        ("phase", "preflight, prepublish"),
        ("format", "json"),
    ];
    let job = [("GITHUB_REF", "refs/tags/v1.0.0")];
    let o = run_action(ws.path(), &inputs, &job);
    let r = report(&o);
    assert_eq!(o.outputs["decision"], "allowed", "{r:#}");
    assert_eq!(r["tag"], "v1.0.0");
    assert_eq!(r["phases"], serde_json::json!(["preflight", "prepublish"]));
    let ids: Vec<&str> = r["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"versions-lockstep") && ids.contains(&"checksum-file"),
        "{ids:?}"
    );
    // `format: json` is what the log shows.
    let printed: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(printed["decision"], r["decision"]);

    // The same release tagged v1.0.1: the versions disagree, the step fails, the log
    // carries annotations (the default format), the outputs say blocked.
    let o = run_action(
        ws.path(),
        &[
            ("policy", "release.toml"),
            ("source", "src"),
            ("phase", "preflight"),
        ],
        &[("GITHUB_REF", "refs/tags/v1.0.1")],
    );
    assert_eq!(o.outputs["decision"], "blocked", "{o:#?}");
    assert_eq!(o.outputs["exit-code"], "1");
    assert_eq!(o.codes["verify"], 1);
    assert!(o.stdout.contains("::error"), "{}", o.stdout);
    assert!(o.stdout.contains("version-mismatch"), "{}", o.stdout);
    let r = report(&o);
    assert_eq!(r["decision"]["status"], "blocked");
    assert!(o.summary.contains("version-mismatch"), "{}", o.summary);
}

#[test]
fn an_invalid_policy_could_not_run_and_the_trust_root_input_is_used() {
    let ws = workspace("1.0.0");
    std::fs::write(ws.path().join("bad.toml"), "[project]\nnme = \"x\"\n").unwrap();
    let o = run_action(ws.path(), &[("policy", "bad.toml")], &[]);
    assert_eq!(o.outputs["decision"], "could-not-run", "{o:#?}");
    assert_eq!(o.outputs["exit-code"], "2");
    assert_eq!(report(&o)["errors"][0]["code"], "policy-invalid");

    // A trust-root input replaces the policy's: the report names it by path and sha256.
    std::fs::write(
        ws.path().join("signed.toml"),
        "schema-version = 1\n[project]\nname = \"demo\"\n[signing]\nserver = \"https://github.com\"\n\
         repository = \"o/r\"\nworkflow = \".github/workflows/release.yml\"\n\
         issuer = \"https://token.actions.githubusercontent.com\"\n",
    )
    .unwrap();
    let root_bytes = std::fs::read(root().join("examples/demo-release/trusted_root.json")).unwrap();
    std::fs::write(ws.path().join("my_root.json"), &root_bytes).unwrap();
    let o = run_action(
        ws.path(),
        &[
            ("policy", "signed.toml"),
            ("trust-root", "my_root.json"),
            ("phase", "prepublish"),
        ],
        &[("GITHUB_REF", "refs/tags/v1.0.0")],
    );
    let r = report(&o);
    assert_eq!(
        r["inputs"]["trust_root"]["sha256"],
        sha256_hex(&root_bytes),
        "{r:#}"
    );
}

#[test]
fn sarif_is_written_and_uploaded_only_when_asked() {
    let ws = workspace("1.0.0");
    let o = run_action(ws.path(), &[("sarif", "true")], &[]);
    assert_eq!(o.outputs["decision"], "allowed", "{o:#?}");
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&o.outputs["sarif"]).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(o.ran.contains(&String::from("Upload SARIF")));
    relkit_testkit::sarif::assert_valid(&sarif.to_string());
}
