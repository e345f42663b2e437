//! `oci-tags`: the image tags a release promises exist and point at the release digest, and
//! the tags it must never publish (`latest`) do not exist.

use serde_json::{Value, json};

use crate::finding::{Code, Finding};
use crate::gate::{GateContext, GateResult};
use crate::gates::declare::{Checked, unit_gate};
use crate::gates::registries::common::on_each_target;
use crate::policy::model::RegistryKind;
use crate::registry_client::{Client, Target, chain, client_for, http_client, targets_of_kind};

unit_gate! {
    /// For every OCI registry: each `tags` template (`{version}`, `{major}`, `{minor}`, `{patch}`,
    /// `{major}.{minor}`, …) resolves to the same digest as the version tag (`oci-tag-missing`
    /// otherwise), and no `forbidden-tags` entry exists (`oci-tag-forbidden`: consumers pin a
    /// version or a digest, never a moving tag).
    OciTagsGate = "oci-tags", async tags
}

/// `template` with `{version}`, `{major}`, `{minor}` and `{patch}` of `version` substituted.
pub(crate) fn expand_tag(template: &str, version: &str) -> String {
    let core = version.split(['-', '+']).next().unwrap_or(version);
    let mut parts = core.splitn(3, '.');
    let (major, minor, patch) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    template
        .replace("{version}", version)
        .replace("{major}", major)
        .replace("{minor}", minor)
        .replace("{patch}", patch)
}

/// What one registry shows: the version tag's digest, then each promised and forbidden tag's.
struct TagView {
    version_digest: Option<String>,
    promised: Vec<(String, Option<String>)>,
    forbidden: Vec<(String, Option<String>)>,
}

fn view(t: &Target, http: &regclient::HttpClient, version: &str) -> Result<TagView, String> {
    let Client::Oci(c) = client_for(t, http)? else {
        return Err(format!("registry {} is not an OCI registry", t.name));
    };
    let repo = &t.rule.package;
    let resolve = |tag: &str| -> Result<Option<String>, String> {
        c.resolve(repo, tag)
            .map(|d| d.map(|d| d.to_string()))
            .map_err(|e| chain(&e))
    };
    let version_digest = resolve(version)?;
    let mut promised = Vec::new();
    for template in &t.rule.tags {
        let tag = expand_tag(template, version);
        let d = resolve(&tag)?;
        promised.push((tag, d));
    }
    let mut forbidden = Vec::new();
    for tag in &t.rule.forbidden_tags {
        let d = resolve(tag)?;
        forbidden.push((tag.clone(), d));
    }
    Ok(TagView {
        version_digest,
        promised,
        forbidden,
    })
}

async fn tags(ctx: &GateContext) -> Checked {
    let (oci, version) =
        targets_of_kind(ctx, RegistryKind::Oci, "the policy names no OCI registry")?;
    let http = http_client(ctx);
    let results = on_each_target(ctx, &oci, &http, &version, view).await?;
    let mut findings = Vec::new();
    let mut evidence = Vec::new();
    for (t, r) in oci.iter().zip(results) {
        let v = match r {
            Ok(v) => v,
            Err(e) => return Err(GateResult::error(format!("registry {}: {e}", t.name))),
        };
        let repo = &t.rule.package;
        let tags: Vec<Value> = v
            .promised
            .iter()
            .chain(&v.forbidden)
            .map(|(tag, d)| json!({"tag": tag, "digest": d}))
            .collect();
        evidence.push(json!({
            "registry": t.name,
            "repository": repo,
            "version": {"tag": version, "digest": v.version_digest},
            "tags": tags,
        }));
        let Some(want) = &v.version_digest else {
            findings.push(
                Finding::new(Code::OciTagMissing, format!("{}: {repo}:{version}", t.name))
                    .expected(format!("tag {version}"))
                    .found("no such tag"),
            );
            continue;
        };
        for (tag, got) in &v.promised {
            if got.as_deref() != Some(want.as_str()) {
                findings.push(
                    Finding::new(Code::OciTagMissing, format!("{}: {repo}:{tag}", t.name))
                        .expected(format!("tag {tag} at {want}"))
                        .found(got.clone().unwrap_or_else(|| String::from("no such tag")))
                        .hint("push the release digest under every promised tag"),
                );
            }
        }
        for (tag, got) in &v.forbidden {
            if let Some(d) = got {
                findings.push(
                    Finding::new(Code::OciTagForbidden, format!("{}: {repo}:{tag}", t.name))
                        .expected(format!("no tag {tag}"))
                        .found(d.clone())
                        .hint("delete the moving tag; consumers pin a version or a digest"),
                );
            }
        }
    }
    Ok(GateResult::from_findings(findings).with_evidence("tags", Value::from(evidence)))
}

#[cfg(test)]
mod tests {
    use super::expand_tag;

    #[test]
    fn templates_expand_from_the_version() {
        assert_eq!(expand_tag("{version}", "2.3.1"), "2.3.1");
        assert_eq!(expand_tag("{major}.{minor}", "2.3.1"), "2.3");
        assert_eq!(expand_tag("v{major}", "2.3.1-rc.1"), "v2");
        assert_eq!(expand_tag("latest", "2.3.1"), "latest");
    }
}
