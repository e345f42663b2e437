//! A throwaway, offline Sigstore stack for tests and demos (feature `test-stack`).
//!
//! It holds a Fulcio-like CA issuing short-lived certificates with the real Fulcio extensions
//! and an embedded SCT from its CT log key, a Rekor-like log (SET, RFC 6962 inclusion proofs,
//! signed checkpoints) and an RFC 3161 TSA. Keys derive from a seed; nothing here is secret
//! and nothing real trusts it.
//!
//! Layering (each module uses only those listed before it): `certs`, `identity` → `stack` →
//! `fulcio`, `tsa`, `rekor` → `signing`.

mod certs;
mod fulcio;
mod identity;
mod rekor;
mod signing;
mod stack;
mod tsa;

pub use identity::TestIdentity;
pub use stack::{TEST_STACK_EPOCH, TestStack};
