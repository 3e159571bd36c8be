//! Endpoints only this machine may call: the demo console line and flow reloading. They have no
//! sign-in of their own, so the caller's address is what keeps them private.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::WebError;

/// Present in a handler's arguments: the request came from a loopback address.
pub struct FromThisMachine;

impl<S: Send + Sync> FromRequestParts<S> for FromThisMachine {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        match peer {
            Some(peer) if peer.ip().is_loopback() => Ok(FromThisMachine),
            _ => Err(WebError::Forbidden(
                "this endpoint takes requests from this machine only".into(),
            )),
        }
    }
}
