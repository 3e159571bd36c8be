//! One state: where it leads, what it does, and whether it can go on or end as written.

use std::ops::Range;

use toml::Spanned;

use super::{Checker, DEFAULT_MAX_ATTEMPTS};
use crate::flow::load::FileCtx;
use crate::flow::model::{Actions, Branch, CreateRequest, GiveUp, Input, State, Texts};
use crate::flow::raw::RawState;

impl Checker<'_> {
    /// Reads `on_give_up`: `handoff`, `end`, or a state of the flow to go on at. A bad value is
    /// reported and `otherwise` stands in, so checking goes on.
    pub(super) fn give_up(
        &self,
        ctx: &mut FileCtx<'_>,
        raw: &Spanned<String>,
        otherwise: &GiveUp,
    ) -> GiveUp {
        match raw.get_ref().as_str() {
            "handoff" => GiveUp::Handoff,
            "end" => GiveUp::End,
            state if self.states.contains_key(state) => GiveUp::GoTo(state.to_string()),
            other => {
                ctx.error(
                    &raw.span(),
                    format!(
                        "`on_give_up = \"{other}\"` is not an option; use \"handoff\", \"end\" or the name of a state in this flow"
                    ),
                );
                otherwise.clone()
            }
        }
    }

    pub(super) fn next(&self, ctx: &mut FileCtx<'_>, next: &Spanned<String>) -> String {
        if !self.states.contains_key(next.get_ref()) {
            ctx.error(
                &next.span(),
                format!(
                    "`next` points to `{}`, which is not a state in this flow",
                    next.get_ref()
                ),
            );
        }
        next.get_ref().clone()
    }

    pub(super) fn state(
        &self,
        ctx: &mut FileCtx<'_>,
        name: &str,
        raw: &Spanned<RawState>,
        flow_give_up: &GiveUp,
    ) -> State {
        let span = raw.span();
        let raw = raw.get_ref();
        let what = format!("state `{name}`");
        self.texts(ctx, &raw.say, &span, &what);
        self.spoken(
            ctx,
            &raw.speak,
            &span,
            &format!("the spoken text of state `{name}`"),
        );
        self.texts(
            ctx,
            &raw.invalid,
            &span,
            &format!("the `invalid` text of state `{name}`"),
        );
        self.texts(
            ctx,
            &raw.thanks,
            &span,
            &format!("the `thanks` text of state `{name}`"),
        );
        let next = raw.next.as_ref().map(|n| self.next(ctx, n));
        let input = self.input(ctx, name, raw, &span);
        if let Input::Choice(choices) = &input {
            self.call_keys(ctx, name, choices, &span);
        }
        self.misplaced_keys(ctx, name, raw, &input, &span);
        let mut branches = Vec::new();
        for b in &raw.branches {
            for key in b.when.get_ref().keys() {
                if !self.known.contains(key) {
                    ctx.error(&b.when.span(), format!("a branch of state `{name}` tests `{key}`, but no state saves an answer by that name"));
                }
            }
            branches.push(Branch {
                when: b.when.get_ref().clone(),
                next: self.next(ctx, &b.next),
            });
        }
        if let Input::Choice(choices) = &input
            && next.is_none()
            && !raw.end
            && choices.iter().any(|c| c.next.is_none())
        {
            ctx.error(
                &span,
                format!("a choice in state `{name}` has no `next`, and neither has the state"),
            );
        }
        let actions = self.actions(ctx, name, raw);
        // A message goes to a person once it is left: the state ends the conversation, after
        // its answer rather than on arrival.
        let takes_message = matches!(input, Input::Message { .. });
        if takes_message && (next.is_some() || !branches.is_empty() || raw.end) {
            ctx.error(&span, format!("state `{name}` takes a message, after which a person takes over; it cannot have `next`, branches or `end`"));
        }
        if takes_message && raw.thanks.is_empty() {
            ctx.error(&span, format!("state `{name}` takes a message but says nothing once it is left; add `thanks.LANG` texts saying a person will read it"));
        }
        let terminal = raw.end || actions.handoff.is_some() || takes_message;
        let asks = !matches!(input, Input::None);
        if asks && terminal && !takes_message {
            let what = if raw.end {
                "`end = true`"
            } else {
                "a `handoff` action"
            };
            ctx.error(&span, format!("state `{name}` asks a question but has {what}, so the conversation would end before the answer comes"));
        }
        if asks && !branches.is_empty() && next.is_none() && !matches!(input, Input::Choice(_)) {
            ctx.error(&span, format!("state `{name}` has branches but no `next` for an answer that matches none of them"));
        }
        if raw.optional && next.is_none() && matches!(input, Input::Choice(_)) {
            ctx.error(
                &span,
                format!(
                    "state `{name}` is optional, so it needs a `next` for someone who skips it"
                ),
            );
        }
        if matches!(input, Input::None) && next.is_none() && branches.is_empty() && !terminal {
            ctx.error(
                &span,
                format!(
                    "state `{name}` waits for nothing and has no `next`; add `next` or `end = true`"
                ),
            );
        }
        if !matches!(input, Input::None | Input::Choice(_))
            && next.is_none()
            && branches.is_empty()
            && !terminal
        {
            ctx.error(
                &span,
                format!("state `{name}` takes an answer but has no `next`"),
            );
        }
        if raw.optional && matches!(input, Input::None) {
            ctx.error(
                &span,
                format!("state `{name}` is optional but asks nothing"),
            );
        }
        let on_give_up = match &raw.on_give_up {
            Some(g) => {
                let own = self.give_up(ctx, g, flow_give_up);
                if own == GiveUp::GoTo(name.to_string()) {
                    ctx.error(
                        &g.span(),
                        format!(
                            "state `{name}` gives up by going to itself, so it would ask forever"
                        ),
                    );
                }
                own
            }
            // The flow's give-up state, when it is this one, hands over rather than circling.
            None if *flow_give_up == GiveUp::GoTo(name.to_string()) => GiveUp::Handoff,
            None => flow_give_up.clone(),
        };
        State {
            say: Texts(raw.say.clone()),
            speak: Texts(raw.speak.clone()),
            audio: self.recordings(ctx, name, raw),
            input,
            save_as: raw.save.clone().unwrap_or_else(|| name.to_string()),
            optional: raw.optional,
            next,
            branches,
            invalid: Texts(raw.invalid.clone()),
            thanks: Texts(raw.thanks.clone()),
            max_attempts: raw.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1),
            on_give_up,
            actions,
            end: raw.end,
        }
    }

    /// Keys that only mean something for another kind of question would be silently ignored;
    /// an organiser who wrote them expects them to work, so say so.
    fn misplaced_keys(
        &self,
        ctx: &mut FileCtx<'_>,
        name: &str,
        raw: &RawState,
        input: &Input,
        span: &Range<usize>,
    ) {
        let mut misplaced = Vec::new();
        if !raw.choices.is_empty() && !matches!(input, Input::Choice(_)) {
            misplaced.push("choices");
        }
        if raw.save.is_some() && matches!(input, Input::None | Input::Choice(_)) {
            misplaced.push("save");
        }
        if (raw.min.is_some() || raw.max.is_some()) && !matches!(input, Input::Number { .. }) {
            misplaced.push("min/max");
        }
        if raw.max_length.is_some() && !matches!(input, Input::Text { .. } | Input::Message { .. })
        {
            misplaced.push("max_length");
        }
        if !raw.thanks.is_empty() && !matches!(input, Input::Message { .. }) {
            misplaced.push("thanks");
        }
        for key in misplaced {
            ctx.error(
                span,
                format!("state `{name}` has `{key}`, which does nothing for this kind of question"),
            );
        }
    }

    fn actions(&self, ctx: &mut FileCtx<'_>, name: &str, raw: &RawState) -> Actions {
        let Some(action) = raw.action.as_ref() else {
            return Actions::default();
        };
        let span = action.span();
        let action = action.get_ref();
        let what = format!("the action of state `{name}`");
        let create_request = action.create_request.as_ref().map(|c| {
            self.template(ctx, &c.queue, &span, &what);
            for field in c.fields.iter().filter(|f| !self.known.contains(*f)) {
                ctx.error(
                    &span,
                    format!("{what} copies the answer `{field}`, which no state saves"),
                );
            }
            CreateRequest {
                queue: c.queue.clone(),
                fields: c.fields.clone(),
                priority: c.priority,
            }
        });
        if let Some(template) = &action.set_name {
            self.template(ctx, template, &span, &what);
        }
        Actions {
            create_request,
            set_name: action.set_name.clone(),
            handoff: action.handoff.clone(),
        }
    }
}
