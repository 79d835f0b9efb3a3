//! The one error type of the core crate. Messages name the operation, the expected and the
//! actual value; `code()` is the stable identifier the Node binding exposes as `error.code`.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter is out of range or inconsistent with another one.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParam { name: &'static str, reason: String },
    /// Input arrays disagree in length or refer to ids out of range.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The caller asked to stop (AbortSignal); the work stopped at the next batch.
    #[error("aborted")]
    Aborted,
    /// Training diverged: a loss or parameter became NaN or infinite.
    #[error("training diverged: {0}")]
    Diverged(String),
}

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidParam { .. } => "ERR_LLMINIT_INVALID_PARAM",
            Error::InvalidInput(_) => "ERR_LLMINIT_INVALID_INPUT",
            Error::Aborted => "ABORT_ERR",
            Error::Diverged(_) => "ERR_LLMINIT_DIVERGED",
        }
    }

    pub(crate) fn param(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParam {
            name,
            reason: reason.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
