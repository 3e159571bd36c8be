//! The one place errors become HTTP responses.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::accounts::AccountError;
use crate::dispatch::desk::DeskError;
use crate::gateway::PayloadError;
use crate::intake::IntakeError;
use crate::roster::RosterError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The request is not from who it claims (a bad or missing signature or CSRF token), or the
    /// person signed in may not do this: nothing was changed.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadPayload(#[from] PayloadError),
    #[error("{0}")]
    NotFound(String),
    /// A form filled in wrongly; the message says how. A page's form with fields to put right is
    /// shown again with the message beside the field instead (`pages::form`); what still comes
    /// back as this is a button's refusal, or a form that cannot be read.
    #[error("{0}")]
    Invalid(String),
    /// The request is not in a state for this (someone else holds it): nothing was changed.
    #[error("{0}")]
    Conflict(String),
    /// A page asked for by someone not signed in: they are sent to the sign-in page.
    #[error("sign in first")]
    SignInFirst,
    /// An upload larger than the service takes; the message gives the limit.
    #[error("{0}")]
    TooLarge(String),
    /// Too many failed sign-ins; the message says when to try again.
    #[error("{0}")]
    TooManyAttempts(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Intake(#[from] IntakeError),
    /// A page that did not render, or password checking that did not finish.
    #[error("{0}")]
    Internal(String),
}

/// What a failed response says to a person, in a sentence: left on every [`WebError`] response
/// so that the page routes can show it as a page of their own
/// ([`super::pages::error_page::as_page`]), while programs get the same sentence as plain text.
#[derive(Clone, Debug)]
pub struct Sentence(pub String);

/// What a 503 tells a person while the database cannot be reached.
const TRY_AGAIN_SHORTLY: &str =
    "The service cannot reach its database just now. Try again in a minute.";

/// How long a caller is asked to wait before trying again while the database cannot be reached:
/// providers retry a 5xx anyway, and this spaces out a person's reloads.
const RETRY_AFTER_SECONDS: &str = "10";

/// What a 500 tells a person: the cause may name tables or queries, so it stays in the log.
pub const SOMETHING_WENT_WRONG: &str = "The service could not finish this. Try again in a moment, and tell an admin if it keeps happening.";

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = match &self {
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::BadPayload(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Invalid(_) => StatusCode::BAD_REQUEST,
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            // 303, so the browser follows with a GET whatever it was doing.
            WebError::SignInFirst => return Redirect::to("/signin").into_response(),
            _ if self.database_unreachable() => {
                tracing::warn!(error = %self, "database unreachable; asked the caller to retry");
                let mut response = (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, RETRY_AFTER_SECONDS)],
                    "database unreachable; try again shortly\n",
                )
                    .into_response();
                response
                    .extensions_mut()
                    .insert(Sentence(TRY_AGAIN_SHORTLY.into()));
                return response;
            }
            WebError::Store(_) | WebError::Intake(_) | WebError::Internal(_) => {
                // Opaque to the caller (a gateway retries a 5xx); the cause goes to the log.
                tracing::error!(error = %self, "request failed");
                let mut response =
                    (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response();
                response
                    .extensions_mut()
                    .insert(Sentence(SOMETHING_WENT_WRONG.into()));
                return response;
            }
        };
        let mut response = (status, format!("{self}\n")).into_response();
        response.extensions_mut().insert(Sentence(self.to_string()));
        response
    }
}

impl WebError {
    /// Whether this failed only because the database could not be reached, so that the same
    /// request will succeed once it can: a provider retrying its webhook loses nothing.
    fn database_unreachable(&self) -> bool {
        match self {
            WebError::Store(e) => e.is_unreachable(),
            WebError::Intake(IntakeError::Store(e)) => e.is_unreachable(),
            _ => false,
        }
    }
}

impl From<DeskError> for WebError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::NotFound(_) => WebError::NotFound(e.to_string()),
            DeskError::Conflict(why) => WebError::Conflict(why),
            DeskError::Invalid(why) => WebError::Invalid(why),
            DeskError::Store(e) => WebError::Store(e),
        }
    }
}

impl From<AccountError> for WebError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Unknown(_) => WebError::NotFound(e.to_string()),
            AccountError::Hash(_) => WebError::Internal(e.to_string()),
            AccountError::Store(e) => WebError::Store(e),
            AccountError::Username(_)
            | AccountError::DisplayName
            | AccountError::Role(_)
            | AccountError::ShortPassword
            | AccountError::Taken(_) => WebError::Invalid(e.to_string()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("page did not render: {e}"))
    }
}

/// A roster's sentences are written for organisers, so they go to the page as they are.
impl From<RosterError> for WebError {
    fn from(e: RosterError) -> Self {
        match e {
            RosterError::Store(e) => WebError::Store(e),
            RosterError::NotFound(_) => WebError::NotFound(e.to_string()),
            other => WebError::Invalid(other.to_string()),
        }
    }
}
