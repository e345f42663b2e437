//! Waivers: written exceptions to fail-closed.

use crate::finding::{Code, Finding};

/// A policy's exception: findings of `code` (any code when `None`) from gate `gate` (any gate
/// when `None`) do not block, for the written `reason`. At least one of `gate` and `code` is
/// set, and the reason is never empty: the policy loader rejects anything else.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Waiver {
    /// The gate whose findings are waived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<String>,
    /// The code waived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    /// Why this is acceptable.
    pub reason: String,
    /// The last day (UTC, `YYYY-MM-DD`) this waiver holds; after it the waiver covers nothing
    /// and the run blocks with `waiver-expired` until it is renewed or removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Where the exception is tracked (an issue link), shown with the waiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The one release-folder file the waiver is for: an exact name or a glob relative to the
    /// release folder (`*` does not cross `/`). It then covers only findings about that file:
    /// whose subject is the file, or starts with it followed by `!` (an archive entry), `:`
    /// (a line) or a space. Such a waiver always names its `code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl Waiver {
    /// A waiver for `gate` and/or `code` with a reason.
    pub fn new(gate: Option<&str>, code: Option<Code>, reason: impl Into<String>) -> Self {
        Waiver {
            gate: gate.map(str::to_owned),
            code,
            reason: reason.into(),
            expires: None,
            reference: None,
            file: None,
        }
    }

    /// The same waiver, for findings about `file` only (an exact name or a glob relative to
    /// the release folder).
    pub fn file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// Whether this waiver covers `finding` from gate `gate`: [`covers`](Self::covers) the
    /// gate and code, and, for a waiver naming a `file`, the finding is about that file.
    pub fn covers_finding(&self, gate: &str, finding: &Finding) -> bool {
        let about_file = match &self.file {
            None => true,
            Some(file) => subject_files(&finding.subject).any(|f| file_matches(file, f)),
        };
        about_file && self.covers_code(gate, finding.code)
    }

    /// The reason as the report shows it: with the file it is limited to, when it names one.
    pub fn shown(&self) -> String {
        match &self.file {
            Some(f) => format!("{} (file {f})", self.reason),
            None => self.reason.clone(),
        }
    }

    relkit_finding::setters! {
        /// The same waiver, holding until the end of `date` (UTC, `YYYY-MM-DD`).
        expires(date: impl Into<String>) => expires = Some(date.into());
        /// The same waiver, tracked at `reference` (an issue link).
        reference(reference: impl Into<String>) => reference = Some(reference.into());
    }

    /// Whether the waiver has expired on `today` (`YYYY-MM-DD`, UTC): its last day is before
    /// today. A waiver without an expiry never expires.
    pub fn expired_on(&self, today: &str) -> bool {
        self.expires.as_deref().is_some_and(|d| d < today)
    }

    /// Whether this waiver covers every finding of `code` from gate `gate`. A waiver without a
    /// reason covers nothing, and a waiver naming a `file` covers only findings about that
    /// file (see [`covers_finding`](Self::covers_finding)), never a whole code.
    pub fn covers(&self, gate: &str, code: Code) -> bool {
        self.file.is_none() && self.covers_code(gate, code)
    }

    fn covers_code(&self, gate: &str, code: Code) -> bool {
        if self.reason.trim().is_empty() || (self.gate.is_none() && self.code.is_none()) {
            return false;
        }
        self.gate.as_deref().is_none_or(|g| g == gate) && self.code.is_none_or(|c| c == code)
    }
}

/// Whether `s` is a calendar date written `YYYY-MM-DD` (relver's one date check).
pub(crate) fn is_date(s: &str) -> bool {
    relver::is_calendar_date(s)
}

/// Today's date in UTC, `YYYY-MM-DD`, from the system clock (a clock before the epoch gives
/// `9999-12-31`).
pub fn today_utc() -> String {
    date_of(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs()),
    )
}

/// The UTC date of `secs` since the epoch. A clock that cannot be read (before the epoch)
/// gives the last representable day, so every dated waiver counts as expired: a broken clock
/// must not keep a waiver alive.
pub(crate) fn date_of(secs: Option<u64>) -> String {
    let Some(days) = secs.and_then(|s| i64::try_from(s / 86_400).ok()) else {
        return String::from("9999-12-31");
    };
    // Civil date from days since 1970-01-01 (the proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The first waiver covering `finding` from `gate`, if any.
pub(crate) fn find<'w>(waivers: &'w [Waiver], gate: &str, finding: &Finding) -> Option<&'w Waiver> {
    waivers.iter().find(|w| w.covers_finding(gate, finding))
}

/// The file names a finding's subject can be about: the whole subject, and the part before
/// the first `!` (an archive entry: `app.whl!pkg/x.py`), `:` (a line: `pkg.json:3:14 version`)
/// or space (`app.whl on python-index`).
fn subject_files(subject: &str) -> impl Iterator<Item = &str> {
    let cut = |sep: char| subject.split_once(sep).map(|(f, _)| f);
    std::iter::once(subject)
        .chain(cut('!'))
        .chain(cut(':'))
        .chain(cut(' '))
        .filter(|f| !f.is_empty())
}

/// Whether `name` (a release-folder path) is `file`: the same name, or matched by it as a glob.
fn file_matches(file: &str, name: &str) -> bool {
    let name = name.trim_start_matches("./");
    file == name || crate::folder::glob_matcher(file).is_ok_and(|m| m.is_match(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_by_gate_code_or_both_and_never_without_reason() {
        let both = Waiver::new(Some("ci-green"), Some(Code::GateTimeout), "flaky API");
        assert!(both.covers("ci-green", Code::GateTimeout));
        assert!(!both.covers("ci-green", Code::CiNotGreen));
        assert!(!both.covers("other", Code::GateTimeout));
        let gate = Waiver::new(Some("ci-green"), None, "r");
        assert!(gate.covers("ci-green", Code::CiNotGreen));
        let code = Waiver::new(None, Some(Code::AssetMissing), "r");
        assert!(code.covers("x", Code::AssetMissing));
        assert!(!Waiver::new(Some("ci-green"), None, "  ").covers("ci-green", Code::GateError));
        assert!(!Waiver::new(None, None, "reason").covers("ci-green", Code::GateError));
    }

    #[test]
    fn a_file_waiver_covers_findings_about_that_file_only() {
        let w = Waiver::new(None, Some(Code::ArchiveUnsafe), "known big model").file("big-*.zip");
        let about = |s: &str| Finding::new(Code::ArchiveUnsafe, s);
        assert!(w.covers_finding("archive-safety", &about("big-1.zip")));
        assert!(w.covers_finding("archive-safety", &about("big-1.zip!model.bin")));
        assert!(w.covers_finding("archive-safety", &about("big-1.zip: ratio")));
        assert!(!w.covers_finding("archive-safety", &about("other.zip!big-1.zip")));
        assert!(!w.covers_finding("archive-safety", &about("sub/big-1.zip")));
        assert!(!w.covers_finding(
            "archive-safety",
            &Finding::new(Code::RecordMismatch, "big-1.zip")
        ));
        // Never a whole code: covers() has no subject to check.
        assert!(!w.covers("archive-safety", Code::ArchiveUnsafe));
        let exact = Waiver::new(None, Some(Code::ArchiveUnsafe), "r").file("a[1].zip");
        assert!(exact.covers_finding("archive-safety", &about("a[1].zip!x")));
        assert_eq!(exact.shown(), "r (file a[1].zip)");
    }

    #[test]
    fn dates_expiry_and_today() {
        for ok in ["2026-12-01", "2024-02-29", "2000-02-29", "1999-12-31"] {
            assert!(is_date(ok), "{ok}");
        }
        for bad in [
            "2026-13-01",
            "2023-02-29",
            "1900-02-29",
            "2026-1-01",
            "2026/12/01",
            "",
            "2026-12-011",
            "２０２６-12-01",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
        let w = Waiver::new(Some("ci-green"), None, "r").expires("2026-12-01");
        assert!(!w.expired_on("2026-12-01"));
        assert!(w.expired_on("2026-12-02"));
        assert!(!Waiver::new(Some("ci-green"), None, "r").expired_on("2999-01-01"));
        assert_eq!(date_of(Some(0)), "1970-01-01");
        assert_eq!(date_of(Some(951_825_600)), "2000-02-29");
        assert_eq!(date_of(Some(1_796_083_200)), "2026-12-01");
        assert!(w.expired_on(&date_of(None)));
        let today = today_utc();
        assert!(is_date(&today), "{today}");
        assert!(today.as_str() >= "2026-01-01", "{today}");
    }
}
