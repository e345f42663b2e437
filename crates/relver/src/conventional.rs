//! The next version from Conventional Commits messages (what `cog bump --auto` computes).

use crate::version::Version;

/// How much a commit (or a set of commits) moves the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Bump {
    /// No release-worthy change (docs, chore, non-conventional messages).
    None,
    /// `fix`.
    Patch,
    /// `feat`.
    Minor,
    /// `!` after the type/scope, or a `BREAKING CHANGE:` footer.
    Major,
}

/// Classify one commit message.
///
/// ```
/// use relver::{commit_bump, Bump};
/// assert_eq!(commit_bump("feat(api): add search"), Bump::Minor);
/// assert_eq!(commit_bump("fix!: drop Python 3.8"), Bump::Major);
/// assert_eq!(commit_bump("refactor: x\n\nBREAKING CHANGE: removed y"), Bump::Major);
/// assert_eq!(commit_bump("Merge branch 'main'"), Bump::None);
/// ```
#[must_use]
pub fn commit_bump(message: &str) -> Bump {
    let mut lines = message.lines();
    let header = lines.next().unwrap_or("").trim();
    let breaking_footer = message.lines().skip(1).any(|l| {
        l.starts_with("BREAKING CHANGE:")
            || l.starts_with("BREAKING-CHANGE:")
            || l.starts_with("BREAKING CHANGE :")
    });
    let Some((head, desc)) = header.split_once(':') else {
        return if breaking_footer {
            Bump::Major
        } else {
            Bump::None
        };
    };
    if desc.trim().is_empty() {
        return Bump::None;
    }
    let (head, bang) = match head.strip_suffix('!') {
        Some(h) => (h, true),
        None => (head, false),
    };
    let ty = match head.split_once('(') {
        Some((t, scope))
            if scope
                .strip_suffix(')')
                .is_some_and(|inner| !inner.contains(['(', ')'])) =>
        {
            t
        }
        Some(_) => return Bump::None,
        None => head,
    };
    if ty.is_empty() || !ty.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Bump::None;
    }
    if bang || breaking_footer {
        return Bump::Major;
    }
    match ty.to_ascii_lowercase().as_str() {
        "feat" => Bump::Minor,
        "fix" => Bump::Patch,
        _ => Bump::None,
    }
}

/// The next version after `current` given the commit messages since it, or `None` when no
/// commit asks for a release. Pre-release and build parts of `current` are dropped first.
///
/// Major version zero (`0.y.z`): a breaking change bumps the minor, `feat` bumps the minor, `fix`
/// bumps the patch (as cocogitto does); from `1.0.0` on: major, minor, patch.
///
/// ```
/// use relver::{next_version, Version};
/// let v = Version::new(1, 4, 2);
/// assert_eq!(next_version(&v, ["fix: a", "feat: b"]), Some(Version::new(1, 5, 0)));
/// assert_eq!(next_version(&Version::new(0, 5, 0), ["feat!: c"]), Some(Version::new(0, 6, 0)));
/// assert_eq!(next_version(&v, ["docs: d"]), None);
/// ```
#[must_use]
pub fn next_version<I, S>(current: &Version, messages: I) -> Option<Version>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let bump = messages
        .into_iter()
        .map(|m| commit_bump(m.as_ref()))
        .max()
        .unwrap_or(Bump::None);
    let base = current.release();
    match (bump, base.major()) {
        (Bump::None, _) => None,
        (Bump::Patch, _) => base.next_patch(),
        (Bump::Minor | Bump::Major, 0) => base.next_minor(),
        (Bump::Minor, _) => base.next_minor(),
        (Bump::Major, _) => base.next_major(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(commit_bump("feat: x"), Bump::Minor);
        assert_eq!(commit_bump("Feat(scope): x"), Bump::Minor);
        assert_eq!(commit_bump("fix(a-b): x"), Bump::Patch);
        assert_eq!(commit_bump("feat(a)!: x"), Bump::Major);
        assert_eq!(commit_bump("chore: x\n\nBREAKING-CHANGE: y"), Bump::Major);
        assert_eq!(commit_bump("chore: x"), Bump::None);
        assert_eq!(commit_bump("feat:"), Bump::None);
        assert_eq!(commit_bump("feat(a: x"), Bump::None);
        assert_eq!(commit_bump("not conventional"), Bump::None);
        assert_eq!(commit_bump("feat x: y"), Bump::None);
        assert_eq!(commit_bump(""), Bump::None);
    }

    #[test]
    fn zero_x_rules() {
        let z = Version::new(0, 3, 1);
        assert_eq!(next_version(&z, ["fix: a"]), Some(Version::new(0, 3, 2)));
        assert_eq!(next_version(&z, ["feat: a"]), Some(Version::new(0, 4, 0)));
        assert_eq!(
            next_version(&z, ["refactor!: a"]),
            Some(Version::new(0, 4, 0))
        );
        let one = Version::new(1, 3, 1);
        assert_eq!(
            next_version(&one, ["fix: a", "x\n\nBREAKING CHANGE: b"]),
            Some(Version::new(2, 0, 0))
        );
        let pre: Version = "2.0.0-rc.1".parse().unwrap();
        assert_eq!(next_version(&pre, ["fix: a"]), Some(Version::new(2, 0, 1)));
        assert_eq!(
            next_version(&Version::new(u64::MAX, 0, 0), ["feat!: a"]),
            None
        );
        assert_eq!(next_version(&one, Vec::<String>::new()), None);
    }
}
