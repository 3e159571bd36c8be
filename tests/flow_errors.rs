//! Every error `aidline flows check` can report, each shown by a fixture in
//! tests/fixtures/flow_errors. A fixture starts with a comment saying what the organiser got wrong,
//! then one `# expect: line:column: message` line per error the checker must report, in order.
//! Files directly in the directory are checked alone with `parse_files`; each subdirectory is a
//! flows directory read with `load_dir`, for mistakes that take two files.

use std::path::{Path, PathBuf};

use aidline::flow::load::{FlowError, Problem, load_dir, parse_files};
use aidline::phone::Region;

const DIR: &str = "tests/fixtures/flow_errors";

/// Every fixture, one per kind of error. Deleting a fixture, or adding one without listing it
/// here, fails `every_error_kind_has_a_fixture`.
const FIXTURES: &[&str] = &[
    // TOML and the shape of the file.
    "toml_syntax.toml",
    "question_that_ends.toml",
    "branches_without_next.toml",
    "optional_choice_without_next.toml",
    "idle_bad_duration.toml",
    "idle_remind_after_expiry.toml",
    "idle_remind_without_text.toml",
    "keyword_carrier_word.toml",
    "keyword_twice.toml",
    "keyword_reply_unknown.toml",
    "keyword_forget_unconfirmed.toml",
    "keyword_reply_untranslated.toml",
    "keyword_reply_placeholder.toml",
    "keyword_status_word_unknown.toml",
    "key_for_another_kind.toml",
    "choices_without_choice_question.toml",
    "choice_unlisted_switch.toml",
    "unknown_key.toml",
    "missing_field.toml",
    "wrong_type.toml",
    "choice_match_not_a_list.toml",
    "zone_twice_in_one_file.toml",
    // The [flow] table.
    "states_without_flow.toml",
    "empty_languages.toml",
    "start_undefined.toml",
    "on_give_up_bad.toml",
    "trigger_carrier_word.toml",
    "trigger_unknown_language.toml",
    "words_unlisted_language.toml",
    "give_up_missing_translation.toml",
    // Where states lead.
    "next_missing_state.toml",
    "next_missing_choice.toml",
    "next_missing_branch.toml",
    "choice_without_next.toml",
    "no_input_no_next.toml",
    "answer_without_next.toml",
    // What states ask.
    "expect_unknown.toml",
    "choice_without_choices.toml",
    "optional_without_question.toml",
    "min_above_max.toml",
    "zone_without_zones.toml",
    "on_give_up_bad_state.toml",
    "give_up_to_itself.toml",
    "message_with_next.toml",
    "message_without_thanks.toml",
    // Texts.
    "text_unlisted_language.toml",
    "missing_translation.toml",
    "template_unknown_answer.toml",
    "prompt_asks_cancel.toml",
    // Choice words.
    "choice_carrier_word.toml",
    "choice_word_twice.toml",
    "choice_unlisted_language.toml",
    // Answers named elsewhere.
    "branch_unknown_answer.toml",
    "request_field_unsaved.toml",
    "queue_template_unknown.toml",
    // The shape of the whole flow.
    "unreachable_state.toml",
    "loop_no_way_out.toml",
    "circle_without_waiting.toml",
    // Zones.
    "zone_empty.toml",
    // Two files: directories read with `load_dir`.
    "duplicate_id/",
    "duplicate_zone/",
    "trigger_twice/",
];

fn region() -> Region {
    "US".parse().unwrap()
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR)
}

/// The `# expect:` lines of a fixture, without the marker.
fn expected(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| line.strip_prefix("# expect:"))
        .map(|rest| rest.trim().to_string())
        .collect()
}

/// Fixture names in the directory: `name.toml` for files, `name/` for directories.
fn fixtures_present() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            if p.is_dir() {
                Some(format!("{name}/"))
            } else if name.ends_with(".toml") {
                Some(name)
            } else {
                None
            }
        })
        .collect();
    names.sort();
    names
}

/// The problems as `line:column: message`, checking each names `file` and displays with it.
fn located(problems: &[Problem], file: &Path) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            let shown = p.to_string();
            let prefix = format!("{}:", file.display());
            assert_eq!(p.file, file, "a problem names the wrong file: {shown}");
            shown
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("`{shown}` does not begin with `{prefix}`"))
                .to_string()
        })
        .collect()
}

fn report(name: &str, expected: &[String], actual: &[String]) -> String {
    let list = |lines: &[String]| {
        if lines.is_empty() {
            "    (none)\n".to_string()
        } else {
            lines.iter().map(|l| format!("    {l}\n")).collect()
        }
    };
    format!(
        "{name}: the checker's errors differ from the fixture's `# expect:` lines\n  expected:\n{}  reported:\n{}",
        list(expected),
        list(actual)
    )
}

fn errors_of<T>(result: Result<T, FlowError>) -> Vec<Problem> {
    match result {
        Ok(_) => Vec::new(),
        Err(FlowError(problems)) => problems,
    }
}

#[test]
fn each_fixture_reports_exactly_its_expected_errors() {
    let mut failures = Vec::new();
    let files = fixtures_present()
        .into_iter()
        .filter(|name| !name.ends_with('/'));
    for name in files {
        let relative = Path::new(DIR).join(&name);
        let source = std::fs::read_to_string(fixtures_dir().join(&name)).unwrap();
        let expected = expected(&source);
        if expected.is_empty() {
            failures.push(format!("{name}: has no `# expect:` lines"));
            continue;
        }
        let problems = errors_of(parse_files(&[(relative.clone(), source)], region()));
        let actual = located(&problems, &relative);
        if actual != expected {
            failures.push(report(&name, &expected, &actual));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn each_directory_fixture_reports_exactly_its_expected_errors() {
    let mut failures = Vec::new();
    let dirs = fixtures_present()
        .into_iter()
        .filter(|name| name.ends_with('/'));
    for name in dirs {
        let dir = fixtures_dir().join(&name);
        // Files are read in name order; expectations are `file:line:column: message`.
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut expected_lines = Vec::new();
        for file in &files {
            let file_name = file.file_name().unwrap().to_str().unwrap();
            let source = std::fs::read_to_string(file).unwrap();
            for line in expected(&source) {
                expected_lines.push(format!("{file_name}:{line}"));
            }
        }
        if expected_lines.is_empty() {
            failures.push(format!("{name}: no file has `# expect:` lines"));
            continue;
        }
        let problems = errors_of(load_dir(&dir, region()));
        let actual: Vec<String> = problems
            .iter()
            .map(|p| {
                let file_name = p.file.strip_prefix(&dir).unwrap_or(&p.file);
                format!(
                    "{}:{}:{}: {}",
                    file_name.display(),
                    p.line,
                    p.column,
                    p.message
                )
            })
            .collect();
        if actual != expected_lines {
            failures.push(report(&name, &expected_lines, &actual));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_error_kind_has_a_fixture() {
    let present = fixtures_present();
    let missing: Vec<&&str> = FIXTURES
        .iter()
        .filter(|f| !present.iter().any(|p| p == **f))
        .collect();
    let unlisted: Vec<&String> = present
        .iter()
        .filter(|p| !FIXTURES.contains(&p.as_str()))
        .collect();
    assert!(
        missing.is_empty() && unlisted.is_empty(),
        "fixtures in {DIR}\n  missing (listed in FIXTURES, not on disk): {missing:?}\n  unlisted (on disk, add them to FIXTURES): {unlisted:?}"
    );
}
