//! `GET /events`: server-sent events when the requests change (`queue`), so an open queue page
//! can refresh itself, and when a text comes in or is queued to go out (`texts`), for the phone
//! simulator. The database is asked once a second for small fingerprints of both; that sees
//! changes made by any copy of the service, not only this one. The session is asked too, and the
//! stream ends with it.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use futures_util::{StreamExt, stream};

use crate::store::{history, queue, users};
use crate::web::AppState;
use crate::web::session::SignedIn;

const EVERY: Duration = Duration::from_secs(1);

/// What was last seen; `None` when the database could not be asked (the next tick tries again).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Seen {
    requests: Option<(i64, i64)>,
    texts: Option<(i64, i64)>,
}

const UNKNOWN: Seen = Seen {
    requests: None,
    texts: None,
};

pub async fn events(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let session = signed_in.session().to_string();
    let start = look(&state, &session).await.unwrap_or(UNKNOWN);
    let changes = stream::unfold(
        (state, session, start),
        |(state, session, mut seen)| async move {
            loop {
                tokio::select! {
                    _ = state.stopping.cancelled() => return None,
                    _ = tokio::time::sleep(EVERY) => {}
                }
                // A page left open must not keep hearing about the queue once its session is
                // gone: signed out, disabled or expired.
                let now = look(&state, &session).await?;
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
                    return Some((stream::iter(events), (state, session, seen)));
                }
            }
        },
    );
    Sse::new(changes.flatten()).keep_alive(KeepAlive::default())
}

/// The fingerprints now, or `None` once the session has ended. A database that cannot be asked
/// ends nothing: the next tick asks again.
async fn look(state: &AppState, session: &str) -> Option<Seen> {
    let Ok(mut conn) = state.db.acquire().await else {
        return Some(UNKNOWN);
    };
    let now = state.clock.now_ms();
    if let Ok(None) = users::by_session(&mut conn, session, now).await {
        return None;
    }
    Some(Seen {
        requests: queue::fingerprint(&mut conn).await.ok(),
        texts: history::texts_fingerprint(&mut conn).await.ok(),
    })
}
