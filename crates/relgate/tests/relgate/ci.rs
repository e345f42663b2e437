//! ci tests.
