//! The conversation tests shipped in flows/tests, run as `aidline flows test` runs them, and what
//! an organiser sees when a flow no longer says what its test expects.

use std::path::Path;

use aidline::config::Settings;
use aidline::flow_tests::{self, Report};

async fn run(flows: &Path) -> Report {
    let settings = Settings::from_toml(&format!("flows_dir = \"{}\"", flows.display())).unwrap();
    let files = flow_tests::load_dir(&flows.join("tests")).unwrap();
    flow_tests::run(&settings, &files).await.unwrap()
}

#[tokio::test]
async fn the_shipped_flows_go_as_their_conversation_tests_say_in_english_and_spanish() {
    let report = run(Path::new("flows")).await;
    assert!(report.passed(), "{report}");
    assert!(report.conversations >= 9, "{report}");
}

#[tokio::test]
async fn a_reworded_question_fails_its_test_with_a_diff_at_the_turn_that_expected_it() {
    let flows = tempfile::tempdir().unwrap();
    std::fs::create_dir(flows.path().join("tests")).unwrap();
    for name in [
        "intake.toml",
        "keywords.toml",
        "zones.toml",
        "volunteer.toml",
    ] {
        std::fs::copy(Path::new("flows").join(name), flows.path().join(name)).unwrap();
    }
    let intake = std::fs::read_to_string("flows/intake.toml").unwrap();
    let reworded = intake.replace(
        "say.en = \"When is a good time?\"",
        "say.en = \"What time suits you?\"",
    );
    assert_ne!(intake, reworded);
    std::fs::write(flows.path().join("intake.toml"), reworded).unwrap();
    std::fs::copy(
        "flows/tests/intake_en.toml",
        flows.path().join("tests/intake_en.toml"),
    )
    .unwrap();

    let report = run(flows.path()).await;
    assert!(!report.passed());
    let first = report.failures[0].to_string();
    let test_file = std::fs::read_to_string("flows/tests/intake_en.toml").unwrap();
    let turn_line = test_file
        .lines()
        .position(|l| l == "send = \"Oak and 3rd\"")
        .unwrap();
    assert_eq!(
        report.failures[0].line, turn_line,
        "at the turn's [[conversation.turn]]: {first}"
    );
    assert!(
        first.contains("after \"Oak and 3rd\" the line answered otherwise"),
        "{first}"
    );
    assert!(
        first.contains("  - When is a good time?\n  + What time suits you?"),
        "{first}"
    );
    assert!(report.to_string().ends_with("went as written"), "{report}");
}
