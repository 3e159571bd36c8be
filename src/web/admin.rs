//! Administration from the machine the service runs on.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::local::FromThisMachine;

/// `POST /admin/flows/reload`: reads the flow files again. 200 and the flows now running, or
/// 422 and every problem (file:line:column) while the running flows stay in place.
pub async fn reload_flows(State(state): State<AppState>, _: FromThisMachine) -> Response {
    match state.intake.flows().reload() {
        Ok(flows) => {
            let mut body = format!("reloaded: {}\n", flows.ids().join(", "));
            for warning in flows.warnings() {
                body.push_str(&format!("warning: {warning}\n"));
            }
            (StatusCode::OK, body).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "flow reload refused; the running flows stay");
            let body = format!("not reloaded; the running flows stay:\n{e}\n");
            (StatusCode::UNPROCESSABLE_ENTITY, body).into_response()
        }
    }
}
