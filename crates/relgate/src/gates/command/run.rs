//! What every command relgate runs for a gate shares (the policy's command gates and the
//! rebuild): the environment it gets, its timeout, and the `command-failed` findings.

use std::time::Duration;

use crate::finding::{Code, Finding};
use crate::gate::GateContext;
use crate::process::{Ended, TAIL_LINES, display_argv, tail_lines};
use crate::release_source::Inputs;

/// A command's timeout when the policy sets none (the runner's default gate timeout).
pub(crate) const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

/// When a command with `timeout` is killed: a little before the gate's own timeout of the
/// same length, so the command's timeout (with its name and output) is what gets reported.
pub(crate) fn kill_after(timeout: Duration) -> Duration {
    timeout.saturating_sub((timeout / 10).min(Duration::from_secs(2)))
}

/// The variables relkit sets for every command (besides these it gets only the short list of
/// `process::env::PASSED`, `LC_*`, and the variables its policy passes by name).
pub(crate) fn release_env(
    ctx: &GateContext,
    gate: &str,
    source: &std::path::Path,
) -> Vec<(String, String)> {
    let mut env = vec![
        (String::from("RELKIT_GATE"), gate.to_owned()),
        (
            String::from("RELKIT_SOURCE_DIR"),
            source.display().to_string(),
        ),
        (
            String::from("RELKIT_RELEASE_DIR"),
            std::path::absolute(&ctx.release_dir)
                .unwrap_or_else(|_| ctx.release_dir.clone())
                .display()
                .to_string(),
        ),
    ];
    if let Some(t) = &ctx.tag {
        env.push((String::from("RELKIT_TAG"), t.clone()));
        if let Ok(tag) = Inputs::of(ctx).release_tag() {
            env.push((String::from("RELKIT_VERSION"), tag.version().to_string()));
        }
    }
    if let Some(c) = &ctx.commit {
        env.push((String::from("RELKIT_COMMIT"), c.clone()));
    }
    env
}

/// The `command-failed` finding for a command that exited with `status` (its `Display`).
pub(crate) fn exit_finding(
    argv: &[String],
    cwd: &std::path::Path,
    status: &str,
    output_tail: &str,
) -> Finding {
    let mut found = status.to_owned();
    if !output_tail.is_empty() {
        found.push_str("; output ends with:\n");
        found.push_str(output_tail);
    }
    Finding::new(Code::CommandFailed, display_argv(argv))
        .expected("exit status 0")
        .found(found)
        .hint(format!(
            "run the command in {} to reproduce; it runs without a shell",
            cwd.display()
        ))
}

/// The tail quoted for a finding: stderr's, else stdout's.
pub(crate) fn output_tail(ended: &Ended) -> String {
    let tail = tail_lines(&ended.stderr, TAIL_LINES);
    if tail.is_empty() {
        tail_lines(&ended.stdout, TAIL_LINES)
    } else {
        tail
    }
}

/// The `command-failed` finding for a command killed after `killed_after` under a timeout of
/// `limit`.
pub(crate) fn timeout_finding(
    argv: &[String],
    limit: Duration,
    killed_after: Duration,
    output_tail: &str,
) -> Finding {
    let mut found = format!(
        "still running after {:.1} s: killed with every process it started",
        killed_after.as_secs_f64()
    );
    if !output_tail.is_empty() {
        found.push_str("; output ends with:\n");
        found.push_str(output_tail);
    }
    Finding::new(Code::CommandFailed, display_argv(argv))
        .expected(format!(
            "finished within the timeout of {} s",
            limit.as_secs_f64()
        ))
        .found(found)
        .hint("find what hangs, or raise timeout-secs in the policy")
}

/// A cause for a command that could not be started.
pub(crate) fn spawn_cause(command: &str, cwd: &std::path::Path, e: &std::io::Error) -> String {
    format!(
        "cannot start `{command}` in {}: {e} (commands run without a shell: argv[0] must be a program on PATH or a path)",
        cwd.display()
    )
}
