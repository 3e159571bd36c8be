//! Conversation tests that organisers write beside their flows, in `flows/tests/*.toml`: what a
//! person texts, what the line must answer, and the request that must be filed. `aidline flows
//! test` runs them through the real intake on a throwaway line (as `aidline chat` does), so a
//! reworded question, a broken choice or a lost answer shows up before a neighbour meets it.
//! docs/flows.md describes the format.

mod diff;
mod run;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::flow::FlowError;
use crate::flow::load::{Problem, read_toml_files};

pub use run::{Report, run};

/// One file of tests: its conversations, each from a line that has never heard from anyone.
#[derive(Debug)]
pub struct TestFile {
    pub path: PathBuf,
    source: String,
    conversations: Vec<Spanned<Conversation>>,
}

impl TestFile {
    /// A problem placed at `span` in this file.
    fn problem(&self, span: &Range<usize>, message: String) -> Problem {
        Problem::at(&self.path, &self.source, span, message)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    conversation: Vec<Spanned<Conversation>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversation {
    /// What the conversation shows, in words: it names the test when it fails.
    name: String,
    /// The flow the line runs (default: the first configured line's).
    flow: Option<String>,
    /// A language the line already knows the person speaks, as if they had texted before.
    language: Option<String>,
    /// Who texts; a neighbour's made-up number unless given.
    from: Option<String>,
    #[serde(default, rename = "turn")]
    turns: Vec<Spanned<Turn>>,
    /// The request the conversation files; left out, nothing about requests is checked.
    request: Option<Spanned<Filed>>,
}

/// A text in, and every reply it must get, in order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Turn {
    send: String,
    expect: Expected,
}

/// One reply, or several in order; `[]` for none at all.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Expected {
    One(String),
    Several(Vec<String>),
}

impl Expected {
    fn replies(&self) -> Vec<String> {
        match self {
            Expected::One(reply) => vec![reply.clone()],
            Expected::Several(replies) => replies.clone(),
        }
    }
}

/// What the request must hold. `filed = false` says no request may be filed at all.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Filed {
    #[serde(default = "yes")]
    filed: bool,
    queue: Option<String>,
    /// Each answer named must be filed as written; answers not named are not checked.
    #[serde(default)]
    fields: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

/// Reads every `*.toml` in `dir`, in name order; every file that cannot be read as tests is
/// reported, each problem at its line and column.
pub fn load_dir(dir: &Path) -> Result<Vec<TestFile>, FlowError> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for (path, source) in read_toml_files(dir, "the tests")? {
        match parse(path, source) {
            Ok(file) => files.push(file),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(FlowError(problems));
    }
    Ok(files)
}

/// One file's tests.
pub fn parse(path: PathBuf, source: String) -> Result<TestFile, Problem> {
    match toml::from_str::<RawFile>(&source) {
        Ok(raw) if raw.conversation.is_empty() => Err(Problem::at(
            &path,
            &source,
            &(0..0),
            "no [[conversation]] here to run".into(),
        )),
        Ok(raw) => Ok(TestFile {
            path,
            source,
            conversations: raw.conversation,
        }),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            Err(Problem::at(
                &path,
                &source,
                &span,
                e.message().trim_end().to_string(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(source: &str) -> Result<TestFile, Problem> {
        parse("flows/tests/t.toml".into(), source.into())
    }

    #[test]
    fn a_conversation_reads_its_turns_and_the_request_it_files() {
        let file = parsed(
            r#"
            [[conversation]]
            name = "groceries in English"
            [[conversation.turn]]
            send = "hi"
            expect = "What do you need?"
            [[conversation.turn]]
            send = "STOP"
            expect = []
            [conversation.request]
            queue = "groceries"
            fields = { items = "bread" }
            "#,
        )
        .unwrap();
        let conversation = file.conversations[0].get_ref();
        assert_eq!(conversation.turns.len(), 2);
        assert_eq!(
            conversation.turns[0].get_ref().expect.replies(),
            ["What do you need?"]
        );
        assert!(conversation.turns[1].get_ref().expect.replies().is_empty());
        let filed = conversation.request.as_ref().unwrap().get_ref();
        assert!(filed.filed);
        assert_eq!(filed.fields["items"], "bread");
    }

    #[test]
    fn a_misspelt_key_is_placed_at_its_line_and_column() {
        let problem = parsed("[[conversation]]\nname = \"x\"\n[[conversation.turn]]\nsend = \"hi\"\nexpcet = \"a\"\n")
            .unwrap_err();
        assert_eq!((problem.line, problem.column), (5, 1), "{problem}");
        assert!(problem.message.contains("expcet"), "{problem}");
    }

    #[test]
    fn a_file_without_conversations_says_so() {
        let problem = parsed("# nothing yet\n").unwrap_err();
        assert!(problem.message.contains("[[conversation]]"), "{problem}");
    }
}
