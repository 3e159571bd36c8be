//! Reloading the flow files while the service runs.

use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::bearer::carries;
use super::session::{Admin, Button, Posted};
use super::{AppState, WebError};

/// Who may reload: a program sending `reload_secret` as its bearer token, or an admin posting a
/// form from a page of their session. Coming from this machine is not enough: any program on it,
/// a relay from elsewhere too, would pass, and a reload changes what every neighbour is asked.
pub struct MayReload;

impl FromRequest<AppState> for MayReload {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, WebError> {
        if carries(request.headers(), state.settings.reload_secret.as_ref()) {
            return Ok(MayReload);
        }
        let refused = || {
            WebError::Forbidden(
                "reloading flows takes the reload secret as a bearer token, or an admin's form"
                    .into(),
            )
        };
        match Posted::<Button, Admin>::from_request(request, state).await {
            Ok(_) => Ok(MayReload),
            Err(WebError::SignInFirst | WebError::Forbidden(_) | WebError::Invalid(_)) => {
                Err(refused())
            }
            Err(other) => Err(other),
        }
    }
}

/// `POST /admin/flows/reload`: reads the flow files again. 200 and the flows now running, or
/// 422 and every problem (file:line:column) while the running flows stay in place.
pub async fn reload_flows(State(state): State<AppState>, _: MayReload) -> Response {
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
