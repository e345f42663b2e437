//! Key derivation and X.509 building blocks: seeded keys, SPKI, signatures, extensions and
//! [`CertSpec`] for the stack's CA and TSA certificates.

use std::str::FromStr;
use std::time::Duration;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_BASIC_CONSTRAINTS, ID_CE_KEY_USAGE,
    ID_CE_SUBJECT_KEY_IDENTIFIER,
};
use const_oid::db::rfc5912::ECDSA_WITH_SHA_256;
use der::asn1::{Any, OctetString, UtcTime};
use der::{Decode, Encode};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use sha2::{Digest as _, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, BasicConstraints};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate};

use crate::encoding::b64_encode;
use crate::error::{CertificateError, Error, PolicyError, err};

pub(super) fn stack_err(what: &str) -> impl Fn(der::Error) -> Error + '_ {
    move |e| err(CertificateError::Malformed, format!("test stack: {what}")).with_source(e)
}

pub(super) fn key(seed: &[u8; 32], label: &str) -> SigningKey {
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

pub(super) fn spki_der(k: &SigningKey) -> Result<Vec<u8>, Error> {
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

pub(super) fn sign(k: &SigningKey, msg: &[u8]) -> Vec<u8> {
    let sig: DerSignature = k.sign(msg);
    sig.as_bytes().to_vec()
}

pub(super) fn utc(t: i64) -> Result<Time, Error> {
    let d = Duration::from_secs(
        u64::try_from(t).map_err(|_| err(PolicyError::Invalid, "negative time"))?,
    );
    Ok(Time::UtcTime(
        UtcTime::from_unix_duration(d).map_err(stack_err("time"))?,
    ))
}

pub(super) fn ext(
    oid: ObjectIdentifier,
    critical: bool,
    value: Vec<u8>,
) -> Result<Extension, Error> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value).map_err(stack_err("extension"))?,
    })
}

/// An extension whose value is `value` DER-encoded (`what` names it in errors).
pub(super) fn der_ext(
    oid: ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
    what: &str,
) -> Result<Extension, Error> {
    ext(oid, critical, value.to_der().map_err(stack_err(what))?)
}

pub(super) fn ecdsa_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ECDSA_WITH_SHA_256,
        parameters: None,
    }
}

pub(super) fn finish_cert(tbs: TbsCertificate, issuer: &SigningKey) -> Result<Vec<u8>, Error> {
    let tbs_der = tbs.to_der().map_err(stack_err("tbs"))?;
    let sig = sign(issuer, &tbs_der);
    let cert = Certificate {
        tbs_certificate: tbs,
        signature_algorithm: ecdsa_alg(),
        signature: der::asn1::BitString::from_bytes(&sig).map_err(stack_err("signature"))?,
    };
    cert.to_der().map_err(stack_err("certificate"))
}

pub(super) fn pem(label: &str, der_bytes: &[u8]) -> String {
    let b = b64_encode(der_bytes);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// RFC 7093 method 1: the leftmost 160 bits of SHA-256 over the subjectPublicKey bits.
fn key_identifier(k: &SigningKey) -> Vec<u8> {
    let point = k.verifying_key().to_encoded_point(false);
    Sha256::digest(point.as_bytes())[..20].to_vec()
}

pub(super) fn ski(k: &SigningKey) -> Result<Extension, Error> {
    der_ext(
        ID_CE_SUBJECT_KEY_IDENTIFIER,
        false,
        &OctetString::new(key_identifier(k)).map_err(stack_err("ski"))?,
        "ski",
    )
}

pub(super) fn aki(issuer: &SigningKey) -> Result<Extension, Error> {
    der_ext(
        ID_CE_AUTHORITY_KEY_IDENTIFIER,
        false,
        &AuthorityKeyIdentifier {
            key_identifier: Some(
                OctetString::new(key_identifier(issuer)).map_err(stack_err("aki"))?,
            ),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        },
        "aki",
    )
}

/// A CA or TSA certificate of the stack: subject/issuer names, validity, `ca` = path length
/// of a CA (None for an end entity); SKI always, AKI when issued by another key.
pub(super) struct CertSpec<'a> {
    pub(super) subject: &'a str,
    pub(super) issuer: &'a str,
    pub(super) serial: &'a [u8],
    pub(super) validity: (i64, i64),
    pub(super) ca: Option<u8>,
    pub(super) extensions: Vec<Extension>,
}

impl<'a> CertSpec<'a> {
    /// A CA certificate (no extensions of its own), `path_len` CAs allowed below it.
    pub(super) fn ca(
        subject: &'a str,
        issuer: &'a str,
        serial: &'a [u8],
        validity: (i64, i64),
        path_len: u8,
    ) -> Self {
        CertSpec {
            subject,
            issuer,
            serial,
            validity,
            ca: Some(path_len),
            extensions: vec![],
        }
    }

    pub(super) fn issue(
        self,
        subject_key: &SigningKey,
        issuer_key: &SigningKey,
    ) -> Result<Vec<u8>, Error> {
        let mut exts = vec![ski(subject_key)?];
        if self.subject != self.issuer {
            exts.push(aki(issuer_key)?);
        }
        if let Some(path_len) = self.ca {
            exts.push(der_ext(
                ID_CE_BASIC_CONSTRAINTS,
                true,
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(path_len),
                },
                "bc",
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
