//! gates tests.
