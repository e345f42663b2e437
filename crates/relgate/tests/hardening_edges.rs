//! Hardened edges of command gates (issue 12): no secret of relkit's environment reaches a
//! command or any report format, output is scrubbed before it is cut, and a command ends
//! with every process it started.
//!
//! Tests that need secrets in relkit's environment run this test binary again as a child
//! process with the variables set on that child (the test process's own environment is never
//! changed): the child runs the policy and prints every report format; the parent checks them.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]
#![allow(
    clippy::print_stdout,
    reason = "the child half prints the reports it rendered"
)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use relgate::{Format, GateStatus, Policy, Report, RunContext};

/// Set on the child half of a re-run test.
const CHILD: &str = "RELGATE_HARDENING_CHILD";
/// Between the child's reports.
const SEPARATOR: &str = "\n=====relgate-hardening-format=====\n";

const GITHUB_TOKEN: &str = "ghp_plantedGithubToken0123456789abcd";
const CARGO_REGISTRY_TOKEN: &str = "cio_plantedCargoToken0123456789";
const NPM_TOKEN: &str = "npm_plantedNpmToken0123456789ab";
const SECRET_X: &str = "plainly-named-secret-4f1c9e27";
const PASS_ME: &str = "passed-value-1";
/// 30 characters; known to the scrubber only as the value of `DEPLOY_TOKEN`.
const DEPLOY_TOKEN: &str = "dtk_Zq8Lm3Wv9Xr2Ty7Np4Hs6Jb1Kc";

async fn run(policy: &str, source: &Path) -> Report {
    let policy = Policy::from_toml_str(policy, "release.toml").unwrap();
    let mut ctx = RunContext::new(source).source_dir(source).tag("v1.2.3");
    for g in relgate::gates::policy_gates(&policy) {
        ctx = ctx.gate(g);
    }
    relgate::run(&policy, ctx).await
}

/// In the child: runs `policy` and prints every report format. In the parent: re-runs this
/// test (`name`) as a child with the planted variables and returns what it printed, one
/// string per format.
fn in_child_with_secrets(name: &str, policy: &str) -> Option<Vec<String>> {
    if std::env::var_os(CHILD).is_some() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let report = rt.block_on(run(policy, dir.path()));
        let all: Vec<String> = Format::ALL
            .iter()
            .map(|f| f.render(&report, false))
            .collect();
        println!("{}", all.join(SEPARATOR));
        return None;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("GITHUB_TOKEN", GITHUB_TOKEN)
        .env("CARGO_REGISTRY_TOKEN", CARGO_REGISTRY_TOKEN)
        .env("NPM_TOKEN", NPM_TOKEN)
        .env("SECRET_X", SECRET_X)
        .env("PASS_ME", PASS_ME)
        .env("DEPLOY_TOKEN", DEPLOY_TOKEN)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let formats: Vec<String> = stdout.split(SEPARATOR).map(str::to_owned).collect();
    assert_eq!(formats.len(), Format::ALL.len(), "{stdout}");
    Some(formats)
}

/// Every substring of `secret` of 8 characters.
fn pieces(secret: &str) -> Vec<&str> {
    (0..=secret.len() - 8).map(|i| &secret[i..i + 8]).collect()
}

fn assert_absent(formats: &[String], secret: &str) {
    for (text, format) in formats.iter().zip(Format::ALL) {
        for piece in pieces(secret) {
            assert!(
                !text.contains(piece),
                "{format} shows {piece:?} of a secret:\n{text}"
            );
        }
    }
}

#[test]
fn a_command_gets_no_secret_of_relkits_environment_and_no_report_shows_one() {
    // The command prints its whole environment, then each planted variable by name.
    let policy = r#"
[project]
name = "h"
[gates.show-env]
phase = "preflight"
command = ["sh", "-c", "env | tr '\n' ' '; echo; for n in GITHUB_TOKEN CARGO_REGISTRY_TOKEN NPM_TOKEN SECRET_X DEPLOY_TOKEN PASS_ME; do printf '%s has [%s] ' \"$n\" \"$(printenv $n)\"; done; echo; exit 3"]
env = ["PASS_ME"]
"#;
    let Some(formats) = in_child_with_secrets(
        "a_command_gets_no_secret_of_relkits_environment_and_no_report_shows_one",
        policy,
    ) else {
        return;
    };
    for secret in [
        GITHUB_TOKEN,
        CARGO_REGISTRY_TOKEN,
        NPM_TOKEN,
        SECRET_X,
        DEPLOY_TOKEN,
    ] {
        assert_absent(&formats, secret);
    }
    let terminal = &formats[0];
    // Not scrubbed away: never there (a leaked token would show as `***`, not empty).
    for name in [
        "GITHUB_TOKEN",
        "CARGO_REGISTRY_TOKEN",
        "NPM_TOKEN",
        "SECRET_X",
        "DEPLOY_TOKEN",
    ] {
        assert!(
            terminal.contains(&format!("{name} has []")),
            "{name}: {terminal}"
        );
    }
    // The variable the policy names is passed; so are the ones relkit sets.
    for text in &formats[..3] {
        assert!(text.contains(&format!("PASS_ME has [{PASS_ME}]")), "{text}");
        assert!(text.contains("RELKIT_GATE=show-env"), "{text}");
    }
}

#[test]
fn a_token_across_the_cut_never_shows_even_in_part() {
    // 600 bytes, the 30-character token, then 1,985 more on the same line: the quoted tail
    // (2,000 characters) starts in the middle of the token.
    let policy = r#"
[project]
name = "h"
[gates.straddle]
phase = "preflight"
command = ["sh", "-c", "head -c 600 /dev/zero | tr '\\0' x; printf %s \"$DEPLOY_TOKEN\"; head -c 1985 /dev/zero | tr '\\0' y; echo; exit 5"]
env = ["DEPLOY_TOKEN"]
"#;
    let Some(formats) =
        in_child_with_secrets("a_token_across_the_cut_never_shows_even_in_part", policy)
    else {
        return;
    };
    assert_absent(&formats, DEPLOY_TOKEN);
    // The cut did happen after scrubbing: the tail is there, the mask at its front.
    let json = &formats[1];
    assert!(json.contains("yyyyyyyy"), "{json}");
    assert!(json.contains("***"), "{json}");
}

fn alive(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim().chars().next()
}

#[tokio::test]
async fn a_passing_command_leaves_no_process_behind_even_a_setsid_one() {
    let dir = tempfile::tempdir().unwrap();
    // A background job in the command's group, and one that left the group and the session.
    let script =
        "sleep 300 & echo $! > pids; setsid sleep 300 & echo $! >> pids; sleep 0.2; echo started";
    let policy = format!(
        "[project]\nname = \"h\"\n[gates.leaves]\nphase = \"preflight\"\ncommand = [\"sh\", \"-c\", {script:?}]\n"
    );
    let r = run(&policy, dir.path()).await;
    let g = r.gate("leaves").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    let pids: Vec<u32> = std::fs::read_to_string(dir.path().join("pids"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 2);
    for pid in &pids {
        // Killed before the run returned: gone, or at most a zombie about to be reaped.
        assert!(
            matches!(alive(*pid), None | Some('Z')),
            "process {pid} still running: {:?}",
            alive(*pid)
        );
    }
    let t = Instant::now();
    while pids.iter().any(|p| alive(*p).is_some()) && t.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    for pid in &pids {
        assert_eq!(alive(*pid), None, "process {pid} was not reaped");
    }
    // Their pipes were closed by the kill: the output was collected.
    let evidence = g.evidence["command"].to_string();
    assert!(evidence.contains("started"), "{evidence}");
}

#[tokio::test]
async fn a_dropped_gate_kills_its_command_and_its_detached_children() {
    let dir = tempfile::tempdir().unwrap();
    let script = "setsid sleep 300 & echo $! > pids; sleep 300";
    let policy = format!(
        "[project]\nname = \"h\"\n[gates.hang]\nphase = \"preflight\"\ncommand = [\"sh\", \"-c\", {script:?}]\n"
    );
    let pids_file = dir.path().join("pids");
    let run = run(&policy, dir.path());
    // Drop the whole run once the detached child exists.
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        while !std::fs::read_to_string(&pids_file).is_ok_and(|s| s.ends_with('\n')) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    tokio::select! {
        _ = run => panic!("the hanging gate ended by itself"),
        _ = waited => {}
    }
    let pid: u32 = std::fs::read_to_string(&pids_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let t = Instant::now();
    while alive(pid).is_some() && t.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        alive(pid),
        None,
        "the detached child {pid} outlived its gate"
    );
}
