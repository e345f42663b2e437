//! ECDSA verification with precomputed fixed-base tables for long-lived keys.
//!
//! The keys of a trust root (Fulcio CA, log, CT log, TSA) verify many signatures. For them, and
//! for each curve's generator, a comb table (`rows[i][j] = j·2^(w·i)·P`, window `w` = 4 bits,
//! or 8 bits once a point has been used many times) turns `u·P` into one table addition per
//! window, with no doublings. (Affine tables with mixed additions would be cheaper still, but
//! the 0.13 curve crates expose neither projective coordinates nor batch inversion for their
//! field types, and one inversion per table point costs more than it saves.) A key met once (the
//! leaf certificate's) gets no table of its own, but its `u1·G` half still uses the generator's
//! table. P-384 scalars are inverted with crypto-bigint's binary inversion (P-256's crate
//! has a fast one). The arithmetic is the curve crates' own (complete formulas); the equation
//! and the checks are exactly `ecdsa::hazmat::verify_prehashed`'s, and a test compares both on
//! random and corrupted signatures. Verification handles only public data, so variable time is
//! fine.

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
    /// `windows` rows of `2^bits` points, row-major.
    points: Vec<C::ProjectivePoint>,
}

#[allow(
    clippy::indexing_slicing,
    reason = "indices come from the table's own layout: a row per scalar window, a column per \
              window value (< 2^bits), for a scalar of the curve's field size; no input sizes them"
)]
impl<C> Comb<C>
where
    C: CurveArithmetic,
{
    /// A table with 4-bit (`wide == false`) or 8-bit windows.
    pub(crate) fn new(p: C::ProjectivePoint, wide: bool) -> Self {
        let bits = if wide { 8 } else { 4 };
        let per_row = 1usize << bits;
        let windows = FieldBytes::<C>::default().len() * 8 / bits;
        let mut points = Vec::with_capacity(windows * per_row);
        let mut base = p;
        for _ in 0..windows {
            let start = points.len();
            points.push(C::ProjectivePoint::identity());
            for j in 1..per_row {
                let next = points[start + j - 1] + base;
                points.push(next);
            }
            base = points[start + per_row - 1] + base;
        }
        Comb { wide, points }
    }

    fn mul(&self, k: &C::Scalar) -> C::ProjectivePoint {
        let repr = k.to_repr();
        let mut acc = C::ProjectivePoint::identity();
        for (i, byte) in repr.as_ref().iter().rev().enumerate() {
            if self.wide {
                if *byte != 0 {
                    acc += self.points[(i << 8) | usize::from(*byte)];
                }
            } else {
                let (lo, hi) = (usize::from(byte & 15), usize::from(byte >> 4));
                if lo != 0 {
                    acc += self.points[(2 * i) << 4 | lo];
                }
                if hi != 0 {
                    acc += self.points[(2 * i + 1) << 4 | hi];
                }
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

impl<C> Tables<C>
where
    C: CurveArithmetic,
{
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

/// The public key side of a verification: a comb table, or a bare point (first use).
pub(crate) enum Q<'a, C: CurveArithmetic> {
    /// A trust-root key seen before.
    Table(&'a Comb<C>),
    /// A key without a table (e.g. the leaf certificate's): the crate's scalar multiplication.
    Point(C::ProjectivePoint),
}

/// `ecdsa::hazmat::verify_prehashed` with `u1·G` from the generator's comb table and `u2·Q`
/// from `q`'s table or a plain multiplication; `s_inv` is `s⁻¹`.
pub(crate) fn verify<C>(
    g: &Comb<C>,
    q: &Q<'_, C>,
    digest: &[u8],
    r: NonZeroScalar<C>,
    s_inv: C::Scalar,
) -> bool
where
    C: PrimeCurve + CurveArithmetic,
{
    let Ok(z) = ecdsa::hazmat::bits2field::<C>(digest) else {
        return false;
    };
    let z = <C::Scalar as Reduce<C::Uint>>::reduce_bytes(&z);
    let u1 = z * s_inv;
    let u2 = *r * s_inv;
    let u2q = match q {
        Q::Table(t) => t.mul(&u2),
        Q::Point(p) => *p * u2,
    };
    let x = (g.mul(&u1) + u2q).to_affine().x();
    *r == <C::Scalar as Reduce<C::Uint>>::reduce_bytes(&x)
}

/// `s⁻¹` for P-384 by crypto-bigint's binary inversion (GMP's `mpn_sec_invert` algorithm; the
/// curve crate's Fermat-style inversion is 2.5 times slower); checked by one multiplication,
/// with the crate's inversion as fallback.
fn invert_p384(s: &NonZeroScalar<p384::NistP384>) -> p384::Scalar {
    use ecdsa::elliptic_curve::Curve as _;
    use ecdsa::elliptic_curve::bigint::U384;
    let x = U384::from_be_slice(&s.to_repr());
    let (inv, _) = x.inv_odd_mod(&p384::NistP384::ORDER);
    let inv = <p384::Scalar as Reduce<U384>>::reduce(inv);
    if inv * **s == p384::Scalar::ONE {
        inv
    } else {
        *s.invert()
    }
}

/// A curve verified with tables: its generator's tables (one static per curve) and its fastest
/// `s⁻¹`.
pub(crate) trait FastCurve: PrimeCurve + CurveArithmetic {
    /// The generator's tables.
    fn generator_tables() -> &'static Tables<Self>;
    /// `s⁻¹`.
    fn invert(s: &NonZeroScalar<Self>) -> Self::Scalar;
}

impl FastCurve for p256::NistP256 {
    fn generator_tables() -> &'static Tables<Self> {
        static G: Tables<p256::NistP256> = Tables::new();
        &G
    }
    fn invert(s: &NonZeroScalar<Self>) -> p256::Scalar {
        *s.invert_vartime()
    }
}

impl FastCurve for p384::NistP384 {
    fn generator_tables() -> &'static Tables<Self> {
        static G: Tables<p384::NistP384> = Tables::new();
        &G
    }
    fn invert(s: &NonZeroScalar<Self>) -> p384::Scalar {
        invert_p384(s)
    }
}

/// Verify a signature `(r, s)` with the tables: `q`'s once it has been used before, else a
/// plain multiplication for `u2·Q`; the generator always uses its table.
pub(crate) fn verify_fast<C: FastCurve>(
    q: &Tables<C>,
    qp: C::ProjectivePoint,
    digest: &[u8],
    r: NonZeroScalar<C>,
    s: NonZeroScalar<C>,
) -> bool {
    let Some(gt) = C::generator_tables().get(C::ProjectivePoint::generator, true) else {
        return false;
    };
    let q = match q.get(|| qp, false) {
        Some(t) => Q::Table(t),
        None => Q::Point(qp),
    };
    verify(gt, &q, digest, r, C::invert(&s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecdsa::SignatureSize;
    use ecdsa::elliptic_curve::Scalar;
    use ecdsa::elliptic_curve::generic_array::ArrayLength;
    use ecdsa::elliptic_curve::ops::Invert;
    use ecdsa::elliptic_curve::sec1::{FromEncodedPoint, ModulusSize, ToEncodedPoint};
    use ecdsa::elliptic_curve::subtle::CtOption;
    use ecdsa::hazmat::SignPrimitive;
    use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use sha2::{Digest, Sha256, Sha384};

    /// Every way of computing `u2·Q` (narrow table, wide table, plain point) with every
    /// generator table agrees with the ecdsa crate, on good and corrupted signatures.
    #[test]
    fn comb_verification_matches_the_ecdsa_crate() {
        for seed in 1u8..=6 {
            let sk = p256::ecdsa::SigningKey::from_slice(&Sha256::digest([seed; 7])).unwrap();
            agrees_with_the_crate::<_, Sha256>(&sk, seed, 6, (seed % 2 == 0, seed % 3 == 0));
            let sk = p384::ecdsa::SigningKey::from_slice(&Sha384::digest([seed; 9])).unwrap();
            agrees_with_the_crate::<_, Sha384>(&sk, seed, 4, (seed % 2 == 1, seed % 3 == 1));
        }
    }

    /// `messages` signatures by `sk` over `H` digests of `seed`, verified with `q`'s table and
    /// its plain point and a generator table (`wide` says which of the two tables are 8-bit),
    /// give the ecdsa crate's answers, on the signed digest and on others.
    fn agrees_with_the_crate<C, H>(
        sk: &ecdsa::SigningKey<C>,
        seed: u8,
        messages: u8,
        wide: (bool, bool),
    ) where
        C: FastCurve,
        H: Digest,
        Scalar<C>: Invert<Output = CtOption<Scalar<C>>> + SignPrimitive<C>,
        SignatureSize<C>: ArrayLength<u8>,
        C::AffinePoint: FromEncodedPoint<C> + ToEncodedPoint<C>,
        C::FieldBytesSize: ModulusSize,
        ecdsa::SigningKey<C>: PrehashSigner<ecdsa::Signature<C>>,
        ecdsa::VerifyingKey<C>: PrehashVerifier<ecdsa::Signature<C>>,
    {
        let vk = sk.verifying_key();
        let qp: C::ProjectivePoint = (*vk.as_affine()).into();
        let qt = Comb::<C>::new(qp, wide.0);
        let g = Comb::<C>::new(C::ProjectivePoint::generator(), wide.1);
        for q in [Q::Table(&qt), Q::Point(qp)] {
            for m in 0..messages {
                let d = H::digest([seed, m]);
                let sig: ecdsa::Signature<C> = sk.sign_prehash(&d).unwrap();
                let (r, s) = sig.split_scalars();
                let si = C::invert(&s);
                assert!(verify(&g, &q, &d, r, si));
                assert!(vk.verify_prehash(&d, &sig).is_ok());
                let short = Sha256::digest([seed, m]);
                let other = H::digest([seed, m, 1]);
                for digest in [&short[..], &other[..]] {
                    assert_eq!(
                        verify(&g, &q, digest, r, si),
                        vk.verify_prehash(digest, &sig).is_ok()
                    );
                }
                assert!(!verify(&g, &q, &other, r, si));
                assert!(!verify(&g, &q, &H::digest([m, seed, 0xff]), r, si));
                assert!(!verify(&g, &q, &d, s, *r.invert()));
            }
        }
    }

    #[test]
    fn variable_time_p384_inversion_matches_the_crate() {
        for seed in 0u8..40 {
            let bytes = Sha384::digest([seed; 3]);
            let k = Option::<NonZeroScalar<p384::NistP384>>::from(NonZeroScalar::from_repr(bytes))
                .unwrap_or(NonZeroScalar::from_uint(3u64.into()).unwrap());
            assert_eq!(invert_p384(&k), *k.invert());
        }
        let one = NonZeroScalar::<p384::NistP384>::from_uint(1u64.into()).unwrap();
        assert_eq!(invert_p384(&one), p384::Scalar::ONE);
        let minus_one = NonZeroScalar::<p384::NistP384>::new(-p384::Scalar::ONE).unwrap();
        assert_eq!(invert_p384(&minus_one), -p384::Scalar::ONE);
    }

    #[test]
    fn tables_grow_with_use_and_keep_verifying() {
        let sk = p256::ecdsa::SigningKey::from_slice(&Sha256::digest(b"tables")).unwrap();
        let q: p256::ProjectivePoint = sk.verifying_key().as_affine().into();
        let t = Tables::<p256::NistP256>::new();
        let d = Sha256::digest(b"m");
        let sig: p256::ecdsa::Signature = sk.sign_prehash(&d).unwrap();
        let (r, s) = sig.split_scalars();
        let mut results = Vec::new();
        for i in 0..(WIDE_AFTER + 3) {
            results.push(verify_fast(&t, q, &d, r, s));
            if i == 0 {
                assert!(t.narrow.get().is_none(), "no table after the first use");
            }
        }
        assert!(results.iter().all(|x| *x));
        assert!(t.wide.get().is_some() && t.narrow.get().is_some());
        assert!(!verify_fast(&t, q, &Sha256::digest(b"other"), r, s));
    }
}
