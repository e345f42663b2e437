//! Every `relkit` subcommand has full help with an example: the command tree is walked by
//! parsing `relkit --help` and each group's `--help` (the `Commands:` section), not from a
//! list written here, so a subcommand added later is held to the same rule.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

use std::process::{Command, Output};

fn relkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relkit"))
        .args(args)
        .output()
        .unwrap()
}

/// The help text of `relkit PATH... --help`, which must exit 0.
#[track_caller]
fn help(path: &[String]) -> String {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let o = relkit(&args);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(0),
        "relkit {args:?}: {}\n{}",
        text,
        String::from_utf8_lossy(&o.stderr)
    );
    text
}

/// The subcommand names listed under `Commands:` (clap's `help` pseudo-command left out).
fn subcommands(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line.trim_end() == "Commands:" {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        // The section ends at the first line that is not indented (a blank line or a heading).
        if !line.starts_with("  ") {
            break;
        }
        // A name is indented by two spaces; wrapped descriptions are indented further.
        let Some(rest) = line.strip_prefix("  ") else {
            continue;
        };
        if rest.starts_with(' ') {
            continue;
        }
        if let Some(name) = rest.split_whitespace().next()
            && name != "help"
        {
            out.push(name.to_owned());
        }
    }
    out
}

/// Every leaf command path below `path`, found by parsing the help texts.
fn leaves(path: Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    let text = help(&path);
    let subs = subcommands(&text);
    if subs.is_empty() {
        out.push((path, text));
        return;
    }
    for s in subs {
        let mut next = path.clone();
        next.push(s);
        leaves(next, out);
    }
}

#[test]
fn the_command_tree_parser_reads_clap_help() {
    let text = "Usage: relkit [OPTIONS] <COMMAND>\n\nCommands:\n  versions   Version files\n  changelog  The changelog: extract a version's section, lint the\n             file\n  help       Print this message\n\nOptions:\n  -h, --help\n";
    assert_eq!(subcommands(text), ["versions", "changelog"]);
    assert!(subcommands("Usage: relkit digest [FILE]...\n\nOptions:\n  -a\n").is_empty());
}

#[test]
fn every_leaf_command_has_help_with_an_example() {
    let mut found = Vec::new();
    leaves(Vec::new(), &mut found);
    let names: Vec<String> = found.iter().map(|(p, _)| p.join(" ")).collect();
    // The walk reaches the commands of this binary (a sanity floor, not the list).
    for expected in [
        "versions check",
        "versions audit",
        "versions bump",
        "versions next",
        "versions discover",
        "changelog extract",
        "changelog lint",
        "digest",
        "archive check",
        "archive repack",
        "archive diff",
        "readback",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not in {names:?}"
        );
    }
    for (path, text) in &found {
        let name = path.join(" ");
        assert!(
            text.contains(&format!("Usage: relkit {name}")),
            "relkit {name} --help has no usage line:\n{text}"
        );
        let example = text
            .split_once("Example:")
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("relkit {name} --help has no Example: section:\n{text}"));
        let first = example.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        // A `relkit` command line, of this command's family.
        assert!(
            first
                .trim_start()
                .starts_with(&format!("relkit {} ", path[0])),
            "relkit {name}: the example is not a relkit {} command line: {first:?}",
            path[0]
        );
    }
}

#[test]
fn an_unknown_command_is_bad_usage() {
    let o = relkit(&["nosuch"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nosuch"));
    assert_eq!(relkit(&[]).status.code(), Some(2));
    assert_eq!(relkit(&["versions", "nosuch"]).status.code(), Some(2));
    assert_eq!(
        relkit(&["--format", "nosuch", "digest", "x"]).status.code(),
        Some(2)
    );
}

#[test]
fn digest_help_prints_help() {
    let o = relkit(&["digest", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Usage: relkit digest"), "{text}");
    assert!(text.contains("--check"), "{text}");
    assert!(!text.contains("cannot read"), "{text}");
}
