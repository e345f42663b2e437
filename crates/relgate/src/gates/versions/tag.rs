//! The `tag-strict-semver` gate.

use crate::finding::{Code, Finding};
use crate::gate::GateResult;
use crate::gates::declare::unit_gate;
use crate::release_source::{Inputs, classify};

unit_gate! {
    /// The run's tag fits the policy's `[tag] pattern` and is strict SemVer (no pre-release, no
    /// build metadata, no leading zeros, the exact prefix): else `tag-not-strict-semver`. A
    /// floating tag (`v1`, `v1.2`) is classified and the gate is skipped ("not a release"), which
    /// blocks publishing without calling the tag broken. No tag at all is an error (fail closed).
    TagStrictSemverGate = "tag-strict-semver", inputs judge
}

fn judge(inputs: &Inputs) -> GateResult {
    let Some(tag) = &inputs.tag else {
        return GateResult::error("no tag was given for this run; the tag guard needs one");
    };
    let pattern = inputs.pattern();
    match classify(pattern, tag) {
        Ok(relver::TagClass::Release(t)) => GateResult::pass()
            .with_evidence("tag", serde_json::json!(tag))
            .with_evidence("version", serde_json::json!(t.version().to_string())),
        Ok(relver::TagClass::Floating(f)) => GateResult::skipped(format!(
            "{f} is a floating tag that moves with releases, not a release: nothing is released"
        ))
        .with_evidence("tag", serde_json::json!(tag)),
        Ok(_) => GateResult::error(format!("{tag}: unrecognised tag class")),
        Err(reason) => GateResult::from_findings(vec![
            Finding::new(Code::TagNotStrictSemver, tag.clone())
                .expected(format!(
                    "{} with MAJOR.MINOR.PATCH, no pre-release, build metadata or leading zeros",
                    pattern
                ))
                .found(reason)
                .hint("release only strict SemVer tags; delete the tag and tag the release again"),
        ])
        .with_evidence("tag", serde_json::json!(tag)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::gate::Outcome;
    use crate::policy::model::Policy;

    fn inputs(pattern: &str, tag: Option<&str>) -> Inputs {
        let policy = Policy::from_toml_str(
            &format!("[project]\nname = \"p\"\n[tag]\npattern = \"{pattern}\"\n"),
            "release.toml",
        )
        .unwrap();
        Inputs {
            policy: Arc::new(policy),
            source_dir: None,
            tag: tag.map(str::to_owned),
            commit: None,
        }
    }

    fn codes(r: &GateResult) -> Vec<Code> {
        match &r.outcome {
            Outcome::Fail { findings } => findings.iter().map(|f| f.code).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn strict_tags_pass_and_others_fail_with_the_code() {
        assert_eq!(
            judge(&inputs("v{version}", Some("v1.2.3"))).outcome,
            Outcome::Pass
        );
        for bad in [
            "v1.2.3-rc.1",
            "v01.2.3",
            "1.2.3",
            "v1.2.3+b",
            "release-v1.2.3",
            "v1.2",
        ] {
            let r = judge(&inputs("v{version}", Some(bad)));
            if bad == "v1.2" {
                assert!(matches!(r.outcome, Outcome::Skipped { .. }), "{bad}");
            } else {
                assert_eq!(codes(&r), [Code::TagNotStrictSemver], "{bad}");
            }
        }
        let go = inputs("clients/go/v{version}", Some("clients/go/v0.4.0"));
        assert_eq!(judge(&go).outcome, Outcome::Pass);
        let r = judge(&inputs("clients/go/v{version}", Some("v0.4.0")));
        assert_eq!(codes(&r), [Code::TagNotStrictSemver]);
    }

    #[test]
    fn floating_tags_are_classified_and_no_tag_is_an_error() {
        let r = judge(&inputs("v{version}", Some("v1")));
        let Outcome::Skipped { reason } = &r.outcome else {
            panic!("{r:?}")
        };
        assert!(reason.contains("floating"), "{reason}");
        assert!(matches!(
            judge(&inputs("v{version}", None)).outcome,
            Outcome::Error { .. }
        ));
    }
}
