//! The conversation engine: `(flow, session, input) → (session, effects)`, with no I/O.

use std::collections::BTreeMap;

use super::Session;
use super::model::{Flow, Input, State};
use super::text::{fold, render};

/// Something the caller must do because of a step, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Text the contact.
    Reply(String),
    /// Remember this language for the contact's future conversations.
    SetLanguage(String),
    /// Put a request on a queue.
    CreateRequest {
        queue: String,
        fields: BTreeMap<String, String>,
    },
    /// Hand the conversation to a person.
    Handoff { reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Completed,
    GaveUp,
}

impl Ended {
    pub fn as_str(self) -> &'static str {
        match self {
            Ended::Completed => "completed",
            Ended::GaveUp => "gave_up",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub session: Session,
    pub effects: Vec<Effect>,
    /// Set when the conversation is over.
    pub ended: Option<Ended>,
}

impl Flow {
    /// Starts a conversation. `language` is the contact's remembered language, if any.
    pub fn start(&self, language: Option<&str>) -> Step {
        let language = language
            .filter(|l| self.languages.iter().any(|known| known == l))
            .unwrap_or(self.default_language());
        let session = Session {
            flow: self.id.clone(),
            state: self.start.clone(),
            language: language.to_string(),
            answers: BTreeMap::new(),
            attempts: 0,
        };
        let mut step = Step {
            session,
            effects: Vec::new(),
            ended: None,
        };
        self.enter(&mut step, self.start.clone());
        step
    }

    /// Takes one text from the contact.
    pub fn advance(&self, session: Session, input: &str) -> Step {
        let Some(state) = self.states.get(&session.state) else {
            // The flow was edited and this state is gone: begin again rather than strand them.
            return self.start(Some(&session.language));
        };
        let mut step = Step {
            session,
            effects: Vec::new(),
            ended: None,
        };
        match self.accept(state, &mut step, input) {
            Some(next) => {
                step.session.attempts = 0;
                match next {
                    Some(next) => self.enter(&mut step, next),
                    None => step.ended = Some(Ended::Completed),
                }
            }
            None => self.reject(state, &mut step),
        }
        step
    }

    /// Applies a valid answer and returns where to go (`Some(None)`: nowhere, the flow is done);
    /// `None` when the input does not answer the question.
    fn accept(&self, state: &State, step: &mut Step, input: &str) -> Option<Option<String>> {
        match &state.input {
            Input::None => Some(state.next.clone()),
            Input::Choice(choices) => {
                let folded = fold(input);
                let choice = choices.iter().find(|c| c.words.contains(&folded))?;
                for (key, value) in &choice.set {
                    if key == "lang" && self.languages.contains(value) {
                        step.session.language = value.clone();
                        step.effects.push(Effect::SetLanguage(value.clone()));
                    }
                    step.session.answers.insert(key.clone(), value.clone());
                }
                Some(choice.next.clone().or_else(|| state.next.clone()))
            }
            Input::Text {
                save_as,
                max_length,
            } => {
                let text = input.trim();
                if text.is_empty() || text.chars().count() > *max_length {
                    return None;
                }
                step.session
                    .answers
                    .insert(save_as.clone(), text.to_string());
                Some(state.next.clone())
            }
        }
    }

    fn reject(&self, state: &State, step: &mut Step) {
        step.session.attempts += 1;
        if step.session.attempts >= state.max_attempts {
            self.say(&self.give_up, step);
            step.effects.push(Effect::Handoff {
                reason: format!("no valid answer at `{}`", step.session.state),
            });
            step.ended = Some(Ended::GaveUp);
            return;
        }
        let texts = if state.invalid.is_empty() {
            &state.say
        } else {
            &state.invalid
        };
        self.say(texts, step);
    }

    /// Enters `name` and keeps going through states that wait for nothing. A checked flow has no
    /// cycle without an input, but the walk is bounded anyway so a bad edit cannot spin forever.
    fn enter(&self, step: &mut Step, mut name: String) {
        for _ in 0..=self.states.len() {
            let Some(state) = self.states.get(&name) else {
                step.ended = Some(Ended::Completed);
                return;
            };
            step.session.state = name.clone();
            self.say(&state.say, step);
            if let Some(create) = &state.create_request {
                let answers = &step.session.answers;
                let fields = create
                    .fields
                    .iter()
                    .filter_map(|f| answers.get(f).map(|v| (f.clone(), v.clone())))
                    .collect();
                step.effects.push(Effect::CreateRequest {
                    queue: render(&create.queue, answers),
                    fields,
                });
            }
            if state.end {
                step.ended = Some(Ended::Completed);
                return;
            }
            match (&state.input, &state.next) {
                (Input::None, Some(next)) => name = next.clone(),
                (Input::None, None) => {
                    step.ended = Some(Ended::Completed);
                    return;
                }
                _ => return,
            }
        }
        step.ended = Some(Ended::Completed);
    }

    fn say(&self, texts: &super::model::Texts, step: &mut Step) {
        if let Some(text) = texts.get(&step.session.language, self.default_language()) {
            step.effects
                .push(Effect::Reply(render(text, &step.session.answers)));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::flow::load::parse_files;

    const FLOW: &str = r#"
[flow]
id = "t"
start = "lang"
languages = ["en", "es"]
give_up.en = "A person will text you."

[states.lang]
say.en = "1 English, 2 Español"
expect = "choice"
choices = [
  { match = ["1"], set = { lang = "en" }, next = "name" },
  { match = ["2", "español"], set = { lang = "es" }, next = "name" },
]
invalid.en = "Reply 1 or 2."
max_attempts = 2

[states.name]
say.en = "Your name?"
say.es = "¿Su nombre?"
expect = "text"
max_length = 10
next = "thanks"

[states.thanks]
say.en = "Thanks, {name}."
action = { create_request = { queue = "general", fields = ["name"] } }
end = true
"#;

    fn flow() -> Flow {
        let flows = parse_files(&[(PathBuf::from("t.toml"), FLOW.to_string())]).unwrap();
        flows.get("t").unwrap().clone()
    }

    fn replies(step: &Step) -> Vec<&str> {
        step.effects
            .iter()
            .filter_map(|e| match e {
                Effect::Reply(text) => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_whole_conversation_ends_in_a_request_with_the_saved_answers() {
        let flow = flow();
        let step = flow.start(None);
        assert_eq!(replies(&step), ["1 English, 2 Español"]);
        let step = flow.advance(step.session, " ESPAÑOL ");
        assert_eq!(replies(&step), ["¿Su nombre?"]);
        assert!(step.effects.contains(&Effect::SetLanguage("es".into())));
        let step = flow.advance(step.session, "Rosa");
        // No Spanish text for this state: the default language stands in.
        assert_eq!(replies(&step), ["Thanks, Rosa."]);
        assert_eq!(step.ended, Some(Ended::Completed));
        assert!(step.effects.contains(&Effect::CreateRequest {
            queue: "general".into(),
            fields: [("name".to_string(), "Rosa".to_string())].into(),
        }));
    }

    #[test]
    fn a_remembered_language_is_used_from_the_first_text() {
        let step = flow().start(Some("es"));
        assert_eq!(step.session.language, "es");
        assert_eq!(flow().start(Some("klingon")).session.language, "en");
    }

    #[test]
    fn too_long_an_answer_is_asked_again() {
        let flow = flow();
        let step = flow.advance(flow.start(None).session, "1");
        let step = flow.advance(step.session, "a name far too long to fit");
        assert_eq!(replies(&step), ["Your name?"]);
        assert_eq!(step.session.state, "name");
        assert_eq!(step.session.attempts, 1);
    }

    #[test]
    fn running_out_of_attempts_hands_the_conversation_to_a_person() {
        let flow = flow();
        let step = flow.advance(flow.start(None).session, "9");
        assert_eq!(replies(&step), ["Reply 1 or 2."]);
        let step = flow.advance(step.session, "9");
        assert_eq!(replies(&step), ["A person will text you."]);
        assert_eq!(step.ended, Some(Ended::GaveUp));
        assert!(matches!(step.effects.last(), Some(Effect::Handoff { .. })));
    }

    #[test]
    fn a_session_in_a_state_that_was_removed_starts_over() {
        let flow = flow();
        let mut session = flow.start(None).session;
        session.state = "deleted".into();
        let step = flow.advance(session, "hello");
        assert_eq!(step.session.state, "lang");
        assert_eq!(replies(&step), ["1 English, 2 Español"]);
    }
}
