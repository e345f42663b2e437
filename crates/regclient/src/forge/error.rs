//! Why a forge could not answer.

/// Why a forge's answer could not be obtained. Messages name the URL asked (never with
/// credentials) and never carry the token.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForgeError {
    /// The forge answered with an unexpected HTTP status.
    #[error("{url}: HTTP {status}: {message}")]
    Status {
        /// The URL asked.
        url: String,
        /// The status code.
        status: u16,
        /// The forge's message.
        message: String,
    },
    /// The forge refused because of its rate limit.
    #[error("{url}: rate limited (resets at unix time {})", reset.map_or_else(|| String::from("unknown"), |r| r.to_string()))]
    RateLimited {
        /// The URL asked.
        url: String,
        /// When the limit resets (unix seconds), if said.
        reset: Option<u64>,
    },
    /// Something that must exist does not.
    #[error("{what} not found ({url})")]
    NotFound {
        /// What was looked up (`branch main`).
        what: String,
        /// The URL asked.
        url: String,
    },
    /// The request failed below HTTP.
    #[error("{url}: {message}")]
    Transport {
        /// The URL asked.
        url: String,
        /// The cause.
        message: String,
    },
    /// The answer (or the configuration) did not have the documented shape.
    #[error("{url}: unexpected response: {message}")]
    Decode {
        /// The URL asked (or the setting at fault).
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The forge (or a provider built on it) cannot answer this question.
    #[error("the CI provider does not support {what}")]
    Unsupported {
        /// What was asked.
        what: String,
    },
}
