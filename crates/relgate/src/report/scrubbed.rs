//! Every report is scrubbed as it is rendered: no finding, note, evidence value, error or
//! summary shows a secret relgate knows, a URL's user-info or a credential value (see
//! [`crate::scrub`], the same scrubber command output goes through before it is cut).

use crate::finding::Finding;
use crate::report::model::Report;
use crate::scrub::Scrubber;

fn finding(s: &Scrubber, f: &mut Finding) {
    f.subject = s.scrub(&f.subject);
    for text in [&mut f.expected, &mut f.found, &mut f.hint]
        .into_iter()
        .flatten()
    {
        *text = s.scrub(text);
    }
}

/// `report` with every text in it scrubbed with every secret relgate knows now.
pub(crate) fn scrubbed(report: &Report) -> Report {
    scrubbed_with(report, &Scrubber::current())
}

/// `report` with every text in it scrubbed by `s`.
pub(crate) fn scrubbed_with(report: &Report, s: &Scrubber) -> Report {
    let mut r = report.clone();
    r.decision.summary = s.scrub(&r.decision.summary);
    // Paths and notes of the inputs (a git error, a file that cannot be read) too.
    let i = &mut r.inputs;
    for text in [&mut i.policy, &mut i.registries, &mut i.trust_root]
        .into_iter()
        .flat_map(|f| [&mut f.path, &mut f.note])
        .chain([&mut i.tag.repository, &mut i.tag.note])
        .flatten()
    {
        *text = s.scrub(text);
    }
    r.errors.iter_mut().for_each(|f| finding(s, f));
    for g in &mut r.gates {
        if let Some(d) = &mut g.detail {
            *d = s.scrub(d);
        }
        for f in &mut g.findings {
            finding(s, &mut f.finding);
            if let Some(w) = &mut f.waived {
                *w = s.scrub(w);
            }
        }
        g.notes.iter_mut().for_each(|f| finding(s, f));
        g.evidence.values_mut().for_each(|v| s.scrub_json(v));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
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
