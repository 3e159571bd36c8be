//! `aidline tokens`: the JSON API's bearer tokens, for organisers who set a group up by script.
//! Admins can do the same at `/admin/tokens`.

use clap::Subcommand;

use super::when;
use crate::clock::Clock;
use crate::config::Settings;
use crate::store::tokens as stored;
use crate::tokens;

#[derive(Subcommand, Debug)]
pub enum TokensCommand {
    /// Make a token and print it on standard output; it cannot be shown again.
    Add { name: String },
    /// List the tokens, newest first, with when each was last used.
    List,
    /// Revoke a token: programs using it are refused from now on.
    Revoke { name: String },
}

pub async fn run(command: TokensCommand, settings: &Settings) -> anyhow::Result<()> {
    let zone = &settings.time_zone;
    let db = super::database(settings).await?;
    let mut conn = db.acquire().await?;
    let now = Clock::default().now_ms();
    match command {
        TokensCommand::Add { name } => {
            let token = tokens::add(&mut conn, &name, None, now).await?;
            eprintln!("made token {name}; copy it now, it cannot be shown again:");
            println!("{token}");
        }
        TokensCommand::List => {
            println!(
                "{:<24} {:<20} {:<21} {:<21} revoked",
                "name", "made by", "made (UTC)", "last used (UTC)"
            );
            for t in stored::all(&mut conn).await? {
                println!(
                    "{:<24} {:<20} {:<21} {:<21} {}",
                    t.name,
                    t.created_by.as_deref().unwrap_or("command line"),
                    when(zone, Some(t.created_at)),
                    when(zone, t.last_used_at),
                    when(zone, t.revoked_at)
                );
            }
        }
        TokensCommand::Revoke { name } => {
            tokens::revoke(&mut conn, &name, now).await?;
            println!("revoked {name}");
        }
    }
    Ok(())
}
