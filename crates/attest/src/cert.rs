//! X.509 certificates: decoding, the signing certificate's claims, chain signatures.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::{
    ID_CE_BASIC_CONSTRAINTS, ID_CE_EXT_KEY_USAGE, ID_CE_SUBJECT_ALT_NAME, ID_KP_CODE_SIGNING,
};
use der::{Decode, Encode, Reader, SliceReader};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, SubjectAltName};

use crate::crypto::PublicKey;
use crate::error::{CertificateError, Error, IdentityError, err};
use crate::extensions::{self, ExtensionValues, FulcioExtension};

/// OID of the embedded SCT list extension (RFC 6962).
pub(crate) const SCT_LIST_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
const FULCIO_OTHERNAME_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

/// A decoded certificate with the pieces verification needs, kept with its exact bytes.
#[derive(Clone, Debug)]
pub(crate) struct Cert {
    pub(crate) der: Vec<u8>,
    pub(crate) tbs_der: Vec<u8>,
    pub(crate) sig_alg: ObjectIdentifier,
    pub(crate) signature: Vec<u8>,
    pub(crate) cert: Certificate,
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
    pub(crate) public_key: Option<PublicKey>,
    pub(crate) spki_der: Vec<u8>,
    pub(crate) issuer_der: Vec<u8>,
    pub(crate) subject_der: Vec<u8>,
}

fn unix(t: x509_cert::time::Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

impl Cert {
    pub(crate) fn from_der(bytes: &[u8]) -> Result<Cert, Error> {
        let bad = |e: der::Error| {
            err(CertificateError::Malformed, "certificate is not DER X.509").with_source(e)
        };
        let cert = Certificate::from_der(bytes).map_err(bad)?;
        // Take the exact TBS bytes for signature checks (no re-encoding).
        let mut reader = SliceReader::new(bytes).map_err(bad)?;
        let tbs_der = reader
            .sequence(|r| {
                let tbs = r.tlv_bytes()?;
                r.tlv_bytes()?;
                r.tlv_bytes()?;
                Ok(tbs.to_vec())
            })
            .map_err(bad)?;
        let spki_der = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(bad)?;
        let public_key = PublicKey::from_spki_der(&spki_der).ok();
        let issuer_der = cert.tbs_certificate.issuer.to_der().map_err(bad)?;
        let subject_der = cert.tbs_certificate.subject.to_der().map_err(bad)?;
        Ok(Cert {
            der: bytes.to_vec(),
            tbs_der,
            sig_alg: cert.signature_algorithm.oid,
            signature: cert.signature.raw_bytes().to_vec(),
            not_before: unix(cert.tbs_certificate.validity.not_before),
            not_after: unix(cert.tbs_certificate.validity.not_after),
            public_key,
            spki_der,
            issuer_der,
            subject_der,
            cert,
        })
    }

    /// Whether `issuer` signed this certificate (names chain and signature verifies).
    pub(crate) fn is_signed_by(&self, issuer: &Cert) -> bool {
        self.issuer_der == issuer.subject_der
            && issuer
                .public_key
                .as_ref()
                .is_some_and(|k| k.verify_with_oid(&self.sig_alg, &self.tbs_der, &self.signature))
    }

    pub(crate) fn is_self_signed(&self) -> bool {
        self.is_signed_by(self)
    }

    pub(crate) fn valid_at(&self, t: i64) -> bool {
        self.not_before <= t && t <= self.not_after
    }

    fn extension(&self, oid: &ObjectIdentifier) -> Option<&[u8]> {
        self.cert
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id == *oid)
            .map(|e| e.extn_value.as_bytes())
    }

    pub(crate) fn is_ca(&self) -> bool {
        self.extension(&ID_CE_BASIC_CONSTRAINTS)
            .and_then(|v| BasicConstraints::from_der(v).ok())
            .is_some_and(|b| b.ca)
    }

    pub(crate) fn has_code_signing_eku(&self) -> bool {
        self.extension(&ID_CE_EXT_KEY_USAGE)
            .and_then(|v| ExtendedKeyUsage::from_der(v).ok())
            .is_some_and(|eku| eku.0.contains(&ID_KP_CODE_SIGNING))
    }

    pub(crate) fn sct_list(&self) -> Option<&[u8]> {
        self.extension(&SCT_LIST_OID)
    }

    /// Subject alternative names: URIs, e-mail addresses and Fulcio username other-names.
    pub(crate) fn sans(&self) -> Result<Vec<String>, Error> {
        let Some(raw) = self.extension(&ID_CE_SUBJECT_ALT_NAME) else {
            return Ok(Vec::new());
        };
        let names = SubjectAltName::from_der(raw).map_err(|e| {
            err(CertificateError::Malformed, "subjectAltName is not DER").with_source(e)
        })?;
        let mut out = Vec::new();
        for n in names.0 {
            match n {
                GeneralName::UniformResourceIdentifier(s) | GeneralName::Rfc822Name(s) => {
                    out.push(s.as_str().to_owned());
                }
                GeneralName::OtherName(o) if o.type_id == FULCIO_OTHERNAME_OID => {
                    if let Ok(s) = o.value.decode_as::<der::asn1::Utf8StringRef<'_>>() {
                        out.push(s.as_str().to_owned());
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Every Fulcio extension value, legacy and v2, cross-checked.
    pub(crate) fn fulcio_extensions(&self) -> Result<ExtensionValues, Error> {
        let mut out = ExtensionValues::new();
        if let Some(exts) = &self.cert.tbs_certificate.extensions {
            for e in exts {
                if let Some(f) = FulcioExtension::from_object_id(&e.extn_id) {
                    let v = extensions::decode_value(f, e.extn_value.as_bytes())?;
                    if out.insert(f, v).is_some() {
                        return Err(err(
                            IdentityError::ExtensionConflict,
                            format!("extension {f} appears twice"),
                        ));
                    }
                }
            }
        }
        extensions::cross_check(&out)?;
        Ok(out)
    }

    /// The OIDC issuer: v2 (.8) when present, else legacy (.1).
    pub(crate) fn issuer_claim(exts: &ExtensionValues) -> Option<&str> {
        exts.get(&FulcioExtension::Issuer)
            .or_else(|| exts.get(&FulcioExtension::IssuerV1))
            .map(String::as_str)
    }
}

/// The identity claims of a DER certificate, decoded without verifying anything: its SANs and
/// every Fulcio extension (legacy and v2 cross-checked).
pub fn certificate_claims(der_bytes: &[u8]) -> Result<(Vec<String>, ExtensionValues), Error> {
    let c = Cert::from_der(der_bytes)?;
    Ok((c.sans()?, c.fulcio_extensions()?))
}
