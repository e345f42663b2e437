//! Waiting for visibility: the one polling loop behind every registry's `wait_for_version`
//! (and OCI's `wait_for`), with a deadline and a diagnosis of what the registry showed last.

use std::time::{Duration, Instant};

use crate::http::HttpError;

/// How a visibility poll behaves.
#[non_exhaustive]
#[derive(Debug, Clone, Copy)]
pub struct PollOptions {
    /// Time between polls.
    pub interval: Duration,
    /// Give up after this long.
    pub timeout: Duration,
}

impl PollOptions {
    /// Poll every `interval`, giving up after `timeout`.
    #[must_use]
    pub fn new(interval: Duration, timeout: Duration) -> Self {
        PollOptions { interval, timeout }
    }
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(600),
        }
    }
}

/// What one poll found.
pub(crate) enum Poll<T> {
    /// The version is served.
    Found(T),
    /// The registry answered, without the version: what it showed instead.
    Missing(String),
    /// The request failed (connection, status): the cause, for the diagnosis.
    Failed(String),
}

impl<T> Poll<T> {
    /// A lookup's error as a poll's answer: a failed request is [`Poll::Failed`] (polling goes
    /// on); any other error ends the polling (`Err`).
    pub(crate) fn failed<E: ClientError>(e: E) -> Result<Self, E> {
        match e.http_source() {
            Some(source) => Ok(Poll::Failed(source.to_string())),
            None => Err(e),
        }
    }
}

/// The two errors every registry client's `Error` has, whatever it names the subject (package,
/// module, repository) and the version (version, reference): a failed request (`Http`) and a
/// version that did not appear in time (`NotVisible`). [`client_error!`] implements it.
pub(crate) trait ClientError: Sized {
    /// `Http` for `subject` `version`.
    fn http(subject: &str, version: &str, source: HttpError) -> Self;
    /// `NotVisible` for `subject` `version`.
    fn not_visible(subject: &str, version: &str, gave_up: GaveUp) -> Self;
    /// The cause, if this is `Http`.
    fn http_source(&self) -> Option<&HttpError>;

    /// [`ClientError::http`] for `map_err`.
    fn http_err(subject: &str, version: &str) -> impl Fn(HttpError) -> Self {
        let (s, v) = (subject.to_owned(), version.to_owned());
        move |source| Self::http(&s, &v, source)
    }
}

/// A version that did not appear before the polling deadline: the one visibility error of
/// every registry client (each client's `Error::NotVisible` holds it).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject}: not visible after {waited:?} ({polls} polls): {diagnosis}")]
pub struct NotVisible {
    /// What was awaited, as the registry spells it (`npm demo@1.2.3`, `demo==1.2.3`,
    /// `crate demo 1.2.3`, `go module example.com/m@v1.2.3`, `repository:tag`).
    pub subject: String,
    /// How long polling took.
    pub waited: Duration,
    /// Polls made.
    pub polls: u32,
    /// What the registry answered last (and the last failure, if the last poll failed).
    pub diagnosis: String,
}

/// Implements [`ClientError`] for the `Error` enum in scope, whose `Http` variant names the
/// subject and the version by the two given field names and whose `NotVisible` variant holds a
/// [`NotVisible`] whose subject is spelled by the given format (`"npm {}@{}"`).
macro_rules! client_error {
    ($subject:ident, $version:ident, $spelling:literal) => {
        impl crate::poll::ClientError for Error {
            fn http($subject: &str, $version: &str, source: HttpError) -> Self {
                Error::Http {
                    $subject: $subject.to_owned(),
                    $version: $version.to_owned(),
                    source,
                }
            }
            fn not_visible($subject: &str, $version: &str, g: crate::poll::GaveUp) -> Self {
                Error::NotVisible(crate::poll::NotVisible {
                    subject: format!($spelling, $subject, $version),
                    waited: g.waited,
                    polls: g.polls,
                    diagnosis: g.diagnosis,
                })
            }
            fn http_source(&self) -> Option<&HttpError> {
                match self {
                    Error::Http { source, .. } => Some(source),
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use client_error;

/// Why polling gave up: the deadline came before the version.
pub(crate) struct GaveUp {
    /// Time spent polling.
    pub(crate) waited: Duration,
    /// Polls made.
    pub(crate) polls: u32,
    /// The last real answer first, then the last failure if the last poll failed.
    pub(crate) diagnosis: String,
}

/// The suffix a diagnosis gets when the last answer was a 304 (nothing changed).
pub(crate) fn unchanged_suffix(revalidated: bool) -> &'static str {
    if revalidated {
        "; unchanged since the previous poll (304)"
    } else {
        ""
    }
}

/// Calls `once(deadline)` every `poll.interval` until it finds the version, returns an error
/// (passed through at once), or the next poll would start past `poll.timeout`.
pub(crate) fn poll_until<T, E>(
    poll: PollOptions,
    mut once: impl FnMut(Instant) -> Result<Poll<T>, E>,
) -> Result<Result<T, GaveUp>, E> {
    let start = Instant::now();
    let deadline = crate::http::later(start, poll.timeout);
    let mut polls = 0u32;
    let mut last_answer: Option<String> = None;
    loop {
        polls += 1;
        let diagnosis = match once(deadline)? {
            Poll::Found(t) => return Ok(Ok(t)),
            Poll::Missing(answer) => {
                last_answer = Some(answer.clone());
                answer
            }
            Poll::Failed(e) => match &last_answer {
                Some(a) => format!("{a} (the last poll failed: {e})"),
                None => format!("last poll failed: {e}"),
            },
        };
        let now = Instant::now();
        if crate::http::later(now, poll.interval) >= deadline {
            return Ok(Err(GaveUp {
                waited: now - start,
                polls,
                diagnosis,
            }));
        }
        tracing::info!(
            poll = polls,
            interval_ms = u64::try_from(poll.interval.as_millis()).unwrap_or(u64::MAX),
            answer = %diagnosis,
            "not visible yet: polling again"
        );
        std::thread::sleep(poll.interval);
    }
}

/// [`poll_until`] for a registry client: giving up is the client's `NotVisible` for `subject`
/// `version`.
pub(crate) fn wait_visible<T, E: ClientError>(
    poll: PollOptions,
    subject: &str,
    version: &str,
    once: impl FnMut(Instant) -> Result<Poll<T>, E>,
) -> Result<T, E> {
    poll_until(poll, once)?.map_err(|g| E::not_visible(subject, version, g))
}

/// Runs `once` on slices of the poll — each with `poll.interval` and a timeout of at most
/// `slice` — until it finds the version, fails, the caller's `stop` says so (asked after every
/// slice: `Err(on_stop())`), or the next slice would start past `poll.timeout` (`Ok(Err(last
/// answer))`). A long wait stays stoppable without a second polling loop in every caller.
pub(crate) fn poll_in_slices<T, E>(
    poll: PollOptions,
    slice: Duration,
    stop: &dyn Fn() -> bool,
    on_stop: impl Fn() -> E,
    mut once: impl FnMut(PollOptions) -> Result<Result<T, String>, E>,
) -> Result<Result<T, String>, E> {
    let start = Instant::now();
    loop {
        let left = poll.timeout.saturating_sub(start.elapsed());
        let this = PollOptions {
            interval: poll.interval,
            timeout: left.min(slice),
        };
        match once(this)? {
            Ok(t) => return Ok(Ok(t)),
            Err(last) => {
                if stop() {
                    return Err(on_stop());
                }
                if start.elapsed() + poll.interval >= poll.timeout {
                    return Ok(Err(last));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> PollOptions {
        PollOptions {
            interval: Duration::from_millis(5),
            timeout: Duration::from_millis(200),
        }
    }

    #[test]
    fn finds_after_some_polls() {
        let mut n = 0;
        let r: Result<Result<u32, GaveUp>, ()> = poll_until(quick(), |_| {
            n += 1;
            Ok(if n == 3 {
                Poll::Found(n)
            } else {
                Poll::Missing(format!("poll {n}"))
            })
        });
        assert!(matches!(r, Ok(Ok(3))));
    }

    #[test]
    fn gives_up_with_the_last_answer_before_a_failure() {
        let mut n = 0;
        let r: Result<Result<(), GaveUp>, ()> = poll_until(quick(), |_| {
            n += 1;
            Ok(if n == 1 {
                Poll::Missing("lists 1.0.0 but not 2.0.0".into())
            } else {
                Poll::Failed("HTTP 503".into())
            })
        });
        let Ok(Err(g)) = r else {
            panic!("expected a timeout")
        };
        assert!(g.polls >= 2, "{}", g.polls);
        assert!(g.waited < Duration::from_millis(200) + Duration::from_millis(100));
        assert_eq!(
            g.diagnosis,
            "lists 1.0.0 but not 2.0.0 (the last poll failed: HTTP 503)"
        );
    }

    #[test]
    fn errors_pass_through_at_once() {
        let mut n = 0;
        let r: Result<Result<(), GaveUp>, &str> = poll_until(quick(), |_| {
            n += 1;
            Err("bad document")
        });
        assert!(matches!(r, Err("bad document")));
        assert_eq!(n, 1);
    }

    #[test]
    fn slices_run_until_found_stopped_or_out_of_time() {
        let mut slices = 0;
        let found: Result<Result<u32, String>, ()> = poll_in_slices(
            quick(),
            Duration::from_millis(20),
            &|| false,
            || (),
            |this| {
                slices += 1;
                assert!(this.timeout <= Duration::from_millis(20));
                Ok(if slices == 3 {
                    Ok(slices)
                } else {
                    Err(format!("slice {slices}"))
                })
            },
        );
        assert_eq!(found, Ok(Ok(3)));
        let stopped: Result<Result<(), String>, &str> = poll_in_slices(
            quick(),
            Duration::from_millis(20),
            &|| true,
            || "stopped",
            |_| Ok(Err("not yet".to_owned())),
        );
        assert_eq!(stopped, Err("stopped"));
        let started = Instant::now();
        let gave_up: Result<Result<(), String>, ()> = poll_in_slices(
            quick(),
            Duration::from_millis(20),
            &|| false,
            || (),
            |this| {
                std::thread::sleep(this.timeout);
                Ok(Err("still missing".to_owned()))
            },
        );
        assert_eq!(gave_up, Ok(Err("still missing".to_owned())));
        assert!(started.elapsed() >= Duration::from_millis(190));
    }
}
