//! Public keys and signature verification (ECDSA P-256/P-384, Ed25519).

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, ID_EC_PUBLIC_KEY, SECP_256_R_1,
    SECP_384_R_1,
};
use std::sync::Arc;

use der::Decode;
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use spki::SubjectPublicKeyInfoRef;

use crate::error::{CertificateError, Error, err};

const ED25519_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");

/// A hash used by a signature scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha384 => Sha384::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// The hash named by an X.509 / CMS signature algorithm OID.
    pub(crate) fn from_sig_oid(oid: &ObjectIdentifier) -> Option<Hash> {
        if *oid == ECDSA_WITH_SHA_256 || *oid == SHA256_WITH_RSA {
            Some(Hash::Sha256)
        } else if *oid == ECDSA_WITH_SHA_384 || *oid == SHA384_WITH_RSA {
            Some(Hash::Sha384)
        } else if *oid == ECDSA_WITH_SHA_512 || *oid == SHA512_WITH_RSA {
            Some(Hash::Sha512)
        } else {
            None
        }
    }

    /// The hash named by a digest algorithm OID.
    pub(crate) fn from_digest_oid(oid: &ObjectIdentifier) -> Option<Hash> {
        use const_oid::db::rfc5912::{ID_SHA_256, ID_SHA_384, ID_SHA_512};
        if *oid == ID_SHA_256 {
            Some(Hash::Sha256)
        } else if *oid == ID_SHA_384 {
            Some(Hash::Sha384)
        } else if *oid == ID_SHA_512 {
            Some(Hash::Sha512)
        } else {
            None
        }
    }
}

#[derive(Clone, Debug)]
enum KeyInner {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(Box<rsa::RsaPublicKey>),
}

/// Per-key comb tables, shared by clones (a trust-root key verifies many signatures; a fresh
/// leaf key verifies one and never gets a table).
#[derive(Default)]
struct FastState {
    p256: crate::fastverify::Tables<p256::NistP256>,
    p384: crate::fastverify::Tables<p384::NistP384>,
}

impl std::fmt::Debug for FastState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FastState")
    }
}

/// A verification key: ECDSA P-256, ECDSA P-384, Ed25519 or RSA (PKCS#1 v1.5, >= 2048 bits),
/// parsed from a DER `SubjectPublicKeyInfo` or PEM.
#[derive(Clone, Debug)]
pub struct PublicKey {
    inner: KeyInner,
    spki_der: Vec<u8>,
    fast: Arc<FastState>,
}

impl PartialEq for PublicKey {
    // Keys are equal when their SPKI bytes are; the cached table is not part of the value.
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}
impl Eq for PublicKey {}

impl PublicKey {
    /// Parse a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der_bytes: &[u8]) -> Result<Self, Error> {
        let spki = SubjectPublicKeyInfoRef::from_der(der_bytes).map_err(|e| {
            err(
                CertificateError::KeyUnsupported,
                "public key is not a DER SubjectPublicKeyInfo",
            )
            .with_source(e)
        })?;
        let key_bytes = spki.subject_public_key.raw_bytes();
        let inner = if spki.algorithm.oid == ID_EC_PUBLIC_KEY {
            let curve: ObjectIdentifier = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as().ok())
                .ok_or_else(|| {
                    err(
                        CertificateError::KeyUnsupported,
                        "EC key without a named curve",
                    )
                })?;
            if curve == SECP_256_R_1 {
                KeyInner::P256(
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes).map_err(|e| {
                        err(CertificateError::KeyUnsupported, "bad P-256 point").with_source(e)
                    })?,
                )
            } else if curve == SECP_384_R_1 {
                KeyInner::P384(
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes).map_err(|e| {
                        err(CertificateError::KeyUnsupported, "bad P-384 point").with_source(e)
                    })?,
                )
            } else {
                return Err(err(
                    CertificateError::KeyUnsupported,
                    format!("unsupported EC curve {curve}"),
                ));
            }
        } else if spki.algorithm.oid == RSA_ENCRYPTION {
            use rsa::pkcs1::DecodeRsaPublicKey;
            use rsa::traits::PublicKeyParts;
            let k = rsa::RsaPublicKey::from_pkcs1_der(key_bytes).map_err(|e| {
                err(CertificateError::KeyUnsupported, "bad RSA public key").with_source(e)
            })?;
            if k.size() < 256 {
                return Err(err(
                    CertificateError::KeyUnsupported,
                    "RSA keys under 2048 bits are refused",
                ));
            }
            KeyInner::Rsa(Box::new(k))
        } else if spki.algorithm.oid == ED25519_OID {
            let raw: [u8; 32] = key_bytes.try_into().map_err(|_| {
                err(
                    CertificateError::KeyUnsupported,
                    "Ed25519 key is not 32 bytes",
                )
            })?;
            KeyInner::Ed25519(ed25519_dalek::VerifyingKey::from_bytes(&raw).map_err(|e| {
                err(CertificateError::KeyUnsupported, "bad Ed25519 key").with_source(e)
            })?)
        } else {
            return Err(err(
                CertificateError::KeyUnsupported,
                format!("unsupported public key algorithm {}", spki.algorithm.oid),
            ));
        };
        Ok(PublicKey {
            inner,
            spki_der: der_bytes.to_vec(),
            fast: Arc::new(FastState::default()),
        })
    }

    /// Parse a PKCS#1 `RSAPublicKey` (the trust root's `PKCS1_RSA_PKCS1V5` encoding).
    pub fn from_pkcs1_der(der_bytes: &[u8]) -> Result<Self, Error> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::pkcs8::EncodePublicKey;
        let k = rsa::RsaPublicKey::from_pkcs1_der(der_bytes).map_err(|e| {
            err(
                CertificateError::KeyUnsupported,
                "bad PKCS#1 RSA public key",
            )
            .with_source(e)
        })?;
        let spki = k.to_public_key_der().map_err(|e| {
            err(CertificateError::KeyUnsupported, "cannot encode RSA key").with_source(e)
        })?;
        Self::from_spki_der(spki.as_bytes())
    }

    /// Parse a PEM `PUBLIC KEY` block.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let der_bytes =
            crate::encoding::pem_decode(CertificateError::KeyUnsupported, "public key", pem)?;
        Self::from_spki_der(&der_bytes)
    }

    /// The DER `SubjectPublicKeyInfo`.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// SHA-256 of the DER `SubjectPublicKeyInfo` (the Rekor / CT log id of a log key).
    pub fn key_id(&self) -> [u8; 32] {
        Sha256::digest(&self.spki_der).into()
    }

    /// Algorithm name for reports (`ecdsa-p256`, `ecdsa-p384`, `ed25519`).
    pub fn algorithm(&self) -> &'static str {
        match self.inner {
            KeyInner::P256(_) => "ecdsa-p256",
            KeyInner::P384(_) => "ecdsa-p384",
            KeyInner::Ed25519(_) => "ed25519",
            KeyInner::Rsa(_) => "rsa-pkcs1v15",
        }
    }

    pub(crate) fn is_ed25519(&self) -> bool {
        matches!(self.inner, KeyInner::Ed25519(_))
    }

    /// Raw Ed25519 key bytes (for signed-note key hints).
    pub(crate) fn ed25519_raw(&self) -> Option<[u8; 32]> {
        match &self.inner {
            KeyInner::Ed25519(k) => Some(k.to_bytes()),
            _ => None,
        }
    }

    /// Verify `sig` over `msg`, hashing with `hash` for ECDSA (Ed25519 signs the message).
    pub(crate) fn verify(&self, hash: Hash, msg: &[u8], sig: &[u8]) -> bool {
        match &self.inner {
            KeyInner::Ed25519(k) => ed25519_dalek::Signature::from_slice(sig)
                .map(|s| k.verify_strict(msg, &s).is_ok())
                .unwrap_or(false),
            KeyInner::Rsa(k) => {
                let scheme = match hash {
                    Hash::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
                    Hash::Sha384 => rsa::Pkcs1v15Sign::new::<Sha384>(),
                    Hash::Sha512 => rsa::Pkcs1v15Sign::new::<Sha512>(),
                };
                k.verify(scheme, &hash.digest(msg), sig).is_ok()
            }
            _ => self.verify_prehash(&hash.digest(msg), sig),
        }
    }

    /// Verify an ECDSA DER signature over a precomputed digest. Ed25519 cannot (returns false).
    pub(crate) fn verify_prehash(&self, digest: &[u8], sig: &[u8]) -> bool {
        match &self.inner {
            KeyInner::P256(k) => {
                let Ok(sig) = p256::ecdsa::Signature::from_der(sig) else {
                    return false;
                };
                let (r, s) = sig.split_scalars();
                crate::fastverify::verify_fast(&self.fast.p256, k.as_affine().into(), digest, r, s)
            }
            KeyInner::P384(k) => {
                let Ok(sig) = p384::ecdsa::Signature::from_der(sig) else {
                    return false;
                };
                let (r, s) = sig.split_scalars();
                crate::fastverify::verify_fast(&self.fast.p384, k.as_affine().into(), digest, r, s)
            }
            KeyInner::Rsa(k) if digest.len() == 32 => k
                .verify(rsa::Pkcs1v15Sign::new::<Sha256>(), digest, sig)
                .is_ok(),
            KeyInner::Ed25519(_) | KeyInner::Rsa(_) => false,
        }
    }

    /// Verify an X.509-style signature whose algorithm is named by `alg` (ECDSA with SHA-2 or
    /// Ed25519) over `msg`.
    pub(crate) fn verify_with_oid(&self, alg: &ObjectIdentifier, msg: &[u8], sig: &[u8]) -> bool {
        if *alg == ED25519_OID {
            return self.is_ed25519() && self.verify(Hash::Sha256, msg, sig);
        }
        match Hash::from_sig_oid(alg) {
            Some(h) if !self.is_ed25519() => self.verify(h, msg, sig),
            _ => false,
        }
    }
}
