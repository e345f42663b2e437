//! Signing as a [`TestIdentity`]: blob and DSSE bundles, and PEP 740 attestations.

use p256::ecdsa::DerSignature;
use sha2::{Digest as _, Sha256};

use super::certs::{pem, sign};
use super::identity::TestIdentity;
use super::stack::TestStack;
use crate::dsse::pae;
use crate::encoding::b64_encode;
use crate::error::{BundleError, Error, err};
use crate::intoto::INTOTO_PAYLOAD_TYPE;

impl TestStack {
    fn bundle(
        &mut self,
        id: &TestIdentity,
        content: serde_json::Value,
        sig: &[u8],
        body: serde_json::Value,
        kind: &str,
        cert: &[u8],
    ) -> Result<String, Error> {
        let body = serde_json::to_vec(&body)
            .map_err(|e| err(BundleError::Malformed, "body").with_source(e))?;
        let entry = self.log_entry(&body, kind, id.signed_at)?;
        let ts = self.timestamp(sig, id.signed_at)?;
        let mut b = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": b64_encode(cert)},
                "tlogEntries": [entry],
                "timestampVerificationData": {"rfc3161Timestamps": [{"signedTimestamp": b64_encode(&ts)}]},
            },
        });
        if let (Some(obj), Some(c)) = (b.as_object_mut(), content.as_object()) {
            for (k, v) in c {
                obj.insert(k.clone(), v.clone());
            }
        }
        serde_json::to_string(&b).map_err(|e| err(BundleError::Malformed, "bundle").with_source(e))
    }

    /// Sign `artifact` as `id`: a v0.3 bundle with a message signature, a hashedrekord entry
    /// (SET, inclusion proof, checkpoint) and an RFC 3161 timestamp.
    pub fn sign_blob(&mut self, artifact: &[u8], id: &TestIdentity) -> Result<String, Error> {
        let (cert, k) = self.issue(id)?;
        let digest = Sha256::digest(artifact);
        let sig: DerSignature = ecdsa::signature::hazmat::PrehashSigner::sign_prehash(&k, &digest)
            .map_err(|_| err(BundleError::SignatureInvalid, "test stack: cannot sign"))?;
        let sig = sig.as_bytes().to_vec();
        let body = serde_json::json!({
            "apiVersion": "0.0.1", "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest)}},
                "signature": {"content": b64_encode(&sig), "publicKey": {"content": b64_encode(pem("CERTIFICATE", &cert).as_bytes())}},
            },
        });
        let content = serde_json::json!({
            "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": b64_encode(&digest)}, "signature": b64_encode(&sig)},
        });
        self.bundle(id, content, &sig, body, "hashedrekord", &cert)
    }

    /// Sign an in-toto statement as `id`: a v0.3 bundle with a DSSE envelope and a dsse entry.
    pub fn sign_statement(&mut self, statement: &[u8], id: &TestIdentity) -> Result<String, Error> {
        let (cert, k) = self.issue(id)?;
        let sig = sign(&k, &pae(INTOTO_PAYLOAD_TYPE, statement));
        let body = serde_json::json!({
            "apiVersion": "0.0.1", "kind": "dsse",
            "spec": {
                "envelopeHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(statement))},
                "payloadHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(statement))},
                "signatures": [{"signature": b64_encode(&sig), "verifier": b64_encode(pem("CERTIFICATE", &cert).as_bytes())}],
            },
        });
        let content = serde_json::json!({
            "dsseEnvelope": {"payload": b64_encode(statement), "payloadType": INTOTO_PAYLOAD_TYPE, "signatures": [{"sig": b64_encode(&sig)}]},
        });
        self.bundle(id, content, &sig, body, "dsse", &cert)
    }

    /// A PEP 740 attestation object (`{"version": 1, "verification_material", "envelope"}`)
    /// for distribution `filename` with `bytes`, signed as `id` over an in-toto statement with
    /// the publish predicate `predicate_type`.
    pub fn pep740_attestation(
        &mut self,
        filename: &str,
        bytes: &[u8],
        predicate_type: &str,
        id: &TestIdentity,
    ) -> Result<serde_json::Value, Error> {
        let statement = serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": filename, "digest": {"sha256": hex::encode(Sha256::digest(bytes))}}],
            "predicateType": predicate_type,
            "predicate": null,
        });
        let statement = serde_json::to_vec(&statement).map_err(|e| {
            crate::error::err(
                crate::ProvenanceError::StatementMalformed,
                format!("statement: {e}"),
            )
        })?;
        let bundle: serde_json::Value = serde_json::from_str(&self.sign_statement(&statement, id)?)
            .map_err(|e| {
                crate::error::err(crate::BundleError::Malformed, format!("bundle: {e}"))
            })?;
        let vm = &bundle["verificationMaterial"];
        Ok(serde_json::json!({
            "version": 1,
            "verification_material": {
                "certificate": vm["certificate"]["rawBytes"],
                "transparency_entries": vm["tlogEntries"],
            },
            "envelope": {
                "statement": bundle["dsseEnvelope"]["payload"],
                "signature": bundle["dsseEnvelope"]["signatures"][0]["sig"],
            },
        }))
    }
}
