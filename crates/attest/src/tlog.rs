//! Transparency-log evidence: SET, RFC 6962 inclusion proof, and body consistency.

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::bundle::{Bundle, Content, TlogEntry};
use crate::crypto::{Hash, PublicKey};
use crate::dsse::{DsseSignature, Envelope};
use crate::encoding::{b64, b64_encode, pem_decode};
use crate::error::{Error, TlogError, err};

/// RFC 6962 leaf hash.
pub fn leaf_hash(body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(body);
    h.finalize().into()
}

fn node_hash(l: &[u8], r: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

/// Compute the root an RFC 9162 inclusion proof leads to, or `None` if the proof is malformed
/// for this index and size.
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: [u8; 32],
    proof: &[Vec<u8>],
) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = leaf;
    for p in proof {
        if p.len() != 32 || s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

/// The canonical JSON a Rekor v1 SET signs.
pub(crate) fn set_payload(entry: &TlogEntry) -> Vec<u8> {
    let v = serde_json::json!({
        "body": b64_encode(&entry.body),
        "integratedTime": entry.integrated_time,
        "logID": hex::encode(&entry.log_id),
        "logIndex": entry.log_index,
    });
    // serde_json without `preserve_order` sorts keys: this is the canonical form.
    serde_json::to_vec(&v).unwrap_or_default()
}

/// Verify a SET with the log key.
pub(crate) fn verify_set(entry: &TlogEntry, key: &PublicKey, index: usize) -> Result<(), Error> {
    let set = entry.signed_entry_timestamp.as_deref().ok_or_else(|| {
        err(
            TlogError::SetInvalid,
            format!("tlogEntries[{index}] has no SET"),
        )
    })?;
    if key.verify(Hash::Sha256, &set_payload(entry), set) {
        Ok(())
    } else {
        Err(err(
            TlogError::SetInvalid,
            format!("tlogEntries[{index}]: SET does not verify with the log key"),
        ))
    }
}

/// What a bundle claims that the log entry body must repeat.
pub(crate) struct Expected<'a> {
    /// DER of the leaf certificate, or of the managed key's SPKI.
    pub(crate) signer_der: &'a [u8],
    /// Whether the signer is a certificate.
    pub(crate) signer_is_cert: bool,
    /// SHA-256 the signature covers (message digest, or PAE digest for Rekor v2 DSSE).
    pub(crate) message_sha256: Option<[u8; 32]>,
}

fn mismatch(index: usize, what: &str) -> Error {
    err(
        TlogError::BodyMismatch,
        format!("tlogEntries[{index}]: log entry {what} does not match the bundle"),
    )
}

fn get<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |acc, k| acc.get(*k))
}

fn get_str<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    get(v, path).and_then(Value::as_str)
}

/// The base64 string at `path` in `v`, decoded; absent or not base64 is a body mismatch naming
/// `field`.
fn body_b64(field: &str, v: &Value, path: &[&str]) -> Result<Vec<u8>, Error> {
    b64(
        TlogError::BodyMismatch,
        field,
        get_str(v, path).unwrap_or("!"),
    )
}

/// The log entry's `signatures` (under `holder`) paired with the envelope's, which must be as
/// many.
fn paired_signatures<'a>(
    holder: &'a Value,
    env: &'a Envelope,
    index: usize,
) -> Result<impl Iterator<Item = (&'a Value, &'a DsseSignature)>, Error> {
    let sigs = get(holder, &["signatures"])
        .and_then(Value::as_array)
        .ok_or_else(|| mismatch(index, "signatures (missing)"))?;
    if sigs.len() != env.signatures.len() {
        return Err(mismatch(index, "signature count"));
    }
    Ok(sigs.iter().zip(&env.signatures))
}

fn verifier_matches(
    pem_b64: Option<&str>,
    expected: &Expected<'_>,
    index: usize,
) -> Result<(), Error> {
    let pem = b64(
        TlogError::BodyMismatch,
        "log entry verifier",
        pem_b64.ok_or_else(|| mismatch(index, "verifier (missing)"))?,
    )?;
    let der_bytes = pem_decode(TlogError::BodyMismatch, "log entry verifier", &pem)?;
    if der_bytes != expected.signer_der {
        return Err(mismatch(index, "certificate/key"));
    }
    Ok(())
}

/// Check that the entry's canonicalised body states exactly the bundle's signature, signer and
/// digest (the CVE-2022-36056 class of attacks swaps one of these).
pub(crate) fn check_body(
    entry: &TlogEntry,
    bundle: &Bundle,
    expected: &Expected<'_>,
    index: usize,
) -> Result<(), Error> {
    let body: Value = serde_json::from_slice(&entry.body).map_err(|e| {
        err(
            TlogError::BodyMismatch,
            format!("tlogEntries[{index}]: body is not JSON"),
        )
        .with_source(e)
    })?;
    let kind = get_str(&body, &["kind"]).unwrap_or_default();
    let api = get_str(&body, &["apiVersion"]).unwrap_or_default();
    if kind != entry.kind || api != entry.version {
        return Err(mismatch(
            index,
            &format!(
                "kind {kind}/{api} (bundle says {}/{})",
                entry.kind, entry.version
            ),
        ));
    }
    let spec = body
        .get("spec")
        .ok_or_else(|| mismatch(index, "spec (missing)"))?;
    match (kind, api, &bundle.content) {
        ("hashedrekord", "0.0.1", Content::MessageSignature { signature, .. }) => {
            let sig = body_b64("spec.signature.content", spec, &["signature", "content"])?;
            if &sig != signature {
                return Err(mismatch(index, "signature"));
            }
            verifier_matches(
                get_str(spec, &["signature", "publicKey", "content"]),
                expected,
                index,
            )?;
            let alg = get_str(spec, &["data", "hash", "algorithm"]).unwrap_or_default();
            let value = get_str(spec, &["data", "hash", "value"]).unwrap_or_default();
            let want = expected
                .message_sha256
                .ok_or_else(|| mismatch(index, "digest"))?;
            if alg != "sha256" || !value.eq_ignore_ascii_case(&hex::encode(want)) {
                return Err(mismatch(index, "artifact digest"));
            }
        }
        ("hashedrekord", "0.0.2", content) => {
            let h = spec
                .get("hashedRekordV002")
                .ok_or_else(|| mismatch(index, "spec.hashedRekordV002 (missing)"))?;
            let sig = body_b64("signature.content", h, &["signature", "content"])?;
            let bundle_sig = match content {
                Content::MessageSignature { signature, .. } => signature.as_slice(),
                Content::Dsse(env) => env
                    .signatures
                    .first()
                    .map(|s| s.sig.as_slice())
                    .unwrap_or(&[]),
            };
            if sig != bundle_sig {
                return Err(mismatch(index, "signature"));
            }
            let verifier = h
                .get("signature")
                .and_then(|s| s.get("verifier"))
                .ok_or_else(|| mismatch(index, "verifier (missing)"))?;
            let raw = if expected.signer_is_cert {
                get_str(verifier, &["x509Certificate", "rawBytes"])
            } else {
                get_str(verifier, &["publicKey", "rawBytes"])
            };
            let der_bytes = b64(
                TlogError::BodyMismatch,
                "verifier",
                raw.ok_or_else(|| mismatch(index, "verifier kind"))?,
            )?;
            if der_bytes != expected.signer_der {
                return Err(mismatch(index, "certificate/key"));
            }
            let alg = get_str(h, &["data", "algorithm"]).unwrap_or_default();
            let digest = body_b64("data.digest", h, &["data", "digest"])?;
            let want = expected
                .message_sha256
                .ok_or_else(|| mismatch(index, "digest"))?;
            if alg != "SHA2_256" || digest != want {
                return Err(mismatch(index, "digest"));
            }
        }
        ("dsse", "0.0.1", Content::Dsse(env)) => {
            let ph = get_str(spec, &["payloadHash", "value"]).unwrap_or_default();
            let pa = get_str(spec, &["payloadHash", "algorithm"]).unwrap_or_default();
            if pa != "sha256"
                || !ph.eq_ignore_ascii_case(&hex::encode(Sha256::digest(&env.payload)))
            {
                return Err(mismatch(index, "payload hash"));
            }
            for (s, want) in paired_signatures(spec, env, index)? {
                let sig = body_b64("signature", s, &["signature"])?;
                if sig != want.sig {
                    return Err(mismatch(index, "DSSE signature"));
                }
                verifier_matches(get_str(s, &["verifier"]), expected, index)?;
            }
        }
        ("intoto", "0.0.2", Content::Dsse(env)) => {
            let content = spec
                .get("content")
                .ok_or_else(|| mismatch(index, "content (missing)"))?;
            let ph = get_str(content, &["payloadHash", "value"]).unwrap_or_default();
            if !ph.eq_ignore_ascii_case(&hex::encode(Sha256::digest(&env.payload))) {
                return Err(mismatch(index, "payload hash"));
            }
            let e = content
                .get("envelope")
                .ok_or_else(|| mismatch(index, "envelope (missing)"))?;
            if get_str(e, &["payloadType"]) != Some(env.payload_type.as_str()) {
                return Err(mismatch(index, "payload type"));
            }
            for (s, want) in paired_signatures(e, env, index)? {
                // intoto v0.0.2 stores the signature base64-encoded twice.
                let once = body_b64("sig", s, &["sig"])?;
                let text = String::from_utf8(once)
                    .map_err(|_| mismatch(index, "DSSE signature encoding"))?;
                let sig = b64(TlogError::BodyMismatch, "sig", &text)?;
                if sig != want.sig {
                    return Err(mismatch(index, "DSSE signature"));
                }
                verifier_matches(get_str(s, &["publicKey"]), expected, index)?;
            }
        }
        (k, v, _) => {
            return Err(err(
                TlogError::BodyMismatch,
                format!(
                    "tlogEntries[{index}]: entry kind {k}/{v} does not fit this bundle's content"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(leaves: &[[u8; 32]]) -> [u8; 32] {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let k = leaves.len().next_power_of_two() / 2;
        node_hash(&tree(&leaves[..k]), &tree(&leaves[k..]))
    }

    fn path(leaves: &[[u8; 32]], i: usize) -> Vec<Vec<u8>> {
        if leaves.len() == 1 {
            return Vec::new();
        }
        let k = leaves.len().next_power_of_two() / 2;
        if i < k {
            let mut p = path(&leaves[..k], i);
            p.push(tree(&leaves[k..]).to_vec());
            p
        } else {
            let mut p = path(&leaves[k..], i - k);
            p.push(tree(&leaves[..k]).to_vec());
            p
        }
    }

    #[test]
    fn inclusion_proofs_for_every_leaf_of_small_trees() {
        for n in 1..=17usize {
            let leaves: Vec<[u8; 32]> = (0..n).map(|i| leaf_hash(&[i as u8])).collect();
            let root = tree(&leaves);
            for i in 0..n {
                let p = path(&leaves, i);
                assert_eq!(
                    root_from_inclusion_proof(i as u64, n as u64, leaves[i], &p),
                    Some(root),
                    "n={n} i={i}"
                );
                if !p.is_empty() {
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert_ne!(
                        root_from_inclusion_proof(i as u64, n as u64, leaves[i], &bad),
                        Some(root)
                    );
                }
                assert_ne!(
                    root_from_inclusion_proof(i as u64, n as u64, leaf_hash(b"other"), &p),
                    Some(root)
                );
            }
            assert_eq!(
                root_from_inclusion_proof(n as u64, n as u64, leaves[0], &[]),
                None
            );
        }
    }
}
