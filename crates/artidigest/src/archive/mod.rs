//! Reading release archives without extracting them: the entry model and its caps, the typed
//! error, the path rules every reader and repacking share, the tar, tar.gz and zip readers, and
//! the entry points that pick a reader by format.
//!
//! Layering (each module uses only those listed before it): `gzip::header` → `model` → `error`
//! → `paths` → `links` → `track`, `gzip::reader` → `tar`, `zip` → `targz` → `dispatch` →
//! `nested`. Readers analyse archives in memory and never extract: nothing here touches the
//! filesystem.

mod dispatch;
mod error;
pub(crate) mod gzip;
pub(crate) mod links;
mod model;
mod nested;
pub(crate) mod paths;
mod tar;
mod targz;
mod track;
mod zip;

pub use dispatch::{list_archive, visit_archive};
pub use error::{ArchiveError, ArchiveErrorKind};
pub use gzip::header::{
    DEFLATE_BACKEND, GZIP_MAGIC, GzipError, GzipErrorKind, GzipHeader, GzipInfo, GzipMember,
    inflate_gzip, is_gzip,
};
pub use gzip::reader::{GzipReader, read_gzip_header};
pub use model::{
    ArchiveSummary, Entry, EntryKind, Format, FormatDetail, HashedEntry, Limits, Listing,
    PaxRecord, TarDetail, TarHeaderFormat, UnknownFormat, ZipDetail, ZipLocalHeader,
};
pub use nested::{NestedArchive, NestedReport, inspect_nested};
pub use tar::visit_tar;
pub use targz::{visit_tar_gz, visit_tar_gz_single_thread};
pub use zip::visit_zip;

pub(crate) use dispatch::hashing_visitor;
