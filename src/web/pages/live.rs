//! `GET /events`: a server-sent event each time the requests change, so an open queue page can
//! refresh itself. The database is asked once a second for a small fingerprint of the requests;
//! that sees changes made by any copy of the service, not only this one.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use futures_util::stream;

use crate::store::queue;
use crate::web::AppState;
use crate::web::session::SignedIn;

const EVERY: Duration = Duration::from_secs(1);

pub async fn events(
    State(state): State<AppState>,
    _: SignedIn,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let start = fingerprint(&state).await;
    let changes = stream::unfold((state, start), |(state, mut seen)| async move {
        loop {
            tokio::select! {
                _ = state.stopping.cancelled() => return None,
                _ = tokio::time::sleep(EVERY) => {}
            }
            let now = fingerprint(&state).await;
            if now != seen {
                seen = now;
                let event = Event::default().event("queue").data("changed");
                return Some((Ok(event), (state, seen)));
            }
        }
    });
    Sse::new(changes).keep_alive(KeepAlive::default())
}

/// `None` when the database could not be asked; the next tick tries again.
async fn fingerprint(state: &AppState) -> Option<(i64, i64)> {
    let mut conn = state.db.acquire().await.ok()?;
    queue::fingerprint(&mut conn).await.ok()
}
