//! How a release is rebuilt for `rebuild-identity`: the [`Rebuilder`] trait, its request and
//! output, and [`CommandRebuilder`], the policy's `[rebuild] command`.

use std::path::PathBuf;
use std::time::Duration;

use crate::gate::BoxFuture;
use crate::policy::model::RebuildRules;
use crate::process::{self, RunError, Spec, TAIL_LINES, tail_lines};

/// Default build timeout of a [`CommandRebuilder`] made by hand.
pub(crate) const DEFAULT_REBUILD_TIMEOUT: Duration = Duration::from_secs(600);

/// What a [`Rebuilder`] is asked to do: build the release from `source_dir` into the empty
/// folder `out_dir`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildRequest {
    /// The source tree (a checkout of the release commit).
    pub source_dir: PathBuf,
    /// The release tag, when known.
    pub tag: Option<String>,
    /// The release commit, when known.
    pub commit: Option<String>,
    /// An empty folder for the rebuilt artifacts, removed after the gate.
    pub out_dir: PathBuf,
    /// `SOURCE_DATE_EPOCH` for the build: the policy's, else the release commit's time.
    pub source_date_epoch: Option<u64>,
    /// A folder for build tools' own output, inside the gate's scratch folder and absent
    /// before the build; a [`CommandRebuilder`] sets `CARGO_TARGET_DIR` to it, over any value
    /// inherited or configured, so cargo writes nowhere the gate does not own.
    pub target_dir: Option<PathBuf>,
}

impl RebuildRequest {
    /// A request to build `source_dir` into `out_dir`.
    pub fn new(source_dir: impl Into<PathBuf>, out_dir: impl Into<PathBuf>) -> Self {
        RebuildRequest {
            source_dir: source_dir.into(),
            tag: None,
            commit: None,
            out_dir: out_dir.into(),
            source_date_epoch: None,
            target_dir: None,
        }
    }
}

/// Where a rebuild left its artifacts.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildOutput {
    /// The folder holding the artifacts, at the same relative paths as in the release folder.
    /// It must be the request's `out_dir` or inside the source tree.
    pub dir: PathBuf,
    /// The tail of the build's log, kept as evidence.
    pub log: String,
}

impl RebuildOutput {
    /// Artifacts in `dir`, no log.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        RebuildOutput {
            dir: dir.into(),
            log: String::new(),
        }
    }
}

/// Why a rebuild produced nothing to compare.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// The build command could not be started.
    #[error("cannot start `{}`", command.join(" "))]
    Spawn {
        /// The command line.
        command: Vec<String>,
        /// The folder it was to run in.
        cwd: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The build command exited unsuccessfully.
    #[error("`{}` failed: {status}", command.join(" "))]
    Failed {
        /// The command line.
        command: Vec<String>,
        /// The folder it ran in.
        cwd: PathBuf,
        /// The exit status (`exit status: 2`, `signal: 9 (SIGKILL)`).
        status: String,
        /// The tail of its stderr (else stdout).
        output_tail: String,
    },
    /// The build ran past its timeout and was killed.
    #[error("`{}` did not finish within {} s", command.join(" "), timeout.as_secs_f64())]
    TimedOut {
        /// The command line.
        command: Vec<String>,
        /// The timeout.
        timeout: Duration,
        /// The tail of its stderr.
        output_tail: String,
    },
    /// The output folder is not acceptable (outside the source tree, a symlink escaping it,
    /// missing).
    #[error("rebuild output {}: {reason}", path.display())]
    Output {
        /// The folder.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Any other failure of an in-process rebuilder.
    #[error("{0}")]
    Other(String),
}

/// Builds a release from its source. Object-safe: register an in-process implementation with
/// [`RebuildIdentityGate::with_rebuilder`](crate::gates::RebuildIdentityGate::with_rebuilder); the policy's `[rebuild] command` gives a
/// [`CommandRebuilder`].
///
/// ```
/// use relgate::{BoxFuture, gates::{RebuildError, RebuildOutput, RebuildRequest, Rebuilder}};
///
/// /// Writes the release's single artifact in-process.
/// struct Demo;
/// impl Rebuilder for Demo {
///     fn rebuild<'a>(&'a self, req: &'a RebuildRequest)
///         -> BoxFuture<'a, Result<RebuildOutput, RebuildError>> {
///         Box::pin(async move {
///             std::fs::write(req.out_dir.join("app.bin"), b"built")
///                 .map_err(|e| RebuildError::Other(e.to_string()))?;
///             Ok(RebuildOutput::new(&req.out_dir))
///         })
///     }
/// }
/// let gate = relgate::gates::RebuildIdentityGate::with_rebuilder(std::sync::Arc::new(Demo));
/// ```
pub trait Rebuilder: Send + Sync {
    /// Builds the release described by `request` and says where the artifacts are.
    fn rebuild<'a>(
        &'a self,
        request: &'a RebuildRequest,
    ) -> BoxFuture<'a, Result<RebuildOutput, RebuildError>>;
}

/// Runs a build command (argv, no shell) in the source tree with `SOURCE_DATE_EPOCH`,
/// `RELKIT_REBUILD_OUT=<out dir>` and `CARGO_TARGET_DIR=<the request's target dir>` (set last,
/// so neither an inherited nor an [`env`](CommandRebuilder::env) value redirects cargo) plus
/// the `RELKIT_*` variables of command gates, killed
/// with every process it started at its timeout. The artifacts are read from the output
/// folder when one is set (relative to the source tree, and it must resolve inside it), else
/// from `RELKIT_REBUILD_OUT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRebuilder {
    pub(crate) argv: Vec<String>,
    output: Option<PathBuf>,
    pub(crate) timeout: Duration,
    pub(crate) env: Vec<(String, String)>,
}

impl CommandRebuilder {
    /// Runs `argv` (`argv[0]` is the program).
    pub fn new<I, S>(argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CommandRebuilder {
            argv: crate::plan::strings(argv),
            output: None,
            timeout: DEFAULT_REBUILD_TIMEOUT,
            env: Vec::new(),
        }
    }

    /// The rebuilder `[rebuild]` describes, when it names a command.
    pub fn from_rules(rules: &RebuildRules) -> Option<Self> {
        if rules.command.is_empty() {
            return None;
        }
        let mut r = CommandRebuilder::new(rules.command.clone());
        r.output = rules.output.clone();
        if let Some(t) = rules.timeout_secs {
            r.timeout = Duration::from_secs(t);
        }
        r.env = crate::process::env::named(&rules.env);
        Some(r)
    }

    relkit_finding::setters! {
        /// Reads the artifacts from this folder, relative to the source tree.
        output(dir: impl Into<PathBuf>) => output = Some(dir.into());
        /// Kills the build after this long (default 600 s).
        timeout(timeout: Duration) => timeout = timeout;
    }

    /// Adds an environment variable for the build.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

impl Rebuilder for CommandRebuilder {
    fn rebuild<'a>(
        &'a self,
        req: &'a RebuildRequest,
    ) -> BoxFuture<'a, Result<RebuildOutput, RebuildError>> {
        Box::pin(async move {
            let mut env = self.env.clone();
            env.push((
                String::from("RELKIT_REBUILD_OUT"),
                req.out_dir.display().to_string(),
            ));
            if let Some(e) = req.source_date_epoch {
                env.push((String::from("SOURCE_DATE_EPOCH"), e.to_string()));
            }
            if let Some(t) = &req.target_dir {
                env.push((String::from("CARGO_TARGET_DIR"), t.display().to_string()));
            }
            let spec = Spec {
                argv: self.argv.clone(),
                cwd: req.source_dir.clone(),
                env,
                timeout: self.timeout,
            };
            let ended = match process::run_async(spec).await {
                Ok(e) => e,
                Err(RunError::Spawn(source)) => {
                    return Err(RebuildError::Spawn {
                        command: self.argv.clone(),
                        cwd: req.source_dir.clone(),
                        source,
                    });
                }
                Err(RunError::TimedOut { stderr }) => {
                    return Err(RebuildError::TimedOut {
                        command: self.argv.clone(),
                        timeout: self.timeout,
                        output_tail: tail_lines(&stderr, TAIL_LINES),
                    });
                }
                Err(RunError::Stopped) => {
                    return Err(RebuildError::Other(String::from("the rebuild was stopped")));
                }
                Err(RunError::Wait(e)) => {
                    return Err(RebuildError::Other(format!("lost track of the build: {e}")));
                }
            };
            let log = tail_lines(&format!("{}\n{}", ended.stdout, ended.stderr), TAIL_LINES);
            if !ended.status.success() {
                let tail = tail_lines(&ended.stderr, TAIL_LINES);
                return Err(RebuildError::Failed {
                    command: self.argv.clone(),
                    cwd: req.source_dir.clone(),
                    status: ended.status.to_string(),
                    output_tail: if tail.is_empty() {
                        tail_lines(&ended.stdout, TAIL_LINES)
                    } else {
                        tail
                    },
                });
            }
            let dir = match &self.output {
                None => req.out_dir.clone(),
                Some(rel) => process::inside(&req.source_dir, rel).map_err(|reason| {
                    RebuildError::Output {
                        path: req.source_dir.join(rel),
                        reason,
                    }
                })?,
            };
            Ok(RebuildOutput { dir, log })
        })
    }
}
