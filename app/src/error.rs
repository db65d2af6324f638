//! The one error type every server function returns. Its messages are written for the
//! person in front of the browser; internal causes are logged on the server and only a
//! reference travels to the client.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// The one answer to a wrong email or password, whichever was wrong.
pub const SIGN_IN_REFUSED: &str = "That email and password do not match an active account.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to do this.")]
    Forbidden,
    #[error("Your organisation asks everyone with your console role to sign in with a second factor. Set up an authenticator app on your Sign-in security page to carry on.")]
    SecondFactorRequired,
    #[error("This needs a code from your authenticator app, or a recovery code, given in the last 15 minutes.")]
    StepUpRequired,
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    SignInRefused(String),
    #[error("The request could not be understood: {0}")]
    BadRequest(String),
    #[error("The database is not answering just now. Try again in a moment.")]
    Unavailable,
    #[error("Something went wrong on our side. If it happens again, quote reference {reference}.")]
    Internal { reference: String },
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The message for a given form field, if this error is about that field.
    pub fn field_message(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { field, message } if field == name => Some(message.clone()),
            _ => None,
        }
    }

    /// The HTTP status that goes with this error.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::SignInRefused(_) => 401,
            AppError::Forbidden | AppError::SecondFactorRequired | AppError::StepUpRequired => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::Invalid { .. } => 422,
            AppError::BadRequest(_) => 400,
            AppError::Unavailable => 503,
            AppError::Internal { .. } => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m)
            | ServerFnErrorErr::Deserialization(m)
            | ServerFnErrorErr::MissingArg(m) => AppError::BadRequest(m),
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::BadRequest(
                "the server could not be reached; check your connection and try again".into(),
            ),
            other => AppError::internal(other),
        }
    }
}

#[cfg(feature = "ssr")]
tokio::task_local! {
    /// The id of the request being answered (set by the server around each request).
    pub static REQUEST_ID: String;
}

impl AppError {
    /// Logs the cause (on the server) and returns an error that carries only a reference:
    /// the id of the request being answered, which its log lines and its `X-Request-Id`
    /// header also carry.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        #[cfg(feature = "ssr")]
        let reference = REQUEST_ID
            .try_with(String::clone)
            .unwrap_or_else(|_| uuid::Uuid::new_v4().simple().to_string()[..12].to_string());
        #[cfg(not(feature = "ssr"))]
        let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        tracing::error!(%reference, error = %cause, "internal error");
        AppError::Internal { reference }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    /// The database being away (no connection, or shutting down) is said as such, with
    /// 503; anything else is an internal error.
    fn from(e: sqlx::Error) -> Self {
        let away = match &e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            // Connection exceptions (08…) and operator intervention (57P…: shutdown,
            // cannot connect now).
            sqlx::Error::Database(db) => db
                .code()
                .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
            _ => false,
        };
        if away {
            tracing::warn!(error = %e, "the database is not answering");
            AppError::Unavailable
        } else {
            AppError::internal(e)
        }
    }
}

#[cfg(feature = "ssr")]
impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        AppError::internal(e)
    }
}

impl From<rules::error::RuleError> for AppError {
    fn from(e: rules::error::RuleError) -> Self {
        use rules::error::RuleError;
        match e {
            RuleError::Invalid { field, message } => AppError::Invalid { field, message },
            RuleError::Conflict(message) => AppError::Conflict(message),
            RuleError::Forbidden => AppError::Forbidden,
        }
    }
}
