//! `aidline chat`: talk to a flow in the terminal, as a neighbour would by text, or (`--voice`)
//! as a caller would on the phone.
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
use crate::flow::MESSAGE_KEY;
use crate::gateway::console::Console;
use crate::gateway::{Heard, Inbound, OptOutReplies};
use crate::intake::Received;
use crate::lifecycle::Channel;
use crate::line::Line;
use crate::phone::Phone;
use crate::store::contacts;
use crate::voice::Listen;

/// The number the chat pretends to text from and to.
pub const NEIGHBOUR: &str = "+15550000001";
const CHAT_LINE: &str = "+15550000000";

pub struct Options {
    pub flow: Option<String>,
    pub language: Option<String>,
    /// Write to the configured database instead of a throwaway one.
    pub save: bool,
    /// Call the line instead of texting it: keys and words typed stand for what a caller presses
    /// and says.
    pub voice: bool,
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
            channel: Channel::Sms,
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
            Received::Duplicate | Received::Blocked => Vec::new(),
        })
    }

    /// One turn of a call from `from`: what they pressed or said (nothing, to begin the call);
    /// what the line says back, and what it waits for next (`None` when it hangs up).
    pub async fn call(
        &self,
        from: &Phone,
        heard: &Heard,
    ) -> anyhow::Result<(Vec<String>, Option<Listen>)> {
        let turn = self.sent.fetch_add(1, Ordering::Relaxed);
        let key = format!("rehearsal-call-{}-{turn}", std::process::id());
        let intake = &self.app.state.intake;
        Ok(intake.call_turn(&self.line, from, key, heard).await?)
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
    if options.voice {
        return call(line, &neighbour, input, output).await;
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

/// A call over `input`: a line of keys (`1`, `3#`, `*`) is pressed, an empty line is silence, and
/// anything else is said. What the line says, and what it waits for, are written to `output`.
async fn call(
    line: Rehearsal,
    caller: &Phone,
    input: impl BufRead,
    mut output: impl Write,
) -> anyhow::Result<()> {
    let mut heard = Heard::Nothing;
    let mut lines = input.lines();
    loop {
        let (replies, listen) = line.call(caller, &heard).await?;
        for reply in replies {
            writeln!(output, "line: {reply}")?;
        }
        let Some(listen) = listen else {
            writeln!(output, "(the line hangs up)")?;
            break;
        };
        writeln!(output, "({})", waits_for(&listen))?;
        output.flush()?;
        let Some(typed) = lines.next().transpose()? else {
            break;
        };
        let typed = typed.trim();
        heard = if typed.is_empty() {
            Heard::Nothing
        } else if typed
            .chars()
            .all(|c| c.is_ascii_digit() || c == '#' || c == '*')
        {
            if typed.trim_end_matches('#') == MESSAGE_KEY {
                writeln!(
                    output,
                    "(on a call this records a message for a person; not here)"
                )?;
                break;
            }
            Heard::Keys(typed.to_string())
        } else {
            Heard::Speech {
                text: typed.to_string(),
                confidence: None,
            }
        };
    }
    line.close().await;
    Ok(())
}

/// What a caller can do at a question, in a few words.
fn waits_for(listen: &Listen) -> String {
    let keys = match (listen.keys, listen.max_keys, listen.end_key) {
        (false, _, _) => None,
        (true, Some(1), _) => Some("press a key".to_string()),
        (true, _, Some(end)) => Some(format!("type digits and {end}")),
        (true, _, None) => Some("type digits".to_string()),
    };
    let said = listen.speech.then(|| "say it".to_string());
    let ways: Vec<String> = keys.into_iter().chain(said).collect();
    format!("{}; * skips; 0 leaves a message", ways.join(" or "))
}
