//! The conversation engine: `(flow, session, input) → (session, effects)`, with no I/O.
//!
//! Every call does a bounded amount of work: one answer is read, and the walk through states that
//! wait for nothing stops after as many states as the flow has.

use std::collections::BTreeMap;

use super::Session;
use super::audio::Prompt;
use super::check::{CONTACT_NAME, REQUEST_CODE};
use super::model::{Flow, GiveUp, Input, State, Texts};
use super::off_menu::{self, SAID};
use super::text::{ascii_digit, fold, render};
use crate::lifecycle::SessionEnd;
use crate::phone::Phone;

/// How often an optional question takes an answer it cannot place before it moves on.
const OPTIONAL_TRIES: u32 = 2;
/// Why a conversation that ends in a message goes to a person, when its state gives no reason.
pub const LEFT_A_MESSAGE: &str = "left a message";

/// Something the caller must do because of a step, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Answer the contact. `{request.code}` is left for the caller, who knows the code.
    Reply(Reply),
    /// Remember this language for the contact's future conversations.
    SetLanguage(String),
    /// Remember the name the contact wants to be called.
    SetName(String),
    /// Put a request on a queue.
    CreateRequest {
        queue: String,
        fields: BTreeMap<String, String>,
        priority: i64,
    },
    /// Hand the conversation to a person.
    Handoff { reason: String },
}

/// What the line answers, as a text, and as said on a call where the state words it otherwise
/// ("Press 1" for "Reply 1").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    pub spoken: Option<String>,
    /// The organiser's recording of the spoken words, when the reply is a state's own question
    /// and there is one in the conversation's language.
    pub recorded: Option<Prompt>,
}

impl Reply {
    /// The words for a text, or for a call.
    pub fn for_call(self, on_a_call: bool) -> String {
        match self.spoken {
            Some(spoken) if on_a_call => spoken,
            _ => self.text,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Completed,
    HandedOff,
    GaveUp,
}

impl From<Ended> for SessionEnd {
    fn from(ended: Ended) -> SessionEnd {
        match ended {
            Ended::Completed => SessionEnd::Completed,
            Ended::HandedOff => SessionEnd::HandedOff,
            Ended::GaveUp => SessionEnd::GaveUp,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub session: Session,
    pub effects: Vec<Effect>,
    /// Set when the conversation is over.
    pub ended: Option<Ended>,
    /// The contact's name to use, as known after this step.
    name: Option<String>,
}

/// A stored conversation taken up again.
enum Resumed<'a> {
    At(&'a State, Step),
    Restarted(Step),
}

/// What an answer to a state amounts to.
enum Answer {
    /// Saved under the state's answer name (plus whatever a choice sets).
    Value(String, Option<usize>),
    /// "skip" to an optional question.
    Skipped,
}

impl Flow {
    /// Starts a conversation for a contact with a remembered language and name, if any.
    pub fn start(&self, language: Option<&str>, name: Option<&str>) -> Step {
        let mut step = self.first_step(language, name);
        self.enter(&mut step, self.start.clone());
        step
    }

    /// Starts a conversation with the text that began it. A greeting is no answer; a sentence
    /// ("hola necesito comida para mi familia") is kept as what they said first, and when its
    /// language is clear and unknown till now it answers the start state's language question.
    pub fn start_with(&self, first_text: &str, language: Option<&str>, name: Option<&str>) -> Step {
        if !off_menu::is_sentence(first_text) {
            return self.start(language, name);
        }
        let guessed = match language {
            Some(_) => None,
            None => off_menu::guess_language(first_text, &self.languages),
        };
        let mut step = self.first_step(language.or(guessed), name);
        let said = off_menu::keep(None, first_text);
        step.session.answers.insert(SAID.into(), said);
        let start = &self.states[&self.start];
        let chosen = match (&start.input, guessed) {
            (Input::Choice(choices), Some(guessed)) => choices
                .iter()
                .position(|c| c.set.get("lang").is_some_and(|l| l == guessed)),
            _ => None,
        };
        match chosen {
            Some(index) => {
                let answer = Answer::Value(guessed.unwrap_or_default().to_string(), Some(index));
                let next = self.save(start, &mut step, answer);
                match next.or_else(|| self.leave(start, &step)) {
                    Some(next) => self.enter(&mut step, next),
                    None => step.ended = Some(Ended::Completed),
                }
            }
            None => self.enter(&mut step, self.start.clone()),
        }
        step
    }

    fn first_step(&self, language: Option<&str>, name: Option<&str>) -> Step {
        let language = language
            .filter(|l| self.languages.iter().any(|known| known == l))
            .unwrap_or(self.default_language());
        Step {
            session: Session {
                flow: self.id.clone(),
                state: self.start.clone(),
                language: language.to_string(),
                answers: BTreeMap::new(),
                attempts: 0,
            },
            effects: Vec::new(),
            ended: None,
            name: name.map(str::to_string),
        }
    }

    /// Asks the current question again and changes nothing: a call that joins a conversation,
    /// or a caller who said nothing.
    pub fn prompt(&self, session: Session, name: Option<&str>) -> Step {
        match self.resume(session, name) {
            Resumed::At(state, mut step) => {
                self.say(&state.say, Some(&state.speak), Some(state), &mut step);
                step
            }
            Resumed::Restarted(step) => step,
        }
    }

    /// The state a stored conversation is at, with a step from there; or, when the flow was
    /// edited and that state is gone, the conversation begun again rather than stranded.
    fn resume(&self, session: Session, name: Option<&str>) -> Resumed<'_> {
        let Some(state) = self.states.get(&session.state) else {
            return Resumed::Restarted(self.start(Some(&session.language), name));
        };
        let step = Step {
            session,
            effects: Vec::new(),
            ended: None,
            name: name.map(str::to_string),
        };
        Resumed::At(state, step)
    }

    /// Takes one text from the contact.
    pub fn advance(&self, session: Session, input: &str, name: Option<&str>) -> Step {
        let (state, mut step) = match self.resume(session, name) {
            Resumed::At(state, step) => (state, step),
            Resumed::Restarted(step) => return step,
        };
        match self.read(state, input) {
            Some(answer) => {
                step.session.attempts = 0;
                let choice_next = self.save(state, &mut step, answer);
                if matches!(state.input, Input::Message { .. }) {
                    self.say(&state.thanks, None, None, &mut step);
                    let reason = state.actions.handoff.as_deref().unwrap_or(LEFT_A_MESSAGE);
                    step.effects.push(Effect::Handoff {
                        reason: reason.to_string(),
                    });
                    step.ended = Some(Ended::HandedOff);
                    return step;
                }
                match choice_next.or_else(|| self.leave(state, &step)) {
                    Some(next) => self.enter(&mut step, next),
                    None => step.ended = Some(Ended::Completed),
                }
            }
            None => self.reject(state, &mut step, input),
        }
        step
    }

    /// Reads the input as an answer to `state`; `None` when it is not one.
    fn read(&self, state: &State, input: &str) -> Option<Answer> {
        let folded = fold(input);
        if state.optional && self.words.skip.contains(&folded) {
            return Some(Answer::Skipped);
        }
        let text = input.trim();
        let value = match &state.input {
            Input::None => String::new(),
            Input::Choice(choices) => {
                let index = choices.iter().position(|c| c.words.contains(&folded))?;
                return Some(Answer::Value(folded, Some(index)));
            }
            Input::Text { max_length } | Input::Message { max_length } => {
                if text.is_empty() || text.chars().count() > *max_length {
                    return None;
                }
                text.to_string()
            }
            Input::Number { min, max } => {
                let digits: String = text
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .map(|c| ascii_digit(c).unwrap_or(c))
                    .collect();
                let n: i64 = digits.parse().ok()?;
                if n < *min || n > *max {
                    return None;
                }
                n.to_string()
            }
            Input::YesNo => {
                if self.words.yes.contains(&folded) {
                    "yes".to_string()
                } else if self.words.no.contains(&folded) {
                    "no".to_string()
                } else {
                    return None;
                }
            }
            Input::Phone => {
                let digits: String = text.chars().map(|c| ascii_digit(c).unwrap_or(c)).collect();
                Phone::parse(&digits, self.region)
                    .ok()?
                    .as_str()
                    .to_string()
            }
            Input::Zone => self.zones.find(&folded)?.name.clone(),
        };
        Some(Answer::Value(value, None))
    }

    /// Saves an answer; returns where a choice sends the conversation, if it says.
    fn save(&self, state: &State, step: &mut Step, answer: Answer) -> Option<String> {
        let Answer::Value(value, choice) = answer else {
            return None;
        };
        match (&state.input, choice) {
            (Input::Choice(choices), Some(index)) => {
                let choice = &choices[index];
                for (key, value) in &choice.set {
                    // Chosen, it is remembered even when it is the flow's default already: the
                    // contact's language decides who their request is offered to.
                    if key == "lang" && self.languages.contains(value) {
                        step.session.language = value.clone();
                        step.effects.push(Effect::SetLanguage(value.clone()));
                    }
                    step.session.answers.insert(key.clone(), value.clone());
                }
                choice.next.clone()
            }
            (Input::None, _) => None,
            _ => {
                step.session.answers.insert(state.save_as.clone(), value);
                None
            }
        }
    }

    /// Where to go after `state`: the first branch whose answers match, else `next`.
    fn leave(&self, state: &State, step: &Step) -> Option<String> {
        let answers = &step.session.answers;
        state
            .branches
            .iter()
            .find(|b| b.when.iter().all(|(k, v)| answers.get(k) == Some(v)))
            .map(|b| b.next.clone())
            .or_else(|| state.next.clone())
    }

    /// An answer the question cannot place. Its words are kept for the person who reads the
    /// request. An optional question asked twice moves on rather than repeating itself; any other
    /// is asked again until it gives up.
    fn reject(&self, state: &State, step: &mut Step, input: &str) {
        let answers = &mut step.session.answers;
        let said = off_menu::keep(answers.get(SAID), input);
        answers.insert(SAID.into(), said);
        step.session.attempts += 1;
        if state.optional && step.session.attempts >= OPTIONAL_TRIES {
            step.session.attempts = 0;
            match self.leave(state, step) {
                Some(next) => self.enter(step, next),
                None => step.ended = Some(Ended::Completed),
            }
            return;
        }
        if step.session.attempts < state.max_attempts {
            let texts = if state.invalid.is_empty() {
                &state.say
            } else {
                &state.invalid
            };
            // On a call the question is asked again as spoken: a text's "reply 1, 2 or 3" is no
            // help to someone holding a phone to their ear. That is the question's own wording,
            // and so its recording, when the state words it for calls in this language or has no
            // other text for a wrong answer.
            let language = &step.session.language;
            let asks_again = state.invalid.is_empty() || state.speak.0.contains_key(language);
            self.say(texts, Some(&state.speak), asks_again.then_some(state), step);
            return;
        }
        match &state.on_give_up {
            GiveUp::Handoff => {
                self.say(&self.give_up, None, None, step);
                step.effects.push(Effect::Handoff {
                    reason: format!("no valid answer at `{}`", step.session.state),
                });
                step.ended = Some(Ended::HandedOff);
            }
            GiveUp::End => {
                self.say(&self.give_up, None, None, step);
                step.ended = Some(Ended::GaveUp);
            }
            GiveUp::GoTo(next) => {
                step.session.attempts = 0;
                self.enter(step, next.clone());
            }
        }
    }

    /// Enters `name` and keeps going through states that wait for nothing. A checked flow has no
    /// circle of such states, but the walk is bounded anyway so a bad edit cannot spin forever.
    fn enter(&self, step: &mut Step, mut name: String) {
        for _ in 0..=self.states.len() {
            let Some(state) = self.states.get(&name) else {
                step.ended = Some(Ended::Completed);
                return;
            };
            step.session.state = name;
            if let Some(template) = &state.actions.set_name {
                let value = self.render(template, step);
                if !value.is_empty() {
                    step.name = Some(value.clone());
                    step.effects.push(Effect::SetName(value));
                }
            }
            if let Some(create) = &state.actions.create_request {
                let answers = &step.session.answers;
                // What they said that no question placed goes with every request.
                let fields = create
                    .fields
                    .iter()
                    .map(String::as_str)
                    .chain([SAID])
                    .filter_map(|f| answers.get(f).map(|v| (f.to_string(), v.clone())))
                    .collect();
                let queue = self.render(&create.queue, step);
                step.effects.push(Effect::CreateRequest {
                    queue,
                    fields,
                    priority: create.priority,
                });
            }
            self.say(&state.say, Some(&state.speak), Some(state), step);
            if let Some(reason) = &state.actions.handoff
                && !matches!(state.input, Input::Message { .. })
            {
                step.effects.push(Effect::Handoff {
                    reason: reason.clone(),
                });
                step.ended = Some(Ended::HandedOff);
                return;
            }
            if state.end {
                step.ended = Some(Ended::Completed);
                return;
            }
            if !matches!(state.input, Input::None) {
                return;
            }
            match self.leave(state, step) {
                Some(next) => name = next,
                None => {
                    step.ended = Some(Ended::Completed);
                    return;
                }
            }
        }
        step.ended = Some(Ended::Completed);
    }

    fn render(&self, template: &str, step: &Step) -> String {
        render(template, |key| match key {
            CONTACT_NAME => step.name.as_deref(),
            // Left in place for the caller, who learns the code when the request is stored.
            REQUEST_CODE => Some("{request.code}"),
            _ => step.session.answers.get(key).map(String::as_str),
        })
    }

    /// Says `texts`, worded as `spoken` on a call; `asking` is the state whose own question this
    /// is, if it is one, so that its recording goes with the words.
    fn say(&self, texts: &Texts, spoken: Option<&Texts>, asking: Option<&State>, step: &mut Step) {
        let language = &step.session.language;
        if let Some(text) = texts.get(language, self.default_language()) {
            let spoken = spoken
                .and_then(|s| s.get(language, self.default_language()))
                .map(|s| self.render(s, step));
            let text = self.render(text, step);
            let recorded = asking
                .filter(|state| state.audio.contains_key(language))
                .map(|_| Prompt {
                    flow: self.id.clone(),
                    state: step.session.state.clone(),
                    language: language.clone(),
                });
            step.effects.push(Effect::Reply(Reply {
                text,
                spoken,
                recorded,
            }));
        }
    }
}

#[cfg(test)]
mod tests;
