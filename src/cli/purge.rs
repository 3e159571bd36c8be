//! `aidline purge`: removes what has outlived its retention now, as the service does every hour;
//! with `--dry-run`, only says what would go.

use super::database;
use crate::clock::Clock;
use crate::config::Settings;
use crate::privacy::{self, Purged};
use crate::store::purge::Mode;

pub async fn run(dry_run: bool, json: bool, settings: &Settings) -> anyhow::Result<()> {
    let db = database(settings).await?;
    let mode = if dry_run { Mode::DryRun } else { Mode::Apply };
    let now = Clock::default().now_ms();
    let purged = privacy::purge(&db, &settings.dispatch, &settings.retention, now, mode).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&purged)?);
    } else {
        print_report(&purged, dry_run);
    }
    Ok(())
}

fn print_report(purged: &Purged, dry_run: bool) {
    let verb = if dry_run { "would go" } else { "went" };
    println!("{:<32} {:>8}  {verb}", "what", "rows");
    println!(
        "{:<32} {:>8}",
        "quiet numbers, forgotten", purged.quiet_numbers
    );
    for s in &purged.swept {
        println!("{:<32} {:>8}", s.what, s.rows);
    }
    if dry_run {
        println!("nothing was changed (dry run)");
    }
}
