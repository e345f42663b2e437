//! gzip, one module: the container's header model with member-by-member analysis and bounded
//! inflation (`header`), and the checked single-member decoder the tar.gz reader streams
//! through (`reader`).

pub(crate) mod header;
pub(crate) mod reader;
