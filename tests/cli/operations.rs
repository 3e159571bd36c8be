//! Keeping the line running: failed texts, which settings file is read, backups and logs.

use std::process::Command;

use super::*;

#[test]
fn texts_failed_lists_what_could_not_be_sent_with_numbers_masked() {
    use aidline::lifecycle::OutboundKind;
    use aidline::store::contacts;
    use aidline::store::outbound::{self, NewOutbound};

    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    prepare(&url, async |conn| {
        let to = "+15557656001";
        let ids = contacts::upsert_many(conn, &[to], 1).await.unwrap();
        let text = NewOutbound {
            contact_id: ids[0].1,
            line: "+15550100100",
            to,
            body: "the body stays private",
            kind: OutboundKind::Reply,
            inbound_id: None,
            spoken: false,
            spoken_audio: None,
        };
        outbound::enqueue_many(conn, &[text], 1).await.unwrap();
        let id: i64 = sqlx::query_scalar("SELECT id FROM outbound_messages")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        outbound::fail(conn, id, Some("21211"), "invalid number", 2)
            .await
            .unwrap();
    });
    let shown = printed(aidline_on(&url, &["texts", "failed"]));
    assert!(shown.contains("21211: invalid number"), "{shown}");
    assert!(shown.contains("+1******6001"), "{shown}");
    assert!(
        !shown.contains("+15557656001") && !shown.contains("private"),
        "{shown}"
    );
    assert!(shown.contains("1 text(s)"), "{shown}");
}

/// The roster as `volunteers list --json` shows it.

#[test]
fn a_settings_file_in_a_parent_directory_is_not_read() {
    let parent = tempfile::tempdir().unwrap();
    let theirs = format!("sqlite://{}/theirs.db", parent.path().display());
    let file = format!("database_url = \"{theirs}\"\n");
    std::fs::write(parent.path().join("aidline.toml"), file).unwrap();
    let here = parent.path().join("here");
    std::fs::create_dir(&here).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_aidline"))
        .arg("migrate")
        .current_dir(&here)
        .env_remove("AIDLINE_CONFIG")
        .env_remove("AIDLINE_DATABASE_URL")
        .output()
        .unwrap();
    printed(out);
    assert!(
        !parent.path().join("theirs.db").exists(),
        "the parent's database is left alone"
    );
    assert!(
        here.join("aidline.db").exists(),
        "the built-in settings are used here"
    );
}

#[test]
fn a_backup_taken_while_the_database_is_in_use_holds_its_rows_and_never_overwrites_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    printed(aidline_on(&url, &["migrate"]));
    let password = "a long enough password for the test";
    printed(add_user(
        &url,
        &["dina", "--name", "Dina", "--role", "admin"],
        password,
    ));
    let copy = dir.path().join("backup.db");
    let copy_path = copy.to_str().unwrap();
    let said = printed(aidline_on(&url, &["backup", copy_path]));
    assert!(said.contains("backed up to"), "{said}");

    let copy_url = format!("sqlite://{copy_path}");
    let users: i64 = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = aidline::store::Db::connect(&copy_url).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(db.pool())
            .await
            .unwrap()
    });
    assert_eq!(users, 1, "the copy holds what the database held");

    let again = refused(aidline_on(&url, &["backup", copy_path]));
    assert!(again.contains("exists already"), "{again}");
}

#[test]
fn with_json_logs_each_line_the_service_writes_is_one_json_object() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut service = Command::new(env!("CARGO_BIN_EXE_aidline"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .env("AIDLINE_DATABASE_URL", sqlite_in(&dir))
        .env("AIDLINE_BIND", "127.0.0.1:0")
        .env("AIDLINE_LOG_FORMAT", "json")
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(service.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    service.kill().unwrap();
    service.wait().unwrap();
    let line: serde_json::Value =
        serde_json::from_str(&first).unwrap_or_else(|e| panic!("{e}: {first}"));
    assert_eq!(line["level"], "INFO", "{line}");
    assert_eq!(line["message"], "aidline is listening", "{line}");
    assert!(
        line["addr"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{line}"
    );
}
