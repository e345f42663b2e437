//! Inspect mode: decode a bundle into its claims without verifying anything.

use std::collections::BTreeMap;

use crate::bundle::{Bundle, Content, SignerMaterial};
use crate::cert::Cert;
use crate::checkpoint::Checkpoint;
use crate::error::Error;
use crate::intoto::{INTOTO_PAYLOAD_TYPE, Statement};
use crate::limits::Limits;

/// Claims read from a bundle. **Unverified**: nothing here has been checked; never base a
/// decision on it. `unverified` is always `true` so that serialised output says so.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Inspection {
    /// Always `true`.
    pub unverified: bool,
    /// Bundle media type.
    pub media_type: String,
    /// Certificate SANs (empty for a managed key).
    pub sans: Vec<String>,
    /// Fulcio extensions by name, with the OID.
    pub extensions: BTreeMap<String, String>,
    /// Certificate validity (unix seconds), if a certificate is present.
    pub validity: Option<(i64, i64)>,
    /// Managed-key hint.
    pub key_hint: Option<String>,
    /// Log entries: (log id hex, index, kind, integrated time, has SET, checkpoint origin).
    pub tlog_entries: Vec<InspectedEntry>,
    /// RFC 3161 timestamp generation times (unix seconds) that could be decoded.
    pub timestamp_times: Vec<i64>,
    /// `message-signature` or `dsse`.
    pub content: &'static str,
    /// The message digest (hex) of a message signature.
    pub message_digest: Option<String>,
    /// The in-toto statement of a DSSE envelope, if it decodes.
    pub statement: Option<Statement>,
    /// Problems met while decoding parts (the bundle itself parsed).
    pub notes: Vec<String>,
}

/// One decoded log entry.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InspectedEntry {
    /// Log id, hex.
    pub log_id: String,
    /// Log index.
    pub log_index: u64,
    /// Kind/version.
    pub kind: String,
    /// Integrated time as claimed.
    pub integrated_time: i64,
    /// Whether a SET is present.
    pub has_set: bool,
    /// Whether an inclusion proof is present.
    pub has_inclusion_proof: bool,
    /// Checkpoint origin, if one decodes.
    pub checkpoint_origin: Option<String>,
}

/// Decode `bytes` (a bundle) into its claims without verifying.
pub fn inspect_bundle(bytes: &[u8]) -> Result<Inspection, Error> {
    let limits = Limits::default();
    let b = Bundle::from_json_with_limits(bytes, &limits)?;
    let mut notes = Vec::new();
    let mut out = Inspection {
        unverified: true,
        media_type: b.media_type.clone(),
        sans: Vec::new(),
        extensions: BTreeMap::new(),
        validity: None,
        key_hint: None,
        tlog_entries: Vec::new(),
        timestamp_times: Vec::new(),
        content: "message-signature",
        message_digest: None,
        statement: None,
        notes: Vec::new(),
    };
    match &b.signer {
        SignerMaterial::Certificate { leaf, .. } => match Cert::from_der(leaf) {
            Ok(c) => {
                out.validity = Some((c.not_before, c.not_after));
                match c.sans() {
                    Ok(s) => out.sans = s,
                    Err(e) => notes.push(e.to_string()),
                }
                match c.fulcio_extensions() {
                    Ok(e) => {
                        out.extensions = e
                            .iter()
                            .map(|(k, v)| (format!("{} ({})", k.name(), k.oid()), v.clone()))
                            .collect()
                    }
                    Err(e) => notes.push(e.to_string()),
                }
            }
            Err(e) => notes.push(e.to_string()),
        },
        SignerMaterial::PublicKey { hint } => out.key_hint = hint.clone(),
    }
    for e in &b.tlog_entries {
        let origin = e
            .inclusion_proof
            .as_ref()
            .and_then(|p| p.checkpoint.as_deref())
            .and_then(|c| Checkpoint::parse(c, &limits).ok())
            .map(|c| c.origin);
        out.tlog_entries.push(InspectedEntry {
            log_id: hex::encode(&e.log_id),
            log_index: e.log_index,
            kind: format!("{}/{}", e.kind, e.version),
            integrated_time: e.integrated_time,
            has_set: e.signed_entry_timestamp.is_some(),
            has_inclusion_proof: e.inclusion_proof.is_some(),
            checkpoint_origin: origin,
        });
    }
    for t in &b.timestamps {
        match crate::rfc3161::decode_time(t) {
            Ok(time) => out.timestamp_times.push(time),
            Err(e) => notes.push(e.to_string()),
        }
    }
    match &b.content {
        Content::MessageSignature { digest, .. } => {
            out.message_digest = digest.as_ref().map(|(_, d)| hex::encode(d))
        }
        Content::Dsse(env) => {
            out.content = "dsse";
            if env.payload_type == INTOTO_PAYLOAD_TYPE {
                match Statement::from_json_with_limits(&env.payload, &limits) {
                    Ok(s) => out.statement = Some(s),
                    Err(e) => notes.push(e.to_string()),
                }
            }
        }
    }
    out.notes = notes;
    Ok(out)
}
