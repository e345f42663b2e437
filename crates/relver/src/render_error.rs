//! The error of rendering a report or a configuration as text (JSON, TOML).

/// A value that could not be rendered as JSON or TOML: what was being written and why. The
/// serialiser's own error is kept as the [`source`](std::error::Error::source), boxed, so no
/// serialiser's type is part of relver's API.
#[derive(Debug, thiserror::Error)]
#[error("cannot render {what} as {format}: {message}")]
pub struct RenderError {
    what: &'static str,
    format: &'static str,
    message: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl RenderError {
    pub(crate) fn new(
        what: &'static str,
        format: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            what,
            format,
            message: source.to_string(),
            source: Box::new(source),
        }
    }

    /// What was being rendered (`the report`, `the configuration`).
    #[must_use]
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// The text format (`JSON`, `TOML`).
    #[must_use]
    pub fn format(&self) -> &'static str {
        self.format
    }
}
