//! `GET /events`: server-sent events when the requests change (`queue`), so an open queue page
//! can refresh itself, and when a text comes in or is queued to go out (`texts`), for the phone
//! simulator. The database is asked once a second for small fingerprints of both; that sees
//! changes made by any copy of the service, not only this one.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use futures_util::{StreamExt, stream};

use crate::store::{history, queue};
use crate::web::AppState;
use crate::web::session::SignedIn;

const EVERY: Duration = Duration::from_secs(1);

/// What was last seen; `None` when the database could not be asked (the next tick tries again).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Seen {
    requests: Option<(i64, i64)>,
    texts: Option<(i64, i64)>,
}

pub async fn events(
    State(state): State<AppState>,
    _: SignedIn,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let start = fingerprints(&state).await;
    let changes = stream::unfold((state, start), |(state, mut seen)| async move {
        loop {
            tokio::select! {
                _ = state.stopping.cancelled() => return None,
                _ = tokio::time::sleep(EVERY) => {}
            }
            let now = fingerprints(&state).await;
            // Both may have changed: each gets its event.
            let mut names = Vec::new();
            if now.requests != seen.requests {
                names.push("queue");
            }
            if now.texts != seen.texts {
                names.push("texts");
            }
            seen = now;
            if !names.is_empty() {
                let events: Vec<Result<Event, Infallible>> = names
                    .into_iter()
                    .map(|name| Ok(Event::default().event(name).data("changed")))
                    .collect();
                return Some((stream::iter(events), (state, seen)));
            }
        }
    });
    Sse::new(changes.flatten()).keep_alive(KeepAlive::default())
}

async fn fingerprints(state: &AppState) -> Seen {
    let Ok(mut conn) = state.db.acquire().await else {
        return Seen {
            requests: None,
            texts: None,
        };
    };
    Seen {
        requests: queue::fingerprint(&mut conn).await.ok(),
        texts: history::texts_fingerprint(&mut conn).await.ok(),
    }
}
