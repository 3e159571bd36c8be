//! `aidline chat`: talk to a flow in the terminal, as a neighbour would by text.
//!
//! Each line typed goes through the real intake (compliance words, trigger words, the engine,
//! request creation) on a console line, so what an organiser sees here is what a neighbour would
//! get. Unless asked to save, everything lives in a database in memory and is gone at exit.
//! [`Rehearsal`] is that line; the flow tests (`aidline flows test`) text it too.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};

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
pub const NEIGHBOUR: &str = "+15550000001";
const CHAT_LINE: &str = "+15550000000";

pub struct Options {
    pub flow: Option<String>,
    pub language: Option<String>,
    /// Write to the configured database instead of a throwaway one.
    pub save: bool,
}

/// The service on one console line running `flow`, texted by hand rather than by a gateway.
pub struct Rehearsal {
    pub app: App,
    line: Phone,
    sent: AtomicU64,
}

impl Rehearsal {
    /// Builds the service from `settings` with one console line in place of the configured ones;
    /// the flow defaults to the first configured line's.
    pub async fn start(
        mut settings: Settings,
        flow: Option<String>,
        save: bool,
    ) -> anyhow::Result<Rehearsal> {
        let line = Phone::parse(CHAT_LINE, settings.default_region)?;
        let flow = match flow {
            Some(flow) => flow,
            None => settings
                .lines
                .first()
                .map(|l| l.flow.clone())
                .unwrap_or_else(|| "intake".into()),
        };
        settings.lines = vec![Line {
            number: line.clone(),
            gateway: std::sync::Arc::new(Console),
            flow,
            opt_out_replies: OptOutReplies::Ours,
            segments_per_second: None,
            quiet_hours: None,
            smart_encoding: false,
            answer_calls: true,
        }];
        if !save {
            settings.database_url = "sqlite::memory:".into();
            // A throwaway line makes no demo account or volunteer.
            settings.demo = false;
        }
        let app = App::build(settings, Clock::default()).await?;
        Ok(Rehearsal {
            app,
            line,
            sent: AtomicU64::new(0),
        })
    }

    /// A number as the line's own region reads it.
    pub fn phone(&self, number: &str) -> anyhow::Result<Phone> {
        Ok(Phone::parse(
            number,
            self.app.state.settings.default_region,
        )?)
    }

    /// Has the line treat `from` as already speaking `language`.
    pub async fn speaks(&self, from: &Phone, language: &str) -> anyhow::Result<()> {
        let mut conn = self.app.state.db.acquire().await?;
        let ids = contacts::upsert_many(&mut conn, &[from.as_str()], 0).await?;
        contacts::set_language(&mut conn, ids[0].1, language).await?;
        Ok(())
    }

    /// Texts the line from `from`; the replies that text caused, in order.
    pub async fn text(&self, from: &Phone, body: &str) -> anyhow::Result<Vec<String>> {
        let turn = self.sent.fetch_add(1, Ordering::Relaxed);
        let text = Inbound {
            channel: crate::lifecycle::Channel::Sms,
            gateway: "console",
            gateway_id: Some(format!("rehearsal-{}-{turn}", std::process::id())),
            line: self.line.clone(),
            from: from.clone(),
            body: body.to_string(),
            media: Vec::new(),
        };
        let intake = &self.app.state.intake;
        Ok(match intake.receive(text).await? {
            Received::Handled { inbound_id } => intake.replies_to(inbound_id).await?,
            Received::Duplicate => Vec::new(),
        })
    }

    pub async fn close(self) {
        self.app.state.db.close().await;
    }
}

/// Runs a conversation over `input`, writing the line's replies to `output`, until end of input.
pub async fn run(
    settings: Settings,
    options: Options,
    input: impl BufRead,
    mut output: impl Write,
) -> anyhow::Result<()> {
    let line = Rehearsal::start(settings, options.flow, options.save).await?;
    let neighbour = line.phone(NEIGHBOUR)?;
    if let Some(language) = &options.language {
        line.speaks(&neighbour, language).await?;
    }
    let prompt = std::io::stdin().is_terminal();
    let mut lines = input.lines();
    loop {
        if prompt {
            write!(output, "> ")?;
            output.flush()?;
        }
        let Some(text) = lines.next().transpose()? else {
            break;
        };
        for reply in line.text(&neighbour, &text).await? {
            writeln!(output, "{reply}")?;
        }
        output.flush()?;
    }
    line.close().await;
    Ok(())
}
