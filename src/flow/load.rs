//! Reading flow files: TOML into the checked model, with every problem reported as
//! `file:line:column: sentence`. Errors keep a flow from going live; warnings (a prompt over its
//! SMS budget) are printed and logged.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::audio::{Prompt, Recording};
use super::check;
use super::model::{Flow, Keywords, Zones};
use super::raw;
use crate::phone::Region;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Problem {
    /// A problem at byte range `span` of `source`, the text of `file`, placed as an editor shows
    /// it: lines and columns from 1, columns counting characters, not bytes.
    pub fn at(file: &Path, source: &str, span: &Range<usize>, message: String) -> Problem {
        let before = &source[..span.start.min(source.len())];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
        let column = before[line_start..].chars().count() + 1;
        Problem {
            file: file.to_path_buf(),
            line,
            column,
            message,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        write!(f, "{file}:{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Every error found; a flow with any of them never goes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowError(pub Vec<Problem>);

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(Problem::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for FlowError {}

impl FlowError {
    /// One problem with a whole file or folder, placed at its start.
    pub fn at(file: &Path, message: String) -> FlowError {
        FlowError(vec![Problem {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
            message,
        }])
    }
}

/// All checked flows, by id, and the warnings they raised.
#[derive(Debug, Clone, Default)]
pub struct Flows {
    flows: HashMap<String, Flow>,
    keywords: Keywords,
    zones: Arc<Zones>,
    warnings: Vec<Problem>,
}

impl Flows {
    pub fn get(&self, id: &str) -> Option<&Flow> {
        self.flows.get(id)
    }

    /// The recording `prompt` names, if the flows in force have it.
    pub fn recording(&self, prompt: &Prompt) -> Option<&Recording> {
        let state = self.get(&prompt.flow)?.states.get(&prompt.state)?;
        state.audio.get(&prompt.language)
    }

    /// Flow ids, sorted.
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.flows.keys().map(String::as_str).collect();
        ids.sort();
        ids
    }

    /// STATUS, RESTART and the like, from the `[keywords]` table.
    pub fn keywords(&self) -> &Keywords {
        &self.keywords
    }

    /// The names of the `[zones.*]` every flow shares, sorted.
    pub fn zone_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.zones.0.iter().map(|z| z.name.as_str()).collect();
        names.sort();
        names
    }

    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// The flow a trigger word starts, if `folded` is one, and the language the word belongs to,
    /// if it belongs to one.
    pub fn triggered_by(&self, folded: &str) -> Option<(&Flow, Option<&str>)> {
        self.flows.values().find_map(|f| {
            let (_, language) = f.triggers.iter().find(|(word, _)| word == folded)?;
            Some((f, language.as_deref()))
        })
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }
}

/// Where problems are reported from: one file and its text.
pub(super) struct FileCtx<'a> {
    pub path: &'a Path,
    pub source: &'a str,
    pub errors: &'a mut Vec<Problem>,
    pub warnings: &'a mut Vec<Problem>,
}

impl FileCtx<'_> {
    fn problem(&self, span: &Range<usize>, message: String) -> Problem {
        Problem::at(self.path, self.source, span, message)
    }

    pub fn error(&mut self, span: &Range<usize>, message: String) {
        let problem = self.problem(span, message);
        self.errors.push(problem);
    }

    pub fn warn(&mut self, span: &Range<usize>, message: String) {
        let problem = self.problem(span, message);
        self.warnings.push(problem);
    }
}

/// Reads every `*.toml` in `dir`.
pub fn load_dir(dir: &Path, region: Region) -> Result<Flows, FlowError> {
    let files = read_toml_files(dir, "the flows directory")?;
    let flows = parse_files(&files, region)?;
    if flows.is_empty() {
        return Err(FlowError::at(
            dir,
            "no flows here (files with a [flow] table)".into(),
        ));
    }
    Ok(flows)
}

/// Every `*.toml` in `dir` with its text, in name order; `what` names the folder in a problem.
pub fn read_toml_files(dir: &Path, what: &str) -> Result<Vec<(PathBuf, String)>, FlowError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| FlowError::at(dir, format!("cannot read {what}: {e}")))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| match std::fs::read_to_string(&path) {
            Ok(source) => Ok((path, source)),
            Err(e) => Err(FlowError::at(
                dir,
                format!("cannot read {}: {e}", path.display()),
            )),
        })
        .collect()
}

/// Checks flows given as (file name, source) pairs. Zones from any file serve every flow.
pub fn parse_files(files: &[(PathBuf, String)], region: Region) -> Result<Flows, FlowError> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut parsed = Vec::new();
    for (path, source) in files {
        let mut ctx = FileCtx {
            path,
            source,
            errors: &mut errors,
            warnings: &mut warnings,
        };
        match toml::from_str::<raw::File>(source) {
            Ok(file) => parsed.push((path, source, file)),
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                ctx.error(&span, e.message().trim_end().to_string());
            }
        }
    }
    let mut zones = Vec::new();
    let mut keywords: Option<Keywords> = None;
    for (path, source, file) in &mut parsed {
        let mut ctx = FileCtx {
            path,
            source,
            errors: &mut errors,
            warnings: &mut warnings,
        };
        check::zones(&mut ctx, std::mem::take(&mut file.zones), &mut zones);
        if let Some(raw) = file.keywords.take() {
            if keywords.is_some() {
                ctx.error(
                    &raw.span(),
                    "[keywords] is already defined in another file".into(),
                );
            }
            keywords = Some(check::keywords(&mut ctx, raw));
        }
    }
    let zones = Arc::new(Zones(zones));
    let mut flows: HashMap<String, Flow> = HashMap::new();
    for (path, source, file) in parsed {
        let mut ctx = FileCtx {
            path,
            source,
            errors: &mut errors,
            warnings: &mut warnings,
        };
        let Some((flow, id_span)) = check::flow(&mut ctx, file, &zones, region) else {
            continue;
        };
        for (trigger, _) in &flow.triggers {
            if let Some(other) = flows
                .values()
                .find(|f| f.triggers.iter().any(|(word, _)| word == trigger))
            {
                let message = format!(
                    "the trigger `{trigger}` also starts the flow `{}`",
                    other.id
                );
                ctx.error(&id_span, message);
            }
        }
        if flows.contains_key(&flow.id) {
            let message = format!("another file already defines the flow `{}`", flow.id);
            ctx.error(&id_span, message);
        } else {
            flows.insert(flow.id.clone(), flow);
        }
    }
    if errors.is_empty() {
        Ok(Flows {
            flows,
            keywords: keywords.unwrap_or_default(),
            zones,
            warnings,
        })
    } else {
        Err(FlowError(errors))
    }
}
