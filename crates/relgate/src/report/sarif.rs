//! SARIF 2.1.0 for code scanning: one run of the tool `relkit`, one rule per code that occurs
//! (with a `helpUri` into `docs/gates.md`), one result per finding with its location relative
//! to `%SRCROOT%` and a stable `partialFingerprints` entry; waived findings carry a
//! suppression with the waiver's reason.

use std::collections::BTreeSet;

use artidigest::{Algorithm, Digest};
use serde_json::{Map, Value, json};

use crate::finding::{Code, Finding, Severity};
use crate::report::model::{Report, RunStatus};
use crate::report::scrubbed::scrubbed;

/// The `$schema` of every SARIF log relkit writes: the OASIS SARIF 2.1.0 schema (errata 01).
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The SARIF version written.
pub const SARIF_VERSION: &str = "2.1.0";

/// The tool name of the run (`tool.driver.name`).
pub const SARIF_TOOL_NAME: &str = "relkit";

/// The URI base id every relative location is given against: the project's source tree (the
/// root the version sources and the policy's relative paths are read from).
pub const SRCROOT: &str = "%SRCROOT%";

/// The key of relkit's entry in each result's `partialFingerprints`: the lower-case hex sha256
/// of the finding's code, gate, path, key path and subject (see [`fingerprint`]).
pub const FINGERPRINT_KEY: &str = "relkitFinding/v1";

/// `docs/gates.md` in relkit's repository, where every code has the anchor `#code-<code>`.
pub const GATES_DOC_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/gates.md");

/// The documentation of `code`: [`GATES_DOC_URL`] at the anchor `code-<code>`.
///
/// ```
/// use relgate::Code;
/// use relgate::report::help_uri;
/// assert!(help_uri(Code::VersionMismatch).ends_with("docs/gates.md#code-version-mismatch"));
/// ```
pub fn help_uri(code: Code) -> String {
    format!("{GATES_DOC_URL}#code-{code}")
}

/// The stable fingerprint of a finding reported by `gate` (`None` for the run's own errors
/// and notices): the lower-case hex sha256 of the JSON array `[code, gate, path, key,
/// subject]`. Line and column numbers, timings, expected and found values are left out, so the
/// same problem keeps its fingerprint when the file around it moves or a value changes.
///
/// ```
/// use relgate::{Code, Finding, Location};
/// use relgate::report::fingerprint;
/// let at = |line| Finding::new(Code::VersionMismatch, "differs")
///     .at(Location::file("Cargo.toml").line_col(line, 11).key("package.version"));
/// assert_eq!(fingerprint(Some("versions-lockstep"), &at(3)), fingerprint(Some("versions-lockstep"), &at(9)));
/// assert_ne!(fingerprint(Some("versions-lockstep"), &at(3)), fingerprint(None, &at(3)));
/// ```
pub fn fingerprint(gate: Option<&str>, f: &Finding) -> String {
    let fields = json!([f.code.as_str(), gate, f.path(), f.key_path(), f.subject]);
    Digest::of(Algorithm::Sha256, fields.to_string().as_bytes()).to_hex()
}

/// `value` as pretty JSON with a final newline; `schema` names what it is in the (unreachable)
/// error object.
pub(crate) fn pretty_json(value: &impl serde::Serialize, schema: &str) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // Serialising plain data with string keys cannot fail; stay total anyway.
        Err(e) => format!(
            "{{\"schema\":{:?},\"error\":{:?}}}\n",
            schema,
            e.to_string()
        ),
    }
}

/// The SARIF level of a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        _ => "note",
    }
}

/// Percent-encodes `text` for a URI: unreserved characters stay, `/` stays when `keep_slash`,
/// every other byte becomes `%XX`.
pub(crate) fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        let c = char::from(b);
        if c.is_ascii_alphanumeric()
            || matches!(c, '-' | '.' | '_' | '~')
            || (keep_slash && c == '/')
        {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The artifact location of `path`: relative to [`SRCROOT`], or an absolute `file://` URI
/// for an absolute path.
fn artifact_location(path: &str) -> Value {
    let path = path.replace('\\', "/");
    if path.starts_with('/') {
        json!({ "uri": format!("file://{}", uri_encode(&path, true)) })
    } else {
        let rel = path.trim_start_matches("./");
        json!({ "uri": uri_encode(rel, true), "uriBaseId": SRCROOT })
    }
}

/// Whether `path` can be given relative to the source root (not absolute, not leaving it).
fn is_relative(path: &str) -> bool {
    let path = path.replace('\\', "/");
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains(':')
        && !path.split('/').any(|c| c == "..")
}

/// Where a finding points: its file (with the line and column when known) and its key path as
/// a logical location; a finding without a file points at the policy file when the report
/// names it by a relative path, else nowhere.
fn locations(f: &Finding, policy: Option<&str>) -> Vec<Value> {
    let mut location = Map::new();
    match f.location.as_ref().filter(|l| !l.path.is_empty()) {
        Some(l) => {
            let mut physical = Map::new();
            physical.insert("artifactLocation".into(), artifact_location(&l.path));
            if let Some(line) = l.line.filter(|n| *n > 0) {
                let mut region = Map::new();
                region.insert("startLine".into(), json!(line));
                if let Some(col) = l.column.filter(|n| *n > 0) {
                    region.insert("startColumn".into(), json!(col));
                }
                physical.insert("region".into(), Value::Object(region));
            }
            location.insert("physicalLocation".into(), Value::Object(physical));
        }
        None => {
            if let Some(p) = policy.filter(|p| is_relative(p)) {
                location.insert(
                    "physicalLocation".into(),
                    json!({ "artifactLocation": artifact_location(p) }),
                );
            }
        }
    }
    if let Some(key) = f.key_path() {
        location.insert(
            "logicalLocations".into(),
            json!([{ "fullyQualifiedName": key, "kind": "property" }]),
        );
    }
    if location.is_empty() {
        Vec::new()
    } else {
        vec![Value::Object(location)]
    }
}

/// The message of a finding: its subject, expected and found values, then its hint.
fn message(f: &Finding) -> String {
    let mut bare = f.clone();
    bare.location = None;
    bare.hint = None;
    let line = bare.to_string();
    let prefix = format!("{}: ", f.code);
    let mut text = line.strip_prefix(&prefix).unwrap_or(&line).to_owned();
    if let Some(h) = &f.hint {
        text.push_str("\nhint: ");
        text.push_str(h);
    }
    text
}

/// One finding to report, with what the report says about it.
struct Item<'a> {
    finding: &'a Finding,
    gate: Option<&'a str>,
    phase: Option<&'a str>,
    waived: Option<&'a str>,
}

/// Every finding of the report in order: the run's errors and notices, then per gate its
/// findings and its notes.
fn items(report: &Report) -> Vec<Item<'_>> {
    let run = |finding| Item {
        finding,
        gate: None,
        phase: None,
        waived: None,
    };
    let mut items: Vec<Item<'_>> = report.errors.iter().map(run).collect();
    items.extend(report.notices.iter().map(run));
    for g in &report.gates {
        let (gate, phase) = (Some(g.id.as_str()), Some(g.phase.as_str()));
        items.extend(g.findings.iter().map(|f| Item {
            finding: &f.finding,
            gate,
            phase,
            waived: f.waived.as_deref(),
        }));
        items.extend(g.notes.iter().map(|finding| Item {
            finding,
            gate,
            phase,
            waived: None,
        }));
    }
    items
}

/// The rule of `code`.
fn rule(code: Code) -> Value {
    json!({
        "id": code.as_str(),
        "shortDescription": { "text": code.description() },
        "helpUri": help_uri(code),
        "defaultConfiguration": { "level": level(code.severity()) },
        "properties": { "tags": [code.area().as_str()] },
    })
}

/// The SARIF result of one finding; `rules` are the codes in rule order.
fn result(item: &Item<'_>, rules: &[Code], policy: Option<&str>) -> Value {
    let f = item.finding;
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.code.as_str()));
    if let Some(i) = rules.iter().position(|c| *c == f.code) {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("level".into(), json!(level(f.severity)));
    r.insert("message".into(), json!({ "text": message(f) }));
    let locations = locations(f, policy);
    if !locations.is_empty() {
        r.insert("locations".into(), Value::Array(locations));
    }
    r.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: fingerprint(item.gate, f) }),
    );
    if let Some(reason) = item.waived {
        r.insert(
            "suppressions".into(),
            json!([{ "kind": "external", "status": "accepted", "justification": reason }]),
        );
    }
    let mut props = Map::new();
    if let Some(g) = item.gate {
        props.insert("gate".into(), json!(g));
    }
    if let Some(p) = item.phase {
        props.insert("phase".into(), json!(p));
    }
    for (name, value) in [("expected", &f.expected), ("found", &f.found)] {
        if let Some(v) = value {
            props.insert(name.into(), json!(v));
        }
    }
    r.insert("properties".into(), Value::Object(props));
    Value::Object(r)
}

/// SARIF 2.1.0 of the report: one run of `relkit` (its version: the report's producer
/// version), one rule per code that occurs, one result per finding.
///
/// Levels follow the severity (`error`, `warning`, `note`); rules carry the code's default.
/// Locations are `%SRCROOT%`-relative (`artifactLocation.uri` and `uriBaseId`) with the line
/// and column when the finding has them and the key path as a logical location; a finding
/// without a file points at the policy file when the report names it relatively. A waived
/// finding carries an external, accepted suppression whose justification is the waiver's
/// reason. The invocation records whether the run could be carried out and its exit code.
pub fn render_sarif(report: &Report) -> String {
    // No secret relgate knows leaves in a rendering.
    let report = &scrubbed(report);
    let items = items(report);
    let rules: Vec<Code> = items
        .iter()
        .map(|i| i.finding.code)
        .collect::<BTreeSet<Code>>()
        .into_iter()
        .collect();
    let policy = report.inputs.policy.path.as_deref();
    let results: Vec<Value> = items.iter().map(|i| result(i, &rules, policy)).collect();
    let version = &report.inputs.producer.version;
    let mut invocation = Map::new();
    invocation.insert(
        "executionSuccessful".into(),
        json!(report.decision.status != RunStatus::CouldNotRun),
    );
    invocation.insert("exitCode".into(), json!(report.exit_code()));
    for (name, time) in [
        ("startTimeUtc", &report.inputs.started),
        ("endTimeUtc", &report.inputs.finished),
    ] {
        if let Some(t) = time {
            invocation.insert(name.into(), json!(t));
        }
    }
    let mut props = Map::new();
    props.insert("project".into(), json!(report.project));
    for (name, value) in [("tag", &report.tag), ("commit", &report.commit)] {
        if let Some(v) = value {
            props.insert(name.into(), json!(v));
        }
    }
    props.insert(
        "decision".into(),
        json!({
            "status": report.decision.status.as_str(),
            "action": report.decision.action.as_str(),
            "summary": report.decision.summary,
        }),
    );
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": { "driver": {
                "name": SARIF_TOOL_NAME,
                "version": version,
                "semanticVersion": version,
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules.iter().map(|c| rule(*c)).collect::<Vec<_>>(),
            } },
            "originalUriBaseIds": { SRCROOT: { "description": {
                "text": "the project's source tree: where the version sources and the policy's relative paths are read from"
            } } },
            "invocations": [Value::Object(invocation)],
            "results": results,
            "properties": Value::Object(props),
        }],
    });
    pretty_json(&log, SARIF_SCHEMA)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded_and_relative_paths_keep_the_base() {
        assert_eq!(uri_encode("a b/ü%.toml", true), "a%20b/%C3%BC%25.toml");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(
            artifact_location("./crates/x/Cargo.toml"),
            json!({"uri": "crates/x/Cargo.toml", "uriBaseId": SRCROOT})
        );
        assert_eq!(
            artifact_location("/abs/release.toml"),
            json!({"uri": "file:///abs/release.toml"})
        );
        assert!(is_relative("release.toml"));
        assert!(!is_relative("../release.toml") && !is_relative("/x") && !is_relative("C:\\x"));
    }

    #[test]
    fn the_message_leaves_code_and_location_to_their_fields() {
        let f = Finding::new(Code::VersionMismatch, "differs")
            .at(crate::finding::Location::file("Cargo.toml").line_col(3, 11))
            .expected("1.2.3")
            .found("1.2.2")
            .hint("set it");
        assert_eq!(
            message(&f),
            "differs (expected 1.2.3, found 1.2.2)\nhint: set it"
        );
    }
}
