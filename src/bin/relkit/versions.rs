//! `relkit versions check|audit|bump|next|discover`: relver's lockstep check, history audit,
//! bump (plan, preview, apply), next version from Conventional Commits, and discovery.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use relgate::{Code, Finding, Phase, Severity};
use relver::{
    BumpError, BumpOptions, Config, DirTree, GitRepo, TagClass, TagOptions, Tree, Version,
    audit_history, check, check_release_with, check_worktree, commit_bump, discover, next_version,
    parse_tag, plan_bump, read_text_file, worktree_at_tag,
};
use serde_json::json;

use crate::output::{Global, OutputFormat, check_report, project_of};

/// Largest `relver.toml` read through `--config`, in bytes.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Version files, tags and history: the lockstep check and the release engineer's tools.
#[derive(Debug, Args)]
#[command(
    about = "Version files, tags and history: check, audit, bump, next, discover",
    long_about = "Version files, tags and history.\n\nThe sources come from relver.toml (or [workspace.metadata.relver] in Cargo.toml), --config, or, without either, a configuration discovered from the folder's files (every version file is a member unless it says it is not released).",
    after_help = "Example:\n  relkit versions check --tag v1.2.3 ."
)]
pub(crate) struct VersionsArgs {
    #[command(subcommand)]
    command: VersionsCommand,
}

#[derive(Debug, Subcommand)]
enum VersionsCommand {
    Check(CheckArgs),
    Audit(AuditArgs),
    Bump(BumpArgs),
    Next(NextArgs),
    Discover(DiscoverArgs),
}

/// Where the version sources come from: `--config` and the project folder.
#[derive(Debug, Clone, Args)]
struct Project {
    /// The relver configuration to use instead of the folder's relver.toml (or
    /// [workspace.metadata.relver]); without either, the sources are discovered.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The project folder.
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
}

/// Checks that every version file agrees, with the tag when given.
#[derive(Debug, Args)]
#[command(
    about = "Check that every version file agrees (with the tag, when given)",
    long_about = "Check that every version file of the folder's working tree carries the same version: the tag's when --tag is given (strict SemVer: vMAJOR.MINOR.PATCH, unless allowed otherwise). With a tag, a warning says when the working tree is not that tag's tree.\n\nExit status: 0 the files agree, 1 they do not (or the tag is refused), 2 the configuration could not be read.",
    after_help = "Example:\n  relkit versions check --tag v1.2.3 --format github ."
)]
struct CheckArgs {
    /// The release tag to check against.
    #[arg(long, value_name = "TAG")]
    tag: Option<String>,
    /// Accept a floating or partial tag (v1, v1.2): nothing is checked.
    #[arg(long)]
    allow_floating: bool,
    /// Accept a pre-release tag (v1.2.3-rc.1): the files must carry 1.2.3-rc.1.
    #[arg(long)]
    allow_prerelease: bool,
    #[command(flatten)]
    project: Project,
}

/// Audits every release tag of the repository.
#[derive(Debug, Args)]
#[command(
    about = "Audit every release tag: tags whose files lag a version, versions never tagged",
    long_about = "Check every release tag of the git repository against its own tree (read from git objects, no checkout): a tag whose files carry the previous release's version means the bump ran after tagging; a version a tag's tree or the changelog carries that was never tagged is a warning.\n\nExit status: 0 the history is clean, 1 a tag fails, 2 the repository or configuration could not be read.",
    after_help = "Example:\n  relkit versions audit --format markdown ."
)]
struct AuditArgs {
    /// The revision whose changelog lists the versions that should be tagged.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    head: String,
    #[command(flatten)]
    project: Project,
}

/// Bumps every version source at once.
#[derive(Debug, Args)]
#[command(
    about = "Bump every version file at once: plan and preview, or apply",
    long_about = "Bump every member version source (and the changelog's section) to a new version: a level (major, minor, patch) from the version the files agree on, or an exact version. By default nothing is written: the plan is shown as a unified diff. --apply writes every file or none.\n\nExit status: 0 planned (or applied), 1 the tree is not in lockstep (bump with --heal to repair it), 2 the bump cannot be made (a value cannot be edited in place, unreadable files, bad version).",
    after_help = "Example:\n  relkit versions bump minor --dry-run .\n  relkit versions bump 1.3.0 --apply --date 2026-03-01 ."
)]
struct BumpArgs {
    /// `major`, `minor`, `patch`, or a version (1.3.0).
    #[arg(value_name = "LEVEL|VERSION")]
    to: String,
    /// Show the plan and its diff, write nothing (the default).
    #[arg(long, conflicts_with = "apply")]
    dry_run: bool,
    /// Write the files (all or nothing).
    #[arg(long)]
    apply: bool,
    /// The date of a new changelog section (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Bump even when the files disagree today (repair a tree out of lockstep).
    #[arg(long)]
    heal: bool,
    #[command(flatten)]
    project: Project,
}

/// The next version from the Conventional Commits since the latest release tag.
#[derive(Debug, Args)]
#[command(
    about = "The next version, from the Conventional Commits since the latest release tag",
    long_about = "Compute the next version from the commit messages since the latest release tag (feat: minor, fix: patch, ! or BREAKING CHANGE: major; below 1.0.0 a breaking change bumps the minor). Nothing to release (only docs, chore, ...) is a note, not a failure.\n\nExit status: 0 computed, 2 no release tag or the repository could not be read.",
    after_help = "Example:\n  relkit versions next --short ."
)]
struct NextArgs {
    /// The revision to release.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    head: String,
    /// Print only the next version (nothing when no commit calls for a release).
    #[arg(long)]
    short: bool,
    #[command(flatten)]
    project: Project,
}

/// Proposes a relver configuration from the folder's files.
#[derive(Debug, Args)]
#[command(
    about = "Propose a relver.toml from the folder's version files",
    long_about = "List every version file of the folder and propose a relver.toml: each file is a member unless it says it is not released (publish = false, \"private\": true, version 0.0.0). With an existing configuration, the fields it does not cover are listed.\n\nExit status: 0 discovered, 1 a candidate file could not be read or parsed, 2 the folder could not be read.",
    after_help = "Example:\n  relkit versions discover . > relver.toml"
)]
struct DiscoverArgs {
    #[command(flatten)]
    project: Project,
}

/// Runs `relkit versions …`.
pub(crate) fn run(global: &Global, args: VersionsArgs) -> ExitCode {
    let ran = match args.command {
        VersionsCommand::Check(a) => run_check(global, &a),
        VersionsCommand::Audit(a) => run_audit(global, &a),
        VersionsCommand::Bump(a) => run_bump(global, &a),
        VersionsCommand::Next(a) => run_next(global, &a),
        VersionsCommand::Discover(a) => run_discover(global, &a),
    };
    // `Err`: the command could not run (said already); its exit status.
    ran.unwrap_or_else(|exit| exit)
}

/// The configuration `--config` names, when given.
fn explicit_config(project: &Project) -> Result<Option<Config>, String> {
    let Some(path) = &project.config else {
        return Ok(None);
    };
    let shown = path.display().to_string();
    let text = read_text_file(path, MAX_CONFIG_BYTES)
        .map_err(|e| format!("cannot read {shown}: {e}"))?
        .ok_or_else(|| format!("{shown} does not exist"))?;
    Config::from_toml(&shown, &text)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// `--config`, else the folder's own configuration, else a discovered one.
fn config_for(project: &Project, tree: &DirTree) -> Result<Config, String> {
    if let Some(c) = explicit_config(project)? {
        return Ok(c);
    }
    match Config::load(tree).map_err(|e| e.to_string())? {
        Some(c) => Ok(c),
        None => discover(tree, None)
            .map(|d| d.proposed)
            .map_err(|e| e.to_string()),
    }
}

fn run_check(global: &Global, a: &CheckArgs) -> Result<ExitCode, ExitCode> {
    let dir = &a.project.dir;
    let project = project_of(dir);
    let options = TagOptions::default()
        .allow_floating(a.allow_floating)
        .allow_prerelease(a.allow_prerelease);
    let explicit = global.or_exit(&project, explicit_config(&a.project))?;
    let (report, discovered) = match explicit {
        None => {
            let run = global.or_exit(&project, check_worktree(dir, a.tag.as_deref(), options))?;
            (run.report, run.discovery.map(|d| d.proposed))
        }
        Some(config) => {
            let tree = DirTree::new(dir);
            let mut report = match &a.tag {
                Some(t) => check_release_with(&tree, &config, t, options),
                None => check(&tree, &config, None),
            };
            // The working tree against a tag: say when it is not that tag's tree.
            if let Some(t) = &a.tag
                && let Ok(TagClass::Release(tag)) = parse_tag(t, &config.tag_policy())
                && report.tag.is_some()
                && let Some(w) = worktree_at_tag(dir, &tag)
            {
                report.findings.push(w);
            }
            (report, None)
        }
    };
    let evidence = [
        ("tree", json!(report.tree.to_string())),
        (
            "expected",
            json!(report.expected.as_ref().map(ToString::to_string)),
        ),
        (
            "discovered-config",
            json!(discovered.and_then(|c| c.to_toml().ok())),
        ),
    ];
    Ok(global.emit(&check_report(
        &project,
        "versions-lockstep",
        Phase::Preflight,
        report.findings,
        evidence,
    )))
}

fn run_audit(global: &Global, a: &AuditArgs) -> Result<ExitCode, ExitCode> {
    let dir = &a.project.dir;
    let project = project_of(dir);
    let tree = DirTree::new(dir);
    let config = global.or_exit(&project, config_for(&a.project, &tree))?;
    let repo = GitRepo::open(dir);
    let audit = global.or_exit(&project, audit_history(&repo, &config, &a.head))?;
    let mut findings = audit.findings.clone();
    let mut tags = Vec::new();
    for (tag, report) in &audit.tags {
        tags.push(json!({"tag": tag.to_string(), "ok": report.ok}));
        // Each tag's own errors, naming the tag whose tree they were read from.
        for f in report.errors() {
            let mut f = f.clone();
            f.subject = format!("at {tag}: {}", f.subject);
            findings.push(f);
        }
    }
    Ok(global.emit(&check_report(
        &project,
        "versions-audit",
        Phase::Preflight,
        findings,
        [("tags", json!(tags))],
    )))
}

/// The version `to` names: a level from `current`, or a version.
fn target_version(to: &str, current: Option<&Version>) -> Result<Version, String> {
    let level = match to {
        "major" => Version::next_major,
        "minor" => Version::next_minor,
        "patch" => Version::next_patch,
        _ => {
            let text = to.strip_prefix('v').unwrap_or(to);
            return text.parse().map_err(|e| format!("{e}"));
        }
    };
    let current = current.ok_or_else(|| {
        format!("no version the files agree on to bump a {to} level from; give the version")
    })?;
    level(&current.release()).ok_or_else(|| format!("{current} has no next {to} version"))
}

fn run_bump(global: &Global, a: &BumpArgs) -> Result<ExitCode, ExitCode> {
    let dir = &a.project.dir;
    let project = project_of(dir);
    let tree = DirTree::new(dir);
    let config = global.or_exit(&project, config_for(&a.project, &tree))?;
    let current = check(&tree, &config, None).expected;
    let to = global.or_exit(&project, target_version(&a.to, current.as_ref()))?;
    let date = a.date.clone().unwrap_or_else(relgate::policy::today_utc);
    let mut options = BumpOptions::default().with_date(date);
    if a.heal {
        options = options.healing();
    }
    let plan = match plan_bump(&tree, &config, &to, &options) {
        Ok(p) => p,
        Err(BumpError::OutOfLockstep { findings }) => {
            let hint = "fix the files first, or repair them in the same bump with --heal";
            let findings = findings
                .into_iter()
                .map(|f| if f.hint.is_none() { f.hint(hint) } else { f })
                .collect();
            return Ok(global.emit(&check_report(
                &project,
                "versions-bump",
                Phase::Preflight,
                findings,
                [("to", json!(to.to_string()))],
            )));
        }
        Err(e) => return Err(global.could_not_run(&project, e)),
    };
    let diff = plan.diff();
    if a.apply {
        global.or_exit(&project, plan.apply(&tree))?;
    }
    let (verb, add) = if a.apply {
        ("set", "added")
    } else {
        ("would set", "would add")
    };
    let mut notes = Vec::new();
    for file in &plan.files {
        for edit in &file.edits {
            let at = relgate::Location::file(&file.path).line_col(edit.line, 1);
            let note = if edit.new.contains('\n') || edit.old.contains('\n') {
                // A changelog edit: a new section heading, shown in the diff.
                Finding::new(
                    Code::VersionMismatch,
                    format!("{add} the section for {to} in {}", file.path),
                )
                .at(at)
            } else {
                Finding::new(
                    Code::VersionMismatch,
                    format!("{verb} {} to {}", edit.key, edit.new),
                )
                .at(at.key(edit.key.clone()))
                .expected(edit.new.clone())
                .found(edit.old.clone())
            };
            notes.push(note.severity(Severity::Info));
        }
    }
    if plan.is_noop() {
        notes.push(
            Finding::new(
                Code::VersionMismatch,
                format!("every file already carries {to}"),
            )
            .severity(Severity::Info),
        );
    }
    if global.format == OutputFormat::Human {
        // The preview first: the diff a reviewer reads before --apply.
        print!("{}", relkit_finding::escape_controls(&diff));
    }
    Ok(global.emit(&check_report(
        &project,
        "versions-bump",
        Phase::Preflight,
        notes,
        [
            ("from", json!(plan.from.as_ref().map(ToString::to_string))),
            ("to", json!(to.to_string())),
            ("applied", json!(a.apply)),
            ("files", json!(plan.files)),
            ("diff", json!(diff)),
        ],
    )))
}

fn run_next(global: &Global, a: &NextArgs) -> Result<ExitCode, ExitCode> {
    let dir = &a.project.dir;
    let project = project_of(dir);
    let tree = DirTree::new(dir);
    // Only the tag prefixes are needed: no discovery.
    let config = match global.or_exit(&project, explicit_config(&a.project))? {
        Some(c) => c,
        None => global
            .or_exit(&project, Config::load(&tree))?
            .unwrap_or_default(),
    };
    let repo = GitRepo::open(dir);
    let names = global.or_exit(&project, repo.tag_names())?;
    let main_prefix = config.tag_prefixes.first().cloned().unwrap_or_default();
    let policy = config.tag_policy();
    let latest = names
        .iter()
        .filter_map(|n| match parse_tag(n, &policy) {
            Ok(TagClass::Release(t)) if t.prefix() == main_prefix => Some((n.clone(), t)),
            _ => None,
        })
        .max_by(|x, y| x.1.version().cmp(y.1.version()));
    let Some((tag_name, tag)) = latest else {
        return Err(global.could_not_run(
            &project,
            format!(
                "no release tag ({main_prefix}MAJOR.MINOR.PATCH) in {}: a first release sets its version freely",
                dir.display()
            ),
        ));
    };
    let messages = global.or_exit(&project, repo.messages(Some(&tag_name), &a.head))?;
    let current = tag.version();
    let next = next_version(current, &messages);
    // The bump's kebab-case name (`minor`), as relver serialises it.
    let bump = messages
        .iter()
        .map(|m| commit_bump(m))
        .max()
        .and_then(|b| serde_json::to_value(b).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from("none"));
    if a.short && global.format == OutputFormat::Human {
        if let Some(v) = &next {
            println!("{v}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let range = format!("{tag_name}..{}", a.head);
    let note = match &next {
        Some(v) => Finding::new(Code::VersionBumpMismatch, format!("next version: {v}"))
            .expected(format!("{v} (a {bump} bump from {current})"))
            .found(format!("{} commit(s) in {range}", messages.len())),
        None => Finding::new(
            Code::VersionBumpMismatch,
            format!("nothing to release since {tag_name}"),
        )
        .found(format!(
            "{} commit(s) in {range}, none a feat, fix or breaking change",
            messages.len()
        )),
    }
    .severity(Severity::Info);
    Ok(global.emit(&check_report(
        &project,
        "versions-next",
        Phase::Preflight,
        vec![note],
        [
            ("previous-tag", json!(tag_name)),
            ("current", json!(current.to_string())),
            ("next", json!(next.as_ref().map(ToString::to_string))),
            ("bump", json!(bump)),
            ("commits", json!(messages.len())),
        ],
    )))
}

fn run_discover(global: &Global, a: &DiscoverArgs) -> Result<ExitCode, ExitCode> {
    let dir: &Path = &a.project.dir;
    let project = project_of(dir);
    let tree = DirTree::new(dir);
    let existing = match global.or_exit(&project, explicit_config(&a.project))? {
        Some(c) => Some(c),
        None => global.or_exit(&project, Config::load(&tree))?,
    };
    let found = global.or_exit(&project, discover(&tree as &dyn Tree, existing.as_ref()))?;
    let proposed = global.or_exit(&project, found.proposed.to_toml())?;
    if global.format == OutputFormat::Human {
        print!("{}", relkit_finding::escape_controls(&proposed));
        let findings: Vec<Finding> = found
            .uncovered
            .iter()
            .chain(&found.problems)
            .cloned()
            .collect();
        // The proposal is the output; its findings go to stderr so it can be redirected
        // into relver.toml.
        for f in &findings {
            eprintln!(
                "relkit: {}",
                relkit_finding::escape_controls(&f.to_string())
            );
        }
        return Ok(if findings.iter().any(|f| f.severity.blocks()) {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    }
    let fields: Vec<_> = found
        .fields
        .iter()
        .map(|(role, field)| json!({"role": role, "field": field}))
        .collect();
    let findings = found.uncovered.into_iter().chain(found.problems).collect();
    Ok(global.emit(&check_report(
        &project,
        "versions-discover",
        Phase::Preflight,
        findings,
        [
            ("proposed", json!(proposed)),
            ("reference", json!(found.reference.map(|v| v.to_string()))),
            ("fields", json!(fields)),
        ],
    )))
}
