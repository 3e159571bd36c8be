//! Who is calling the API: the bearer token in the `Authorization` header, checked against the
//! digests in the database on every request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::ApiError;
use crate::tokens;
use crate::web::AppState;
use crate::web::bearer::bearer_token;

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

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(&parts.headers).ok_or(ApiError::NoToken)?;
        let mut conn = state.db.acquire().await?;
        let now = state.clock.now_ms();
        let name = tokens::authenticate(&mut conn, token, now)
            .await?
            .ok_or(ApiError::BadToken)?;
        Ok(Bearer { name })
    }
}
