//! The one HTTP core every registry client goes through: timeouts and an overall deadline,
//! retries with backoff and jitter, manual redirects that never carry credentials to another
//! host, response size caps, bounded concurrency and a descriptive User-Agent.

mod client;
mod error;
mod gate;
mod response;
mod retry;
mod urls;

pub use self::client::{
    DEFAULT_MAX_DOWNLOAD_BYTES, DEFAULT_USER_AGENT, HttpClient, HttpClientBuilder,
};
pub(crate) use self::client::{Json, Method, Request};
pub(crate) use self::client::{MAX_TIMEOUT, later};
pub use self::error::HttpError;
pub use self::retry::RetryPolicy;
pub(crate) use self::urls::{file_url, join, parse_base, parse_json, segment, strip_userinfo};
