//! The `aidline` command line, run as an organiser would run it.

use std::process::Command;

fn aidline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aidline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        // Keep a developer's own settings out of the test.
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .output()
        .unwrap()
}

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
    assert!(
        stdout.contains("need             en  1 segment (GSM-7, 79 of 160)"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("warning"),
        "the shipped flows fit their budget: {stdout}"
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

#[test]
fn chat_takes_a_whole_intake_in_spanish_through_stdin_and_stdout() {
    use std::io::Write;
    use std::process::Stdio;

    let mut child = Command::new(env!("CARGO_BIN_EXE_aidline"))
        .args(["chat", "--lang", "es"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
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
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n", answers.join("\n")).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
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
fn texts_failed_lists_what_could_not_be_sent_with_numbers_masked() {
    use aidline::store::outbound::{self, Kind, NewOutbound};
    use aidline::store::{Db, contacts};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/aidline.db", dir.path().display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let mut conn = db.acquire().await.unwrap();
        let to = "+15557656001";
        let ids = contacts::upsert_many(&mut conn, &[to], 1).await.unwrap();
        let text = NewOutbound {
            contact_id: ids[0].1,
            line: "+15550100100",
            to,
            body: "the body stays private",
            kind: Kind::Reply,
            inbound_id: None,
        };
        outbound::enqueue_many(&mut conn, &[text], 1).await.unwrap();
        let id: i64 = sqlx::query_scalar("SELECT id FROM outbound_messages")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        outbound::finish_unsent(&mut conn, id, "failed", Some("21211"), "invalid number", 2)
            .await
            .unwrap();
    });
    let out = Command::new(env!("CARGO_BIN_EXE_aidline"))
        .args(["texts", "failed"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .env("AIDLINE_DATABASE_URL", &url)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("21211: invalid number"), "{shown}");
    assert!(shown.contains("+1******6001"), "{shown}");
    assert!(
        !shown.contains("+15557656001") && !shown.contains("private"),
        "{shown}"
    );
    assert!(shown.contains("1 text(s)"), "{shown}");
}
