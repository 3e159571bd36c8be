//! Reading flow files: TOML into the checked model, with every problem reported as
//! `file:line:column: sentence`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::model::{Choice, CreateRequest, Flow, Input, State, Texts};
use super::text::{fold, placeholders};

const DEFAULT_MAX_ATTEMPTS: u32 = 3;
const DEFAULT_MAX_TEXT: usize = 500;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// Every problem found; a flow with any of them never goes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowError(pub Vec<Problem>);

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FlowError {}

/// All checked flows, by id.
#[derive(Debug, Clone, Default)]
pub struct Flows(HashMap<String, Flow>);

impl Flows {
    pub fn get(&self, id: &str) -> Option<&Flow> {
        self.0.get(id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlowFile {
    flow: Header,
    states: BTreeMap<String, Spanned<RawState>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    id: Spanned<String>,
    start: Spanned<String>,
    languages: Spanned<Vec<String>>,
    #[serde(default)]
    give_up: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    #[serde(default)]
    say: BTreeMap<String, String>,
    expect: Option<Spanned<String>>,
    #[serde(default)]
    choices: Vec<RawChoice>,
    next: Option<Spanned<String>>,
    save: Option<String>,
    max_length: Option<usize>,
    #[serde(default)]
    invalid: BTreeMap<String, String>,
    max_attempts: Option<u32>,
    action: Option<RawAction>,
    #[serde(default)]
    end: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    #[serde(rename = "match")]
    words: Vec<String>,
    #[serde(default)]
    set: BTreeMap<String, String>,
    next: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    create_request: Spanned<RawCreateRequest>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCreateRequest {
    queue: String,
    #[serde(default)]
    fields: Vec<String>,
}

/// Reads every `*.toml` in `dir`.
pub fn load_dir(dir: &Path) -> Result<Flows, FlowError> {
    let problem_at_dir = |message: String| {
        FlowError(vec![Problem {
            file: dir.to_path_buf(),
            line: 1,
            column: 1,
            message,
        }])
    };
    let entries = std::fs::read_dir(dir)
        .map_err(|e| problem_at_dir(format!("cannot read the flows directory: {e}")))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let source = std::fs::read_to_string(&path)
            .map_err(|e| problem_at_dir(format!("cannot read {}: {e}", path.display())))?;
        files.push((path, source));
    }
    let flows = parse_files(&files)?;
    if flows.is_empty() {
        return Err(problem_at_dir("no flow files (*.toml) here".into()));
    }
    Ok(flows)
}

/// Checks flows given as (file name, source) pairs.
pub fn parse_files(files: &[(PathBuf, String)]) -> Result<Flows, FlowError> {
    let mut problems = Vec::new();
    let mut flows = HashMap::new();
    for (path, source) in files {
        let mut ctx = FileCtx {
            path,
            source,
            problems: &mut problems,
        };
        if let Some((flow, id_span)) = ctx.parse() {
            if flows.contains_key(&flow.id) {
                ctx.report(
                    &id_span,
                    format!("another file already defines the flow `{}`", flow.id),
                );
            } else {
                flows.insert(flow.id.clone(), flow);
            }
        }
    }
    if problems.is_empty() {
        Ok(Flows(flows))
    } else {
        Err(FlowError(problems))
    }
}

struct FileCtx<'a> {
    path: &'a Path,
    source: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl FileCtx<'_> {
    fn report(&mut self, span: &Range<usize>, message: String) {
        let before = &self.source[..span.start.min(self.source.len())];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rfind('\n')
            .map_or(before.len(), |nl| before.len() - nl - 1)
            + 1;
        self.problems.push(Problem {
            file: self.path.to_path_buf(),
            line,
            column,
            message,
        });
    }

    fn parse(&mut self) -> Option<(Flow, Range<usize>)> {
        let file: FlowFile = match toml::from_str(self.source) {
            Ok(f) => f,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                self.report(&span, e.message().trim_end().to_string());
                return None;
            }
        };
        let header = file.flow;
        let languages = header.languages.get_ref().clone();
        if languages.is_empty() {
            self.report(
                &header.languages.span(),
                "list at least one language, the default first".into(),
            );
            return None;
        }
        let mut states = HashMap::new();
        for (name, raw) in &file.states {
            let span = raw.span();
            let state = self.check_state(name, raw.get_ref(), &span, &file.states, &languages);
            states.insert(name.clone(), state);
        }
        if !file.states.contains_key(header.start.get_ref()) {
            self.report(
                &header.start.span(),
                format!(
                    "the start state `{}` is not defined under [states]",
                    header.start.get_ref()
                ),
            );
        }
        let flow = Flow {
            id: header.id.get_ref().clone(),
            start: header.start.into_inner(),
            languages,
            states,
            give_up: Texts(header.give_up),
        };
        Some((flow, header.id.span()))
    }

    fn check_next(
        &mut self,
        next: &Option<Spanned<String>>,
        all: &BTreeMap<String, Spanned<RawState>>,
    ) -> Option<String> {
        let next = next.as_ref()?;
        if !all.contains_key(next.get_ref()) {
            self.report(
                &next.span(),
                format!(
                    "`next` points to `{}`, which is not a state in this flow",
                    next.get_ref()
                ),
            );
        }
        Some(next.get_ref().clone())
    }

    fn check_texts(
        &mut self,
        texts: &BTreeMap<String, String>,
        span: &Range<usize>,
        what: &str,
        languages: &[String],
    ) {
        for lang in texts.keys() {
            if !languages.contains(lang) {
                self.report(
                    span,
                    format!(
                        "{what} has a text in `{lang}`, which is not one of the flow's languages"
                    ),
                );
            }
        }
    }

    fn check_state(
        &mut self,
        name: &str,
        raw: &RawState,
        span: &Range<usize>,
        all: &BTreeMap<String, Spanned<RawState>>,
        languages: &[String],
    ) -> State {
        self.check_texts(&raw.say, span, &format!("state `{name}`"), languages);
        self.check_texts(&raw.invalid, span, &format!("state `{name}`"), languages);
        if !raw.say.is_empty() && !raw.say.contains_key(&languages[0]) {
            self.report(
                span,
                format!(
                    "state `{name}` has no text in the default language `{}`",
                    languages[0]
                ),
            );
        }
        let next = self.check_next(&raw.next, all);
        let input = match raw
            .expect
            .as_ref()
            .map(|e| (e.get_ref().as_str(), e.span()))
        {
            None => Input::None,
            Some(("choice", espan)) => {
                if raw.choices.is_empty() {
                    self.report(
                        &espan,
                        format!("state `{name}` expects a choice but lists no `choices`"),
                    );
                }
                let choices = raw
                    .choices
                    .iter()
                    .map(|c| {
                        let next = self.check_next(&c.next, all);
                        if next.is_none() && raw.next.is_none() && !raw.end {
                            self.report(&espan, format!("a choice in state `{name}` has no `next`, and neither has the state"));
                        }
                        Choice {
                            words: c.words.iter().map(|w| fold(w)).collect(),
                            set: c.set.clone(),
                            next,
                        }
                    })
                    .collect();
                Input::Choice(choices)
            }
            Some(("text", _)) => Input::Text {
                save_as: raw.save.clone().unwrap_or_else(|| name.to_string()),
                max_length: raw.max_length.unwrap_or(DEFAULT_MAX_TEXT),
            },
            Some((other, espan)) => {
                self.report(
                    &espan,
                    format!(
                        "`expect = \"{other}\"` is not an input kind; use \"choice\" or \"text\""
                    ),
                );
                Input::None
            }
        };
        if matches!(input, Input::None) && next.is_none() && !raw.end {
            self.report(
                span,
                format!(
                    "state `{name}` waits for nothing and has no `next`; add `next` or `end = true`"
                ),
            );
        }
        let create_request = raw.action.as_ref().map(|a| {
            let create = a.create_request.get_ref();
            for used in placeholders(&create.queue) {
                if !self.answer_exists(used, all) {
                    self.report(
                        &a.create_request.span(),
                        format!(
                            "the queue `{}` names the answer `{used}`, which no state saves",
                            create.queue
                        ),
                    );
                }
            }
            CreateRequest {
                queue: create.queue.clone(),
                fields: create.fields.clone(),
            }
        });
        State {
            say: Texts(raw.say.clone()),
            input,
            next,
            invalid: Texts(raw.invalid.clone()),
            max_attempts: raw.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1),
            create_request,
            end: raw.end,
        }
    }

    fn answer_exists(&self, answer: &str, all: &BTreeMap<String, Spanned<RawState>>) -> bool {
        all.iter().any(|(name, s)| {
            let s = s.get_ref();
            s.save.as_deref().unwrap_or(name) == answer
                && s.expect.as_ref().is_some_and(|e| e.get_ref() == "text")
                || s.choices.iter().any(|c| c.set.contains_key(answer))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(source: &str) -> Result<Flows, FlowError> {
        parse_files(&[(PathBuf::from("flows/test.toml"), source.to_string())])
    }

    const HEADER: &str = "[flow]\nid = \"t\"\nstart = \"ask\"\nlanguages = [\"en\"]\n";

    #[test]
    fn an_unknown_key_is_reported_with_its_position() {
        let err = check(&format!(
            "{HEADER}\n[states.ask]\nsay.en = \"Hi\"\nexpcet = \"text\"\nend = true\n"
        ))
        .unwrap_err();
        assert_eq!(err.0.len(), 1);
        let problem = &err.0[0];
        assert_eq!((problem.line, problem.column), (8, 1), "{problem}");
        assert!(
            problem
                .to_string()
                .starts_with("flows/test.toml:8:1: unknown field `expcet`"),
            "{problem}"
        );
    }

    #[test]
    fn a_next_that_names_no_state_points_at_the_name() {
        let err = check(&format!(
            "{HEADER}\n[states.ask]\nsay.en = \"Hi\"\nexpect = \"text\"\nnext = \"nowhere\"\n"
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "flows/test.toml:9:8: `next` points to `nowhere`, which is not a state in this flow"
        );
    }

    #[test]
    fn a_missing_start_state_and_a_dead_end_are_both_reported() {
        let source = "[flow]\nid = \"t\"\nstart = \"begin\"\nlanguages = [\"en\"]\n\n[states.ask]\nsay.en = \"Hi\"\n";
        let err = check(source).unwrap_err().to_string();
        assert!(
            err.contains("test.toml:6:1: state `ask` waits for nothing and has no `next`"),
            "{err}"
        );
        assert!(
            err.contains("test.toml:3:9: the start state `begin` is not defined"),
            "{err}"
        );
    }

    #[test]
    fn a_queue_naming_an_unsaved_answer_is_reported() {
        let err = check(&format!(
            "{HEADER}\n[states.ask]\nsay.en = \"Hi\"\naction = {{ create_request = {{ queue = \"{{need}}\" }} }}\nend = true\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("names the answer `need`, which no state saves"),
            "{err}"
        );
    }

    #[test]
    fn the_shipped_flows_check_clean() {
        let flows = load_dir(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("flows")
                .as_path(),
        )
        .unwrap();
        assert!(flows.get("intake").is_some());
    }
}
