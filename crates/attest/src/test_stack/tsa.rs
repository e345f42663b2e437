//! The RFC 3161 TSA: timestamp tokens over signatures, wrapped in a `TimeStampResp`.

use std::time::Duration;

use cms::cert::IssuerAndSerialNumber;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911::{ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNED_DATA};
use const_oid::db::rfc5912::ID_SHA_256;
use der::asn1::{Any, GeneralizedTime, OctetString, SetOfVec};
use der::{Decode, Encode, Sequence};
use sha2::{Digest as _, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;

use super::certs::{ecdsa_alg, sign, stack_err};
use super::stack::TestStack;
use crate::error::{CertificateError, Error, err};

const ID_CT_TSTINFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const TEST_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.99.1");

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

impl TestStack {
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
            .ok_or_else(|| err(CertificateError::Missing, "test stack: no TSA"))?;
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
}
