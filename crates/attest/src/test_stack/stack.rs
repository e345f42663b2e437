//! [`TestStack`] itself: its keys, CA and TSA chain, and its trust root.

use const_oid::db::rfc5280::{ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE, ID_KP_TIME_STAMPING};
use p256::ecdsa::SigningKey;
use sha2::{Digest as _, Sha256};
use x509_cert::ext::pkix::ExtendedKeyUsage;

use super::certs::{CertSpec, der_ext, ext, key, spki_der};
use crate::encoding::b64_encode;
use crate::error::{Error, TrustRootError, err};
use crate::trust_root::TrustedRoot;
use crate::verify::Verifier;

pub(super) const LOG_HOST: &str = "rekor.test.invalid";

/// The throwaway stack. `leaves` grows as entries are logged, so inclusion proofs are real.
#[derive(Debug)]
pub struct TestStack {
    pub(super) ca_key: SigningKey,
    pub(super) ca_der: Vec<u8>,
    pub(super) ct_key: SigningKey,
    pub(super) log_key: SigningKey,
    pub(super) tsa_key: SigningKey,
    /// TSA leaf, intermediate, root (DER).
    pub(super) tsa_chain: Vec<Vec<u8>>,
    pub(super) leaves: Vec<[u8; 32]>,
    pub(super) not_before: i64,
}

/// Unix seconds for the start of the stack's validity windows (2020-01-01).
pub const TEST_STACK_EPOCH: i64 = 1_577_836_800;

impl TestStack {
    /// A stack whose keys derive from `seed`.
    pub fn new(seed: [u8; 32]) -> Result<Self, Error> {
        let ca_key = key(&seed, "fulcio");
        let ct_key = key(&seed, "ct");
        let log_key = key(&seed, "rekor");
        let tsa_key = key(&seed, "tsa");
        let tsa_root_key = key(&seed, "tsa-root");
        let tsa_intermediate_key = key(&seed, "tsa-intermediate");
        let not_before = TEST_STACK_EPOCH;
        let not_after = not_before + 25 * 365 * 86_400;
        let validity = (not_before, not_after);
        let ca_name = "CN=relkit-test-fulcio,O=relkit-test";
        let ca_der = CertSpec::ca(ca_name, ca_name, &[1], validity, 1).issue(&ca_key, &ca_key)?;
        // The TSA chain as public timestamp authorities run it: root -> intermediate -> leaf,
        // the leaf with a critical id-kp-timeStamping EKU (RFC 3161 section 2.3).
        let tsa_root_name = "CN=relkit-test-tsa-root,O=relkit-test";
        let tsa_intermediate_name = "CN=relkit-test-tsa-intermediate,O=relkit-test";
        let tsa_root_der = CertSpec::ca(tsa_root_name, tsa_root_name, &[3], validity, 1)
            .issue(&tsa_root_key, &tsa_root_key)?;
        let tsa_intermediate_der =
            CertSpec::ca(tsa_intermediate_name, tsa_root_name, &[4], validity, 0)
                .issue(&tsa_intermediate_key, &tsa_root_key)?;
        let tsa_der = CertSpec {
            subject: "CN=relkit-test-tsa,O=relkit-test",
            issuer: tsa_intermediate_name,
            serial: &[2],
            validity,
            ca: None,
            extensions: vec![
                ext(ID_CE_KEY_USAGE, true, vec![0x03, 0x02, 0x07, 0x80])?,
                der_ext(
                    ID_CE_EXT_KEY_USAGE,
                    true,
                    &ExtendedKeyUsage(vec![ID_KP_TIME_STAMPING]),
                    "eku",
                )?,
            ],
        }
        .issue(&tsa_key, &tsa_intermediate_key)?;
        Ok(TestStack {
            ca_key,
            ca_der,
            ct_key,
            log_key,
            tsa_key,
            tsa_chain: vec![tsa_der, tsa_intermediate_der, tsa_root_der],
            leaves: Vec::new(),
            not_before,
        })
    }

    /// The stack's `trusted_root.json`.
    pub fn trusted_root_json(&self) -> Result<String, Error> {
        let vf = serde_json::json!({"start": crate::encoding::format_rfc3339(self.not_before)});
        let log = |k: &SigningKey, url: &str| -> Result<serde_json::Value, Error> {
            let spki = spki_der(k)?;
            Ok(serde_json::json!({
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": b64_encode(&spki), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": vf},
                "logId": {"keyId": b64_encode(&Sha256::digest(&spki))},
            }))
        };
        let root = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(&self.log_key, &format!("https://{LOG_HOST}"))?],
            "certificateAuthorities": [{
                "subject": {"organization": "relkit-test", "commonName": "relkit-test-fulcio"},
                "uri": "https://fulcio.test.invalid",
                "certChain": {"certificates": [{"rawBytes": b64_encode(&self.ca_der)}]},
                "validFor": vf,
            }],
            "ctlogs": [log(&self.ct_key, "https://ctfe.test.invalid")?],
            "timestampAuthorities": [{
                "subject": {"organization": "relkit-test", "commonName": "relkit-test-tsa"},
                "uri": "https://tsa.test.invalid",
                "certChain": {"certificates": self.tsa_chain.iter().map(|c| serde_json::json!({"rawBytes": b64_encode(c)})).collect::<Vec<_>>()},
                "validFor": vf,
            }],
        });
        serde_json::to_string_pretty(&root)
            .map_err(|e| err(TrustRootError::Malformed, "cannot encode").with_source(e))
    }

    /// A verifier over this stack's trust root.
    pub fn verifier(&self) -> Result<Verifier, Error> {
        Ok(Verifier::new(TrustedRoot::from_json(
            self.trusted_root_json()?.as_bytes(),
        )?))
    }
}
