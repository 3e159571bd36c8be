//! `aidline wind-down --export FILE`: the last thing a group that stops does. The counts the stats
//! page shows, over the line's whole life and per week, go to FILE as JSON; then every person the
//! line knows is forgotten and the rest is purged. Only a line already winding down (`[wind_down]`
//! set) may be wiped, so nobody empties a live line by mistake.
//!
//! Nobody is texted: by now the jobs are done, and any text a forgetting would queue (to a
//! volunteer whose job is cancelled) is removed with its recipient, who is forgotten too.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use serde::Serialize;

use super::{CLI_ACTOR, database};
use crate::clock::Clock;
use crate::config::Settings;
use crate::dispatch::SIGN_UP_QUEUE;
use crate::local_time::LocalTime;
use crate::privacy::{self, Forgetting, Person};
use crate::store::erasure::Reason;
use crate::store::purge::Mode;
use crate::store::stats::{self, DAY_MS, Timing};
use crate::store::{Conn, StoreError};

const MINUTE_MS: i64 = 60 * 1000;

/// A week's requests, per queue.
#[derive(Debug, Serialize)]
struct Week {
    /// The Monday-or-whichever day it begins, in the group's time zone: weeks end today.
    starts: String,
    made: BTreeMap<String, u64>,
}

/// How a queue's requests (or all of them, `queue` empty) went, as the stats page times them.
#[derive(Debug, Serialize)]
struct Times {
    queue: String,
    made: usize,
    claimed: usize,
    median_minutes_to_claim: Option<i64>,
    delivered: usize,
    median_minutes_to_delivery: Option<i64>,
}

impl From<Timing> for Times {
    fn from(t: Timing) -> Times {
        let minutes = |ms: Option<i64>| ms.map(|ms| ms / MINUTE_MS);
        Times {
            queue: t.queue.unwrap_or_default(),
            made: t.made,
            claimed: t.claimed,
            median_minutes_to_claim: minutes(t.to_claim),
            delivered: t.delivered,
            median_minutes_to_delivery: minutes(t.to_delivery),
        }
    }
}

/// Counts and durations only: nothing in it names or points to a person.
#[derive(Debug, Serialize)]
struct Summary {
    time_zone: String,
    weeks: Vec<Week>,
    /// Per queue, then every queue together (`queue` empty).
    queues: Vec<Times>,
}

async fn summary(conn: &mut Conn, zone: &LocalTime, now: i64) -> Result<Summary, StoreError> {
    let made = stats::made_since(conn, 0, SIGN_UP_QUEUE).await?;
    let first = made.iter().map(|m| m.created_at).min().unwrap_or(now);
    // Whole weeks back to the first request, counted in the group's days so that the weeks end
    // with today as the stats page's days do.
    let days = ((now - first) / DAY_MS + 7) / 7 * 7;
    let weeks: Vec<i64> = zone.last_days(now, days).into_iter().step_by(7).collect();
    let summed = stats::summarise(&made, &[], now, &weeks);
    let per_week = summed.days.iter().zip(&summed.per_day);
    Ok(Summary {
        time_zone: zone.name().to_string(),
        weeks: per_week
            .map(|(&start, counts)| Week {
                starts: zone.format(start, "%Y-%m-%d"),
                made: summed.queues.iter().cloned().zip(counts.clone()).collect(),
            })
            .collect(),
        queues: summed.timings.into_iter().map(Times::from).collect(),
    })
}

/// Asks on the terminal; anything but `yes` keeps the line as it is.
fn confirmed() -> anyhow::Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        anyhow::bail!("add --yes to wind down without a terminal to confirm on");
    }
    print!("Every number, conversation and answer the line holds will be deleted. Type yes: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

pub async fn run(export: &Path, yes: bool, settings: &Settings) -> anyhow::Result<()> {
    if !settings.wind_down.is_on() {
        anyhow::bail!(
            "the line is not winding down: set [wind_down] referral first (docs/privacy.md)"
        );
    }
    if !yes && !confirmed()? {
        anyhow::bail!("nothing was changed");
    }
    let db = database(settings).await?;
    let now = Clock::default().now_ms();
    let summary = summary(&mut *db.acquire().await?, &settings.time_zone, now).await?;
    std::fs::write(export, serde_json::to_vec_pretty(&summary)?)?;
    let contacts: Vec<i64> = sqlx::query_scalar("SELECT id FROM contacts ORDER BY id")
        .fetch_all(&mut *db.acquire().await?)
        .await?;
    let by = Forgetting {
        actor: CLI_ACTOR,
        reason: Reason::Asked,
        now,
    };
    for id in &contacts {
        privacy::forget(&db, &settings.dispatch, Person::Contact(*id), by).await?;
    }
    let retention = &settings.retention;
    privacy::purge(&db, &settings.dispatch, retention, now, Mode::Apply).await?;
    println!(
        "counts written to {}; {} numbers forgotten and the rest purged",
        export.display(),
        contacts.len()
    );
    Ok(())
}
