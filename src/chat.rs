//! `aidline chat`: talk to a flow in the terminal, as a neighbour would by text.
//!
//! Each line typed goes through the real intake (compliance words, trigger words, the engine,
//! request creation) on a console line, so what an organiser sees here is what a neighbour would
//! get. Unless asked to save, everything lives in a database in memory and is gone at exit.

use std::io::{BufRead, IsTerminal, Write};

use crate::app::App;
use crate::clock::Clock;
use crate::config::Settings;
use crate::gateway::console::Console;
use crate::gateway::{Inbound, OptOutReplies};
use crate::intake::Received;
use crate::line::Line;
use crate::phone::Phone;
use crate::store::contacts;

/// The number the chat pretends to text from and to.
const NEIGHBOUR: &str = "+15550000001";
const CHAT_LINE: &str = "+15550000000";

pub struct Options {
    pub flow: Option<String>,
    pub language: Option<String>,
    /// Write to the configured database instead of a throwaway one.
    pub save: bool,
}

/// Runs a conversation over `input`, writing the line's replies to `output`, until end of input.
pub async fn run(
    mut settings: Settings,
    options: Options,
    input: impl BufRead,
    mut output: impl Write,
) -> anyhow::Result<()> {
    let region = settings.default_region;
    let line_number = Phone::parse(CHAT_LINE, region)?;
    let flow = match options.flow {
        Some(flow) => flow,
        None => settings
            .lines
            .first()
            .map(|l| l.flow.clone())
            .unwrap_or_else(|| "intake".into()),
    };
    settings.lines = vec![Line {
        number: line_number.clone(),
        gateway: std::sync::Arc::new(Console),
        flow,
        opt_out_replies: OptOutReplies::Ours,
        segments_per_second: None,
        quiet_hours: None,
    }];
    if !options.save {
        settings.database_url = "sqlite::memory:".into();
    }
    let app = App::build(settings, Clock::default()).await?;
    let neighbour = Phone::parse(NEIGHBOUR, region)?;
    if let Some(language) = &options.language {
        let mut conn = app.state.db.acquire().await?;
        let ids = contacts::upsert_many(&mut conn, &[neighbour.as_str()], 0).await?;
        contacts::set_language(&mut conn, ids[0].1, language).await?;
    }
    let intake = app.state.intake.clone();
    let prompt = std::io::stdin().is_terminal();
    let mut lines = input.lines();
    for turn in 0u64.. {
        if prompt {
            write!(output, "> ")?;
            output.flush()?;
        }
        let Some(text) = lines.next().transpose()? else {
            break;
        };
        let text = Inbound {
            gateway: "console",
            gateway_id: Some(format!("chat-{}-{turn}", std::process::id())),
            line: line_number.clone(),
            from: neighbour.clone(),
            body: text,
            media: Vec::new(),
        };
        if let Received::Handled { inbound_id } = intake.receive(text).await? {
            for reply in intake.replies_to(inbound_id).await? {
                writeln!(output, "{reply}")?;
            }
        }
        output.flush()?;
    }
    app.state.db.close().await;
    Ok(())
}
