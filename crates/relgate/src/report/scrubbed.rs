//! Every report is scrubbed as it is rendered: no finding, note, evidence value, error or
//! summary shows a secret relgate knows, a URL's user-info or a credential value (see
//! [`crate::scrub`], the same scrubber command output goes through before it is cut).

use crate::finding::Finding;
use crate::report::model::Report;
use crate::scrub::Scrubber;

/// A rewrite of every text of a report.
type Texts<'a> = &'a dyn Fn(&str) -> String;

fn finding(s: Texts<'_>, f: &mut Finding) {
    f.subject = s(&f.subject);
    for text in [&mut f.expected, &mut f.found, &mut f.hint]
        .into_iter()
        .flatten()
    {
        *text = s(text);
    }
    if let Some(l) = &mut f.location {
        l.path = s(&l.path);
        if let Some(k) = &mut l.key {
            *k = s(k);
        }
    }
}

/// `report` with every text in it scrubbed with every secret relgate knows now.
pub(crate) fn scrubbed(report: &Report) -> Report {
    scrubbed_with(report, &Scrubber::current())
}

/// `report` scrubbed, with every control character of its texts escaped (but line breaks and
/// tabs): what a terminal may be shown.
pub(crate) fn for_terminal(report: &Report) -> Report {
    let scrubber = Scrubber::current();
    rewritten(report, &|t| {
        relkit_finding::escape_controls(&scrubber.scrub(t))
    })
}

/// `report` with every text in it scrubbed by `s`.
pub(crate) fn scrubbed_with(report: &Report, s: &Scrubber) -> Report {
    rewritten(report, &|t| s.scrub(t))
}

/// `report` with every text in it rewritten by `s`.
fn rewritten(report: &Report, s: Texts<'_>) -> Report {
    let mut r = report.clone();
    r.decision.summary = s(&r.decision.summary);
    // Paths and notes of the inputs (a git error, a file that cannot be read) too.
    let i = &mut r.inputs;
    for text in [&mut i.policy, &mut i.registries, &mut i.trust_root]
        .into_iter()
        .flat_map(|f| [&mut f.path, &mut f.note])
        .chain([&mut i.tag.repository, &mut i.tag.note])
        .flatten()
    {
        *text = s(text);
    }
    r.errors.iter_mut().for_each(|f| finding(s, f));
    for g in &mut r.gates {
        if let Some(d) = &mut g.detail {
            *d = s(d);
        }
        for f in &mut g.findings {
            finding(s, &mut f.finding);
            if let Some(w) = &mut f.waived {
                *w = s(w);
            }
        }
        g.notes.iter_mut().for_each(|f| finding(s, f));
        g.evidence.values_mut().for_each(|v| v.rewrite_strings(s));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_rewritten_and_keys_kept() {
        let s = Scrubber::with_secrets(["abcdefgh123".to_owned()]);
        let mut v = crate::json::Json::of(
            &serde_json::json!({"a": ["x abcdefgh123", 1], "b": {"c": "abcdefgh123"}}),
        );
        v.rewrite_strings(&|t| s.scrub(t));
        assert!(!v.to_string().contains("abcdefgh123"), "{v}");
        assert!(v["b"]["c"].is_string());
    }

    #[test]
    fn the_terminal_sees_no_control_character_of_a_finding() {
        let mut r = Report::could_not_run("p", "boom");
        r.errors.push(
            Finding::new(Code::ArchiveUnsafe, "evil\u{1b}[2J.tar")
                .at(crate::finding::Location::file("dist/\u{1b}]0;x\u{7}"))
                .found("entry \u{1b}[31mred"),
        );
        let text = crate::report::render::render_terminal(&r, false);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains("evil\\u{1b}[2J.tar"), "{text}");
    }
    use crate::finding::Code;
    use crate::report::render::Format;

    #[test]
    fn every_format_shows_no_secret() {
        let secret = "s3cr3t-value-0123456789";
        let mut r =
            Report::could_not_run("p", format!("cannot reach https://u:{secret}@127.0.0.1/"));
        r.errors.push(
            Finding::new(Code::GateError, secret)
                .expected(format!("Authorization: Bearer {secret}"))
                .found(format!("token={secret}"))
                .hint(secret),
        );
        let s = Scrubber::with_secrets([secret.to_owned()]);
        let clean = scrubbed_with(&r, &s);
        for format in Format::ALL {
            let text = format.render(&clean, false);
            assert!(!text.contains("s3cr3t"), "{format}: {text}");
        }
    }
}
