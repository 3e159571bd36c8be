//! Runs conversation tests: each conversation on a fresh throwaway line, turn by turn, stopping
//! at its first difference, which is reported at the turn's line in the test file.

use std::collections::BTreeMap;
use std::fmt;

use super::{Conversation, Filed, TestFile, diff};
use crate::chat::{NEIGHBOUR, Rehearsal};
use crate::config::Settings;
use crate::flow::load::Problem;
use crate::phone::Phone;
use crate::store::requests::{self, Filter};

/// How a run went: how many conversations ran, and each one that did not go as written.
#[derive(Debug, Default)]
pub struct Report {
    pub conversations: usize,
    pub failures: Vec<Problem>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for failure in &self.failures {
            writeln!(f, "{failure}\n")?;
        }
        let failed = self.failures.len();
        write!(
            f,
            "{} of {} conversation(s) went as written",
            self.conversations - failed,
            self.conversations
        )
    }
}

/// Runs every conversation in `files` against the flows `settings` name.
pub async fn run(settings: &Settings, files: &[TestFile]) -> anyhow::Result<Report> {
    let mut report = Report::default();
    for file in files {
        for conversation in &file.conversations {
            report.conversations += 1;
            let span = conversation.span();
            if let Some((at, message)) = converse(settings, conversation.get_ref()).await? {
                let name = &conversation.get_ref().name;
                let at = at.unwrap_or(span);
                report
                    .failures
                    .push(file.problem(&at, format!("{name}: {message}")));
            }
        }
    }
    Ok(report)
}

/// Where a conversation went astray (a span in its file, when more precise than the whole
/// conversation) and how.
type Astray = (Option<std::ops::Range<usize>>, String);

async fn converse(
    settings: &Settings,
    conversation: &Conversation,
) -> anyhow::Result<Option<Astray>> {
    let line = Rehearsal::start(settings.clone(), conversation.flow.clone(), false).await?;
    let from = line.phone(conversation.from.as_deref().unwrap_or(NEIGHBOUR))?;
    if let Some(language) = &conversation.language {
        line.speaks(&from, language).await?;
    }
    let mut astray = None;
    for turn in &conversation.turns {
        let send = &turn.get_ref().send;
        let got = line.text(&from, send).await?;
        let mut expected = turn.get_ref().expect.replies();
        // Codes are drawn at random; `{request.code}` stands for the one this person was given.
        if expected.iter().any(|e| e.contains(CODE)) {
            let code = filed_by(&line, &from).await?.map(|(code, _, _)| code);
            let code = code.as_deref().unwrap_or("(no request)");
            for reply in &mut expected {
                *reply = reply.replace(CODE, code);
            }
        }
        if got != expected {
            let message = format!(
                "after {send:?} the line answered otherwise\n{}",
                diff::replies(&expected, &got)
            );
            astray = Some((Some(turn.span()), message));
            break;
        }
    }
    if astray.is_none()
        && let Some(filed) = &conversation.request
    {
        let theirs = filed_by(&line, &from)
            .await?
            .map(|(_, queue, fields)| (queue, fields));
        astray = check_filed(filed.get_ref(), theirs).map(|m| (Some(filed.span()), m));
    }
    line.close().await;
    Ok(astray)
}

/// What an expected reply writes for the code of the request the person was given.
const CODE: &str = "{request.code}";

/// The latest request `from` filed: its code, queue and answers.
async fn filed_by(
    line: &Rehearsal,
    from: &Phone,
) -> anyhow::Result<Option<(String, String, BTreeMap<String, String>)>> {
    let mut conn = line.app.state.db.acquire().await?;
    Ok(requests::list(&mut conn, &Filter::default())
        .await?
        .into_iter()
        .rfind(|r| r.phone == from.as_str())
        .map(|r| (r.code, r.queue, r.fields)))
}

/// What is wrong with the request filed (`queue` and answers), if anything.
fn check_filed(filed: &Filed, got: Option<(String, BTreeMap<String, String>)>) -> Option<String> {
    let (queue, fields) = match (filed.filed, got) {
        (false, None) => return None,
        (false, Some((queue, _))) => {
            return Some(format!(
                "a request was filed on `{queue}`, and none should be"
            ));
        }
        (true, None) => return Some("no request was filed".into()),
        (true, Some(got)) => got,
    };
    let mut wrong = Vec::new();
    if let Some(expected) = filed.queue.as_ref().filter(|q| **q != queue) {
        wrong.push(format!(
            "  queue: expected `{expected}`, filed on `{queue}`"
        ));
    }
    for (key, expected) in &filed.fields {
        match fields.get(key) {
            Some(value) if value == expected => {}
            Some(value) => wrong.push(format!("  {key}: expected {expected:?}, filed {value:?}")),
            None => wrong.push(format!("  {key}: expected {expected:?}, not filed")),
        }
    }
    (!wrong.is_empty()).then(|| format!("the request filed differs\n{}", wrong.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filed(queue: Option<&str>, fields: &[(&str, &str)]) -> Filed {
        Filed {
            filed: true,
            queue: queue.map(String::from),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_request_is_checked_by_its_queue_and_the_answers_named_only() {
        let got = || {
            let fields = BTreeMap::from([
                ("items".to_string(), "bread".to_string()),
                ("zone".to_string(), "northside".to_string()),
            ]);
            Some(("groceries".to_string(), fields))
        };
        assert_eq!(
            check_filed(&filed(Some("groceries"), &[("items", "bread")]), got()),
            None
        );
        let wrong = check_filed(&filed(Some("delivery"), &[("when", "today")]), got()).unwrap();
        assert!(
            wrong.contains("expected `delivery`, filed on `groceries`"),
            "{wrong}"
        );
        assert!(
            wrong.contains("when: expected \"today\", not filed"),
            "{wrong}"
        );
        assert_eq!(
            check_filed(&filed(None, &[]), None).as_deref(),
            Some("no request was filed")
        );
        let none = Filed {
            filed: false,
            ..filed(None, &[])
        };
        assert_eq!(check_filed(&none, None), None);
        assert!(
            check_filed(&none, got())
                .unwrap()
                .contains("none should be")
        );
    }
}
