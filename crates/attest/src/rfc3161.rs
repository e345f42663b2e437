//! RFC 3161 timestamps (CMS `SignedData` around a `TSTInfo`) against the trust root's TSAs.

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911::{ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNED_DATA};
use der::asn1::OctetString;
use der::{Decode, Encode, Reader, SliceReader, Tag, Tagged};
use spki::AlgorithmIdentifierOwned;

use crate::crypto::Hash;
use crate::encoding::parse_generalized_time;
use crate::error::{Error, TimeError, err, exactly_one};
use crate::trust_root::TrustedRoot;

const ID_CT_TSTINFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

fn bad(detail: impl Into<String>) -> Error {
    err(TimeError::TimestampInvalid, detail)
}

/// The parts of a `TSTInfo` that verification uses.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TstInfo {
    /// The policy OID (dotted).
    pub policy: String,
    /// The message imprint hash algorithm OID (dotted).
    pub hash_algorithm: String,
    /// The message imprint.
    pub hashed_message: Vec<u8>,
    /// The generation time, unix seconds.
    pub gen_time: i64,
}

/// Parse a DER `TSTInfo`.
pub fn parse_tst_info(bytes: &[u8]) -> Result<TstInfo, Error> {
    let e = |x: der::Error| bad("TSTInfo is not valid DER").with_source(x);
    let mut r = SliceReader::new(bytes).map_err(e)?;
    let out = r
        .sequence(|r| {
            let _version: u8 = r.decode()?;
            let policy: ObjectIdentifier = r.decode()?;
            let (alg, hashed) = r.sequence(|r| {
                let alg: AlgorithmIdentifierOwned = r.decode()?;
                let h: OctetString = r.decode()?;
                Ok((alg, h))
            })?;
            let _serial: der::asn1::Int = r.decode()?;
            let gen_tlv = r.tlv_bytes()?;
            while !r.is_finished() {
                r.tlv_bytes()?;
            }
            Ok((policy, alg, hashed, gen_tlv.to_vec()))
        })
        .map_err(e)?;
    if !r.is_finished() {
        return Err(bad("trailing bytes after TSTInfo"));
    }
    let (policy, alg, hashed, gen_tlv) = out;
    let any = der::asn1::AnyRef::from_der(&gen_tlv).map_err(e)?;
    if any.tag() != Tag::GeneralizedTime {
        return Err(bad("TSTInfo genTime is not a GeneralizedTime"));
    }
    let text = std::str::from_utf8(any.value())
        .ok()
        .filter(|t| t.is_ascii())
        .ok_or_else(|| bad("genTime is not ASCII"))?;
    let gen_time = parse_generalized_time(text)
        .ok_or_else(|| bad(format!("genTime {text:?} is malformed")))?;
    Ok(TstInfo {
        policy: policy.to_string(),
        hash_algorithm: alg.oid.to_string(),
        hashed_message: hashed.as_bytes().to_vec(),
        gen_time,
    })
}

/// Extract the `TimeStampToken` (a CMS `ContentInfo`) from a DER `TimeStampResp` whose status
/// is granted (0) or grantedWithMods (1).
///
/// The bundle format stores "the DER encoded TimeStampResponse" (protobuf-specs
/// `sigstore_common.proto`, `RFC3161SignedTimestamp.signed_timestamp`): a bare token is refused,
/// and so are bytes after the response (DER has one encoding; trailing bytes would let two
/// different byte strings carry one timestamp).
fn token_bytes(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let e = |x: der::Error| bad("timestamp is not a DER TimeStampResp").with_source(x);
    let mut peek = SliceReader::new(bytes).map_err(e)?;
    let outer = der::Header::decode(&mut peek).map_err(e)?;
    outer.tag.assert_eq(Tag::Sequence).map_err(e)?;
    // A bare token is a ContentInfo (SEQUENCE starting with an OID); a response starts with
    // the PKIStatusInfo SEQUENCE.
    if peek.peek_header().map_err(e)?.tag == Tag::ObjectIdentifier {
        return Err(bad(
            "signedTimestamp holds a bare TimeStampToken; the bundle format requires a DER \
             TimeStampResp",
        ));
    }
    let mut r = SliceReader::new(bytes).map_err(e)?;
    let (status, token) = r
        .sequence(|r| {
            let status: u8 = r.sequence(|s| {
                let st: u8 = s.decode()?;
                while !s.is_finished() {
                    s.tlv_bytes()?;
                }
                Ok(st)
            })?;
            let token = if r.is_finished() {
                None
            } else {
                Some(r.tlv_bytes()?.to_vec())
            };
            Ok((status, token))
        })
        .map_err(e)?;
    if !r.is_finished() {
        return Err(bad("trailing bytes after the TimeStampResp"));
    }
    match (status, token) {
        (0 | 1, Some(token)) => Ok(token),
        (0 | 1, None) => Err(bad("granted TimeStampResp without a TimeStampToken")),
        (s, _) => Err(bad(format!(
            "timestamp response status is {s}, not granted"
        ))),
    }
}

/// A decoded timestamp: its `SignedData` and the DER of its `TSTInfo`.
struct Decoded {
    signed_data: SignedData,
    tst_der: Vec<u8>,
}

fn decode(bytes: &[u8]) -> Result<Decoded, Error> {
    let token = token_bytes(bytes)?;
    let ci = ContentInfo::from_der(&token)
        .map_err(|e| bad("timestamp token is not a CMS ContentInfo").with_source(e))?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(bad("timestamp token is not SignedData"));
    }
    let signed_data: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| bad("timestamp SignedData is malformed").with_source(e))?;
    if signed_data.encap_content_info.econtent_type != ID_CT_TSTINFO {
        return Err(bad("timestamp content is not a TSTInfo"));
    }
    let econtent = signed_data
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| bad("timestamp has no TSTInfo"))?;
    let tst_der = econtent
        .decode_as::<OctetString>()
        .map_err(|e| bad("TSTInfo is not in an OCTET STRING").with_source(e))?
        .as_bytes()
        .to_vec();
    Ok(Decoded {
        signed_data,
        tst_der,
    })
}

/// The DER `TSTInfo` of a timestamp (checked to parse): what identifies a timestamp. Two
/// responses that wrap one `TSTInfo` (re-encoded, re-wrapped, or signed twice) are one
/// timestamp.
pub(crate) fn tst_info_der(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let d = decode(bytes)?;
    parse_tst_info(&d.tst_der)?;
    Ok(d.tst_der)
}

/// Evidence of a verified RFC 3161 timestamp.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TimestampEvidence {
    /// The timestamp authority's URI from the trust root.
    pub tsa: String,
    /// The generation time, unix seconds.
    pub time: i64,
}

/// Decode an RFC 3161 timestamp (a DER `TimeStampResp`) and return its generation time
/// (unix seconds) **without verifying** it (inspect mode, fuzzing).
pub fn timestamp_time(bytes: &[u8]) -> Result<i64, Error> {
    decode_time(bytes)
}

pub(crate) fn decode_time(bytes: &[u8]) -> Result<i64, Error> {
    Ok(parse_tst_info(&decode(bytes)?.tst_der)?.gen_time)
}

/// Verify one timestamp over `signature` against the trusted TSAs.
pub(crate) fn verify_timestamp(
    bytes: &[u8],
    signature: &[u8],
    root: &TrustedRoot,
) -> Result<TimestampEvidence, Error> {
    let Decoded {
        signed_data: sd,
        tst_der,
    } = decode(bytes)?;
    let tst = parse_tst_info(&tst_der)?;
    let imprint_oid: ObjectIdentifier = tst
        .hash_algorithm
        .parse()
        .map_err(|_| bad("bad imprint OID"))?;
    let imprint_hash = Hash::from_digest_oid(&imprint_oid)
        .ok_or_else(|| bad(format!("unsupported imprint hash {imprint_oid}")))?;
    if imprint_hash.digest(signature) != tst.hashed_message {
        return Err(bad(
            "timestamp message imprint does not match the bundle signature",
        ));
    }
    let si = exactly_one(sd.signer_infos.0.as_slice(), |n| {
        bad(format!("timestamp has {n} signers, expected 1"))
    })?;
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| bad("timestamp signer has no signed attributes"))?;
    let digest_hash = Hash::from_digest_oid(&si.digest_alg.oid)
        .ok_or_else(|| bad("unsupported signer digest"))?;
    let mut md_ok = false;
    let mut ct_ok = false;
    for a in attrs.iter() {
        let Some(v) = a.values.iter().next() else {
            continue;
        };
        if a.oid == ID_MESSAGE_DIGEST {
            md_ok = v
                .decode_as::<OctetString>()
                .is_ok_and(|o| o.as_bytes() == digest_hash.digest(&tst_der).as_slice());
        } else if a.oid == ID_CONTENT_TYPE {
            ct_ok = v
                .decode_as::<ObjectIdentifier>()
                .is_ok_and(|o| o == ID_CT_TSTINFO);
        }
    }
    if !md_ok || !ct_ok {
        return Err(bad("timestamp signed attributes do not bind the TSTInfo"));
    }
    let signed = attrs
        .to_der()
        .map_err(|e| bad("cannot encode signed attributes").with_source(e))?;
    let sig_hash = Hash::from_sig_oid(&si.signature_algorithm.oid).unwrap_or(digest_hash);
    let sig = si.signature.as_bytes();
    for tsa in &root.tsas {
        let Some(leaf) = tsa.chain.first() else {
            continue;
        };
        let Some(key) = &leaf.public_key else {
            continue;
        };
        if !key.verify(sig_hash, &signed, sig) {
            continue;
        }
        if !tsa.valid_for.contains(tst.gen_time) {
            return Err(bad(format!(
                "timestamp time is outside the TSA's validFor {}",
                TrustedRoot::describe_validity(&tsa.valid_for)
            )));
        }
        if tsa.chain.iter().any(|c| !c.valid_at(tst.gen_time)) {
            return Err(bad(
                "timestamp time is outside the TSA certificate chain's validity",
            ));
        }
        return Ok(TimestampEvidence {
            tsa: tsa.uri.clone(),
            time: tst.gen_time,
        });
    }
    Err(bad(
        "timestamp is not signed by any trusted timestamp authority",
    ))
}
