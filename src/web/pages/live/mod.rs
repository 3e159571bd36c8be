//! `GET /events`: server-sent events when the requests change (`queue`), so an open queue page
//! can refresh itself, and when a text comes in or is queued to go out (`texts`), for the phone
//! simulator. Every page follows the one watcher of its copy of the service (`watch`), which sees
//! changes made by any copy, not only this one. Each page asks after its own session before it
//! tells of a change and every few seconds besides, and the stream ends with the session.

mod watch;

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use futures_util::{StreamExt, stream};

pub use self::watch::Changes;
use self::watch::Seen;
use crate::store::users;
use crate::web::AppState;
use crate::web::session::SignedIn;

/// How often a page with nothing to tell asks whether its session is still there.
const SESSION_EVERY: Duration = Duration::from_secs(3);

pub async fn events(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let session = signed_in.session().to_string();
    let mut changes = state.changes.follow(&state.stopping).await;
    let start = *changes.borrow_and_update();
    let stream = stream::unfold(
        (state, session, changes, start),
        |(state, session, mut changes, mut seen)| async move {
            loop {
                tokio::select! {
                    _ = state.stopping.cancelled() => return None,
                    changed = changes.changed() => changed.ok()?,
                    _ = tokio::time::sleep(SESSION_EVERY) => {
                        session_goes_on(&state, &session).await?;
                        continue;
                    }
                }
                let now: Seen = *changes.borrow_and_update();
                // A page left open must not keep hearing about the queue once its session is
                // gone: signed out, disabled or expired.
                session_goes_on(&state, &session).await?;
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
                    return Some((stream::iter(events), (state, session, changes, seen)));
                }
            }
        },
    );
    Sse::new(stream.flatten()).keep_alive(KeepAlive::default())
}

/// `None` once the session has ended. A database that cannot be asked ends nothing: the next
/// look asks again.
async fn session_goes_on(state: &AppState, session: &str) -> Option<()> {
    let Ok(mut conn) = state.db.acquire().await else {
        return Some(());
    };
    let now = state.clock.now_ms();
    match users::by_session(&mut conn, session, now).await {
        Ok(None) => None,
        _ => Some(()),
    }
}
