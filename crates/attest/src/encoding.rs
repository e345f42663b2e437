//! Small decoding helpers: base64, PEM, RFC 3339 and ASN.1 times.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, ErrorKind, err};

/// Decode standard base64 (with padding), naming `field` in an error of `kind`.
pub(crate) fn b64(kind: impl Into<ErrorKind>, field: &str, text: &str) -> Result<Vec<u8>, Error> {
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
pub(crate) fn pem_decode(
    kind: impl Into<ErrorKind>,
    field: &str,
    text: &[u8],
) -> Result<Vec<u8>, Error> {
    let kind = kind.into();
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

/// The decimal number in `b[range]`: ASCII digits only, `None` when out of range or not digits.
/// Byte-based, so a non-ASCII character (issue 12) is just a non-digit, never a panic.
fn num(b: &[u8], range: std::ops::Range<usize>) -> Option<i64> {
    let d = b.get(range)?;
    if d.is_empty() || d.len() > 18 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(d.iter().fold(0i64, |acc, c| acc * 10 + i64::from(c - b'0')))
}

fn unix(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// Unix seconds of the date and time whose fields start in `b` at `at`: a 4-digit year, then
/// 2-digit month, day, hour, minute and second.
fn unix_at(b: &[u8], at: [usize; 6]) -> Option<i64> {
    let mut fields = [0i64; 6];
    for (i, (field, start)) in fields.iter_mut().zip(at).enumerate() {
        let len = if i == 0 { 4 } else { 2 };
        *field = num(b, start..start + len)?;
    }
    let [y, mo, d, h, mi, s] = fields;
    unix(y, mo, d, h, mi, s)
}

/// Parse an RFC 3339 UTC timestamp (`2022-04-13T20:06:15Z`, optional fraction, `Z` or
/// `+00:00`) into `(seconds, has_fraction)`.
pub(crate) fn parse_rfc3339(s: &str) -> Option<(i64, bool)> {
    let b = s.as_bytes();
    let at = |i: usize| b.get(i).copied();
    if at(4) != Some(b'-')
        || at(7) != Some(b'-')
        || !matches!(at(10), Some(b'T' | b't'))
        || at(13) != Some(b':')
        || at(16) != Some(b':')
    {
        return None;
    }
    let secs = unix_at(b, [0, 5, 8, 11, 14, 17])?;
    let mut rest = b.get(19..)?;
    let mut frac = false;
    if let Some(r) = rest.strip_prefix(b".") {
        let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let (digits, tail) = r.split_at_checked(n)?;
        frac = digits.iter().any(|c| *c != b'0');
        rest = tail;
    }
    let offset = match rest {
        b"Z" | b"z" | b"+00:00" | b"-00:00" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let off = num(rest, 1..3)? * 3600 + num(rest, 4..6)? * 60;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    Some((secs - offset, frac))
}

/// Parse an ASN.1 GeneralizedTime body (`YYYYMMDDHHMMSS[.fff]Z`) into seconds (fraction dropped).
pub(crate) fn parse_generalized_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let body = b.strip_suffix(b"Z")?;
    let (core, rest) = body.split_at_checked(14)?;
    if !rest.is_empty() {
        let r = rest.strip_prefix(b".")?;
        if r.is_empty() || !r.iter().all(u8::is_ascii_digit) {
            return None;
        }
    }
    unix_at(core, [0, 4, 6, 8, 10, 12])
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
