//! Flow files on the command line: the check, and talking to a flow in the terminal.

use std::process::Command;

use super::*;

#[test]
fn flows_check_passes_on_the_shipped_flows() {
    let out = aidline(&["flows", "check", "flows"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("2 flow(s) ok: intake, volunteer"),
        "{stdout}"
    );
    let row = |name: &str, language: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(name) && l.contains(&format!(" {language}  ")))
            .unwrap_or_else(|| panic!("no row for {name} ({language}): {stdout}"))
            .to_string()
    };
    assert!(row("intake: need ", "en").ends_with("1 segment (GSM-7, 79 of 160)"));
    // Texts beyond the flows: dispatch and the carriers' words, with the smart-encoded cost.
    assert!(
        row("dispatch.texts.es.taken", "es")
            .ends_with("1 segment (UCS-2, 36 of 70) · 1 segment (GSM-7, 36 of 160)")
    );
    assert!(row("compliance.replies.es.help", "es").contains("1 segment (GSM-7,"));
    assert!(
        !stdout.contains("warning"),
        "the shipped flows fit their budget: {stdout}"
    );
    let over = stdout.split("over budget:").nth(1).unwrap_or_default();
    assert_eq!(
        over.lines().filter(|l| !l.trim().is_empty()).count(),
        2,
        "only the winner's text, in each language: {over}"
    );
    assert!(
        over.contains("dispatch.texts.en.yours (en): 2 segments, budget 1: {answers} adds up to")
    );
}

#[test]
fn flows_check_names_the_file_line_and_column_of_a_mistake() {
    let out = aidline(&["flows", "check", "tests/fixtures/broken_flows"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("tests/fixtures/broken_flows/intake.toml:10:8: `next` points to `adress`, which is not a state in this flow"),
        "{stderr}"
    );
}

#[test]
fn the_service_refuses_to_start_with_a_broken_flow() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/aidline.db", dir.path().display());
    let out = Command::new(env!("CARGO_BIN_EXE_aidline"))
        .arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .env("AIDLINE_FLOWS_DIR", "tests/fixtures/broken_flows")
        .env("AIDLINE_DATABASE_URL", &db)
        .env("AIDLINE_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("intake.toml:10:8"), "{stderr}");
    assert_eq!(
        stderr.matches("intake.toml:10:8").count(),
        1,
        "said once: {stderr}"
    );
}

#[test]
fn an_unknown_setting_stops_start_up_and_is_named() {
    let out = Command::new(env!("CARGO_BIN_EXE_aidline"))
        .args([
            "--config",
            "tests/fixtures/unknown_key.toml",
            "flows",
            "check",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("databse_url"), "{stderr}");
}

/// Runs `aidline chat ARGS`, typing `lines` into it; what it printed.
fn chat(args: &[&str], lines: &[&str]) -> String {
    use std::io::Write;
    use std::process::Stdio;

    let mut child = Command::new(env!("CARGO_BIN_EXE_aidline"))
        .arg("chat")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let typed = format!("{}\n", lines.join("\n"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn chat_takes_a_whole_intake_in_spanish_through_stdin_and_stdout() {
    let answers = [
        "hola",
        "2",
        "comida",
        "arroz y leche",
        "4",
        "sur",
        "5 y Main",
        "mañana",
        "SALTAR",
        "Rosa",
    ];
    let stdout = chat(&["--lang", "es"], &answers);
    let replies: Vec<&str> = stdout.lines().collect();
    assert_eq!(replies.len(), 10, "{stdout}");
    assert_eq!(
        replies[1],
        "¿Qué necesita? Responda 1 comida, 2 recoger medicinas, 3 otra entrega."
    );
    assert_eq!(replies[4], "¿Cuál es su código postal o su barrio?");
    assert_eq!(replies[8], "¿Qué nombre debe usar el voluntario?");
    assert!(
        replies[9].starts_with("¡Gracias! Su pedido es ")
            && replies[9].ends_with(". Pronto le escribirá un voluntario."),
        "{}",
        replies[9]
    );
}

#[test]
fn chat_writes_nothing_to_the_configured_database_unless_asked() {
    use std::io::Write;
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/aidline.db", dir.path().display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_aidline"))
        .arg("chat")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .env("AIDLINE_DATABASE_URL", &db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"hi\n1\n").unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    assert!(!dir.path().join("aidline.db").exists());
}

#[test]
fn chat_voice_walks_the_intake_as_a_caller_pressing_keys_and_speaking() {
    // English, groceries, a list said, a household typed, silence, a zip code typed, then the
    // rest skipped but the name.
    let turns = [
        "1",
        "1",
        "milk and bread",
        "3#",
        "",
        "02139#",
        "*",
        "*",
        "*",
        "Rosa",
    ];
    let stdout = chat(&["--voice"], &turns);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("line: Hello") && lines[0].contains("For English, press 1"),
        "{stdout}"
    );
    assert_eq!(
        lines[1],
        "(press a key or say it; * skips; 0 leaves a message)"
    );
    assert!(stdout.contains("(type digits and # or say it; * skips; 0 leaves a message)"));
    // The silence asked the zip code again.
    assert_eq!(
        stdout.matches("line: What is your zip code?").count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout.contains("line: Thank you, Rosa! Your request is "),
        "{stdout}"
    );
    assert_eq!(lines.last(), Some(&"(the line hangs up)"));
}
