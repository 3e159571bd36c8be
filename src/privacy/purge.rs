//! The purge: quiet numbers are forgotten (by [`forget`], texting nobody: they have nothing
//! open), then every other kind ages out ([`store::purge`]). The service runs it on a schedule;
//! `aidline purge --dry-run` shows what it would do.

use serde::Serialize;

use super::{Forgetting, Person, forget};
use crate::dispatch::DispatchSettings;
use crate::store::erasure::{self, Reason};
use crate::store::purge::{self, Mode, Retention, Swept};
use crate::store::{Db, StoreError};

/// The actor that request events and the record of forgetting name for the purge.
pub const ACTOR: &str = "retention";

/// What one purge removed (or, in a dry run, would remove).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// Numbers forgotten for being quiet too long.
    pub quiet_numbers: u64,
    pub swept: Vec<Swept>,
}

impl Purged {
    pub fn is_empty(&self) -> bool {
        self.quiet_numbers == 0 && self.swept.iter().all(|s| s.rows == 0)
    }
}

/// Purges what has outlived `retention` at `now`; with [`Mode::DryRun`] only counts it.
pub async fn purge(
    db: &Db,
    settings: &DispatchSettings,
    retention: &Retention,
    now: i64,
    mode: Mode,
) -> Result<Purged, StoreError> {
    let quiet =
        purge::quiet_contacts(&mut *db.acquire().await?, retention.quiet_since(now)).await?;
    if mode == Mode::Apply {
        let by = Forgetting {
            actor: ACTOR,
            reason: Reason::Retention,
            now,
        };
        for id in &quiet {
            forget(db, settings, Person::Contact(*id), by).await?;
        }
    }
    let mut tx = db.begin().await?;
    let swept = purge::sweep(&mut tx, retention, now, mode).await?;
    // A last text to someone forgotten that the outbox failed without sending (its line was
    // removed from the settings) goes here.
    let farewells = match mode {
        Mode::Apply => erasure::let_go_of_farewells(&mut tx).await?,
        Mode::DryRun => 0,
    };
    tx.commit().await?;
    let purged = Purged {
        quiet_numbers: quiet.len() as u64,
        swept,
    };
    if mode == Mode::Apply && (!purged.is_empty() || farewells > 0) {
        db.flush_erased().await?;
        tracing::info!(quiet_numbers = purged.quiet_numbers, "purged what aged out");
    }
    Ok(purged)
}
