//! The JSON API's one error type: every failure is `{"error": "a plain sentence"}` with its status.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::dispatch::desk::DeskError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body or the query was not what the endpoint takes; the message names the field.
    #[error("{0}")]
    Invalid(String),
    #[error("send an API token in the header `Authorization: Bearer TOKEN`")]
    NoToken,
    #[error("this API token is unknown or has been revoked")]
    BadToken,
    #[error("{0}")]
    NotFound(String),
    /// The request is not in a state for this (nobody holds it, say): nothing was changed.
    #[error("{0}")]
    Conflict(String),
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("this endpoint does not take that method; docs/api.md lists what each one takes")]
    MethodNotAllowed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::NoToken | ApiError::BadToken => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Store(_) => {
                // The cause goes to the log; the caller learns only that it was not their fault.
                tracing::error!(error = %self, "api request failed");
                return json(StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
            }
        };
        let body = json(status, &self.to_string());
        // RFC 6750: say how to authenticate, and whether the token sent was the problem.
        let challenge = match self {
            ApiError::NoToken => "Bearer",
            ApiError::BadToken => "Bearer error=\"invalid_token\"",
            _ => return body.into_response(),
        };
        ([(header::WWW_AUTHENTICATE, challenge)], body).into_response()
    }
}

impl From<DeskError> for ApiError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::NotFound(_) => ApiError::NotFound(e.to_string()),
            DeskError::Conflict(why) => ApiError::Conflict(why),
            DeskError::Invalid(why) => ApiError::Invalid(why),
            DeskError::Store(e) => ApiError::Store(e),
        }
    }
}

fn json(status: StatusCode, message: &str) -> (StatusCode, Json<serde_json::Value>) {
    (status, Json(serde_json::json!({ "error": message })))
}
