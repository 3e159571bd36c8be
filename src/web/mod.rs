//! The HTTP surface: gateway webhooks, `/healthz`, `/metrics` and local administration.

mod admin;
mod error;
mod health;
mod local;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;

pub use error::WebError;

use crate::config::Settings;
use crate::intake::Intake;
use crate::store::Db;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub intake: Intake,
}

pub fn router(state: AppState) -> Router {
    let limit = state.settings.max_body_bytes;
    Router::new()
        .route("/webhooks/twilio/sms", post(webhooks::twilio_sms))
        .route("/webhooks/twilio/status", post(webhooks::twilio_status))
        .route("/webhooks/console/sms", post(webhooks::console_sms))
        .route("/admin/flows/reload", post(admin::reload_flows))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .layer(DefaultBodyLimit::max(limit))
        // Spans carry the route, never the query string or the body.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}
