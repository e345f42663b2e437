//! `relver` keeps a release's versions in lockstep.
//!
//! Its job: read every file that records the release version (Cargo manifests and lock files,
//! `pyproject.toml`, `uv.lock`, `__init__.py`, `package.json`, Helm `Chart.yaml`, OpenAPI
//! documents, changelogs) with real parsers, check that they agree with a strictly validated
//! SemVer tag, find the changelog section for that tag, and bump them all at once while keeping
//! every other byte of each file.
//!
//! Boundaries: `relver` reads files and git objects only; it does no network I/O and depends on
//! no other relkit crate. Its `Version` and `Tag` types are the release identity shared by the
//! whole workspace.
//!
//! The implementation lands with its own issue; until then this crate holds only this page.
#![forbid(unsafe_code)]
