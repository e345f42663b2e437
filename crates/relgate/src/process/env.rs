//! The environment a command starts with: nothing of relkit's but a short list of
//! variables a build needs to find its tools, its home, its locale and time zone, plus what
//! relkit sets for the command and what the policy passes by name.

use std::ffi::{OsStr, OsString};

/// Variables of relkit's environment every command gets (when set), besides `LC_*`.
pub(crate) const PASSED: [&str; 6] = ["PATH", "HOME", "LANG", "TZ", "TMPDIR", "SOURCE_DATE_EPOCH"];

/// The variable naming the command a process descends from (see [`super::reap`]): every
/// command gets its own value, and its descendants inherit it.
pub(crate) const COMMAND_TAG: &str = "RELKIT_COMMAND_TAG";

/// Whether relkit's variable `name` is passed to every command.
pub(crate) fn passed(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    PASSED.contains(&name) || name.starts_with("LC_")
}

/// A command's whole environment: the [`passed`] variables of `parent` (relkit's), then
/// `set` (what relkit sets for the command, including variables the policy passes by name),
/// then the command's tag. Later entries win.
pub(crate) fn child_env(
    parent: impl IntoIterator<Item = (OsString, OsString)>,
    set: &[(String, String)],
    tag: &str,
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> =
        parent.into_iter().filter(|(k, _)| passed(k)).collect();
    for (k, v) in set {
        env.retain(|(name, _)| name.as_os_str() != OsStr::new(k));
        env.push((OsString::from(k), OsString::from(v)));
    }
    env.retain(|(name, _)| name.as_os_str() != OsStr::new(COMMAND_TAG));
    env.push((OsString::from(COMMAND_TAG), OsString::from(tag)));
    env
}

/// `names`' values in relkit's environment, for a gate whose policy passes them (`env = [...]`);
/// names that are unset, or not UTF-8, are left out.
pub(crate) fn named(names: &[String]) -> Vec<(String, String)> {
    names
        .iter()
        .filter_map(|n| std::env::var(n).ok().map(|v| (n.clone(), v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    #[test]
    fn only_the_short_list_and_what_relkit_sets_reach_a_command() {
        let parent = os(&[
            ("PATH", "/usr/bin"),
            ("HOME", "/home/r"),
            ("LC_ALL", "C.UTF-8"),
            ("LANG", "C"),
            ("TZ", "UTC"),
            ("TMPDIR", "/var/tmp"),
            ("SOURCE_DATE_EPOCH", "1"),
            ("GITHUB_TOKEN", "ghp_secret"),
            ("CARGO_REGISTRY_TOKEN", "cio_secret"),
            ("SECRET_X", "x"),
            ("RELKIT_COMMAND_TAG", "forged"),
        ]);
        let set = [
            ("RELKIT_GATE".to_owned(), "smoke".to_owned()),
            ("SOURCE_DATE_EPOCH".to_owned(), "2".to_owned()),
        ];
        let env = child_env(parent, &set, "1.2");
        let names: Vec<&str> = env.iter().filter_map(|(k, _)| k.to_str()).collect();
        assert_eq!(
            names,
            [
                "PATH",
                "HOME",
                "LC_ALL",
                "LANG",
                "TZ",
                "TMPDIR",
                "RELKIT_GATE",
                "SOURCE_DATE_EPOCH",
                COMMAND_TAG
            ]
        );
        let value = |n: &str| env.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        assert_eq!(value("SOURCE_DATE_EPOCH"), Some(OsString::from("2")));
        assert_eq!(value(COMMAND_TAG), Some(OsString::from("1.2")));
    }
}
