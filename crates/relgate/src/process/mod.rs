//! Running an external command for a gate: argv only (no shell), a minimal environment
//! ([`env`]), bounded and scrubbed output ([`crate::scrub`] runs before any cut), a deadline,
//! and a clean end ([`reap`]): when the command ends — passed, failed, timed out, or the gate
//! dropped — its process group and every process it started are killed and reaped.

pub(crate) mod env;
pub(crate) mod reap;
pub(crate) mod scratch;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::scrub::Scrubber;

/// Bytes of each of stdout and stderr kept (the tail).
pub(crate) const TAIL_BYTES: usize = 16 * 1024;
/// Lines of output quoted in a finding.
pub(crate) const TAIL_LINES: usize = 12;
/// How long the output pipes are drained after the command ended.
const DRAIN: Duration = Duration::from_secs(1);

/// A command to run. It starts from an empty environment plus [`env::PASSED`] and `LC_*`
/// from relkit's, then `env` (what relkit sets, and the variables a policy passes by name).
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) argv: Vec<String>,
    pub(crate) cwd: PathBuf,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) timeout: Duration,
}

/// How a command ended (it ran).
#[derive(Debug, Clone)]
pub(crate) struct Ended {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) elapsed: Duration,
}

/// Why a command did not end by itself.
#[derive(Debug)]
pub(crate) enum RunError {
    /// It could not be started.
    Spawn(std::io::Error),
    /// It ran past its deadline and was killed.
    TimedOut { stderr: String },
    /// The gate was dropped (run cancelled or timed out) and the command was killed.
    Stopped,
    /// Waiting for it failed.
    Wait(std::io::Error),
}

/// `argv` for people: words with spaces or quotes are single-quoted.
pub(crate) fn display_argv(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Characters of output quoted in a finding, at most.
pub(crate) const TAIL_CHARS: usize = 2000;

/// The last `n` non-empty lines of `text`, at most [`TAIL_CHARS`] characters of them.
pub(crate) fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines
        .get(lines.len().saturating_sub(n)..)
        .unwrap_or_default()
        .join("\n");
    let count = tail.chars().count();
    if count <= TAIL_CHARS {
        return tail;
    }
    let cut: String = tail
        .chars()
        .skip(count.saturating_sub(TAIL_CHARS))
        .collect();
    format!("…{cut}")
}

/// Sets a flag when dropped: the blocking side kills the command when it sees it.
pub(crate) struct StopOnDrop(pub(crate) Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs `spec` on a blocking thread; dropping the returned future kills the command.
pub(crate) async fn run_async(spec: Spec) -> Result<Ended, RunError> {
    let stop = Arc::new(AtomicBool::new(false));
    let _guard = StopOnDrop(Arc::clone(&stop));
    match tokio::task::spawn_blocking(move || run(&spec, &stop)).await {
        Ok(r) => r,
        Err(e) => Err(RunError::Wait(std::io::Error::other(e.to_string()))),
    }
}

/// Runs `spec` to its end, its deadline, or until `stop` is set.
pub(crate) fn run(spec: &Spec, stop: &AtomicBool) -> Result<Ended, RunError> {
    run_with(spec, stop, std::env::vars_os(), Scrubber::current())
}

/// [`run`] with relkit's environment given as `parent` and output scrubbed by `scrubber`.
pub(crate) fn run_with(
    spec: &Spec,
    stop: &AtomicBool,
    parent: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
    scrubber: Scrubber,
) -> Result<Ended, RunError> {
    let Some((program, args)) = spec.argv.split_first() else {
        return Err(RunError::Spawn(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "empty command",
        )));
    };
    reap::become_subreaper();
    let tag = reap::new_tag();
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(&spec.cwd)
        .env_clear()
        .envs(env::child_env(parent, &spec.env, &tag))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group, so a kill reaches the children it started too.
        cmd.process_group(0);
    }
    let began = Instant::now();
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    let scrubber = Arc::new(scrubber);
    let out = drain(child.stdout.take(), Arc::clone(&scrubber));
    let err = drain(child.stderr.take(), Arc::clone(&scrubber));
    let mut pause = Duration::from_millis(2);
    let outcome = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) => {}
            Err(e) => {
                kill(&mut child);
                break Err(RunError::Wait(e));
            }
        }
        if stop.load(Ordering::SeqCst) {
            kill(&mut child);
            break Err(RunError::Stopped);
        }
        if began.elapsed() >= spec.timeout {
            kill(&mut child);
            break Err(RunError::TimedOut {
                stderr: String::new(),
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    };
    // Whatever it left running (in its group, detached with `setsid`, re-parented) ends with
    // it, which also closes the pipes those processes held.
    reap::end_all(child.id(), &tag);
    let stdout = collect(&out);
    let stderr = collect(&err);
    match outcome {
        Ok(status) => Ok(Ended {
            status,
            stdout,
            stderr,
            elapsed: began.elapsed(),
        }),
        Err(RunError::TimedOut { .. }) => Err(RunError::TimedOut { stderr }),
        Err(e) => Err(e),
    }
}

/// Kills the command's process group (Unix) and the command, and reaps it.
fn kill(child: &mut Child) {
    #[cfg(target_os = "linux")]
    if let Some(group) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        // The group id is the child's pid (process_group(0)).
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads a pipe on its own thread, keeping the last [`TAIL_BYTES`] of its output scrubbed:
/// the kept bytes are scrubbed whole before any are dropped, so a secret across the cut is
/// replaced before the cut can split it.
fn drain<R: Read + Send + 'static>(
    pipe: Option<R>,
    scrubber: Arc<Scrubber>,
) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        std::thread::spawn(move || {
            let mut kept: Vec<u8> = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        kept.extend_from_slice(buf.get(..n).unwrap_or_default());
                        if kept.len() > 2 * TAIL_BYTES {
                            kept = scrubbed_tail(&kept, &scrubber, TAIL_BYTES).into_bytes();
                        }
                    }
                }
            }
            let _ = tx.send(scrubbed_tail(&kept, &scrubber, TAIL_BYTES));
        });
    } else {
        let _ = tx.send(String::new());
    }
    rx
}

/// `bytes` as text, scrubbed, then cut to its last `max` bytes (on a character boundary).
pub(crate) fn scrubbed_tail(bytes: &[u8], scrubber: &Scrubber, max: usize) -> String {
    let text = scrubber.scrub(&String::from_utf8_lossy(bytes));
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text.get(start..).unwrap_or_default().to_owned()
}

/// The output a drain thread kept; a pipe still held open by a stray process after
/// [`DRAIN`] gives up rather than waiting for it.
fn collect(rx: &mpsc::Receiver<String>) -> String {
    match rx.recv_timeout(DRAIN) {
        Ok(text) => text,
        Err(_) => String::from("(output not collected: a process it started kept the pipe open)"),
    }
}

/// `base/rel`, checked to stay inside `base` once symlinks are resolved; `rel` must be
/// relative without `..`. Returns the canonical path.
pub(crate) fn inside(base: &Path, rel: &Path) -> Result<PathBuf, String> {
    use std::path::Component;
    if !rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "{} is not a relative path inside {}",
            rel.display(),
            base.display()
        ));
    }
    let base_c = base
        .canonicalize()
        .map_err(|e| format!("cannot resolve {}: {e}", base.display()))?;
    let full = base.join(rel);
    let full_c = full
        .canonicalize()
        .map_err(|e| format!("cannot resolve {}: {e}", full.display()))?;
    if full_c.starts_with(&base_c) {
        Ok(full_c)
    } else {
        Err(format!(
            "{} resolves to {}, outside {} (a symlink escapes)",
            full.display(),
            full_c.display(),
            base_c.display()
        ))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn spec(script: &str, timeout_ms: u64) -> Spec {
        Spec {
            argv: vec!["sh".into(), "-c".into(), script.into()],
            cwd: std::env::temp_dir(),
            env: vec![("RELGATE_T".into(), "hello".into())],
            timeout: Duration::from_millis(timeout_ms),
        }
    }

    #[test]
    fn output_is_captured_and_bounded() {
        let stop = AtomicBool::new(false);
        let e = run(
            &spec(
                "echo $RELGATE_T; head -c 100000 /dev/zero | tr '\\0' x >&2; echo >&2; echo last >&2; exit 3",
                10_000,
            ),
            &stop,
        )
        .unwrap();
        assert_eq!(e.status.code(), Some(3));
        assert_eq!(e.stdout.trim(), "hello");
        assert!(e.stderr.len() <= TAIL_BYTES, "{}", e.stderr.len());
        assert!(e.stderr.trim_end().ends_with("last"));
        assert_eq!(tail_lines(&e.stderr, 1), "last");
        assert_eq!(tail_lines(&e.stderr, 2).chars().count(), TAIL_CHARS + 1);
    }

    #[test]
    fn a_deadline_kills_the_whole_group_promptly() {
        let stop = AtomicBool::new(false);
        let t = Instant::now();
        // The grandchild `sleep` holds stdout; killing only `sh` would leave it running.
        let r = run(&spec("echo started >&2; sleep 30 & wait", 200), &stop);
        assert!(matches!(r, Err(RunError::TimedOut { ref stderr }) if stderr.contains("started")));
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }

    #[test]
    fn a_secret_across_the_byte_cut_is_scrubbed_whole() {
        let token = "tok_0123456789abcdefghijklmnop";
        assert_eq!(token.len(), 30);
        let stop = AtomicBool::new(false);
        // The kept tail (the last TAIL_BYTES) would start 15 bytes into the token.
        let script = format!(
            "head -c 40000 /dev/zero | tr '\\0' x; printf %s {token}; head -c {} /dev/zero | tr '\\0' y",
            TAIL_BYTES - 15
        );
        let parent = std::env::var_os("PATH").map(|p| (std::ffi::OsString::from("PATH"), p));
        let e = run_with(
            &spec(&script, 60_000),
            &stop,
            parent,
            Scrubber::with_secrets([token.to_owned()]),
        )
        .unwrap();
        assert!(e.status.success(), "{e:?}");
        assert!(e.stdout.len() <= TAIL_BYTES, "{}", e.stdout.len());
        assert!(e.stdout.ends_with("yyyy"), "{}", e.stdout.len());
        for i in 0..=token.len() - 8 {
            let piece = &token[i..i + 8];
            assert!(!e.stdout.contains(piece), "{piece} kept");
        }
        assert!(
            e.stdout.contains("x***y"),
            "the mask is kept whole before the cut"
        );
    }

    #[test]
    fn a_command_starts_from_the_short_list_only() {
        let stop = AtomicBool::new(false);
        let parent = [
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("LC_ALL", "C".to_owned()),
            ("GITHUB_TOKEN", "ghp_never_seen_1234".to_owned()),
        ]
        .map(|(k, v)| (std::ffi::OsString::from(k), std::ffi::OsString::from(v)));
        let e = run_with(&spec("env", 60_000), &stop, parent, Scrubber::default()).unwrap();
        let mut names: Vec<&str> = e
            .stdout
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k))
            .filter(|k| !["PWD", "SHLVL", "_", "OLDPWD"].contains(k))
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["LC_ALL", "PATH", "RELGATE_T", env::COMMAND_TAG]);
    }

    #[test]
    fn argv_is_displayed_quoted() {
        let argv: Vec<String> = ["sh", "-c", "echo 'a b'"].map(String::from).into();
        assert_eq!(display_argv(&argv), r#"sh -c 'echo '\''a b'\'''"#);
    }

    #[test]
    fn inside_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("out")).unwrap();
        std::os::unix::fs::symlink("/", dir.path().join("up")).unwrap();
        assert!(inside(dir.path(), Path::new("out")).is_ok());
        assert!(inside(dir.path(), Path::new("../x")).is_err());
        assert!(inside(dir.path(), Path::new("/tmp")).is_err());
        let e = inside(dir.path(), Path::new("up/tmp")).unwrap_err();
        assert!(e.contains("symlink escapes"), "{e}");
    }
}
