//! `aidline contacts block|unblock NUMBER`: the block list from the command line. A dispatcher
//! blocks from a request's page too; only here can a number be unblocked, since the list keeps
//! no number to show.

use anyhow::Context;
use clap::Subcommand;

use crate::clock::Clock;
use crate::config::Settings;
use crate::phone::Phone;
use crate::safety::blocks::{self, ChangedBy};
use crate::store::blocks::BlockChange;

#[derive(Subcommand, Debug)]
pub enum BlocksCommand {
    /// Block a number: the line stores and answers nothing it sends, and refuses its calls.
    Block { number: String },
    /// Unblock a number: the line hears it again.
    Unblock { number: String },
}

pub async fn run(command: BlocksCommand, settings: &Settings) -> anyhow::Result<()> {
    let (change, number) = match command {
        BlocksCommand::Block { number } => (BlockChange::Blocked, number),
        BlocksCommand::Unblock { number } => (BlockChange::Unblocked, number),
    };
    let phone = Phone::parse(&number, settings.default_region)
        .with_context(|| format!("{number:?} is not a phone number"))?;
    let db = super::database(settings).await?;
    let by = ChangedBy {
        actor: super::CLI_ACTOR,
        request_id: None,
    };
    let now = Clock::default().now_ms();
    let changed = blocks::change(&db, &settings.safety, change, &phone, by, now).await?;
    let number = phone.redacted();
    match (change, changed) {
        (BlockChange::Blocked, true) => println!("blocked {number}"),
        (BlockChange::Blocked, false) => println!("{number} was blocked already"),
        (BlockChange::Unblocked, true) => println!("unblocked {number}"),
        (BlockChange::Unblocked, false) => println!("{number} was not blocked"),
    }
    Ok(())
}
