//! The JSON API under `/api/v1`, for programs the group runs beside the pages (a chat bot, a
//! spreadsheet, a dashboard). Callers send a bearer token an admin made at `/admin/tokens`;
//! docs/api.md describes every endpoint.

mod auth;
mod body;
mod error;
mod requests;

use axum::Router;
use axum::routing::{get, post};

pub use auth::Bearer;
pub use body::JsonObject;
pub use error::ApiError;

use super::AppState;

/// Mounted at `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/requests", get(requests::list))
        .route("/requests/{code}", get(requests::get))
        .route("/requests/{code}/notes", post(requests::add_note))
        .route("/requests/{code}/status", post(requests::set_status))
        .fallback(async || ApiError::NotFound("there is no such endpoint".into()))
        .method_not_allowed_fallback(async || ApiError::MethodNotAllowed)
}
