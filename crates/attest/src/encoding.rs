//! Small decoding helpers: base64, PEM, RFC 3339 and ASN.1 times.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, ErrorKind, err};

/// Decode standard base64 (with padding), naming `field` in the error.
pub(crate) fn b64(kind: ErrorKind, field: &str, text: &str) -> Result<Vec<u8>, Error> {
    // Line breaks (RFC 2045 wrapping, as `base64` tools emit) are tolerated, as the reference
    // clients do; any other non-alphabet byte is an error.
    let cleaned: String;
    // A byte scan: `str::contains` with a char set walks chars and costs more than the decode.
    let text = if text.bytes().any(|b| b == b'\n' || b == b'\r') {
        cleaned = text.chars().filter(|c| *c != '\n' && *c != '\r').collect();
        cleaned.as_str()
    } else {
        text
    };
    // Canonical encodings only: a flipped padding bit is an error, not a no-op.
    STANDARD
        .decode(text)
        .map_err(|e| err(kind, format!("{field}: invalid base64")).with_source(e))
}

/// Encode standard base64.
pub(crate) fn b64_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decode the first PEM block of `label` (or any label when `None`) to DER.
pub(crate) fn pem_decode(kind: ErrorKind, field: &str, text: &[u8]) -> Result<Vec<u8>, Error> {
    let text =
        std::str::from_utf8(text).map_err(|_| err(kind, format!("{field}: PEM is not UTF-8")))?;
    let mut inside = false;
    let mut body = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("-----BEGIN ") {
            inside = true;
            continue;
        }
        if line.starts_with("-----END ") {
            if inside {
                return b64(kind, field, &body);
            }
            break;
        }
        if inside {
            body.push_str(line);
        }
    }
    Err(err(kind, format!("{field}: no PEM block")))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn unix(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// Parse an RFC 3339 UTC timestamp (`2022-04-13T20:06:15Z`, optional fraction, `Z` or
/// `+00:00`) into `(seconds, has_fraction)`.
pub(crate) fn parse_rfc3339(s: &str) -> Option<(i64, bool)> {
    // Every slice below is by byte offset; a non-ASCII character would not sit on a char
    // boundary (issue 12: a trust root's `validFor.start` holding `é` panicked).
    if !s.is_ascii() {
        return None;
    }
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || (b[10] != b'T' && b[10] != b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let secs = unix(
        num(&s[0..4])?,
        num(&s[5..7])?,
        num(&s[8..10])?,
        num(&s[11..13])?,
        num(&s[14..16])?,
        num(&s[17..19])?,
    )?;
    let mut rest = &s[19..];
    let mut frac = false;
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        frac = r[..n].bytes().any(|c| c != b'0');
        rest = &r[n..];
    }
    let offset = match rest {
        "Z" | "z" | "+00:00" | "-00:00" => 0,
        _ => {
            let rb = rest.as_bytes();
            if rb.len() != 6 || rb[3] != b':' || (rb[0] != b'+' && rb[0] != b'-') {
                return None;
            }
            let off = num(&rest[1..3])? * 3600 + num(&rest[4..6])? * 60;
            if rb[0] == b'+' { off } else { -off }
        }
    };
    Some((secs - offset, frac))
}

/// Parse an ASN.1 GeneralizedTime body (`YYYYMMDDHHMMSS[.fff]Z`) into seconds (fraction dropped).
pub(crate) fn parse_generalized_time(s: &str) -> Option<i64> {
    // Byte-offset slicing below: refuse non-ASCII first (issue 12: a genTime holding a
    // non-ASCII character panicked before the timestamp signature was checked).
    if !s.is_ascii() || s.len() < 15 || !s.ends_with('Z') {
        return None;
    }
    let core = &s[..14];
    let rest = &s[14..s.len() - 1];
    if !rest.is_empty() {
        let r = rest.strip_prefix('.')?;
        if r.is_empty() || !r.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    unix(
        num(&core[0..4])?,
        num(&core[4..6])?,
        num(&core[6..8])?,
        num(&core[8..10])?,
        num(&core[10..12])?,
        num(&core[12..14])?,
    )
}

/// Format unix seconds as RFC 3339 UTC.
pub(crate) fn format_rfc3339(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip_and_edges() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some((0, false)));
        assert_eq!(
            parse_rfc3339("2022-04-13T20:06:15Z").map(|x| x.0),
            Some(1_649_880_375)
        );
        assert_eq!(
            parse_rfc3339("2022-12-31T23:59:59.999Z"),
            Some((1_672_531_199, true))
        );
        assert_eq!(
            parse_rfc3339("2022-12-31T23:59:59+01:00").map(|x| x.0),
            Some(1_672_527_599)
        );
        assert_eq!(parse_rfc3339("2022-13-31T23:59:59Z"), None);
        assert_eq!(parse_rfc3339("garbage"), None);
        for t in [0, 1_649_880_375, 1_672_531_199, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&format_rfc3339(t)).map(|x| x.0), Some(t));
        }
        assert_eq!(
            parse_generalized_time("20250612120217Z"),
            Some(1_749_729_737)
        );
        assert_eq!(
            parse_generalized_time("20250612120217.123Z"),
            Some(1_749_729_737)
        );
        assert_eq!(parse_generalized_time("20250612120217.Z"), None);
    }

    #[test]
    fn non_ascii_times_are_refused_not_sliced() {
        // Each multi-byte character sits where a byte-offset slice would cut it.
        for s in [
            "20é50612120217Z",
            "2025é612120217Z",
            "2025061212021éZ",
            "20250612120217.éZ",
            "é0250612120217Z",
        ] {
            assert_eq!(parse_generalized_time(s), None, "{s}");
        }
        for s in [
            "20é2-04-13T20:06:15Z",
            "2022-04-13T20:06:15.é",
            "2022-04-13T20:06:15+é0:00",
            "2022-04-13T20:06:1éZ",
            "2022-04-13T20:06:15é",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }
}
