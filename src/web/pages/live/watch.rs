//! One watcher per copy of the service for what open pages follow: small fingerprints of the
//! requests and of the texts, shared with every page through a `watch` channel, so twenty open
//! pages cost the database what one does.
//!
//! It looks once a second. On PostgreSQL it also LISTENs for the notifications the database sends
//! when the queue changes (migrations 0021 and 0022), from whichever copy made the change, and
//! looks at once, so a dispatcher sees a new request without waiting out the second. New texts do
//! not notify: on a busy line that made every intake commit wait its turn, and the one page
//! following the texts (the phone simulator) can wait a second. The listening connection is its
//! own, made from `database_listen_url` when set (PgBouncer in transaction pooling mode would hand
//! a pooled connection to others and lose the LISTEN); while it is down the second's look goes on.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::{OnceCell, watch};
use tokio_util::sync::CancellationToken;

use crate::store::{Backend, Db, history, queue};

/// The channel migration 0021's triggers notify.
const CHANNEL: &str = "aidline_changes";
/// How often the database is looked at when nothing tells the watcher about changes.
const POLL: Duration = Duration::from_secs(1);
/// The least time between two looks: a busy line changes the texts hundreds of times a second,
/// and each page that hears of a change fetches itself again.
const MIN_GAP: Duration = Duration::from_millis(250);

/// What was last seen; a fingerprint is `None` when the database could not be asked (the next
/// look tries again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Seen {
    pub requests: Option<(i64, i64)>,
    pub texts: Option<(i64, i64)>,
}

/// The watcher of one copy of the service, started when the first page opens. Cheap to clone:
/// clones share it.
#[derive(Clone)]
pub struct Changes {
    db: Db,
    listen_url: Option<String>,
    seen: std::sync::Arc<OnceCell<watch::Receiver<Seen>>>,
}

impl Changes {
    /// `listen_url` is the connection to LISTEN on, when not the pool's own database URL.
    pub fn new(db: Db, database_url: &str, listen_url: Option<&str>) -> Changes {
        let listen_url = match db.backend() {
            Backend::Postgres => Some(listen_url.unwrap_or(database_url).to_string()),
            Backend::Sqlite => None,
        };
        Changes {
            db,
            listen_url,
            seen: Default::default(),
        }
    }

    /// What pages follow, starting the watcher if no page has yet; it runs until `stopping`.
    pub(super) async fn follow(&self, stopping: &CancellationToken) -> watch::Receiver<Seen> {
        let started = self.seen.get_or_init(|| async {
            let (tell, seen) = watch::channel(look(&self.db).await);
            let listen_url = self.listen_url.clone();
            tokio::spawn(run(self.db.clone(), listen_url, tell, stopping.clone()));
            seen
        });
        started.await.clone()
    }
}

/// Both fingerprints, each `None` when it could not be read.
async fn look(db: &Db) -> Seen {
    let Ok(mut conn) = db.acquire().await else {
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

/// Why the watcher looks again.
enum Wake {
    Stop,
    Look,
    /// The listening connection failed: poll until it is back.
    Lost(sqlx::Error),
}

async fn run(
    db: Db,
    listen_url: Option<String>,
    tell: watch::Sender<Seen>,
    stopping: CancellationToken,
) {
    let mut listener: Option<PgListener> = None;
    let mut said_down = false;
    loop {
        if listener.is_none()
            && let Some(url) = &listen_url
        {
            match listen(url).await {
                Ok(l) => {
                    if said_down {
                        tracing::info!("listening for changes again");
                    }
                    (listener, said_down) = (Some(l), false);
                }
                Err(e) if !said_down => {
                    tracing::warn!(error = %e, "cannot listen for changes; open pages poll meanwhile");
                    said_down = true;
                }
                Err(_) => {}
            }
        }
        let wake = match listener.as_mut() {
            Some(l) => tokio::select! {
                _ = stopping.cancelled() => Wake::Stop,
                _ = tokio::time::sleep(POLL) => Wake::Look,
                // `Ok(None)`: the connection dropped and is being made again; changes meanwhile
                // went unheard, so look.
                heard = l.try_recv() => heard.map_or_else(Wake::Lost, |_| Wake::Look),
            },
            None => tokio::select! {
                _ = stopping.cancelled() => Wake::Stop,
                _ = tokio::time::sleep(POLL) => Wake::Look,
            },
        };
        match wake {
            Wake::Stop => return,
            Wake::Look => {}
            Wake::Lost(e) => {
                tracing::warn!(error = %e, "stopped hearing about changes; open pages poll meanwhile");
                (listener, said_down) = (None, true);
            }
        }
        // Whatever else arrived is covered by the look that follows.
        while listener
            .as_mut()
            .and_then(PgListener::next_buffered)
            .is_some()
        {}
        let now = look(&db).await;
        tell.send_if_modified(|seen| std::mem::replace(seen, now) != now);
        tokio::select! {
            _ = stopping.cancelled() => return,
            _ = tokio::time::sleep(MIN_GAP) => {}
        }
    }
}

async fn listen(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_page_follows_the_one_watcher() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        let changes = Changes::new(db, "sqlite::memory:", None);
        let stopping = CancellationToken::new();
        let first = changes.follow(&stopping).await;
        for _ in 0..20 {
            let page = changes.clone().follow(&stopping).await;
            assert!(page.same_channel(&first));
        }
        stopping.cancel();
    }
}
