//! ECDSA verification with precomputed fixed-base tables for long-lived keys.
//!
//! The keys of a trust root (Fulcio CA, log, CT log, TSA) verify many signatures. For them, and
//! for each curve's generator, a 4-bit comb table (`rows[i][j] = j·16^i·P`) turns `u·P` into one
//! table addition per nibble, with no doublings. The arithmetic is the curve crates' own
//! (complete projective formulas); the equation and the checks are exactly
//! `ecdsa::hazmat::verify_prehashed`'s, and a test compares both on random and corrupted
//! signatures. Verification handles only public data, so variable time is fine.

use std::sync::OnceLock;

use ecdsa::elliptic_curve::group::{Curve as _, Group as _};
use ecdsa::elliptic_curve::ops::{Invert as _, Reduce};
use ecdsa::elliptic_curve::point::AffineCoordinates as _;
use ecdsa::elliptic_curve::{
    CurveArithmetic, FieldBytes, NonZeroScalar, PrimeCurve, PrimeField as _,
};

/// A comb table for one point.
pub(crate) struct Comb<C: CurveArithmetic> {
    rows: Vec<[C::ProjectivePoint; 16]>,
}

impl<C: CurveArithmetic> Comb<C> {
    pub(crate) fn new(p: C::ProjectivePoint) -> Self {
        let nibbles = FieldBytes::<C>::default().len() * 2;
        let mut rows = Vec::with_capacity(nibbles);
        let mut base = p;
        for _ in 0..nibbles {
            let mut row = [C::ProjectivePoint::identity(); 16];
            for j in 1..16 {
                row[j] = row[j - 1] + base;
            }
            base = row[15] + base;
            rows.push(row);
        }
        Comb { rows }
    }

    fn mul(&self, k: &C::Scalar) -> C::ProjectivePoint {
        let repr = k.to_repr();
        let mut acc = C::ProjectivePoint::identity();
        for (i, byte) in repr.as_ref().iter().rev().enumerate() {
            acc += self.rows[2 * i][usize::from(byte & 15)];
            acc += self.rows[2 * i + 1][usize::from(byte >> 4)];
        }
        acc
    }
}

/// `ecdsa::hazmat::verify_prehashed` with `u1·G + u2·Q` computed from comb tables.
pub(crate) fn verify<C>(
    g: &Comb<C>,
    q: &Comb<C>,
    digest: &[u8],
    r: NonZeroScalar<C>,
    s: NonZeroScalar<C>,
) -> bool
where
    C: PrimeCurve + CurveArithmetic,
{
    let Ok(z) = ecdsa::hazmat::bits2field::<C>(digest) else {
        return false;
    };
    let z = <C::Scalar as Reduce<C::Uint>>::reduce_bytes(&z);
    let s_inv = *s.invert_vartime();
    let u1 = z * s_inv;
    let u2 = *r * s_inv;
    let x = (g.mul(&u1) + q.mul(&u2)).to_affine().x();
    *r == <C::Scalar as Reduce<C::Uint>>::reduce_bytes(&x)
}

/// The generator tables, built once per process.
pub(crate) fn p256_generator() -> &'static Comb<p256::NistP256> {
    static G: OnceLock<Comb<p256::NistP256>> = OnceLock::new();
    G.get_or_init(|| Comb::new(p256::ProjectivePoint::GENERATOR))
}

/// The generator tables, built once per process.
pub(crate) fn p384_generator() -> &'static Comb<p384::NistP384> {
    static G: OnceLock<Comb<p384::NistP384>> = OnceLock::new();
    G.get_or_init(|| Comb::new(p384::ProjectivePoint::GENERATOR))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use sha2::{Digest as _, Sha256, Sha384};

    #[test]
    fn comb_verification_matches_the_ecdsa_crate() {
        for seed in 1u8..=12 {
            let sk = p256::ecdsa::SigningKey::from_slice(&Sha256::digest([seed; 7])).unwrap();
            let vk = *sk.verifying_key();
            let q = Comb::<p256::NistP256>::new(vk.as_affine().into());
            for m in 0u8..6 {
                let d = Sha256::digest([seed, m]);
                let sig: p256::ecdsa::Signature = sk.sign_prehash(&d).unwrap();
                let (r, s) = sig.split_scalars();
                assert!(verify(p256_generator(), &q, &d, r, s));
                assert!(vk.verify_prehash(&d, &sig).is_ok());
                let other = Sha256::digest([seed, m, 1]);
                assert_eq!(
                    verify(p256_generator(), &q, &other, r, s),
                    vk.verify_prehash(&other, &sig).is_ok()
                );
                assert!(!verify(p256_generator(), &q, &other, r, s));
                assert!(!verify(p256_generator(), &q, &d, s, r));
            }
            let sk = p384::ecdsa::SigningKey::from_slice(&Sha384::digest([seed; 9])).unwrap();
            let vk = *sk.verifying_key();
            let q = Comb::<p384::NistP384>::new(vk.as_affine().into());
            for m in 0u8..4 {
                let d = Sha384::digest([seed, m]);
                let sig: p384::ecdsa::Signature = sk.sign_prehash(&d).unwrap();
                let (r, s) = sig.split_scalars();
                assert!(verify(p384_generator(), &q, &d, r, s));
                let short = Sha256::digest([seed, m]);
                assert_eq!(
                    verify(p384_generator(), &q, &short, r, s),
                    vk.verify_prehash(&short, &sig).is_ok()
                );
                assert!(!verify(
                    p384_generator(),
                    &q,
                    &Sha384::digest([m, seed, 0xff]),
                    r,
                    s
                ));
            }
        }
    }
}
