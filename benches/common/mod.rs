//! What more than one bench generates the same way.

/// `len` pseudo-random bytes (xorshift64 from a fixed seed): cheap, incompressible enough, and
/// the same on every run.
pub(crate) fn pseudo_random_bytes(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}
