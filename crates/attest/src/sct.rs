//! Embedded signed certificate timestamps (RFC 6962) verified against the trust root's CT logs.

use der::asn1::OctetString;
use der::{Decode, Encode};
use sha2::{Digest as _, Sha256};

use crate::cert::{Cert, SCT_LIST_OID};
use crate::crypto::Hash;
use crate::error::{CertificateError, Error, InputError, err};
use crate::limits::Limits;
use crate::trust_root::TrustedRoot;

/// One SCT as read from the certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sct {
    pub(crate) log_id: [u8; 32],
    pub(crate) timestamp_ms: u64,
    pub(crate) extensions: Vec<u8>,
    pub(crate) signature: Vec<u8>,
}

struct Tls<'a>(&'a [u8]);

impl<'a> Tls<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn uint(&mut self, n: usize) -> Option<u64> {
        Some(
            self.take(n)?
                .iter()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
        )
    }
    fn vec(&mut self, len_bytes: usize) -> Option<&'a [u8]> {
        let n = usize::try_from(self.uint(len_bytes)?).ok()?;
        self.take(n)
    }
}

fn bad(detail: impl Into<String>) -> Error {
    err(CertificateError::SctInvalid, detail)
}

/// Parse the SCT list extension value (a DER OCTET STRING around a TLS list).
pub(crate) fn parse_sct_list(ext_value: &[u8], limits: &Limits) -> Result<Vec<Sct>, Error> {
    let inner = OctetString::from_der(ext_value)
        .map_err(|e| bad("SCT list is not a DER OCTET STRING").with_source(e))?;
    let mut outer = Tls(inner.as_bytes());
    let mut list = Tls(outer.vec(2).ok_or_else(|| bad("SCT list is truncated"))?);
    if !outer.0.is_empty() {
        return Err(bad("trailing bytes after the SCT list"));
    }
    let mut out = Vec::new();
    while !list.0.is_empty() {
        if out.len() >= limits.max_scts {
            return Err(err(InputError::LimitExceeded, "too many SCTs"));
        }
        let mut s = Tls(list.vec(2).ok_or_else(|| bad("SCT is truncated"))?);
        let parse = |s: &mut Tls<'_>| -> Option<Sct> {
            if s.uint(1)? != 0 {
                return None;
            }
            let log_id: [u8; 32] = s.take(32)?.try_into().ok()?;
            let timestamp_ms = s.uint(8)?;
            let extensions = s.vec(2)?.to_vec();
            let _hash = s.uint(1)?;
            let _sig_alg = s.uint(1)?;
            let signature = s.vec(2)?.to_vec();
            s.0.is_empty().then_some(Sct {
                log_id,
                timestamp_ms,
                extensions,
                signature,
            })
        };
        out.push(parse(&mut s).ok_or_else(|| bad("SCT is malformed or not version 1"))?);
    }
    Ok(out)
}

/// The TBS certificate as the CT log saw it: without the SCT list extension.
fn precert_tbs(leaf: &Cert) -> Result<Vec<u8>, Error> {
    let mut tbs = leaf.cert.tbs_certificate.clone();
    if let Some(exts) = tbs.extensions.as_mut() {
        exts.retain(|e| e.extn_id != SCT_LIST_OID);
    }
    tbs.to_der()
        .map_err(|e| bad("cannot re-encode the precertificate").with_source(e))
}

/// Evidence of one verified SCT.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SctEvidence {
    /// The CT log id (hex).
    pub log_id: String,
    /// The CT log's base URL.
    pub log_url: String,
    /// The SCT time, unix milliseconds.
    pub timestamp_ms: u64,
}

/// Verify that at least one embedded SCT is signed by a trusted CT log. Returns the verified ones.
pub(crate) fn verify_scts(
    leaf: &Cert,
    issuer: &Cert,
    root: &TrustedRoot,
    limits: &Limits,
) -> Result<Vec<SctEvidence>, Error> {
    let ext = leaf
        .sct_list()
        .ok_or_else(|| bad("the signing certificate has no embedded SCT"))?;
    let scts = parse_sct_list(ext, limits)?;
    let tbs = precert_tbs(leaf)?;
    let tbs_len = u32::try_from(tbs.len()).map_err(|_| bad("precertificate too large"))?;
    if tbs_len >= 1 << 24 {
        return Err(bad("precertificate too large"));
    }
    let issuer_key_hash = Sha256::digest(&issuer.spki_der);
    let mut verified = Vec::new();
    for sct in &scts {
        let Some(log) = root.ctlogs.iter().find(|l| l.key_id == sct.log_id) else {
            continue;
        };
        let Some(key) = &log.key else { continue };
        let mut msg = Vec::with_capacity(tbs.len() + 64);
        msg.extend_from_slice(&[0, 0]);
        msg.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
        msg.extend_from_slice(&[0, 1]);
        msg.extend_from_slice(&issuer_key_hash);
        msg.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
        msg.extend_from_slice(&tbs);
        msg.extend_from_slice(
            &u16::try_from(sct.extensions.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        msg.extend_from_slice(&sct.extensions);
        let t = i64::try_from(sct.timestamp_ms / 1000).unwrap_or(i64::MAX);
        if key.verify(Hash::Sha256, &msg, &sct.signature) && log.valid_for.contains(t) {
            verified.push(SctEvidence {
                log_id: hex::encode(sct.log_id),
                log_url: log.base_url.clone(),
                timestamp_ms: sct.timestamp_ms,
            });
        }
    }
    if verified.is_empty() {
        return Err(bad(format!(
            "none of the {} embedded SCTs is signed by a trusted CT log valid at its time",
            scts.len()
        )));
    }
    Ok(verified)
}
