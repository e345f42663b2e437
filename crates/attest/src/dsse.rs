//! DSSE envelopes and the pre-authentication encoding (PAE).

use serde::Deserialize;

use crate::encoding::b64;
use crate::error::{BundleError, Error, err};
use crate::limits::{Limits, check_limit};

/// Most signatures accepted in one envelope.
const MAX_SIGNATURES: usize = 16;

/// One DSSE signature.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DsseSignature {
    /// The signature bytes.
    pub sig: Vec<u8>,
    /// The key id, if any.
    pub keyid: Option<String>,
}

/// A DSSE envelope (payload decoded from base64).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The payload type, e.g. `application/vnd.in-toto+json`.
    pub payload_type: String,
    /// The payload bytes.
    pub payload: Vec<u8>,
    /// The signatures.
    pub signatures: Vec<DsseSignature>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawEnvelope {
    payload: Option<String>,
    payload_type: Option<String>,
    #[serde(default)]
    signatures: Vec<RawSignature>,
}

#[derive(Deserialize)]
pub(crate) struct RawSignature {
    sig: Option<String>,
    keyid: Option<String>,
}

/// The DSSE v1 pre-authentication encoding of `payload_type` and `payload`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// Parse an envelope from JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        let limits = Limits::default();
        check_limit(bytes.len(), limits.max_bundle_bytes, |n, _| {
            format!("envelope is {n} bytes")
        })?;
        let raw: RawEnvelope = serde_json::from_slice(bytes).map_err(|e| {
            err(
                BundleError::DsseInvalid,
                format!("envelope is not valid JSON: {e}"),
            )
            .with_source(e)
        })?;
        Self::from_raw(raw, &limits)
    }

    pub(crate) fn from_raw(raw: RawEnvelope, _limits: &Limits) -> Result<Self, Error> {
        let payload_type = raw.payload_type.ok_or_else(|| {
            err(
                BundleError::DsseInvalid,
                "dsseEnvelope.payloadType is missing",
            )
        })?;
        let payload = b64(
            BundleError::DsseInvalid,
            "dsseEnvelope.payload",
            raw.payload
                .as_deref()
                .ok_or_else(|| err(BundleError::DsseInvalid, "dsseEnvelope.payload is missing"))?,
        )?;
        if raw.signatures.is_empty() || raw.signatures.len() > MAX_SIGNATURES {
            return Err(err(
                BundleError::DsseInvalid,
                format!(
                    "dsseEnvelope has {} signatures (1..={MAX_SIGNATURES})",
                    raw.signatures.len()
                ),
            ));
        }
        let signatures = raw
            .signatures
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let field = format!("dsseEnvelope.signatures[{i}].sig");
                let text = s
                    .sig
                    .ok_or_else(|| err(BundleError::DsseInvalid, format!("{field} is missing")))?;
                Ok(DsseSignature {
                    sig: b64(BundleError::DsseInvalid, &field, &text)?,
                    keyid: s.keyid,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Envelope {
            payload_type,
            payload,
            signatures,
        })
    }

    /// The PAE bytes that the signatures cover.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn pae_matches_the_spec_example() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn envelope_needs_a_signature() {
        let e = Envelope::from_json(br#"{"payload":"aGk=","payloadType":"t","signatures":[]}"#)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Bundle(BundleError::DsseInvalid));
        let ok = Envelope::from_json(
            br#"{"payload":"aGk=","payloadType":"t","signatures":[{"sig":"AAE="}]}"#,
        )
        .unwrap();
        assert_eq!(ok.payload, b"hi");
        assert_eq!(ok.signatures[0].sig, vec![0, 1]);
    }
}
