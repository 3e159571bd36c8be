//! Who is calling, by address: endpoints only this machine may call (the demo console line and
//! flow reloading, which have no sign-in of their own), and the address sign-ins are counted by.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::WebError;

/// The address the connection came from; `None` when the router is run without the server's
/// connection details (as a benchmark does).
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        Ok(Peer(peer.map(|c| c.0.ip())))
    }
}

/// Present in a handler's arguments: the request came from a loopback address.
pub struct FromThisMachine;

impl<S: Send + Sync> FromRequestParts<S> for FromThisMachine {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Peer(peer) = Peer::from_request_parts(parts, state).await?;
        match peer {
            Some(peer) if peer.is_loopback() => Ok(FromThisMachine),
            _ => Err(WebError::Forbidden(
                "this endpoint takes requests from this machine only".into(),
            )),
        }
    }
}
