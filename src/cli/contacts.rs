//! `aidline contacts`: what the line holds about one number. `export` prints all of it as JSON,
//! for a person who asks; `forget` removes it for good, as the request page's button does.

use clap::Subcommand;

use super::{CLI_ACTOR, database};
use crate::clock::Clock;
use crate::config::Settings;
use crate::phone::Phone;
use crate::privacy::{self, Forgetting, Person};
use crate::store::erasure::Reason;
use crate::store::personal;

#[derive(Subcommand, Debug)]
pub enum ContactsCommand {
    /// Print everything held about a number as JSON: the contact, conversations and answers,
    /// texts both ways, requests, calls, recordings (what is known of them, not the sound) and
    /// any volunteer record.
    Export { number: String },
    /// Forget a number for good: everything personal about it goes, its open requests are
    /// cancelled (their volunteers are told), and the counts stay. It cannot be undone.
    Forget { number: String },
    #[command(flatten)]
    Blocks(super::blocks::BlocksCommand),
}

pub async fn run(command: ContactsCommand, settings: &Settings) -> anyhow::Result<()> {
    let parse = |raw: &str| Phone::parse(raw, settings.default_region);
    match command {
        ContactsCommand::Blocks(command) => super::blocks::run(command, settings).await?,
        ContactsCommand::Export { number } => {
            let phone = parse(&number)?;
            let db = database(settings).await?;
            let Some(data) = personal::export(&mut *db.acquire().await?, phone.as_str()).await?
            else {
                anyhow::bail!("the line holds nothing about {}", phone.redacted());
            };
            println!("{}", serde_json::to_string_pretty(&data)?);
        }
        ContactsCommand::Forget { number } => {
            let phone = parse(&number)?;
            let db = database(settings).await?;
            let by = Forgetting {
                actor: CLI_ACTOR,
                reason: Reason::Asked,
                now: Clock::default().now_ms(),
            };
            let person = Person::Number(&phone);
            let Some(erased) = privacy::forget(&db, &settings.dispatch, person, by).await? else {
                anyhow::bail!("the line holds nothing about {}", phone.redacted());
            };
            println!("forgot {}", phone.redacted());
            println!("{}", serde_json::to_string_pretty(&erased)?);
        }
    }
    Ok(())
}
