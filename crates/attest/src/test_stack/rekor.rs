//! The Rekor-like log: leaves, RFC 6962 inclusion proofs, SETs and signed checkpoints.

use sha2::{Digest as _, Sha256};

use super::certs::{sign, spki_der};
use super::stack::{LOG_HOST, TestStack};
use crate::encoding::b64_encode;
use crate::error::Error;
use crate::tlog::{leaf_hash, set_payload};

impl TestStack {
    fn root_and_proof(&self, index: usize) -> ([u8; 32], Vec<[u8; 32]>) {
        fn node(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
            Sha256::new()
                .chain_update([1u8])
                .chain_update(l)
                .chain_update(r)
                .finalize()
                .into()
        }
        fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
            if leaves.len() == 1 {
                return leaves[0];
            }
            let k = leaves.len().next_power_of_two() / 2;
            node(&root(&leaves[..k]), &root(&leaves[k..]))
        }
        fn path(leaves: &[[u8; 32]], i: usize) -> Vec<[u8; 32]> {
            if leaves.len() <= 1 {
                return Vec::new();
            }
            let k = leaves.len().next_power_of_two() / 2;
            if i < k {
                let mut p = path(&leaves[..k], i);
                p.push(root(&leaves[k..]));
                p
            } else {
                let mut p = path(&leaves[k..], i - k);
                p.push(root(&leaves[..k]));
                p
            }
        }
        (root(&self.leaves), path(&self.leaves, index))
    }

    pub(super) fn log_entry(
        &mut self,
        body: &[u8],
        kind: &str,
        at: i64,
    ) -> Result<serde_json::Value, Error> {
        // Two unrelated leaves before ours, so proofs have a path.
        if self.leaves.is_empty() {
            self.leaves.push(leaf_hash(b"relkit test log genesis 0"));
            self.leaves.push(leaf_hash(b"relkit test log genesis 1"));
        }
        let index = self.leaves.len();
        self.leaves.push(leaf_hash(body));
        let (root, proof) = self.root_and_proof(index);
        let size = self.leaves.len();
        let log_id = Sha256::digest(spki_der(&self.log_key)?).to_vec();
        let entry = crate::bundle::TlogEntry {
            log_index: index as u64,
            log_id: log_id.clone(),
            kind: kind.to_owned(),
            version: "0.0.1".to_owned(),
            integrated_time: at,
            signed_entry_timestamp: None,
            inclusion_proof: None,
            body: body.to_vec(),
        };
        let set = sign(&self.log_key, &set_payload(&entry));
        let note = format!("{LOG_HOST} - 1\n{size}\n{}\n", b64_encode(&root));
        let mut hint_sig = Sha256::digest(spki_der(&self.log_key)?)[..4].to_vec();
        hint_sig.extend_from_slice(&sign(&self.log_key, note.as_bytes()));
        let checkpoint = format!("{note}\n\u{2014} {LOG_HOST} {}\n", b64_encode(&hint_sig));
        Ok(serde_json::json!({
            "logIndex": index.to_string(),
            "logId": {"keyId": b64_encode(&log_id)},
            "kindVersion": {"kind": kind, "version": "0.0.1"},
            "integratedTime": at.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": b64_encode(&set)},
            "inclusionProof": {
                "logIndex": index.to_string(),
                "rootHash": b64_encode(&root),
                "treeSize": size.to_string(),
                "hashes": proof.iter().map(|h| b64_encode(h)).collect::<Vec<_>>(),
                "checkpoint": {"envelope": checkpoint},
            },
            "canonicalizedBody": b64_encode(body),
        }))
    }
}
