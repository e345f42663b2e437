//! Identity policy over the signing certificate: SAN, issuer, every Fulcio extension, triggers.

use std::collections::BTreeMap;

use crate::error::{Error, IdentityError, PolicyError, err};
use crate::extensions::{ExtensionValues, FulcioExtension};

/// The GitHub Actions OIDC issuer.
pub const GITHUB_ACTIONS_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// How the certificate's subject alternative name is matched.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum SanMatcher {
    /// The SAN must equal this string exactly (the default).
    Exact(String),
    /// The SAN must match this regular expression over its whole length (anchored).
    Regex(SanPattern),
    /// The SAN must be `<workflow>@<any ref>` (an SLSA builder id given without a ref).
    WorkflowAnyRef(String),
    /// Any SAN: only the issuer and extensions are checked. Use only when another layer (for
    /// example SLSA builder and certificate consistency) pins the signer.
    Any,
}

/// A regular expression that must match a whole SAN (anchored at both ends), compiled once.
#[derive(Clone, Debug)]
pub struct SanPattern(regex::Regex);

impl SanPattern {
    /// Compiles `pattern` (Rust `regex` syntax), anchored so that it must match the whole SAN.
    pub fn new(pattern: &str) -> Result<Self, Error> {
        anchored("identity", pattern).map(SanPattern)
    }

    /// The anchored pattern, `^(?:…)$`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether `san` matches over its whole length.
    #[must_use]
    pub fn is_match(&self, san: &str) -> bool {
        self.0.is_match(san)
    }
}

impl SanMatcher {
    fn matches(&self, san: &str) -> bool {
        match self {
            SanMatcher::Exact(s) => s == san,
            SanMatcher::Regex(r) => r.is_match(san),
            SanMatcher::WorkflowAnyRef(w) => san
                .strip_prefix(w.as_str())
                .and_then(|rest| rest.strip_prefix('@'))
                .is_some_and(|r| r.starts_with("refs/")),
            SanMatcher::Any => true,
        }
    }

    fn describe(&self) -> String {
        match self {
            SanMatcher::Exact(s) => format!("{s:?}"),
            SanMatcher::Regex(r) => format!("regex {:?}", r.as_str()),
            SanMatcher::WorkflowAnyRef(w) => format!("{w:?} at any ref"),
            SanMatcher::Any => "any identity".to_owned(),
        }
    }
}

/// Who must have signed: the certificate identity (SAN), OIDC issuer, pinned Fulcio extension
/// values, allowed and denied build triggers and the runner environment.
///
/// ```
/// use attest::{FulcioExtension, IdentityPolicy};
///
/// # fn main() -> Result<(), attest::Error> {
/// // SecureScan: the exact tag-pinned release workflow, never a manual run.
/// let p = IdentityPolicy::github_release("owner/repo", "release.yml", "v1.2.3")?;
/// assert_eq!(
///     p.san_matcher_description(),
///     "\"https://github.com/owner/repo/.github/workflows/release.yml@refs/tags/v1.2.3\""
/// );
/// // AdvisoryHub: an anchored regex over the workflow path, pinned repository.
/// let p = IdentityPolicy::regex(
///     r"https://github\.com/owner/repo/\.github/workflows/release\.yml@refs/tags/v.*",
///     attest::GITHUB_ACTIONS_ISSUER,
/// )?
/// .with_extension(FulcioExtension::SourceRepositoryUri, "https://github.com/owner/repo")
/// .deny_trigger("workflow_dispatch")
/// .require_github_hosted();
/// # let _ = p;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct IdentityPolicy {
    san: SanMatcher,
    issuer: String,
    issuer_regex: Option<regex::Regex>,
    extensions: BTreeMap<FulcioExtension, String>,
    allowed_triggers: Option<Vec<String>>,
    denied_triggers: Vec<String>,
    require_github_hosted: bool,
}

/// Refuses `trigger` ([`IdentityError::TriggerNotAllowed`]) when it is one of `denied` or
/// `allowed` is given and lacks it; each list comes with the words its refusal uses after
/// "build trigger {trigger:?}" (the allowed list follows its words).
pub(crate) fn check_trigger(
    trigger: &str,
    (denied, denied_words): (&[String], &str),
    (allowed, allowed_words): (Option<&[String]>, &str),
) -> Result<(), Error> {
    if denied.iter().any(|d| d == trigger) {
        return Err(err(
            IdentityError::TriggerNotAllowed,
            format!("build trigger {trigger:?} {denied_words}"),
        ));
    }
    if let Some(allowed) = allowed
        && !allowed.iter().any(|a| a == trigger)
    {
        return Err(err(
            IdentityError::TriggerNotAllowed,
            format!("build trigger {trigger:?} {allowed_words} {allowed:?}"),
        ));
    }
    Ok(())
}

fn check_repo(repository: &str) -> Result<(), Error> {
    let ok_part = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && s != "."
            && s != ".."
    };
    match repository.split_once('/') {
        Some((o, r)) if ok_part(o) && ok_part(r) => Ok(()),
        _ => Err(err(
            PolicyError::Invalid,
            format!("repository {repository:?} is not OWNER/REPO"),
        )),
    }
}

/// `pattern` compiled to match a whole string; `what` names it in the error.
fn anchored(what: &str, pattern: &str) -> Result<regex::Regex, Error> {
    regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
        err(
            PolicyError::Invalid,
            format!("{what} regex {pattern:?} is invalid"),
        )
        .with_source(e)
    })
}

impl IdentityPolicy {
    /// Exact SAN and exact issuer.
    pub fn exact(identity: impl Into<String>, issuer: impl Into<String>) -> Self {
        IdentityPolicy {
            san: SanMatcher::Exact(identity.into()),
            issuer: issuer.into(),
            issuer_regex: None,
            extensions: BTreeMap::new(),
            allowed_triggers: None,
            denied_triggers: Vec::new(),
            require_github_hosted: false,
        }
    }

    /// SAN matched by a regular expression, anchored at both ends; exact issuer.
    pub fn regex(pattern: &str, issuer: impl Into<String>) -> Result<Self, Error> {
        Ok(IdentityPolicy {
            san: SanMatcher::Regex(SanPattern::new(pattern)?),
            ..Self::exact("", issuer)
        })
    }

    /// Match the certificate's issuer with a regular expression, anchored at both ends, in
    /// place of the exact issuer (cosign's `--certificate-oidc-issuer-regexp`).
    pub fn with_issuer_regex(mut self, pattern: &str) -> Result<Self, Error> {
        self.issuer = pattern.to_owned();
        self.issuer_regex = Some(anchored("issuer", pattern)?);
        Ok(self)
    }

    /// Any SAN from `issuer`. Dangerous alone: pin extensions or use it only under a provenance
    /// policy that ties the signer to the builder.
    pub fn any_identity(issuer: impl Into<String>) -> Self {
        IdentityPolicy {
            san: SanMatcher::Any,
            ..Self::exact("", issuer)
        }
    }

    /// A custom SAN matcher.
    pub fn with_san(mut self, san: SanMatcher) -> Self {
        self.san = san;
        self
    }

    /// The release-aware identity: `https://github.com/OWNER/REPO/.github/workflows/WORKFLOW@refs/tags/TAG`
    /// from the GitHub Actions issuer, `workflow_dispatch` denied, and the source repository
    /// and ref extensions pinned when the certificate carries them.
    ///
    /// `tag` must already be validated by the caller: `relgate` passes the text of a
    /// `relver::Tag` (e.g. `v1.2.3`); `attest` does not parse versions. `workflow` is a file
    /// name under `.github/workflows/` (`release.yml`) or that full path.
    pub fn github_release(repository: &str, workflow: &str, tag: &str) -> Result<Self, Error> {
        check_repo(repository)?;
        let file = workflow
            .strip_prefix(".github/workflows/")
            .unwrap_or(workflow);
        if file.is_empty() || file.contains('/') || file.contains('@') {
            return Err(err(
                PolicyError::Invalid,
                format!("workflow {workflow:?} is not a workflow file name"),
            ));
        }
        if tag.is_empty()
            || tag
                .chars()
                .any(|c| c.is_whitespace() || c == '@' || c.is_control())
        {
            return Err(err(
                PolicyError::Invalid,
                format!("tag {tag:?} is not a tag name"),
            ));
        }
        let san =
            format!("https://github.com/{repository}/.github/workflows/{file}@refs/tags/{tag}");
        Ok(Self::exact(san, GITHUB_ACTIONS_ISSUER).deny_trigger("workflow_dispatch"))
    }

    /// Pin one Fulcio extension to an exact value (the certificate must carry it).
    pub fn with_extension(mut self, ext: FulcioExtension, value: impl Into<String>) -> Self {
        self.extensions.insert(ext, value.into());
        self
    }

    /// Allow only these build triggers (e.g. `push`, `release`).
    pub fn allow_triggers<I, S>(mut self, triggers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_triggers = Some(triggers.into_iter().map(Into::into).collect());
        self
    }

    /// Refuse this build trigger (e.g. `workflow_dispatch`).
    pub fn deny_trigger(mut self, trigger: impl Into<String>) -> Self {
        self.denied_triggers.push(trigger.into());
        self
    }

    /// Require `runner_environment` = `github-hosted`.
    pub fn require_github_hosted(mut self) -> Self {
        self.require_github_hosted = true;
        self
    }

    /// The expected issuer (the pattern, when it is matched by a regex).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The SAN matcher.
    pub fn san(&self) -> &SanMatcher {
        &self.san
    }

    /// A description of the SAN matcher for reports.
    pub fn san_matcher_description(&self) -> String {
        self.san.describe()
    }

    /// Check the certificate's SANs, issuer and extensions.
    pub fn check(
        &self,
        sans: &[String],
        issuer: Option<&str>,
        exts: &ExtensionValues,
    ) -> Result<(), Error> {
        if !matches!(self.san, SanMatcher::Any) && !sans.iter().any(|s| self.san.matches(s)) {
            return Err(err(
                IdentityError::SanMismatch,
                format!(
                    "certificate identity {sans:?} does not match {}",
                    self.san.describe()
                ),
            ));
        }
        let issuer_ok = match &self.issuer_regex {
            Some(re) => issuer.is_some_and(|i| re.is_match(i)),
            None => issuer == Some(self.issuer.as_str()),
        };
        if !issuer_ok {
            let want = match self.issuer_regex {
                Some(_) => format!("regex {:?}", self.issuer),
                None => format!("{:?}", self.issuer),
            };
            return Err(err(
                IdentityError::IssuerMismatch,
                format!("certificate issuer is {issuer:?}; policy expects {want}"),
            ));
        }
        for (ext, want) in &self.extensions {
            match exts.get(ext) {
                Some(have) if have == want => {}
                have => {
                    return Err(err(
                        IdentityError::ExtensionMismatch,
                        format!(
                            "extension {ext} ({}) is {have:?}; policy expects {want:?}",
                            ext.oid()
                        ),
                    ));
                }
            }
        }
        if self.allowed_triggers.is_some() || !self.denied_triggers.is_empty() {
            let trigger = exts
                .get(&FulcioExtension::BuildTrigger)
                .or_else(|| exts.get(&FulcioExtension::GithubWorkflowTriggerV1))
                .ok_or_else(|| {
                    err(
                        IdentityError::TriggerNotAllowed,
                        "certificate states no build trigger",
                    )
                })?;
            check_trigger(
                trigger,
                (&self.denied_triggers, "is denied by policy"),
                (self.allowed_triggers.as_deref(), "is not among the allowed"),
            )?;
        }
        if self.require_github_hosted {
            let env = exts.get(&FulcioExtension::RunnerEnvironment);
            if env.map(String::as_str) != Some("github-hosted") {
                return Err(err(
                    IdentityError::ExtensionMismatch,
                    format!("runner_environment is {env:?}; policy requires \"github-hosted\""),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::test_support::assert_refused;

    fn exts(trigger: &str) -> ExtensionValues {
        let mut e = ExtensionValues::new();
        e.insert(FulcioExtension::BuildTrigger, trigger.into());
        e.insert(FulcioExtension::RunnerEnvironment, "self-hosted".into());
        e
    }

    #[test]
    fn release_identity_is_exact_and_refuses_manual_runs() {
        let p = IdentityPolicy::github_release("o/r", ".github/workflows/release.yml", "v1.2.3")
            .unwrap();
        let san = vec![
            "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.2.3".to_owned(),
        ];
        p.check(&san, Some(GITHUB_ACTIONS_ISSUER), &exts("push"))
            .unwrap();
        assert_refused(
            p.check(
                &san,
                Some(GITHUB_ACTIONS_ISSUER),
                &exts("workflow_dispatch"),
            ),
            ErrorKind::Identity(IdentityError::TriggerNotAllowed),
        );
        let branch =
            vec!["https://github.com/o/r/.github/workflows/release.yml@refs/heads/main".to_owned()];
        assert_refused(
            p.check(&branch, Some(GITHUB_ACTIONS_ISSUER), &exts("push")),
            ErrorKind::Identity(IdentityError::SanMismatch),
        );
        assert_refused(
            p.check(&san, Some("https://other"), &exts("push")),
            ErrorKind::Identity(IdentityError::IssuerMismatch),
        );
        assert!(IdentityPolicy::github_release("o", "release.yml", "v1").is_err());
        assert!(IdentityPolicy::github_release("o/r", "a/b.yml", "v1").is_err());
        assert!(IdentityPolicy::github_release("o/r", "b.yml", "v 1").is_err());
    }

    #[test]
    fn regex_is_anchored() {
        let p = IdentityPolicy::regex("https://x/.*@refs/tags/v1", "i").unwrap();
        let check = |san: &str| p.check(&[san.to_owned()], Some("i"), &ExtensionValues::new());
        check("https://x/a@refs/tags/v1").unwrap();
        assert!(check("https://x/a@refs/tags/v1.2").is_err());
        assert!(check("evil https://x/a@refs/tags/v1").is_err());
        assert_refused(
            IdentityPolicy::regex("(", "i"),
            ErrorKind::Policy(PolicyError::Invalid),
        );
    }

    #[test]
    fn issuer_regex_is_anchored_and_replaces_the_exact_issuer() {
        let p = IdentityPolicy::any_identity("unused")
            .with_issuer_regex(
                r"https://token\.actions\.githubusercontent\.com|https://gitlab\.com",
            )
            .unwrap();
        let none = ExtensionValues::new();
        p.check(&[], Some(GITHUB_ACTIONS_ISSUER), &none).unwrap();
        p.check(&[], Some("https://gitlab.com"), &none).unwrap();
        for bad in [Some("https://gitlab.com.evil"), Some("unused"), None] {
            let e = p.check(&[], bad, &none).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Identity(IdentityError::IssuerMismatch));
            assert!(e.detail().contains("regex"), "{}", e.detail());
        }
        assert_refused(
            IdentityPolicy::any_identity("i").with_issuer_regex("("),
            ErrorKind::Policy(PolicyError::Invalid),
        );
    }

    #[test]
    fn extensions_triggers_and_runner() {
        let p = IdentityPolicy::any_identity("i")
            .with_extension(FulcioExtension::BuildTrigger, "push")
            .allow_triggers(["push"]);
        p.check(&[], Some("i"), &exts("push"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_refused(
            p.check(&[], Some("i"), &exts("release")),
            ErrorKind::Identity(IdentityError::ExtensionMismatch),
        );
        let p = IdentityPolicy::any_identity("i").require_github_hosted();
        assert_refused(
            p.check(&[], Some("i"), &exts("push")),
            ErrorKind::Identity(IdentityError::ExtensionMismatch),
        );
        let p = IdentityPolicy::any_identity("i").deny_trigger("push");
        assert_refused(
            p.check(&[], Some("i"), &ExtensionValues::new()),
            ErrorKind::Identity(IdentityError::TriggerNotAllowed),
        );
    }

    #[test]
    fn workflow_any_ref() {
        let m = SanMatcher::WorkflowAnyRef("https://github.com/o/r/.github/workflows/b.yml".into());
        assert!(m.matches("https://github.com/o/r/.github/workflows/b.yml@refs/tags/v1"));
        assert!(!m.matches("https://github.com/o/r/.github/workflows/b.yml"));
        assert!(!m.matches("https://github.com/o/r/.github/workflows/b.yml2@refs/tags/v1"));
    }
}
