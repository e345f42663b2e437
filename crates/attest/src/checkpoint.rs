//! Transparency-log checkpoints as signed notes (`origin\nsize\nroot\n[ext...]\n\n— name sig`).

use sha2::{Digest as _, Sha256};

use crate::crypto::{Hash, PublicKey};
use crate::encoding::b64;
use crate::error::{Error, InputError, TlogError, err};
use crate::limits::{Limits, check_limit};

/// One signature line of a signed note.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer name.
    pub name: String,
    /// The 4-byte key hint.
    pub key_hint: [u8; 4],
    /// The signature bytes after the hint.
    pub signature: Vec<u8>,
}

/// A parsed (not yet verified) checkpoint.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log origin line.
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The root hash.
    pub root_hash: Vec<u8>,
    /// Extension lines after the root hash.
    pub extensions: Vec<String>,
    /// The signed text (everything before the blank line, with its final newline).
    pub body: String,
    /// Signature lines.
    pub signatures: Vec<NoteSignature>,
}

fn bad(detail: impl Into<String>) -> Error {
    err(TlogError::CheckpointInvalid, detail)
}

impl Checkpoint {
    /// Parse a signed-note checkpoint.
    pub fn parse(text: &str, limits: &Limits) -> Result<Self, Error> {
        check_limit(text.len(), limits.max_checkpoint_bytes, |n, _| {
            format!("checkpoint is {n} bytes")
        })?;
        let split = text
            .find("\n\n")
            .ok_or_else(|| bad("checkpoint has no blank line before its signatures"))?;
        // `split` is the byte offset of an ASCII newline: both ends are char boundaries.
        let (Some(body), Some(sigs)) = (text.get(..=split), text.get(split + 2..)) else {
            return Err(bad("checkpoint has no blank line before its signatures"));
        };
        let mut lines = body.lines();
        let origin = lines.next().unwrap_or("").to_owned();
        if origin.is_empty() {
            return Err(bad("checkpoint origin line is empty"));
        }
        let size_line = lines
            .next()
            .ok_or_else(|| bad("checkpoint has no tree size"))?;
        if size_line.is_empty() || !size_line.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!(
                "checkpoint tree size {size_line:?} is not a number"
            )));
        }
        let size: u64 = size_line
            .parse()
            .map_err(|_| bad(format!("checkpoint tree size {size_line:?} is too large")))?;
        let root_line = lines
            .next()
            .ok_or_else(|| bad("checkpoint has no root hash"))?;
        let root_hash = b64(
            TlogError::CheckpointInvalid,
            "checkpoint root hash",
            root_line,
        )?;
        if root_hash.len() != 32 {
            return Err(bad(format!(
                "checkpoint root hash is {} bytes, not 32",
                root_hash.len()
            )));
        }
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(bad("checkpoint body has an empty line"));
        }
        let mut signatures = Vec::new();
        for line in sigs.lines() {
            if line.is_empty() {
                continue;
            }
            if signatures.len() >= limits.max_checkpoint_signatures {
                return Err(err(
                    InputError::LimitExceeded,
                    "too many checkpoint signatures",
                ));
            }
            let rest = line.strip_prefix("\u{2014} ").ok_or_else(|| {
                bad(format!(
                    "checkpoint signature line {line:?} does not start with an em dash"
                ))
            })?;
            let (name, sig) = rest
                .rsplit_once(' ')
                .ok_or_else(|| bad("checkpoint signature line has no signature"))?;
            let raw = b64(TlogError::CheckpointInvalid, "checkpoint signature", sig)?;
            let Some((key_hint, signature)) = raw.split_first_chunk::<4>() else {
                return Err(bad("checkpoint signature is too short"));
            };
            if signature.is_empty() || name.is_empty() {
                return Err(bad("checkpoint signature is too short"));
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_hint: *key_hint,
                signature: signature.to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(bad("checkpoint has no signature"));
        }
        Ok(Checkpoint {
            origin,
            size,
            root_hash,
            extensions,
            body: body.to_owned(),
            signatures,
        })
    }

    /// The origin's log name (the part before ` - ` in Rekor v1 origins).
    pub fn log_name(&self) -> &str {
        self.origin.split(" - ").next().unwrap_or(&self.origin)
    }

    /// Verify that the log key signed this checkpoint under the origin's name. Cosignatures by
    /// other keys (witnesses) are ignored; at least one signature must be the log's.
    pub fn verify(&self, key: &PublicKey) -> Result<&NoteSignature, Error> {
        let name = self.log_name();
        for s in &self.signatures {
            if s.name != name || s.key_hint != key_hint(key, name) {
                continue;
            }
            if key.verify(Hash::Sha256, self.body.as_bytes(), &s.signature) {
                return Ok(s);
            }
            return Err(bad(format!(
                "checkpoint signature by {name:?} does not verify"
            )));
        }
        Err(bad(format!(
            "checkpoint carries no signature by the log {name:?} with its key"
        )))
    }
}

/// The signed-note key hint of a log key: the first 4 bytes of SHA-256(SPKI) for ECDSA keys,
/// of SHA-256(name || "\n" || 0x01 || key) for Ed25519 keys.
pub fn key_hint(key: &PublicKey, name: &str) -> [u8; 4] {
    let h: [u8; 32] = match key.ed25519_raw() {
        Some(raw) => {
            let mut s = Sha256::new();
            s.update(name.as_bytes());
            s.update(b"\n\x01");
            s.update(raw);
            s.finalize().into()
        }
        None => key.key_id(),
    };
    let [a, b, c, d, ..] = h;
    [a, b, c, d]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const CP: &str = "rekor.sigstore.dev - 2605736670972794746\n23083062\ndauhleYK4YyAdxwwDtR0l0KnSOWZdG2bwqHftlanvcI=\nTimestamp: 1689177396617352539\n\n\u{2014} rekor.sigstore.dev wNI9ajBFAiBxaGyEtxkzFLkaCSEJqFuSS3dJjEZCNiyByVs1CNVQ8gIhAOoNnXtmMtTctV2oRnSRUZAo4EWUYPK/vBsqOzAU6TMs\n";

    #[test]
    fn parses_a_rekor_checkpoint() {
        let c = Checkpoint::parse(CP, &Limits::default()).unwrap();
        assert_eq!(c.log_name(), "rekor.sigstore.dev");
        assert_eq!(c.size, 23_083_062);
        assert_eq!(
            c.extensions,
            vec!["Timestamp: 1689177396617352539".to_owned()]
        );
        assert_eq!(c.signatures.len(), 1);
        assert!(c.body.ends_with("1689177396617352539\n"));
    }

    #[test]
    fn rejects_broken_notes() {
        let l = Limits::default();
        for bad_text in [
            "",
            "\n5\nAAAA\n\n\u{2014} x AAAAAAA=\n",
            "o\nx\ndauhleYK4YyAdxwwDtR0l0KnSOWZdG2bwqHftlanvcI=\n\n\u{2014} o AAAAAAA=\n",
            "o\n5\ndauhleYK4YyAdxwwDtR0l0KnSOWZdG2bwqHftlanvcI=\n\n",
            "o\n5\ndauhleYK4YyAdxwwDtR0l0KnSOWZdG2bwqHftlanvcI=\n\n- o AAAAAAA=\n",
        ] {
            assert_eq!(
                Checkpoint::parse(bad_text, &l).unwrap_err().kind(),
                ErrorKind::Tlog(TlogError::CheckpointInvalid),
                "{bad_text:?}"
            );
        }
    }
}
