//! The Fulcio-like CA: ten-minute signing certificates with Fulcio extensions and an embedded
//! SCT from the stack's CT log key.

use const_oid::db::rfc5280::{
    ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE, ID_CE_SUBJECT_ALT_NAME, ID_KP_CODE_SIGNING,
};
use der::asn1::{Ia5String, OctetString, Utf8StringRef};
use der::{Decode, Encode};
use p256::ecdsa::SigningKey;
use sha2::{Digest as _, Sha256};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;
use x509_cert::{Certificate, TbsCertificate};

use super::certs::{
    aki, der_ext, ecdsa_alg, ext, finish_cert, key, sign, ski, spki_der, stack_err, utc,
};
use super::identity::TestIdentity;
use super::stack::TestStack;
use crate::cert::SCT_LIST_OID;
use crate::error::Error;
use crate::extensions::FulcioExtension;

impl TestStack {
    /// Issue a ten-minute signing certificate for `id`; returns (leaf DER, signing key).
    pub(crate) fn issue(&self, id: &TestIdentity) -> Result<(Vec<u8>, SigningKey), Error> {
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
            der_ext(
                ID_CE_EXT_KEY_USAGE,
                false,
                &ExtendedKeyUsage(vec![ID_KP_CODE_SIGNING]),
                "eku",
            )?,
            der_ext(
                ID_CE_SUBJECT_ALT_NAME,
                true,
                &SubjectAltName(vec![san]),
                "san",
            )?,
            ext(
                FulcioExtension::IssuerV1.object_id(),
                false,
                id.issuer.as_bytes().to_vec(),
            )?,
            der_ext(
                FulcioExtension::Issuer.object_id(),
                false,
                &Utf8StringRef::new(&id.issuer).map_err(stack_err("issuer"))?,
                "issuer",
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
            exts.push(ext(e.object_id(), false, value)?);
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
}
