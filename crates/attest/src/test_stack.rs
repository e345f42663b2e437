//! A throwaway, offline Sigstore stack for tests and demos (feature `test-stack`).
//!
//! It holds a Fulcio-like CA issuing short-lived certificates with the real Fulcio extensions
//! and an embedded SCT from its CT log key, a Rekor-like log (SET, RFC 6962 inclusion proofs,
//! signed checkpoints) and an RFC 3161 TSA. Keys derive from a seed; nothing here is secret
//! and nothing real trusts it.

use std::str::FromStr;
use std::time::Duration;

use cms::cert::IssuerAndSerialNumber;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_BASIC_CONSTRAINTS, ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE,
    ID_CE_SUBJECT_ALT_NAME, ID_CE_SUBJECT_KEY_IDENTIFIER, ID_KP_CODE_SIGNING, ID_KP_TIME_STAMPING,
};
use const_oid::db::rfc5911::{ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNED_DATA};
use const_oid::db::rfc5912::{ECDSA_WITH_SHA_256, ID_SHA_256};
use der::asn1::{Any, GeneralizedTime, Ia5String, OctetString, SetOfVec, UtcTime, Utf8StringRef};
use der::{Decode, Encode, Sequence};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use sha2::{Digest as _, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::attr::Attribute;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, SubjectAltName,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate};

use crate::cert::SCT_LIST_OID;
use crate::dsse::pae;
use crate::encoding::b64_encode;
use crate::error::{Error, ErrorKind, err};
use crate::extensions::FulcioExtension;
use crate::intoto::INTOTO_PAYLOAD_TYPE;
use crate::policy::GITHUB_ACTIONS_ISSUER;
use crate::tlog::{leaf_hash, set_payload};
use crate::trust_root::TrustedRoot;
use crate::verify::Verifier;

const ID_CT_TSTINFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const TEST_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.99.1");
const LOG_HOST: &str = "rekor.test.invalid";

fn stack_err(what: &str) -> impl Fn(der::Error) -> Error + '_ {
    move |e| {
        err(
            ErrorKind::CertificateMalformed,
            format!("test stack: {what}"),
        )
        .with_source(e)
    }
}

fn key(seed: &[u8; 32], label: &str) -> SigningKey {
    // Hash until a valid scalar comes out (practically always the first round).
    let mut h: [u8; 32] = Sha256::new()
        .chain_update(seed)
        .chain_update(label.as_bytes())
        .finalize()
        .into();
    loop {
        if let Ok(k) = SigningKey::from_slice(&h) {
            return k;
        }
        h = Sha256::digest(h).into();
    }
}

fn spki_der(k: &SigningKey) -> Result<Vec<u8>, Error> {
    let point = k.verifying_key().to_encoded_point(false);
    let spki = SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::ID_EC_PUBLIC_KEY,
            parameters: Some(
                Any::encode_from(&const_oid::db::rfc5912::SECP_256_R_1)
                    .map_err(stack_err("curve"))?,
            ),
        },
        subject_public_key: der::asn1::BitString::from_bytes(point.as_bytes())
            .map_err(stack_err("point"))?,
    };
    spki.to_der().map_err(stack_err("spki"))
}

fn sign(k: &SigningKey, msg: &[u8]) -> Vec<u8> {
    let sig: DerSignature = k.sign(msg);
    sig.as_bytes().to_vec()
}

fn utc(t: i64) -> Result<Time, Error> {
    let d = Duration::from_secs(
        u64::try_from(t).map_err(|_| err(ErrorKind::PolicyInvalid, "negative time"))?,
    );
    Ok(Time::UtcTime(
        UtcTime::from_unix_duration(d).map_err(stack_err("time"))?,
    ))
}

fn ext(oid: ObjectIdentifier, critical: bool, value: Vec<u8>) -> Result<Extension, Error> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value).map_err(stack_err("extension"))?,
    })
}

fn ecdsa_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ECDSA_WITH_SHA_256,
        parameters: None,
    }
}

fn finish_cert(tbs: TbsCertificate, issuer: &SigningKey) -> Result<Vec<u8>, Error> {
    let tbs_der = tbs.to_der().map_err(stack_err("tbs"))?;
    let sig = sign(issuer, &tbs_der);
    let cert = Certificate {
        tbs_certificate: tbs,
        signature_algorithm: ecdsa_alg(),
        signature: der::asn1::BitString::from_bytes(&sig).map_err(stack_err("signature"))?,
    };
    cert.to_der().map_err(stack_err("certificate"))
}

fn pem(label: &str, der_bytes: &[u8]) -> String {
    let b = b64_encode(der_bytes);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// `TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken }` with
/// status granted (0): what a TSA answers and what a bundle's `signedTimestamp` holds.
pub(crate) fn time_stamp_resp(token: &[u8]) -> Vec<u8> {
    let status: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x00];
    let mut body = status.to_vec();
    body.extend_from_slice(token);
    let mut out = vec![0x30];
    der_len(body.len(), &mut out);
    out.extend_from_slice(&body);
    out
}

fn der_len(n: usize, out: &mut Vec<u8>) {
    if n < 0x80 {
        out.push(n as u8);
        return;
    }
    let bytes: Vec<u8> = n
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    out.push(0x80 | bytes.len() as u8);
    out.extend_from_slice(&bytes);
}

/// RFC 7093 method 1: the leftmost 160 bits of SHA-256 over the subjectPublicKey bits.
fn key_identifier(k: &SigningKey) -> Vec<u8> {
    let point = k.verifying_key().to_encoded_point(false);
    Sha256::digest(point.as_bytes())[..20].to_vec()
}

fn ski(k: &SigningKey) -> Result<Extension, Error> {
    ext(
        ID_CE_SUBJECT_KEY_IDENTIFIER,
        false,
        OctetString::new(key_identifier(k))
            .map_err(stack_err("ski"))?
            .to_der()
            .map_err(stack_err("ski"))?,
    )
}

fn aki(issuer: &SigningKey) -> Result<Extension, Error> {
    ext(
        ID_CE_AUTHORITY_KEY_IDENTIFIER,
        false,
        AuthorityKeyIdentifier {
            key_identifier: Some(
                OctetString::new(key_identifier(issuer)).map_err(stack_err("aki"))?,
            ),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        }
        .to_der()
        .map_err(stack_err("aki"))?,
    )
}

/// A CA or TSA certificate of the stack: subject/issuer names, validity, `ca` = path length
/// of a CA (None for an end entity); SKI always, AKI when issued by another key.
struct CertSpec<'a> {
    subject: &'a str,
    issuer: &'a str,
    serial: &'a [u8],
    validity: (i64, i64),
    ca: Option<u8>,
    extensions: Vec<Extension>,
}

impl CertSpec<'_> {
    fn issue(self, subject_key: &SigningKey, issuer_key: &SigningKey) -> Result<Vec<u8>, Error> {
        let mut exts = vec![ski(subject_key)?];
        if self.subject != self.issuer {
            exts.push(aki(issuer_key)?);
        }
        if let Some(path_len) = self.ca {
            exts.push(ext(
                ID_CE_BASIC_CONSTRAINTS,
                true,
                BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(path_len),
                }
                .to_der()
                .map_err(stack_err("bc"))?,
            )?);
            exts.push(ext(ID_CE_KEY_USAGE, true, vec![0x03, 0x02, 0x01, 0x06])?);
        }
        exts.extend(self.extensions);
        let tbs = TbsCertificate {
            version: x509_cert::Version::V3,
            serial_number: SerialNumber::new(self.serial).map_err(stack_err("serial"))?,
            signature: ecdsa_alg(),
            issuer: Name::from_str(self.issuer).map_err(stack_err("name"))?,
            validity: Validity {
                not_before: utc(self.validity.0)?,
                not_after: utc(self.validity.1)?,
            },
            subject: Name::from_str(self.subject).map_err(stack_err("name"))?,
            subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&spki_der(subject_key)?)
                .map_err(stack_err("spki"))?,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(exts),
        };
        finish_cert(tbs, issuer_key)
    }
}

/// Who the test CA certifies: SAN, issuer, Fulcio extensions and the signing time.
#[derive(Clone, Debug)]
pub struct TestIdentity {
    /// The SAN (a URI, or an e-mail address when it contains `@` and no `://`).
    pub san: String,
    /// The OIDC issuer (written to .1.8 and the legacy .1.1).
    pub issuer: String,
    /// Further Fulcio extensions.
    pub extensions: Vec<(FulcioExtension, String)>,
    /// Signing time, unix seconds (the certificate is valid for ten minutes from it).
    pub signed_at: i64,
}

impl TestIdentity {
    /// A GitHub Actions release identity for `repository` (`owner/repo`), `workflow` file and
    /// `git_ref` (e.g. `refs/tags/v1.2.3`), with consistent legacy and v2 extensions.
    pub fn github(
        repository: &str,
        workflow: &str,
        git_ref: &str,
        trigger: &str,
        signed_at: i64,
    ) -> Self {
        use FulcioExtension as F;
        let san = format!("https://github.com/{repository}/.github/workflows/{workflow}@{git_ref}");
        let sha = hex::encode(&Sha256::digest(format!("{repository}@{git_ref}").as_bytes())[..20]);
        let repo_uri = format!("https://github.com/{repository}");
        let owner = repository.split('/').next().unwrap_or(repository);
        TestIdentity {
            san: san.clone(),
            issuer: GITHUB_ACTIONS_ISSUER.to_owned(),
            extensions: vec![
                (F::GithubWorkflowTriggerV1, trigger.to_owned()),
                (F::GithubWorkflowShaV1, sha.clone()),
                (F::GithubWorkflowNameV1, "release".to_owned()),
                (F::GithubWorkflowRepositoryV1, repository.to_owned()),
                (F::GithubWorkflowRefV1, git_ref.to_owned()),
                (F::BuildSignerUri, san.clone()),
                (F::BuildSignerDigest, sha.clone()),
                (F::RunnerEnvironment, "github-hosted".to_owned()),
                (F::SourceRepositoryUri, repo_uri.clone()),
                (F::SourceRepositoryDigest, sha.clone()),
                (F::SourceRepositoryRef, git_ref.to_owned()),
                (F::SourceRepositoryIdentifier, "1".to_owned()),
                (
                    F::SourceRepositoryOwnerUri,
                    format!("https://github.com/{owner}"),
                ),
                (F::SourceRepositoryOwnerIdentifier, "2".to_owned()),
                (F::BuildConfigUri, san),
                (F::BuildConfigDigest, sha),
                (F::BuildTrigger, trigger.to_owned()),
                (
                    F::RunInvocationUri,
                    format!("{repo_uri}/actions/runs/1/attempts/1"),
                ),
                (F::SourceRepositoryVisibilityAtSigning, "public".to_owned()),
            ],
            signed_at,
        }
    }
}

#[derive(Sequence)]
struct Imprint {
    alg: AlgorithmIdentifierOwned,
    hashed: OctetString,
}

#[derive(Sequence)]
struct TstInfoOut {
    version: u8,
    policy: ObjectIdentifier,
    imprint: Imprint,
    serial: u64,
    gen_time: GeneralizedTime,
}

/// The throwaway stack. `leaves` grows as entries are logged, so inclusion proofs are real.
#[derive(Debug)]
pub struct TestStack {
    ca_key: SigningKey,
    ca_der: Vec<u8>,
    ct_key: SigningKey,
    log_key: SigningKey,
    tsa_key: SigningKey,
    /// TSA leaf, intermediate, root (DER).
    tsa_chain: Vec<Vec<u8>>,
    leaves: Vec<[u8; 32]>,
    not_before: i64,
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
        let ca_der = CertSpec {
            subject: ca_name,
            issuer: ca_name,
            serial: &[1],
            validity,
            ca: Some(1),
            extensions: vec![],
        }
        .issue(&ca_key, &ca_key)?;
        // The TSA chain as public timestamp authorities run it: root -> intermediate -> leaf,
        // the leaf with a critical id-kp-timeStamping EKU (RFC 3161 section 2.3).
        let tsa_root_name = "CN=relkit-test-tsa-root,O=relkit-test";
        let tsa_intermediate_name = "CN=relkit-test-tsa-intermediate,O=relkit-test";
        let tsa_root_der = CertSpec {
            subject: tsa_root_name,
            issuer: tsa_root_name,
            serial: &[3],
            validity,
            ca: Some(1),
            extensions: vec![],
        }
        .issue(&tsa_root_key, &tsa_root_key)?;
        let tsa_intermediate_der = CertSpec {
            subject: tsa_intermediate_name,
            issuer: tsa_root_name,
            serial: &[4],
            validity,
            ca: Some(0),
            extensions: vec![],
        }
        .issue(&tsa_intermediate_key, &tsa_root_key)?;
        let tsa_der = CertSpec {
            subject: "CN=relkit-test-tsa,O=relkit-test",
            issuer: tsa_intermediate_name,
            serial: &[2],
            validity,
            ca: None,
            extensions: vec![
                ext(ID_CE_KEY_USAGE, true, vec![0x03, 0x02, 0x07, 0x80])?,
                ext(
                    ID_CE_EXT_KEY_USAGE,
                    true,
                    ExtendedKeyUsage(vec![ID_KP_TIME_STAMPING])
                        .to_der()
                        .map_err(stack_err("eku"))?,
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
            .map_err(|e| err(ErrorKind::TrustRootMalformed, "cannot encode").with_source(e))
    }

    /// A verifier over this stack's trust root.
    pub fn verifier(&self) -> Result<Verifier, Error> {
        Ok(Verifier::new(TrustedRoot::from_json(
            self.trusted_root_json()?.as_bytes(),
        )?))
    }

    /// Issue a ten-minute signing certificate for `id`; returns (leaf DER, signing key).
    pub fn issue(&self, id: &TestIdentity) -> Result<(Vec<u8>, SigningKey), Error> {
        let mut seed = [0u8; 32];
        seed.copy_from_slice(
            &Sha256::new()
                .chain_update(id.san.as_bytes())
                .chain_update(id.signed_at.to_be_bytes())
                .chain_update(self.leaves.len().to_be_bytes())
                .finalize(),
        );
        let leaf_key = key(&seed, "leaf");
        let ca = Certificate::from_der(&self.ca_der).map_err(stack_err("ca"))?;
        let san = if id.san.contains('@') && !id.san.contains("://") {
            GeneralName::Rfc822Name(Ia5String::new(&id.san).map_err(stack_err("san"))?)
        } else {
            GeneralName::UniformResourceIdentifier(
                Ia5String::new(&id.san).map_err(stack_err("san"))?,
            )
        };
        let mut exts = vec![
            ext(ID_CE_KEY_USAGE, true, vec![0x03, 0x02, 0x07, 0x80])?,
            ski(&leaf_key)?,
            aki(&self.ca_key)?,
            ext(
                ID_CE_EXT_KEY_USAGE,
                false,
                ExtendedKeyUsage(vec![ID_KP_CODE_SIGNING])
                    .to_der()
                    .map_err(stack_err("eku"))?,
            )?,
            ext(
                ID_CE_SUBJECT_ALT_NAME,
                true,
                SubjectAltName(vec![san])
                    .to_der()
                    .map_err(stack_err("san"))?,
            )?,
            ext(
                FulcioExtension::IssuerV1.oid(),
                false,
                id.issuer.as_bytes().to_vec(),
            )?,
            ext(
                FulcioExtension::Issuer.oid(),
                false,
                Utf8StringRef::new(&id.issuer)
                    .map_err(stack_err("issuer"))?
                    .to_der()
                    .map_err(stack_err("issuer"))?,
            )?,
        ];
        for (e, v) in &id.extensions {
            let value = if e.is_legacy() {
                v.as_bytes().to_vec()
            } else {
                Utf8StringRef::new(v)
                    .map_err(stack_err("ext"))?
                    .to_der()
                    .map_err(stack_err("ext"))?
            };
            exts.push(ext(e.oid(), false, value)?);
        }
        let mut tbs = TbsCertificate {
            version: x509_cert::Version::V3,
            serial_number: SerialNumber::new(&seed[..16]).map_err(stack_err("serial"))?,
            signature: ecdsa_alg(),
            issuer: ca.tbs_certificate.subject.clone(),
            validity: Validity {
                not_before: utc(id.signed_at - 1)?,
                not_after: utc(id.signed_at + 600)?,
            },
            subject: Name::default(),
            subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&spki_der(&leaf_key)?)
                .map_err(stack_err("spki"))?,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(exts),
        };
        // SCT over the precertificate (the TBS without the SCT list).
        let precert = tbs.to_der().map_err(stack_err("precert"))?;
        let ts_ms = u64::try_from(id.signed_at).unwrap_or(0) * 1000;
        let issuer_key_hash = Sha256::digest(spki_der(&self.ca_key)?);
        let mut signed = vec![0u8, 0];
        signed.extend_from_slice(&ts_ms.to_be_bytes());
        signed.extend_from_slice(&[0, 1]);
        signed.extend_from_slice(&issuer_key_hash);
        let len = u32::try_from(precert.len()).unwrap_or(0).to_be_bytes();
        signed.extend_from_slice(&len[1..]);
        signed.extend_from_slice(&precert);
        signed.extend_from_slice(&[0, 0]);
        let sig = sign(&self.ct_key, &signed);
        let mut sct = vec![0u8];
        sct.extend_from_slice(&Sha256::digest(spki_der(&self.ct_key)?));
        sct.extend_from_slice(&ts_ms.to_be_bytes());
        sct.extend_from_slice(&[0, 0, 4, 3]);
        sct.extend_from_slice(&u16::try_from(sig.len()).unwrap_or(0).to_be_bytes());
        sct.extend_from_slice(&sig);
        let mut list = Vec::new();
        list.extend_from_slice(&u16::try_from(sct.len() + 2).unwrap_or(0).to_be_bytes());
        list.extend_from_slice(&u16::try_from(sct.len()).unwrap_or(0).to_be_bytes());
        list.extend_from_slice(&sct);
        let list_der = OctetString::new(list)
            .map_err(stack_err("sct"))?
            .to_der()
            .map_err(stack_err("sct"))?;
        if let Some(e) = tbs.extensions.as_mut() {
            e.push(ext(SCT_LIST_OID, false, list_der)?);
        }
        Ok((finish_cert(tbs, &self.ca_key)?, leaf_key))
    }

    /// An RFC 3161 timestamp by the stack's TSA over `signature` at `at` (unix seconds): a DER
    /// `TimeStampResp` (status granted) whose token embeds the TSA leaf certificate, as a
    /// bundle's `signedTimestamp` holds it.
    pub fn timestamp(&self, signature: &[u8], at: i64) -> Result<Vec<u8>, Error> {
        let tst = TstInfoOut {
            version: 1,
            policy: TEST_POLICY,
            imprint: Imprint {
                alg: AlgorithmIdentifierOwned {
                    oid: ID_SHA_256,
                    parameters: None,
                },
                hashed: OctetString::new(Sha256::digest(signature).to_vec())
                    .map_err(stack_err("imprint"))?,
            },
            serial: u64::try_from(at).unwrap_or(0),
            gen_time: GeneralizedTime::from_unix_duration(Duration::from_secs(
                u64::try_from(at).unwrap_or(0),
            ))
            .map_err(stack_err("time"))?,
        };
        let tst_der = tst.to_der().map_err(stack_err("tstinfo"))?;
        let attr = |oid, value: Any| -> Result<Attribute, Error> {
            Ok(Attribute {
                oid,
                values: SetOfVec::try_from(vec![value]).map_err(stack_err("attr"))?,
            })
        };
        let attrs = SetOfVec::try_from(vec![
            attr(
                ID_CONTENT_TYPE,
                Any::encode_from(&ID_CT_TSTINFO).map_err(stack_err("attr"))?,
            )?,
            attr(
                ID_MESSAGE_DIGEST,
                Any::encode_from(
                    &OctetString::new(Sha256::digest(&tst_der).to_vec())
                        .map_err(stack_err("attr"))?,
                )
                .map_err(stack_err("attr"))?,
            )?,
        ])
        .map_err(stack_err("attrs"))?;
        let sig = sign(&self.tsa_key, &attrs.to_der().map_err(stack_err("attrs"))?);
        let tsa_leaf_der = self
            .tsa_chain
            .first()
            .ok_or_else(|| err(ErrorKind::CertificateMissing, "test stack: no TSA"))?;
        let tsa_cert = Certificate::from_der(tsa_leaf_der).map_err(stack_err("tsa"))?;
        let si = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tsa_cert.tbs_certificate.issuer.clone(),
                serial_number: tsa_cert.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: AlgorithmIdentifierOwned {
                oid: ID_SHA_256,
                parameters: None,
            },
            signed_attrs: Some(attrs),
            signature_algorithm: ecdsa_alg(),
            signature: OctetString::new(sig).map_err(stack_err("sig"))?,
            unsigned_attrs: None,
        };
        let sd = SignedData {
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![AlgorithmIdentifierOwned {
                oid: ID_SHA_256,
                parameters: None,
            }])
            .map_err(stack_err("algs"))?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: ID_CT_TSTINFO,
                econtent: Some(
                    Any::encode_from(&OctetString::new(tst_der).map_err(stack_err("econtent"))?)
                        .map_err(stack_err("econtent"))?,
                ),
            },
            certificates: Some(cms::signed_data::CertificateSet(
                SetOfVec::try_from(vec![cms::cert::CertificateChoices::Certificate(
                    tsa_cert.clone(),
                )])
                .map_err(stack_err("certs"))?,
            )),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![si]).map_err(stack_err("signers"))?),
        };
        let ci = ContentInfo {
            content_type: ID_SIGNED_DATA,
            content: Any::encode_from(&sd).map_err(stack_err("sd"))?,
        };
        let token = ci.to_der().map_err(stack_err("token"))?;
        Ok(time_stamp_resp(&token))
    }

    fn root_and_proof(&self, index: usize) -> ([u8; 32], Vec<[u8; 32]>) {
        fn node(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
            Sha256::new()
                .chain_update([1u8])
                .chain_update(l)
                .chain_update(r)
                .finalize()
                .into()
        }
        fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
            if leaves.len() == 1 {
                return leaves[0];
            }
            let k = leaves.len().next_power_of_two() / 2;
            node(&root(&leaves[..k]), &root(&leaves[k..]))
        }
        fn path(leaves: &[[u8; 32]], i: usize) -> Vec<[u8; 32]> {
            if leaves.len() <= 1 {
                return Vec::new();
            }
            let k = leaves.len().next_power_of_two() / 2;
            if i < k {
                let mut p = path(&leaves[..k], i);
                p.push(root(&leaves[k..]));
                p
            } else {
                let mut p = path(&leaves[k..], i - k);
                p.push(root(&leaves[..k]));
                p
            }
        }
        (root(&self.leaves), path(&self.leaves, index))
    }

    fn log_entry(&mut self, body: &[u8], kind: &str, at: i64) -> Result<serde_json::Value, Error> {
        // Two unrelated leaves before ours, so proofs have a path.
        if self.leaves.is_empty() {
            self.leaves.push(leaf_hash(b"relkit test log genesis 0"));
            self.leaves.push(leaf_hash(b"relkit test log genesis 1"));
        }
        let index = self.leaves.len();
        self.leaves.push(leaf_hash(body));
        let (root, proof) = self.root_and_proof(index);
        let size = self.leaves.len();
        let log_id = Sha256::digest(spki_der(&self.log_key)?).to_vec();
        let entry = crate::bundle::TlogEntry {
            log_index: index as u64,
            log_id: log_id.clone(),
            kind: kind.to_owned(),
            version: "0.0.1".to_owned(),
            integrated_time: at,
            signed_entry_timestamp: None,
            inclusion_proof: None,
            body: body.to_vec(),
        };
        let set = sign(&self.log_key, &set_payload(&entry));
        let note = format!("{LOG_HOST} - 1\n{size}\n{}\n", b64_encode(&root));
        let mut hint_sig = Sha256::digest(spki_der(&self.log_key)?)[..4].to_vec();
        hint_sig.extend_from_slice(&sign(&self.log_key, note.as_bytes()));
        let checkpoint = format!("{note}\n\u{2014} {LOG_HOST} {}\n", b64_encode(&hint_sig));
        Ok(serde_json::json!({
            "logIndex": index.to_string(),
            "logId": {"keyId": b64_encode(&log_id)},
            "kindVersion": {"kind": kind, "version": "0.0.1"},
            "integratedTime": at.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": b64_encode(&set)},
            "inclusionProof": {
                "logIndex": index.to_string(),
                "rootHash": b64_encode(&root),
                "treeSize": size.to_string(),
                "hashes": proof.iter().map(|h| b64_encode(h)).collect::<Vec<_>>(),
                "checkpoint": {"envelope": checkpoint},
            },
            "canonicalizedBody": b64_encode(body),
        }))
    }

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
            .map_err(|e| err(ErrorKind::BundleMalformed, "body").with_source(e))?;
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
        serde_json::to_string(&b)
            .map_err(|e| err(ErrorKind::BundleMalformed, "bundle").with_source(e))
    }

    /// Sign `artifact` as `id`: a v0.3 bundle with a message signature, a hashedrekord entry
    /// (SET, inclusion proof, checkpoint) and an RFC 3161 timestamp.
    pub fn sign_blob(&mut self, artifact: &[u8], id: &TestIdentity) -> Result<String, Error> {
        let (cert, k) = self.issue(id)?;
        let digest = Sha256::digest(artifact);
        let sig: DerSignature = ecdsa::signature::hazmat::PrehashSigner::sign_prehash(&k, &digest)
            .map_err(|_| err(ErrorKind::SignatureInvalid, "test stack: cannot sign"))?;
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
                crate::ErrorKind::StatementMalformed,
                format!("statement: {e}"),
            )
        })?;
        let bundle: serde_json::Value = serde_json::from_str(&self.sign_statement(&statement, id)?)
            .map_err(|e| {
                crate::error::err(crate::ErrorKind::BundleMalformed, format!("bundle: {e}"))
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
