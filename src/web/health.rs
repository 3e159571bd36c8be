//! `/healthz` for load balancers and `/metrics` for Prometheus.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::bearer::carries;
use super::local::from_this_machine;
use super::{AppState, WebError};
use crate::store::{inbound, outbound, requests};

/// 200 when the database answers, 503 when it does not.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
        }
    }
}

type Labelled = Family<Vec<(String, String)>, Gauge>;

fn family(registry: &mut Registry, name: &str, help: &str, label: &str, rows: Vec<(String, i64)>) {
    let family = Labelled::default();
    for (value, count) in rows {
        family
            .get_or_create(&vec![(label.to_string(), value)])
            .set(count);
    }
    registry.register(name, help, family);
}

/// Who may read the metrics: a program on this machine, not one a proxy relays, or one sending
/// `metrics_token` as its bearer token. The counts say how busy the line is and when.
pub struct MayReadMetrics;

impl FromRequestParts<AppState> for MayReadMetrics {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        if from_this_machine(parts)
            || carries(&parts.headers, state.settings.metrics_token.as_ref())
        {
            Ok(MayReadMetrics)
        } else {
            Err(WebError::Forbidden(
                "metrics are served to this machine, or with the metrics token as a bearer token"
                    .into(),
            ))
        }
    }
}

/// Counts read from the database at scrape time, so every copy of the service reports the same
/// totals and nothing is lost across restarts.
pub async fn metrics(
    State(state): State<AppState>,
    _: MayReadMetrics,
) -> Result<impl IntoResponse, WebError> {
    let mut conn = state.db.acquire().await?;
    let mut registry = Registry::with_prefix("aidline");
    family(
        &mut registry,
        "inbound_messages",
        "Texts received, by gateway",
        "gateway",
        inbound::count(&mut conn).await?,
    );
    family(
        &mut registry,
        "outbound_messages",
        "Texts in the outbox, by delivery state",
        "state",
        outbound::count_by_state(&mut conn)
            .await?
            .into_iter()
            .map(|(state, count)| (state.to_string(), count))
            .collect(),
    );
    family(
        &mut registry,
        "open_requests",
        "Open requests, by queue",
        "queue",
        requests::open_by_queue(&mut conn).await?,
    );
    let mut body = String::new();
    encode(&mut body, &registry).expect("writing to a String cannot fail");
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    ))
}
