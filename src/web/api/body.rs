//! Request bodies: a JSON object whose fields each endpoint reads by name, so every complaint
//! names the field it is about instead of quoting a parser.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::ApiError;
use crate::web::AppState;

pub struct JsonObject(Map<String, Value>);

impl JsonObject {
    /// A string field the endpoint needs.
    pub fn text(&self, field: &str) -> Result<&str, ApiError> {
        self.optional_text(field)?
            .ok_or_else(|| ApiError::Invalid(format!("the field `{field}` is missing")))
    }

    /// A string field that may be left out or `null`.
    pub fn optional_text(&self, field: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(ApiError::Invalid(format!(
                "the field `{field}` must be a string"
            ))),
        }
    }
}

impl FromRequest<AppState> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(state.settings.max_body_bytes)
            } else {
                ApiError::Invalid("the body could not be read".into())
            }
        })?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(fields)) => Ok(JsonObject(fields)),
            Ok(_) => Err(ApiError::Invalid("the body must be a JSON object".into())),
            Err(e) => Err(ApiError::Invalid(format!(
                "the body is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))),
        }
    }
}
