//! Who is calling the API: the bearer token in the `Authorization` header, checked against the
//! digests in the database on every request.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::ApiError;
use crate::tokens;
use crate::web::AppState;

/// A caller with an unrevoked token; the token is marked as used.
pub struct Bearer {
    pub name: String,
}

impl Bearer {
    /// How the request's history names the caller.
    pub fn actor(&self) -> String {
        format!("token:{}", self.name)
    }
}

/// The token of an `Authorization: Bearer TOKEN` header; the scheme's case does not matter.
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts).ok_or(ApiError::NoToken)?;
        let mut conn = state.db.acquire().await?;
        let now = state.intake.now_ms();
        let name = tokens::authenticate(&mut conn, token, now)
            .await?
            .ok_or(ApiError::BadToken)?;
        Ok(Bearer { name })
    }
}
