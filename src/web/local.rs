//! Who is calling, by address: endpoints only this machine may call (the console line, when the
//! settings open it, and `/metrics`), and the address sign-ins are counted by.

use std::net::{IpAddr, SocketAddr};
use std::sync::Once;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use super::{AppState, WebError};

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The address a request came from: the connection's, or, behind a reverse proxy
/// (`behind_proxy`), the client's as the proxy reports it. `None` when the router is run without
/// the server's connection details (as a benchmark does).
pub struct Peer(pub Option<IpAddr>);

impl FromRequestParts<AppState> for Peer {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let connection = connection(parts);
        if !state.settings.behind_proxy {
            return Ok(Peer(connection));
        }
        let client = forwarded_for(&parts.headers);
        if client.is_none() {
            warn_of_a_silent_proxy();
        }
        Ok(Peer(client.or(connection)))
    }
}

/// Behind a proxy that names no client, every client has the proxy's address, so one guesser's
/// failures refuse everyone's sign-ins. Said once: every sign-in would repeat it.
fn warn_of_a_silent_proxy() {
    static WARNED: Once = Once::new();
    WARNED.call_once(|| {
        tracing::warn!(
            "behind_proxy is set but a request came without X-Forwarded-For: every client \
             is counted as the same address for sign-in limits; have the proxy set the header"
        );
    });
}

fn connection(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The last address in X-Forwarded-For: the one our proxy added. Those before it are whatever the
/// client chose to write.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all(X_FORWARDED_FOR).iter().next_back()?;
    last.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

/// Whether the request came from a loopback address, and not through a proxy on this machine:
/// what a proxy relays came from elsewhere.
pub fn from_this_machine(parts: &Parts) -> bool {
    let relayed = parts.headers.contains_key(X_FORWARDED_FOR)
        || parts.headers.contains_key(header::FORWARDED);
    !relayed && connection(parts).is_some_and(|peer| peer.is_loopback())
}

/// Present in a handler's arguments: the request came from this machine ([`from_this_machine`]).
/// Any program on it passes, a relay to elsewhere too, so this guards only what is safe to
/// hand such a program or what the settings opened on purpose.
pub struct FromThisMachine;

impl<S: Send + Sync> FromRequestParts<S> for FromThisMachine {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if from_this_machine(parts) {
            Ok(FromThisMachine)
        } else {
            Err(WebError::Forbidden(
                "this endpoint takes requests from this machine only".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(X_FORWARDED_FOR, v.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_client_is_the_address_the_proxy_added_last() {
        let from = |values: &[&str]| forwarded_for(&headers(values));
        assert_eq!(from(&["203.0.113.7"]), "203.0.113.7".parse().ok());
        // A client that writes its own header cannot choose the address counted.
        assert_eq!(from(&["1.2.3.4, 203.0.113.7"]), "203.0.113.7".parse().ok());
        assert_eq!(
            from(&["1.2.3.4", "2001:db8::1"]),
            "2001:db8::1".parse().ok()
        );
        assert_eq!(from(&["not an address"]), None);
        assert_eq!(from(&[]), None);
    }
}
