//! Why an OCI operation failed.

use artidigest::Digest;

use crate::http::HttpError;
use crate::poll::{NotVisible, client_error};
use crate::readback::ReadbackError;

/// Why an OCI operation failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A repository name or reference that the distribution spec does not allow.
    #[error("invalid OCI {what} {input:?}")]
    Invalid {
        /// `repository` or `reference`.
        what: &'static str,
        /// The input.
        input: String,
    },
    /// The request failed.
    #[error("{repository}@{reference}: request failed")]
    Http {
        /// The repository.
        repository: String,
        /// Tag or digest.
        reference: String,
        /// The cause.
        #[source]
        source: HttpError,
    },
    /// Token authentication failed.
    #[error("{url}: token authentication failed: {reason}")]
    Auth {
        /// The URL challenged.
        url: String,
        /// Why.
        reason: String,
    },
    /// A digest check failed (`what` names the claim: `Docker-Content-Digest`, the
    /// requested digest, or a descriptor).
    #[error("{url}: {what} says {expected}, but the bytes hash to {actual}")]
    DigestMismatch {
        /// The URL.
        url: String,
        /// Which claim.
        what: &'static str,
        /// The claim.
        expected: Digest,
        /// The computed digest.
        actual: Digest,
    },
    /// A descriptor's size differs from the served size.
    #[error("{url}: descriptor says {expected} bytes, served {actual}")]
    SizeMismatch {
        /// The URL.
        url: String,
        /// Descriptor size.
        expected: u64,
        /// Served size.
        actual: u64,
    },
    /// A manifest is malformed.
    #[error("{url}: {reason}")]
    Manifest {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A fallback-tag index lists a manifest whose `subject` is not the subject asked for.
    #[error("{repository}: referrers index for {subject} lists {referrer}, whose subject is {}", .found.map_or("missing".to_owned(), |d| d.to_string()))]
    ForeignReferrer {
        /// The repository.
        repository: String,
        /// The subject asked for.
        subject: Digest,
        /// The listed manifest.
        referrer: Digest,
        /// Its real subject.
        found: Option<Digest>,
    },
    /// The reference did not appear before the deadline.
    #[error(transparent)]
    NotVisible(NotVisible),
    /// Downloading a blob failed.
    #[error("blob download failed")]
    Readback(#[from] ReadbackError),
}

client_error!(repository, reference, "{}:{}");
