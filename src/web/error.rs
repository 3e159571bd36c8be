//! The one place errors become HTTP responses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::gateway::PayloadError;
use crate::intake::IntakeError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The request is not from who it claims (a bad or missing signature): nothing was stored.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadPayload(#[from] PayloadError),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Intake(#[from] IntakeError),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = match &self {
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::BadPayload(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Store(_) | WebError::Intake(_) => {
                // Opaque to the caller (a gateway retries a 5xx); the cause goes to the log.
                tracing::error!(error = %self, "request failed");
                return (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response();
            }
        };
        (status, format!("{self}\n")).into_response()
    }
}
