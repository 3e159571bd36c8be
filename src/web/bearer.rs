//! Credentials in an `Authorization: Bearer …` header: the JSON API's tokens, and the secrets the
//! settings give programs that reload flows or read metrics.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::accounts::token_digest;
use crate::secret::Secret;
use crate::web::session::same_token;

/// The token of an `Authorization: Bearer TOKEN` header; the scheme's case does not matter.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whether the request carries `secret` as its bearer token; never when no secret is set. Digests
/// are compared, in constant time, so neither where they differ nor the secret's length shows.
pub fn carries(headers: &HeaderMap, secret: Option<&Secret>) -> bool {
    match (secret, bearer_token(headers)) {
        (Some(secret), Some(sent)) => {
            same_token(&token_digest(sent), &token_digest(secret.expose()))
        }
        _ => false,
    }
}
