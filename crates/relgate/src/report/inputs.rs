//! What produced a report (`inputs`): the policy, the registries configuration and the trust
//! root, each by path and sha256; the tag and the commit it points at; relgate's name and
//! version; when the run started and finished. With it a decision can be audited later: the
//! same inputs must give the same decision.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use artidigest::{Algorithm, Digest};

use crate::gates::rebuild::identity::pinned::locate;
use crate::policy::model::{MAX_POLICY_BYTES, Policy};
use crate::release_source::Inputs;
use crate::waiver::date_of;

/// What a run was given besides the policy, as far as its inputs are concerned (owned, so
/// that the inputs can be collected on a blocking thread).
#[derive(Debug, Clone, Default)]
pub(crate) struct Given {
    /// The tag under release.
    pub(crate) tag: Option<String>,
    /// The commit under release.
    pub(crate) commit: Option<String>,
    /// The source folder overriding the policy's `[versions]`.
    pub(crate) source_dir: Option<PathBuf>,
    /// The registries with an endpoint.
    pub(crate) endpoints: Vec<String>,
    /// The registries configuration file and its bytes' sha256.
    pub(crate) registries_file: Option<(PathBuf, String)>,
}

/// The name a report gives as its producer.
pub const PRODUCER_NAME: &str = "relgate";

/// The note of every input of a report not made by [`crate::run`].
const UNRECORDED: &str = "not recorded: the report was not made by relgate::run";

/// One file the run was given, as used: the path and the sha256 of the bytes read.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputFile {
    /// The path as given (a policy-relative path joined to the policy's folder); `null` when
    /// no file was read.
    pub path: Option<String>,
    /// The sha256 (lower-case hex) of the bytes used; `null` when none were.
    pub sha256: Option<String>,
    /// Why `path` or `sha256` is `null`, or where bytes without a file came from
    /// (`embedded default: …`, `none configured: …`); absent when the file was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl InputFile {
    /// A file read from `path`, whose bytes hash to `sha256`.
    fn read(path: &Path, sha256: String) -> Self {
        InputFile {
            path: Some(path.display().to_string()),
            sha256: Some(sha256),
            note: None,
        }
    }

    /// For people: `path sha256:…`, `sha256:… (note)`, `path: note` or the note.
    fn shown(&self) -> String {
        let note = self.note.as_deref().unwrap_or_default();
        match (&self.path, &self.sha256, note.is_empty()) {
            (Some(p), Some(h), true) => format!("{p} sha256:{h}"),
            (Some(p), Some(h), false) => format!("{p} sha256:{h} ({note})"),
            (None, Some(h), true) => format!("sha256:{h}"),
            (None, Some(h), false) => format!("sha256:{h} ({note})"),
            (Some(p), None, _) => format!("{p}: {note}"),
            (None, None, _) => note.to_owned(),
        }
    }

    /// The file at `path`, which could not be read.
    fn unreadable(path: &Path, e: &impl std::fmt::Display) -> Self {
        InputFile {
            path: Some(path.display().to_string()),
            sha256: None,
            note: Some(format!("cannot be read: {e}")),
        }
    }

    /// No file: `note` says why.
    fn none(note: impl Into<String>) -> Self {
        InputFile {
            path: None,
            sha256: None,
            note: Some(note.into()),
        }
    }
}

/// The release tag and the commit it points at.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TagInput {
    /// The tag the run was given; `null` when none was.
    pub name: Option<String>,
    /// The commit the tag points at (annotated tags peeled), resolved from the git objects of
    /// the run's source repository; `null` when there is none to resolve.
    pub commit: Option<String>,
    /// The repository the commit was resolved in; `null` without a commit.
    pub repository: Option<String>,
    /// Why `commit` is `null`; absent when it was resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl TagInput {
    fn unresolved(name: &str, note: impl Into<String>) -> Self {
        TagInput {
            name: Some(name.to_owned()),
            commit: None,
            repository: None,
            note: Some(note.into()),
        }
    }
}

/// The program that produced the report.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Producer {
    /// Always [`PRODUCER_NAME`].
    pub name: String,
    /// relgate's version (the crate version it was built as).
    pub version: String,
}

impl Default for Producer {
    fn default() -> Self {
        Producer {
            name: PRODUCER_NAME.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// What produced a report: every input that decides the outcome besides the release folder
/// itself (whose every file the ledger lists), and when the run happened.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunInputs {
    /// The policy file.
    pub policy: InputFile,
    /// The registries configuration (the endpoints file).
    pub registries: InputFile,
    /// The verifier's Sigstore trust root.
    pub trust_root: InputFile,
    /// The tag and its commit.
    pub tag: TagInput,
    /// relgate's name and version.
    pub producer: Producer,
    /// When the run started, RFC 3339 UTC (`2026-12-02T04:51:17Z`); `null` when the system
    /// clock reads before 1970, or when timings were zeroed ([`crate::Report::without_timings`]).
    pub started: Option<String>,
    /// When the run finished, RFC 3339 UTC; `null` as for `started`.
    pub finished: Option<String>,
}

impl RunInputs {
    /// Inputs of a report not made by [`crate::run`] (built by [`crate::run_plan`] directly):
    /// only the producer is known.
    pub(crate) fn unrecorded() -> Self {
        Self::unknown(UNRECORDED)
    }

    /// Inputs of which only the producer is known: every other one says `why`.
    pub(crate) fn unknown(why: &str) -> Self {
        RunInputs {
            policy: InputFile::none(why),
            registries: InputFile::none(why),
            trust_root: InputFile::none(why),
            tag: TagInput {
                note: Some(why.to_owned()),
                ..TagInput::default()
            },
            producer: Producer::default(),
            started: None,
            finished: None,
        }
    }

    /// Whether nothing but the producer is known ([`RunInputs::unrecorded`]).
    pub(crate) fn is_unrecorded(&self) -> bool {
        self.policy.note.as_deref() == Some(UNRECORDED) && self.policy.sha256.is_none()
    }

    /// For people, one line per input: `(label, text)` for the policy, registries
    /// configuration, trust root, tag, and the producer with the run's times.
    pub(crate) fn lines(&self) -> [(&'static str, String); 5] {
        let tag = match (&self.tag.name, &self.tag.commit, &self.tag.note) {
            (Some(t), Some(c), _) => format!("{t} at commit {c}"),
            (Some(t), None, Some(n)) => format!("{t}; commit not resolved: {n}"),
            (Some(t), None, None) => t.clone(),
            (None, _, n) => n.clone().unwrap_or_default(),
        };
        let times = match (&self.started, &self.finished) {
            (Some(s), Some(f)) => format!(", run {s} to {f}"),
            (Some(s), None) => format!(", run started {s}"),
            _ => String::new(),
        };
        [
            ("policy", self.policy.shown()),
            ("registries", self.registries.shown()),
            ("trust root", self.trust_root.shown()),
            ("tag", tag),
            (
                "producer",
                format!("{} {}{times}", self.producer.name, self.producer.version),
            ),
        ]
    }

    /// The inputs of a run of `policy` in `context`: reads the trust root to hash it and asks
    /// git for the tag's commit (blocking; call it off the async threads). `started` and
    /// `finished` are left for the caller.
    pub(crate) fn collect(policy: &Policy, given: &Given) -> Self {
        RunInputs {
            policy: policy_input(policy),
            registries: registries_input(policy, given),
            trust_root: trust_root_input(policy),
            tag: tag_input(policy, given),
            producer: Producer::default(),
            started: None,
            finished: None,
        }
    }

    /// The inputs of a run whose policy at `path` could not be loaded: the file's digest when
    /// it can be read, nothing else.
    pub(crate) fn unloadable_policy(path: &Path) -> Self {
        let policy = match artidigest::read_bounded(path, MAX_POLICY_BYTES) {
            Ok(bytes) => InputFile {
                note: Some(String::from("could not be loaded (see errors)")),
                ..InputFile::read(path, sha256_hex(&bytes))
            },
            Err(e) => InputFile::unreadable(path, &e),
        };
        RunInputs {
            policy,
            ..Self::unknown("not collected: the policy could not be loaded")
        }
    }
}

/// The sha256 of `bytes`, lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Digest::of(Algorithm::Sha256, bytes).to_hex()
}

/// Now, RFC 3339 UTC to the second; `None` when the system clock reads before 1970.
pub(crate) fn now_rfc3339() -> Option<String> {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(rfc3339(secs))
}

/// `secs` since the epoch as RFC 3339 UTC (`YYYY-MM-DDThh:mm:ssZ`).
fn rfc3339(secs: u64) -> String {
    let of_day = secs % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date_of(Some(secs)),
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60
    )
}

fn policy_input(policy: &Policy) -> InputFile {
    let origin = &policy.origin;
    let sha256 = (!origin.sha256.is_empty()).then(|| origin.sha256.clone());
    let note = if policy.plain_folder {
        Some(
            "built-in policy for a plain folder (Policy::for_plain_folder): the digest is of its generated text",
        )
    } else if origin.file.is_none() {
        Some(
            "given as text (Policy::from_toml_str), not read from a file: the digest is of that text",
        )
    } else {
        None
    };
    InputFile {
        path: origin.file.as_deref().map(|p| p.display().to_string()),
        sha256,
        note: note.map(str::to_owned),
    }
}

fn registries_input(policy: &Policy, given: &Given) -> InputFile {
    if let Some((path, sha256)) = &given.registries_file {
        return InputFile::read(path, sha256.clone());
    }
    let names = &given.endpoints;
    InputFile::none(match (names.is_empty(), policy.registries.is_empty()) {
        (true, true) => String::from("none configured: the policy names no registries"),
        (true, false) => {
            String::from("none configured: no registries file and no endpoint were given")
        }
        (false, _) => format!(
            "no registries file: the endpoints of {} were given in-process or by RELGATE_REGISTRY_<NAME>_URL",
            names.join(", ")
        ),
    })
}

fn trust_root_input(policy: &Policy) -> InputFile {
    let Some(signing) = &policy.signing else {
        return InputFile::none("none used: the policy has no [signing] section");
    };
    let Some(named) = &signing.trusted_root else {
        return InputFile {
            path: None,
            sha256: Some(sha256_hex(attest::PUBLIC_GOOD_TRUSTED_ROOT_JSON.as_bytes())),
            note: Some(String::from(
                "embedded default: the Sigstore public-good root shipped in attest",
            )),
        };
    };
    // Where the signature gates read it: relative to the policy's folder.
    let path = policy.base_dir.join(named);
    let limit = u64::try_from(attest::Limits::default().max_trust_root_bytes).unwrap_or(u64::MAX);
    match artidigest::read_bounded(&path, limit) {
        Ok(bytes) => InputFile::read(&path, sha256_hex(&bytes)),
        Err(e) => InputFile::unreadable(&path, &e),
    }
}

/// The tag's commit in the run's source, by the rule `rebuild-identity` pins its build with:
/// the source must be a repository's top folder, or declared as `[versions] git`.
fn tag_input(policy: &Policy, given: &Given) -> TagInput {
    let Some(tag) = &given.tag else {
        return TagInput {
            note: Some(String::from("no tag was given for this run")),
            ..TagInput::default()
        };
    };
    let source = Inputs {
        policy: Arc::new(policy.clone()),
        source_dir: given.source_dir.clone(),
        tag: Some(tag.clone()),
        commit: given.commit.clone(),
    };
    let (root, declared_git) = source.source_root();
    let shown = root.display();
    let top = match locate(&root) {
        Err(e) => return TagInput::unresolved(tag, e),
        Ok(None) => {
            return TagInput::unresolved(
                tag,
                format!("the source {shown} is not a git repository: no commit to resolve"),
            );
        }
        Ok(Some((top, prefix))) if !prefix.is_empty() && !declared_git => {
            return TagInput::unresolved(
                tag,
                format!(
                    "the source {shown} is a folder inside the repository {}, which the policy does not declare as [versions] git: no commit to resolve",
                    top.display()
                ),
            );
        }
        Ok(Some((top, _))) => top,
    };
    match relver::GitRepo::open(&top).tag_commit(tag) {
        Ok(Some(commit)) => TagInput {
            name: Some(tag.clone()),
            commit: Some(commit),
            repository: Some(top.display().to_string()),
            note: None,
        },
        Ok(None) => TagInput::unresolved(
            tag,
            format!("the tag does not exist in the repository {}", top.display()),
        ),
        Err(e) => TagInput::unresolved(tag, format!("cannot resolve the tag: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_825_599), "2000-02-29T11:59:59Z");
        assert_eq!(rfc3339(1_798_761_599), "2026-12-31T23:59:59Z");
        let now = now_rfc3339().unwrap();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    }

    #[test]
    fn sha256_of_empty_and_abc() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
