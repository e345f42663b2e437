//! `trusted_root.json`: Fulcio CAs, transparency logs (Rekor v1 and v2), CT logs and TSAs.

use std::path::Path;

use serde::Deserialize;

use crate::cert::Cert;
use crate::crypto::PublicKey;
use crate::encoding::{b64, format_rfc3339, parse_rfc3339};
use crate::error::{CertificateError, Error, ErrorKind, InputError, TrustRootError, err};
use crate::limits::{Limits, check_limit};

/// A closed-at-start validity window in unix seconds; `end` is inclusive, `None` = still valid.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ValidFor {
    /// First second of validity.
    pub start: i64,
    /// Last second of validity (inclusive), if the entry was retired.
    pub end: Option<i64>,
}

impl ValidFor {
    /// Whether `t` (unix seconds) lies in the window.
    pub fn contains(&self, t: i64) -> bool {
        self.start <= t && self.end.is_none_or(|e| t <= e)
    }
}

/// A transparency log or CT log key from the trust root.
#[derive(Clone, Debug)]
pub struct LogKey {
    pub(crate) base_url: String,
    pub(crate) key_id: Vec<u8>,
    pub(crate) key: Option<PublicKey>,
    pub(crate) valid_for: ValidFor,
}

impl LogKey {
    /// The log's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    /// The log id (key id) bytes.
    pub fn key_id(&self) -> &[u8] {
        &self.key_id
    }
    /// The validity window of the key.
    pub fn valid_for(&self) -> ValidFor {
        self.valid_for
    }
    /// The host part of the base URL (the checkpoint origin of the log).
    pub(crate) fn host(&self) -> &str {
        let s = self.base_url.split("://").nth(1).unwrap_or(&self.base_url);
        s.split('/').next().unwrap_or(s)
    }
}

/// A certificate authority (Fulcio) or timestamp authority from the trust root.
#[derive(Clone, Debug)]
pub struct Authority {
    pub(crate) uri: String,
    pub(crate) chain: Vec<Cert>,
    pub(crate) valid_for: ValidFor,
}

impl Authority {
    /// The authority's URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }
    /// The validity window.
    pub fn valid_for(&self) -> ValidFor {
        self.valid_for
    }
    /// Number of certificates in its chain.
    pub fn chain_len(&self) -> usize {
        self.chain.len()
    }
}

/// A parsed, checked `trusted_root.json`. Nothing is fetched; several roots can be merged with
/// [`TrustedRoot::merge`] and the signing chain picks the CA.
#[derive(Clone, Debug, Default)]
pub struct TrustedRoot {
    pub(crate) tlogs: Vec<LogKey>,
    pub(crate) ctlogs: Vec<LogKey>,
    pub(crate) cas: Vec<Authority>,
    pub(crate) tsas: Vec<Authority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoot {
    media_type: Option<String>,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawAuthority>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default)]
    timestamp_authorities: Vec<RawAuthority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    #[serde(default)]
    base_url: String,
    public_key: RawKey,
    log_id: RawLogId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKey {
    raw_bytes: Option<String>,
    key_details: Option<String>,
    valid_for: Option<RawValidFor>,
}

#[derive(Deserialize)]
struct RawValidFor {
    start: Option<String>,
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAuthority {
    #[serde(default)]
    uri: String,
    cert_chain: RawChain,
    valid_for: Option<RawValidFor>,
}

#[derive(Deserialize)]
struct RawChain {
    certificates: Vec<RawCert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCert {
    raw_bytes: String,
}

fn malformed(detail: String) -> Error {
    err(TrustRootError::Malformed, detail)
}

fn valid_for(v: Option<&RawValidFor>, what: &str) -> Result<ValidFor, Error> {
    let v = v.ok_or_else(|| malformed(format!("{what}: validFor is missing")))?;
    let start = v
        .start
        .as_deref()
        .ok_or_else(|| malformed(format!("{what}: validFor.start is missing")))?;
    let (start, frac) = parse_rfc3339(start)
        .ok_or_else(|| malformed(format!("{what}: validFor.start {start:?} is not RFC 3339")))?;
    let start = if frac { start + 1 } else { start };
    let end = match v.end.as_deref() {
        None => None,
        Some(e) => Some(
            parse_rfc3339(e)
                .ok_or_else(|| malformed(format!("{what}: validFor.end {e:?} is not RFC 3339")))?
                .0,
        ),
    };
    if end.is_some_and(|e| e < start) {
        return Err(malformed(format!("{what}: validFor ends before it starts")));
    }
    Ok(ValidFor { start, end })
}

fn log(raw: &RawLog, what: &str) -> Result<LogKey, Error> {
    let key_id = b64(
        TrustRootError::Malformed,
        &format!("{what}.logId.keyId"),
        &raw.log_id.key_id,
    )?;
    let vf = valid_for(
        raw.public_key.valid_for.as_ref(),
        &format!("{what}.publicKey"),
    )?;
    let key = match &raw.public_key.raw_bytes {
        Some(r) => {
            let der_bytes = b64(
                TrustRootError::Malformed,
                &format!("{what}.publicKey.rawBytes"),
                r,
            )?;
            let parsed = if raw
                .public_key
                .key_details
                .as_deref()
                .is_some_and(|d| d.starts_with("PKCS1_RSA"))
            {
                PublicKey::from_pkcs1_der(&der_bytes)
                    .or_else(|_| PublicKey::from_spki_der(&der_bytes))
            } else {
                PublicKey::from_spki_der(&der_bytes)
            };
            match parsed {
                Ok(k) => Some(k),
                // Unknown key types are carried but unusable: entries they sign fail to verify.
                Err(e)
                    if e.kind() == ErrorKind::Certificate(CertificateError::KeyUnsupported)
                        && raw.public_key.key_details.is_some() =>
                {
                    None
                }
                Err(e) => return Err(malformed(format!("{what}.publicKey: {}", e.detail()))),
            }
        }
        None => None,
    };
    Ok(LogKey {
        base_url: raw.base_url.clone(),
        key_id,
        key,
        valid_for: vf,
    })
}

/// Every entry of the list `name`, parsed by `parse` (which names it `name[i]`).
fn each_entry<R, T>(
    name: &str,
    entries: &[R],
    parse: impl Fn(&R, &str) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| parse(e, &format!("{name}[{i}]")))
        .collect()
}

fn authority(raw: &RawAuthority, what: &str, limits: &Limits) -> Result<Authority, Error> {
    if raw.cert_chain.certificates.is_empty()
        || raw.cert_chain.certificates.len() > limits.max_chain_len
    {
        return Err(malformed(format!(
            "{what}: certChain has {} certificates (1..={} allowed)",
            raw.cert_chain.certificates.len(),
            limits.max_chain_len
        )));
    }
    let mut chain = Vec::new();
    for (i, c) in raw.cert_chain.certificates.iter().enumerate() {
        let field = format!("{what}.certChain.certificates[{i}]");
        let der_bytes = b64(TrustRootError::Malformed, &field, &c.raw_bytes)?;
        chain.push(
            Cert::from_der(&der_bytes)
                .map_err(|e| malformed(format!("{field}: {}", e.detail())))?,
        );
    }
    // The chain must be internally consistent (each certificate signed by the next).
    for (i, pair) in chain.windows(2).enumerate() {
        if let [cert, issuer] = pair
            && !cert.is_signed_by(issuer)
        {
            return Err(malformed(format!(
                "{what}: certificate {i} is not signed by certificate {}",
                i + 1
            )));
        }
    }
    Ok(Authority {
        uri: raw.uri.clone(),
        chain,
        valid_for: valid_for(raw.valid_for.as_ref(), what)?,
    })
}

impl TrustedRoot {
    /// Parse a `trusted_root.json` document with default [`Limits`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_json_with_limits(bytes, &Limits::default())
    }

    /// Parse a `trusted_root.json` document.
    pub fn from_json_with_limits(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        check_limit(bytes.len(), limits.max_trust_root_bytes, |n, l| {
            format!("trusted root is {n} bytes; limit {l}")
        })?;
        let raw: RawRoot = serde_json::from_slice(bytes)
            .map_err(|e| malformed(format!("not a trusted root document: {e}")).with_source(e))?;
        match raw.media_type.as_deref() {
            Some(
                "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
                | "application/vnd.dev.sigstore.trustedroot.v0.2+json",
            ) => {}
            other => {
                return Err(malformed(format!(
                    "unsupported trusted root mediaType {other:?}"
                )));
            }
        }
        for (n, len) in [
            ("tlogs", raw.tlogs.len()),
            ("ctlogs", raw.ctlogs.len()),
            ("certificateAuthorities", raw.certificate_authorities.len()),
            ("timestampAuthorities", raw.timestamp_authorities.len()),
        ] {
            check_limit(len, limits.max_trust_root_entries, |_, l| {
                format!("{n} has {len} entries; limit {l}")
            })?;
        }
        let authority = |a: &RawAuthority, what: &str| authority(a, what, limits);
        let tlogs = each_entry("tlogs", &raw.tlogs, log)?;
        let ctlogs = each_entry("ctlogs", &raw.ctlogs, log)?;
        let cas = each_entry(
            "certificateAuthorities",
            &raw.certificate_authorities,
            authority,
        )?;
        let tsas = each_entry(
            "timestampAuthorities",
            &raw.timestamp_authorities,
            authority,
        )?;
        Ok(TrustedRoot {
            tlogs,
            ctlogs,
            cas,
            tsas,
        })
    }

    /// The Sigstore public-good `trusted_root.json` shipped inside attest as data
    /// ([`PUBLIC_GOOD_TRUSTED_ROOT_JSON`]): the root a verifier uses when it names none.
    /// Its source and date are in `docs/attest.md` ("The verifier's trust root").
    pub fn public_good() -> Result<Self, Error> {
        Self::from_json(PUBLIC_GOOD_TRUSTED_ROOT_JSON.as_bytes())
    }

    /// The verifier's trust root: the file the verifier names, or the embedded public-good
    /// root when it names none ([`TrustedRoot::public_good`]). A named root is read from
    /// `path` as given; resolve a relative path against the folder of the policy that names
    /// it (not the release folder) before calling, and check it with
    /// [`refuse_trust_root_in_release`] when a release folder is being judged.
    pub fn verifier_root(named: Option<&Path>) -> Result<Self, Error> {
        match named {
            Some(path) => Self::from_file(path),
            None => Self::public_good(),
        }
    }

    /// Read and parse a `trusted_root.json` file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let bytes = read_capped(path, Limits::default().max_trust_root_bytes)?;
        Self::from_json(&bytes)
            .map_err(|e| Error::new(e.kind(), format!("{}: {}", path.display(), e.detail())))
    }

    /// Add every CA, log and TSA of `other` (several roots at once: public-good, a private
    /// instance, a custom root). The signing chain and log ids pick the entries.
    pub fn merge(&mut self, other: TrustedRoot) {
        self.tlogs.extend(other.tlogs);
        self.ctlogs.extend(other.ctlogs);
        self.cas.extend(other.cas);
        self.tsas.extend(other.tsas);
    }

    /// The transparency logs.
    pub fn tlogs(&self) -> &[LogKey] {
        &self.tlogs
    }
    /// The CT logs.
    pub fn ctlogs(&self) -> &[LogKey] {
        &self.ctlogs
    }
    /// The Fulcio certificate authorities.
    pub fn certificate_authorities(&self) -> &[Authority] {
        &self.cas
    }
    /// The timestamp authorities.
    pub fn timestamp_authorities(&self) -> &[Authority] {
        &self.tsas
    }

    pub(crate) fn tlog(&self, key_id: &[u8]) -> Option<&LogKey> {
        self.tlogs.iter().find(|l| l.key_id == key_id)
    }

    /// Check `now` against every entry's start: a trust root whose entries are all in the
    /// future is almost certainly a clock or configuration error.
    pub(crate) fn describe_validity(v: &ValidFor) -> String {
        match v.end {
            Some(e) => format!("{}..={}", format_rfc3339(v.start), format_rfc3339(e)),
            None => format!("{}..", format_rfc3339(v.start)),
        }
    }
}

/// The Sigstore public-good `trusted_root.json` as embedded in sigstore-python (see
/// `docs/attest.md` for its source, date and how to refresh it).
pub const PUBLIC_GOOD_TRUSTED_ROOT_JSON: &str =
    include_str!("../data/public-good-trusted-root.json");

/// Refuse a trust root that lies inside `release_dir` (kind `trust-root-in-release`): a root
/// taken from the release folder is chosen by whoever controls the release it is meant to
/// judge. Both paths are resolved through the file system (symbolic links, `..`), so a link
/// inside the release pointing elsewhere is judged by where it leads, and a link outside
/// pointing into the release is refused. A path that cannot be resolved is an `io` error.
pub fn refuse_trust_root_in_release(trust_root: &Path, release_dir: &Path) -> Result<(), Error> {
    let resolve = |p: &Path, what: &str| {
        std::fs::canonicalize(p).map_err(|e| {
            err(
                InputError::Io,
                format!("{what} {}: cannot resolve", p.display()),
            )
            .with_source(e)
        })
    };
    let root = resolve(trust_root, "trust root")?;
    let release = resolve(release_dir, "release folder")?;
    if root.starts_with(&release) {
        return Err(err(
            TrustRootError::InRelease,
            format!(
                "trust root {} lies inside the release folder {}: the verifier's trust root \
                 must come from outside the release it judges",
                trust_root.display(),
                release_dir.display()
            ),
        ));
    }
    Ok(())
}

/// Read at most `cap` bytes of a file; larger files are refused.
pub(crate) fn read_capped(path: &Path, cap: usize) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| {
        err(InputError::Io, format!("{}: cannot open", path.display())).with_source(e)
    })?;
    let mut buf = Vec::new();
    f.take(cap as u64 + 1).read_to_end(&mut buf).map_err(|e| {
        err(InputError::Io, format!("{}: cannot read", path.display())).with_source(e)
    })?;
    check_limit(buf.len(), cap, |_, l| {
        format!("{} is larger than {l} bytes", path.display())
    })?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_refused;

    const MT: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
    const KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==";

    fn root(valid_for: &str) -> String {
        format!(
            r#"{{"mediaType":"{MT}","tlogs":[{{"baseUrl":"https://log.test.invalid","hashAlgorithm":"SHA2_256","publicKey":{{"rawBytes":"{KEY}","keyDetails":"PKIX_ECDSA_P256_SHA_256"{valid_for}}},"logId":{{"keyId":"AA=="}}}}]}}"#
        )
    }

    #[test]
    fn validity_windows_are_closed_at_the_start() {
        let ok = TrustedRoot::from_json(
            root(
                r#","validFor":{"start":"2021-01-12T11:53:27Z","end":"2022-12-31T23:59:59.999Z"}"#,
            )
            .as_bytes(),
        )
        .unwrap();
        let v = ok.tlogs()[0].valid_for();
        assert!(
            v.contains(v.start)
                && v.contains(1_672_531_199)
                && !v.contains(1_672_531_200)
                && !v.contains(v.start - 1)
        );
        assert_eq!(ok.tlogs()[0].host(), "log.test.invalid");
        for bad in [
            r#","validFor":{"end":"2022-12-31T23:59:59Z"}"#,
            "",
            r#","validFor":{"start":"yesterday"}"#,
            r#","validFor":{"start":"2022-01-01T00:00:00Z","end":"2021-01-01T00:00:00Z"}"#,
            // Issue 12: a non-ASCII character where the parser slices by byte offset panicked.
            r#","validFor":{"start":"20é1-01-12T11:53:27Z"}"#,
            r#","validFor":{"start":"2021-01-12T11:53:27.éZ"}"#,
            r#","validFor":{"start":"2021-01-12T11:53:27Z","end":"2022-12-31T23:59:5é"}"#,
        ] {
            assert_eq!(
                TrustedRoot::from_json(root(bad).as_bytes())
                    .unwrap_err()
                    .kind(),
                ErrorKind::TrustRoot(TrustRootError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_embedded_public_good_root_parses_and_is_the_default() {
        let pg = TrustedRoot::public_good().unwrap();
        assert!(
            pg.tlogs()
                .iter()
                .any(|l| l.base_url() == "https://rekor.sigstore.dev")
        );
        assert_eq!(pg.certificate_authorities().len(), 2);
        assert_eq!(pg.timestamp_authorities().len(), 1);
        let default = TrustedRoot::verifier_root(None).unwrap();
        assert_eq!(default.tlogs().len(), pg.tlogs().len());
        assert_refused(
            TrustedRoot::verifier_root(Some(Path::new("/nonexistent/trusted_root.json"))),
            ErrorKind::Input(InputError::Io),
        );
    }

    #[test]
    fn a_trust_root_inside_the_release_folder_is_refused() {
        let base = std::env::temp_dir().join(format!("attest-trin-{}", std::process::id()));
        let release = base.join("release");
        let outside = base.join("verifier");
        std::fs::create_dir_all(release.join("sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        let inner = release.join("sub/trusted_root.json");
        let outer = outside.join("trusted_root.json");
        std::fs::write(&inner, PUBLIC_GOOD_TRUSTED_ROOT_JSON).unwrap();
        std::fs::write(&outer, PUBLIC_GOOD_TRUSTED_ROOT_JSON).unwrap();
        let e = refuse_trust_root_in_release(&inner, &release).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TrustRoot(TrustRootError::InRelease));
        assert_eq!(e.code(), "trust-root-in-release");
        assert!(
            e.detail().contains("sub/trusted_root.json"),
            "{}",
            e.detail()
        );
        // Reached through `..` from outside: still inside.
        let dotted = outside.join("../release/sub/trusted_root.json");
        assert_refused(
            refuse_trust_root_in_release(&dotted, &release),
            ErrorKind::TrustRoot(TrustRootError::InRelease),
        );
        refuse_trust_root_in_release(&outer, &release).unwrap();
        // A sibling whose name merely starts with the release folder's name is outside.
        let sibling = base.join("release-other");
        std::fs::create_dir_all(&sibling).unwrap();
        let sib_root = sibling.join("trusted_root.json");
        std::fs::write(&sib_root, PUBLIC_GOOD_TRUSTED_ROOT_JSON).unwrap();
        refuse_trust_root_in_release(&sib_root, &release).unwrap();
        #[cfg(unix)]
        {
            // A link outside that leads into the release is judged by its target.
            let link = outside.join("link.json");
            std::os::unix::fs::symlink(&inner, &link).unwrap();
            assert_refused(
                refuse_trust_root_in_release(&link, &release),
                ErrorKind::TrustRoot(TrustRootError::InRelease),
            );
        }
        assert_refused(
            refuse_trust_root_in_release(&base.join("missing.json"), &release),
            ErrorKind::Input(InputError::Io),
        );
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn media_type_json_and_limits() {
        assert_refused(
            TrustedRoot::from_json(b"{"),
            ErrorKind::TrustRoot(TrustRootError::Malformed),
        );
        assert_refused(
            TrustedRoot::from_json(br#"{"mediaType":"x"}"#),
            ErrorKind::TrustRoot(TrustRootError::Malformed),
        );
        let limits = Limits {
            max_trust_root_bytes: 8,
            ..Limits::default()
        };
        assert_refused(
            TrustedRoot::from_json_with_limits(b"{\"mediaType\":1}", &limits),
            ErrorKind::Input(InputError::LimitExceeded),
        );
        let mut a = TrustedRoot::from_json(
            root(r#","validFor":{"start":"2021-01-12T11:53:27Z"}"#).as_bytes(),
        )
        .unwrap();
        let b = a.clone();
        a.merge(b);
        assert_eq!(a.tlogs().len(), 2);
    }
}
