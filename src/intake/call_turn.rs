//! A call rehearsed without a provider (the terminal's `chat --voice`, the simulator page): one
//! turn taken through intake on the console line, and what the line waits for next.

use super::{Intake, IntakeError, Received};
use crate::flow::Session;
use crate::gateway::{Heard, Inbound};
use crate::lifecycle::Channel;
use crate::phone::Phone;
use crate::voice::{Listen, Step, turn};

impl Intake {
    /// One turn of a call from `from` to `line`, told apart from every other by `key`: what the
    /// caller pressed or said (nothing, to begin), the line's words back, and what it waits for
    /// next (`None` when it hangs up).
    pub async fn call_turn(
        &self,
        line: &Phone,
        from: &Phone,
        key: String,
        heard: &Heard,
    ) -> Result<(Vec<String>, Option<Listen>), IntakeError> {
        let flows = self.flows().current();
        let at = |session: &Option<Session>| {
            let session = session.as_ref()?;
            let flow = flows.get(&session.flow)?;
            Some((flow, flow.states.get(&session.state)?))
        };
        let (before, _) = self.standing(from).await?;
        let message = Inbound {
            channel: Channel::Voice,
            gateway: "console",
            gateway_id: Some(key),
            line: line.clone(),
            from: from.clone(),
            body: turn::heard_as_text(heard, at(&before)),
            media: Vec::new(),
        };
        let (replies, held) = match self.receive(message).await? {
            Received::Handled { inbound_id } => (
                self.replies_to(inbound_id).await?,
                self.held(inbound_id).await?,
            ),
            Received::Duplicate => (Vec::new(), false),
            Received::Blocked => return Ok((Vec::new(), None)),
        };
        if held {
            // Past the limit the call ends after the notice, wherever the caller was.
            return Ok((replies, None));
        }
        let (after, known) = self.standing(from).await?;
        let language = after
            .as_ref()
            .map(|s| s.language.clone())
            .or(known)
            .unwrap_or_default();
        let next = turn::Turn {
            replies: &[],
            waiting: at(&after).map(|(_, state)| state),
            language: &language,
            action: String::new(),
        };
        let script = turn::compose(&next, &self.core.settings.voice, true);
        let listen = script.steps.into_iter().find_map(|step| match step {
            Step::Listen(listen) => Some(listen),
            _ => None,
        });
        Ok((replies, listen))
    }
}
