//! Command gates: a project-specific check (a smoke script, a scanner, a code generator's
//! "is it current" mode) declared in the policy as `[gates.<id>] command = [...]`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::gate::{BoxFuture, Gate, GateContext, GateResult};
use crate::gates::catalog::standard_gate;
use crate::gates::command::run::{
    DEFAULT_COMMAND_TIMEOUT, exit_finding, kill_after, output_tail, release_env, spawn_cause,
    timeout_finding,
};
use crate::phase::Phase;
use crate::policy::model::{GateRule, Policy};
use crate::process::{self, RunError, Spec, TAIL_LINES, display_argv, tail_lines};
use crate::release_source::Inputs;

/// A gate implemented by an external command, run without a shell.
///
/// The command runs in the source tree (the run's source folder, else the policy's
/// `[versions]` tree or repository, else the policy's folder), or in `cwd` below it, with a
/// minimal environment: `PATH`, `HOME`, `LANG`, `LC_*`, `TZ`, `TMPDIR` and
/// `SOURCE_DATE_EPOCH` of the caller's, the variables named with [`CommandGate::env`]
/// (`env = [...]` in the policy), and `RELKIT_GATE`, `RELKIT_TAG`, `RELKIT_VERSION`,
/// `RELKIT_COMMIT`, `RELKIT_SOURCE_DIR` and `RELKIT_RELEASE_DIR` when known; no token of the
/// caller's reaches it unless named. When it ends, every process it started ends too. Exit status 0
/// passes; any other status fails with `command-failed` naming the command, the status and the
/// tail of its stderr; a command still running at its timeout is killed (with every process
/// it started) and fails with `command-failed` naming the timeout; a command that cannot be
/// started is a gate error. Output is kept bounded (the last 16 KiB of each stream).
///
/// ```
/// use relgate::{Gate, Phase, gates::CommandGate};
///
/// let gate = CommandGate::new("clean-env-smoke", Phase::Consume, ["sh", "scripts/smoke.sh"]);
/// assert_eq!(gate.id(), "clean-env-smoke");
/// assert_eq!(gate.phase(), Phase::Consume);
/// ```
#[derive(Debug, Clone)]
pub struct CommandGate {
    id: String,
    phase: Phase,
    argv: Vec<String>,
    cwd: Option<PathBuf>,
    timeout: Option<Duration>,
    env: Vec<String>,
}

impl CommandGate {
    /// A gate `id` in `phase` that runs `argv` (`argv[0]` is the program; no shell).
    pub fn new<I, S>(id: impl Into<String>, phase: Phase, argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CommandGate {
            id: id.into(),
            phase,
            argv: argv.into_iter().map(Into::into).collect(),
            cwd: None,
            timeout: None,
            env: Vec::new(),
        }
    }

    /// Passes these variables of the caller's environment to the command (when set); it gets
    /// no other variable of the caller's besides `PATH`, `HOME`, `LANG`, `LC_*`, `TZ`,
    /// `TMPDIR` and `SOURCE_DATE_EPOCH`.
    pub fn env<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.env.extend(names.into_iter().map(Into::into));
        self
    }

    relkit_finding::setters! {
        /// Runs the command in this folder, relative to the source tree (it must stay inside).
        cwd(cwd: impl Into<PathBuf>) => cwd = Some(cwd.into());
        /// Kills the command after this long (default 300 s). The command is stopped slightly
        /// before the gate's own timeout of the same length, so the report names the command.
        timeout(timeout: Duration) => timeout = Some(timeout);
    }

    /// The command gate a policy rule declares (`[gates.<id>] command = [...]`), if it declares
    /// one. Its phase is the rule's `phase`, else the standard gate's, else preflight.
    pub fn from_rule(id: &str, rule: &GateRule) -> Option<Self> {
        let argv = rule.command.clone()?;
        let phase = rule
            .phase
            .or_else(|| standard_gate(id).map(|g| g.phase))
            .unwrap_or(Phase::Preflight);
        let mut gate = CommandGate::new(id, phase, argv);
        gate.cwd = rule.cwd.clone();
        gate.timeout = rule.timeout_secs.map(Duration::from_secs);
        gate.env = rule.env.clone();
        Some(gate)
    }

    /// The command line.
    pub fn argv(&self) -> &[String] {
        &self.argv
    }
}

/// The gates a policy implements itself: one [`CommandGate`] per `[gates.<id>]` that has a
/// `command`. Register them with [`RunContext::gate`](crate::RunContext::gate) (or let the
/// run wire them) so these ids do not end as `gate-unknown`.
///
/// ```
/// let policy = relgate::Policy::from_toml_str(
///     "[project]\nname = \"a\"\n[gates.smoke]\nphase = \"consume\"\ncommand = [\"sh\", \"smoke.sh\"]\n",
///     "release.toml",
/// )?;
/// let gates = relgate::gates::policy_gates(&policy);
/// assert_eq!(gates.len(), 1);
/// assert_eq!(gates[0].id(), "smoke");
/// # Ok::<(), relgate::PolicyError>(())
/// ```
pub fn policy_gates(policy: &Policy) -> Vec<Arc<dyn Gate>> {
    policy
        .gates
        .iter()
        .filter_map(|(id, rule)| CommandGate::from_rule(id, rule))
        .map(|g| Arc::new(g) as Arc<dyn Gate>)
        .collect()
}

impl Gate for CommandGate {
    fn id(&self) -> &str {
        &self.id
    }

    fn phase(&self) -> Phase {
        self.phase
    }

    fn run<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        Box::pin(async move {
            let root = Inputs::of(ctx).source_root().0;
            let cwd = match &self.cwd {
                Some(rel) => match process::inside(&root, rel) {
                    Ok(p) => p,
                    Err(e) => return GateResult::error(format!("bad cwd: {e}")),
                },
                None if root.is_dir() => root.clone(),
                None => {
                    return GateResult::error(format!(
                        "the source tree {} is not a folder",
                        root.display()
                    ));
                }
            };
            let limit = self.timeout.unwrap_or(DEFAULT_COMMAND_TIMEOUT);
            let mut env = process::env::named(&self.env);
            env.extend(release_env(ctx, &self.id, &root));
            let spec = Spec {
                argv: self.argv.clone(),
                cwd: cwd.clone(),
                env,
                timeout: kill_after(limit),
            };
            let shown = display_argv(&self.argv);
            match process::run_async(spec).await {
                Ok(ended) => {
                    let evidence = serde_json::json!({
                        "command": shown,
                        "cwd": cwd.display().to_string(),
                        "status": ended.status.to_string(),
                        "elapsed_ms": u64::try_from(ended.elapsed.as_millis()).unwrap_or(u64::MAX),
                        "stdout_tail": tail_lines(&ended.stdout, TAIL_LINES),
                    });
                    let result = if ended.status.success() {
                        GateResult::pass()
                    } else {
                        GateResult::from_findings(vec![exit_finding(
                            &self.argv,
                            &cwd,
                            &ended.status.to_string(),
                            &output_tail(&ended),
                        )])
                    };
                    result.with_evidence("command", evidence)
                }
                Err(RunError::TimedOut { stderr }) => {
                    GateResult::from_findings(vec![timeout_finding(
                        &self.argv,
                        limit,
                        kill_after(limit),
                        &tail_lines(&stderr, TAIL_LINES),
                    )])
                    .with_evidence("command", serde_json::json!({ "command": shown }))
                }
                Err(RunError::Spawn(e)) => GateResult::error(spawn_cause(&shown, &cwd, &e)),
                Err(RunError::Stopped) => GateResult::error(format!("`{shown}` was stopped")),
                Err(RunError::Wait(e)) => {
                    GateResult::error(format!("lost track of `{shown}`: {e}"))
                }
            }
        })
    }
}
