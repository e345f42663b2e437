//! "Why do these two artifacts differ?": a layer-by-layer comparison of two tar, tar.gz or zip
//! artifacts, each difference with its likely cause and a fix.
//!
//! Layers, outermost first: the compression container (gzip header fields, the deflate stream,
//! trailing bytes), the archive structure (entry order, tar header formats, PAX records, end
//! padding, zip methods and extra fields), per-entry metadata (mtime, mode, owners, link targets)
//! and per-entry content (added, removed, changed with both sha256 digests and a bounded unified
//! diff of UTF-8 text). Both archives are read through the hostile-safe readers and their caps.
//!
//! Every cause and fix comes from one table, [`Cause`]: a stable code per explanation with its
//! sentence and its fix worded for the container (tar, gzip, zip).
//!
//! Layering (each module uses only those listed before it): `cause` (the table of causes and
//! fixes) → `report` (the public result and options) → `side` (one artifact opened through the readers) → `container`, `structure`,
//! `entries` (one layer each) → `compare` (the entry points).

mod cause;
mod compare;
mod container;
mod entries;
mod report;
mod side;
mod structure;

pub use cause::{Cause, Container};
pub use compare::{diff_artifacts, diff_files};
pub use report::{ArtifactSide, DiffCode, DiffError, DiffOptions, DiffReport, Difference, Layer};
