//! The bench's error: a sentence saying what failed, with the underlying error as its source.

use std::fmt;

/// What the bench functions return.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// A failed step, named in one sentence ("case fifo: open the FIFO for writing"), with its cause.
#[derive(Debug)]
pub(crate) struct Error {
    what: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// An error with no underlying cause.
    pub(crate) fn msg(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            source: None,
        }
    }

    /// Prefixes the description with the larger step it happened in.
    pub(crate) fn within(mut self, outer: impl fmt::Display) -> Self {
        self.what = format!("{outer}: {}", self.what);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Attaches a description of the step to any error.
pub(crate) trait Context<T> {
    /// Wraps the error, describing the step with `what`.
    fn context(self, what: impl Into<String>) -> Result<T>;

    /// Like [`Context::context`], building the description only on failure.
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E> Context<T> for std::result::Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn context(self, what: impl Into<String>) -> Result<T> {
        self.map_err(|e| Error {
            what: what.into(),
            source: Some(Box::new(e)),
        })
    }

    fn with_context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error {
            what: what(),
            source: Some(Box::new(e)),
        })
    }
}
