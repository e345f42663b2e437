//! Size and count limits applied to everything `attest` reads.

use crate::error::{Error, InputError, err};

/// Limits on untrusted input. The defaults are generous for real Sigstore material and small
/// enough that a hostile input cannot exhaust memory.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest bundle, attestation or `.intoto.jsonl` line accepted, in bytes.
    pub max_bundle_bytes: usize,
    /// Largest trusted root accepted, in bytes.
    pub max_trust_root_bytes: usize,
    /// Most transparency-log entries in one bundle.
    pub max_tlog_entries: usize,
    /// Most RFC 3161 timestamps in one bundle.
    pub max_timestamps: usize,
    /// Most certificates in a bundle's certificate chain.
    pub max_chain_len: usize,
    /// Most hashes in one inclusion proof.
    pub max_proof_hashes: usize,
    /// Most signature lines in one checkpoint.
    pub max_checkpoint_signatures: usize,
    /// Largest checkpoint note, in bytes.
    pub max_checkpoint_bytes: usize,
    /// Most subjects in one in-toto statement.
    pub max_subjects: usize,
    /// Most envelopes or bundles in one `.intoto.jsonl` file.
    pub max_jsonl_lines: usize,
    /// Most entries in a trusted root list (CAs, logs, TSAs).
    pub max_trust_root_entries: usize,
    /// Most SCTs in one certificate.
    pub max_scts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bundle_bytes: 16 << 20,
            max_trust_root_bytes: 4 << 20,
            max_tlog_entries: 8,
            max_timestamps: 32,
            max_chain_len: 8,
            max_proof_hashes: 64,
            max_checkpoint_signatures: 32,
            max_checkpoint_bytes: 64 << 10,
            max_subjects: 4096,
            max_jsonl_lines: 256,
            max_trust_root_entries: 64,
            max_scts: 16,
        }
    }
}

/// `Ok` while `count` is at most `limit`; else [`InputError::LimitExceeded`] with the detail
/// `describe(count, limit)` gives.
pub(crate) fn check_limit(
    count: usize,
    limit: usize,
    describe: impl FnOnce(usize, usize) -> String,
) -> Result<(), Error> {
    if count > limit {
        return Err(err(InputError::LimitExceeded, describe(count, limit)));
    }
    Ok(())
}
