//! ECDSA verification with precomputed fixed-base tables for long-lived keys.
//!
//! The keys of a trust root (Fulcio CA, log, CT log, TSA) verify many signatures. For them, and
//! for each curve's generator, a comb table (`rows[i][j] = j·2^(w·i)·P`, window `w` = 4 bits,
//! or 8 bits once a point has been used many times) turns `u·P` into one table addition per
//! window, with no doublings. The arithmetic is the curve crates' own
//! (complete projective formulas); the equation and the checks are exactly
//! `ecdsa::hazmat::verify_prehashed`'s, and a test compares both on random and corrupted
//! signatures. Verification handles only public data, so variable time is fine.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use ecdsa::elliptic_curve::group::{Curve as _, Group as _};
use ecdsa::elliptic_curve::ops::{Invert as _, Reduce};
use ecdsa::elliptic_curve::point::AffineCoordinates as _;
use ecdsa::elliptic_curve::{
    CurveArithmetic, FieldBytes, NonZeroScalar, PrimeCurve, PrimeField as _,
};

/// Uses after which a point's 4-bit table is replaced by an 8-bit one (16x larger, half the
/// additions); below that the larger table would cost more to build than it saves.
pub(crate) const WIDE_AFTER: u32 = 64;

/// A comb table for one point.
pub(crate) struct Comb<C: CurveArithmetic> {
    wide: bool,
    rows: Vec<Vec<C::ProjectivePoint>>,
}

impl<C: CurveArithmetic> Comb<C> {
    /// A table with 4-bit (`wide == false`) or 8-bit windows.
    pub(crate) fn new(p: C::ProjectivePoint, wide: bool) -> Self {
        let bits = if wide { 8 } else { 4 };
        let windows = FieldBytes::<C>::default().len() * 8 / bits;
        let mut rows = Vec::with_capacity(windows);
        let mut base = p;
        for _ in 0..windows {
            let mut row = Vec::with_capacity(1 << bits);
            row.push(C::ProjectivePoint::identity());
            for j in 1..(1usize << bits) {
                let next = row[j - 1] + base;
                row.push(next);
            }
            base = row[(1 << bits) - 1] + base;
            rows.push(row);
        }
        Comb { wide, rows }
    }

    fn mul(&self, k: &C::Scalar) -> C::ProjectivePoint {
        let repr = k.to_repr();
        let mut acc = C::ProjectivePoint::identity();
        for (i, byte) in repr.as_ref().iter().rev().enumerate() {
            if self.wide {
                acc += self.rows[i][usize::from(*byte)];
            } else {
                acc += self.rows[2 * i][usize::from(byte & 15)];
                acc += self.rows[2 * i + 1][usize::from(byte >> 4)];
            }
        }
        acc
    }
}

/// A point's tables: none for its first use, 4-bit from the second, 8-bit after
/// [`WIDE_AFTER`] uses.
#[derive(Default)]
pub(crate) struct Tables<C: CurveArithmetic> {
    uses: AtomicU32,
    narrow: OnceLock<Comb<C>>,
    wide: OnceLock<Comb<C>>,
}

impl<C: CurveArithmetic> Tables<C> {
    pub(crate) const fn new() -> Self {
        Tables {
            uses: AtomicU32::new(0),
            narrow: OnceLock::new(),
            wide: OnceLock::new(),
        }
    }

    /// The best table for `p` at this use count, building it when due; `None` on the first
    /// use unless `eager`.
    pub(crate) fn get(
        &self,
        p: impl FnOnce() -> C::ProjectivePoint,
        eager: bool,
    ) -> Option<&Comb<C>> {
        if let Some(t) = self.wide.get() {
            return Some(t);
        }
        let n = self.uses.fetch_add(1, Ordering::Relaxed);
        if n >= WIDE_AFTER {
            return Some(self.wide.get_or_init(|| Comb::new(p(), true)));
        }
        if n >= 1 || eager {
            return Some(self.narrow.get_or_init(|| Comb::new(p(), false)));
        }
        None
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

/// Verify with `q`'s tables and the generator's once `q` has a table; `None` means "use the
/// plain path" (first use of a key).
pub(crate) fn verify_p256(
    q: &Tables<p256::NistP256>,
    qp: p256::ProjectivePoint,
    digest: &[u8],
    r: NonZeroScalar<p256::NistP256>,
    s: NonZeroScalar<p256::NistP256>,
) -> Option<bool> {
    static G: Tables<p256::NistP256> = Tables::new();
    let qt = q.get(|| qp, false)?;
    let gt = G.get(|| p256::ProjectivePoint::GENERATOR, true)?;
    Some(verify(gt, qt, digest, r, s))
}

/// P-384 counterpart of [`verify_p256`].
pub(crate) fn verify_p384(
    q: &Tables<p384::NistP384>,
    qp: p384::ProjectivePoint,
    digest: &[u8],
    r: NonZeroScalar<p384::NistP384>,
    s: NonZeroScalar<p384::NistP384>,
) -> Option<bool> {
    static G: Tables<p384::NistP384> = Tables::new();
    let qt = q.get(|| qp, false)?;
    let gt = G.get(|| p384::ProjectivePoint::GENERATOR, true)?;
    Some(verify(gt, qt, digest, r, s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use sha2::{Digest as _, Sha256, Sha384};

    #[test]
    fn comb_verification_matches_the_ecdsa_crate() {
        for seed in 1u8..=6 {
            let sk = p256::ecdsa::SigningKey::from_slice(&Sha256::digest([seed; 7])).unwrap();
            let vk = *sk.verifying_key();
            let q = Comb::<p256::NistP256>::new(vk.as_affine().into(), seed % 2 == 0);
            let g = Comb::<p256::NistP256>::new(p256::ProjectivePoint::GENERATOR, seed % 3 == 0);
            for m in 0u8..6 {
                let d = Sha256::digest([seed, m]);
                let sig: p256::ecdsa::Signature = sk.sign_prehash(&d).unwrap();
                let (r, s) = sig.split_scalars();
                assert!(verify(&g, &q, &d, r, s));
                assert!(vk.verify_prehash(&d, &sig).is_ok());
                let other = Sha256::digest([seed, m, 1]);
                assert_eq!(
                    verify(&g, &q, &other, r, s),
                    vk.verify_prehash(&other, &sig).is_ok()
                );
                assert!(!verify(&g, &q, &other, r, s));
                assert!(!verify(&g, &q, &d, s, r));
            }
            let sk = p384::ecdsa::SigningKey::from_slice(&Sha384::digest([seed; 9])).unwrap();
            let vk = *sk.verifying_key();
            let q = Comb::<p384::NistP384>::new(vk.as_affine().into(), seed % 2 == 1);
            let g = Comb::<p384::NistP384>::new(p384::ProjectivePoint::GENERATOR, seed % 3 == 1);
            for m in 0u8..4 {
                let d = Sha384::digest([seed, m]);
                let sig: p384::ecdsa::Signature = sk.sign_prehash(&d).unwrap();
                let (r, s) = sig.split_scalars();
                assert!(verify(&g, &q, &d, r, s));
                let short = Sha256::digest([seed, m]);
                assert_eq!(
                    verify(&g, &q, &short, r, s),
                    vk.verify_prehash(&short, &sig).is_ok()
                );
                assert!(!verify(&g, &q, &Sha384::digest([m, seed, 0xff]), r, s));
            }
        }
    }

    #[test]
    fn tables_grow_with_use_and_keep_verifying() {
        let sk = p256::ecdsa::SigningKey::from_slice(&Sha256::digest(b"tables")).unwrap();
        let q: p256::ProjectivePoint = sk.verifying_key().as_affine().into();
        let t = Tables::<p256::NistP256>::new();
        assert!(t.get(|| q, false).is_none(), "no table on first use");
        let d = Sha256::digest(b"m");
        let sig: p256::ecdsa::Signature = sk.sign_prehash(&d).unwrap();
        let (r, s) = sig.split_scalars();
        let mut results = Vec::new();
        for _ in 0..(WIDE_AFTER + 3) {
            results.push(verify_p256(&t, q, &d, r, s));
        }
        assert!(results.iter().all(|x| *x == Some(true)));
        assert!(t.wide.get().is_some() && t.narrow.get().is_some());
        assert_eq!(
            verify_p256(&t, q, &Sha256::digest(b"other"), r, s),
            Some(false)
        );
    }
}
