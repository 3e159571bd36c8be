//! The `aidline` command line, run as an organiser would run it.

use std::process::Command;

#[path = "support/test_db.rs"]
mod test_db;

fn aidline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aidline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        // Keep a developer's own settings out of the test.
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .output()
        .unwrap()
}

/// Runs `aidline` on the SQLite database at `url`.
fn aidline_on(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aidline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .env("AIDLINE_DATABASE_URL", url)
        .output()
        .unwrap()
}

fn sqlite_in(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}/aidline.db", dir.path().display())
}

/// Writes to a fresh database at `url` before a command looks at it.
fn prepare(url: &str, write: impl AsyncFnOnce(&mut aidline::store::Conn)) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = aidline::store::Db::connect(url).await.unwrap();
        db.migrate().await.unwrap();
        let mut conn = db.acquire().await.unwrap();
        write(&mut conn).await
    });
}

/// What a command that had to succeed printed.
fn printed(out: std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What a command that had to fail said.
fn refused(out: std::process::Output) -> String {
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
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
fn roster(url: &str, args: &[&str]) -> Vec<serde_json::Value> {
    let json = printed(aidline_on(
        url,
        &[&["volunteers", "list", "--json"], args].concat(),
    ));
    serde_json::from_str(&json).unwrap()
}

/// A CSV file in `dir`, for `volunteers import`.
fn roster_file(dir: &tempfile::TempDir, rows: &str) -> String {
    let path = dir.path().join("roster.csv");
    std::fs::write(&path, rows).unwrap();
    path.display().to_string()
}

#[test]
fn importing_a_roster_file_adds_its_volunteers_with_numbers_masked() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let file = roster_file(
        &dir,
        "Name,Phone,Zones,Languages,Capabilities,Availability,Max_Open_Jobs\n\
         Ana,415-555-0100,northside;downtown,en;es,car,weekday evenings,3\n\
         Bo,+1 415 555 0101,southside,,,,\n",
    );
    let said = printed(aidline_on(&url, &["volunteers", "import", &file]));
    assert_eq!(said.trim(), "imported 2 volunteers");

    let list = roster(&url, &[]);
    let field = |i: usize, key: &str| list[i][key].as_str().unwrap().to_string();
    assert_eq!(
        [field(0, "name_to_use"), field(1, "name_to_use")],
        ["Ana", "Bo"]
    );
    assert_eq!(
        [field(0, "phone"), field(1, "phone")],
        ["+1******0100", "+1******0101"]
    );
    assert_eq!(
        [field(0, "status"), field(1, "status")],
        ["active", "active"]
    );
    assert_eq!(
        list[0]["zones"],
        serde_json::json!(["northside", "downtown"])
    );
    assert_eq!(list[0]["max_open_jobs"], 3);
    assert_eq!(list[1]["languages"], serde_json::json!(["en"]));

    let table = printed(aidline_on(&url, &["volunteers", "list"]));
    assert!(table.contains("2 volunteers"), "{table}");
    for shown in [serde_json::to_string(&list).unwrap(), table] {
        assert!(
            !shown.contains("4155550100") && !shown.contains("4155550101"),
            "{shown}"
        );
    }
}

#[test]
fn a_roster_file_with_one_bad_row_imports_nothing_and_names_each_value_refused_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let file = roster_file(
        &dir,
        "phone,name,zones\n\
         415-555-0100,Ana,northside\n\
         12345,Bo,westside\n\
         415-555-0102,Cy,downtown\n",
    );
    let said = refused(aidline_on(&url, &["volunteers", "import", &file]));
    assert!(
        said.contains(
            "row 3: phone: `12345` is not a phone number; \
             zones: `westside` is not a zone (downtown, northside, southside)\n\
             nothing was imported (1 bad row of 3)"
        ),
        "{said}"
    );
    assert!(roster(&url, &[]).is_empty());
}

#[test]
fn add_checks_one_volunteer_as_import_checks_a_row_and_updates_a_known_number() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let add = |capabilities: &str| {
        let ana = "volunteers add --phone 415-555-0100 --name Ana --capabilities";
        let args: Vec<&str> = ana.split(' ').chain([capabilities]).collect();
        aidline_on(&url, &args)
    };
    let said = refused(add("car;boat"));
    assert!(
        said.contains("capabilities: `boat` is not one of car, money, heavy"),
        "{said}"
    );
    assert_eq!(printed(add("car;money")).trim(), "saved Ana (+1******0100)");
    printed(add("heavy"));
    let list = roster(&url, &[]);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["capabilities"], serde_json::json!(["heavy"]));
}

#[test]
fn an_organiser_approves_a_sign_up_and_later_removes_them() {
    use aidline::store::contacts;
    use aidline::store::volunteers::{self, NewVolunteer};

    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    prepare(&url, async |conn| {
        let ids = contacts::upsert_many(conn, &["+14155550102"], 1)
            .await
            .unwrap();
        let sign_up = NewVolunteer {
            contact_id: ids[0].1,
            name_to_use: "Rosa",
            zones: &["southside".into()],
            languages: &["es".into()],
            capabilities: &[],
            availability: "",
            max_open_jobs: 2,
            status: aidline::lifecycle::VolunteerStatus::Pending,
        };
        volunteers::upsert(conn, &sign_up, 1).await.unwrap();
    });
    assert_eq!(roster(&url, &["--pending"])[0]["name_to_use"], "Rosa");

    let said = printed(aidline_on(
        &url,
        &["volunteers", "approve", "(415) 555-0102"],
    ));
    assert_eq!(said.trim(), "approved Rosa (+1******0102)");
    assert!(roster(&url, &["--pending"]).is_empty());
    assert_eq!(roster(&url, &[])[0]["status"], "active");

    let said = printed(aidline_on(&url, &["volunteers", "remove", "+14155550102"]));
    assert_eq!(said.trim(), "removed Rosa (+1******0102)");
    assert!(roster(&url, &[]).is_empty());

    for command in ["approve", "remove"] {
        let said = refused(aidline_on(&url, &["volunteers", command, "415-555-0102"]));
        assert!(
            said.contains("no volunteer has the number +1******0102"),
            "{said}"
        );
        assert!(!said.contains("4155550102"), "{said}");
    }
}

#[test]
fn a_forgotten_number_cannot_be_exported_again_and_a_number_the_line_never_knew_is_said_masked() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    prepare(&url, async |conn| {
        aidline::store::contacts::upsert_many(conn, &["+14155550107"], 1)
            .await
            .unwrap();
    });
    let held = printed(aidline_on(&url, &["contacts", "export", "415-555-0107"]));
    let held: serde_json::Value = serde_json::from_str(&held).unwrap();
    assert_eq!(held["contact"]["phone"], "+14155550107");

    let said = printed(aidline_on(&url, &["contacts", "forget", "415-555-0107"]));
    assert!(said.starts_with("forgot +1******0107"), "{said}");
    for command in ["export", "forget"] {
        let said = refused(aidline_on(&url, &["contacts", command, "(415) 555-0107"]));
        assert!(said.contains("holds nothing about +1******0107"), "{said}");
        assert!(!said.contains("5550107"), "{said}");
    }
    let said = refused(aidline_on(&url, &["contacts", "forget", "not a number"]));
    assert!(!said.is_empty());
}

#[test]
fn purge_dry_run_on_a_fresh_database_has_nothing_to_remove() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let report: serde_json::Value = serde_json::from_str(&printed(aidline_on(
        &url,
        &["purge", "--dry-run", "--json"],
    )))
    .unwrap();
    assert_eq!(report["quiet_numbers"], 0);
    let kinds: Vec<&str> = report["swept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    for kind in ["texts", "recordings", "events"] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
}

/// Runs `aidline users add` with `password` as its standard input.
fn add_user(url: &str, args: &[&str], password: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;

    let mut child = Command::new(env!("CARGO_BIN_EXE_aidline"))
        .args([&["users", "add"], args].concat())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .env("AIDLINE_DATABASE_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn an_organiser_adds_the_first_admin_who_can_then_sign_in_and_later_disables_them() {
    use aidline::accounts::verify_password;
    use aidline::store::{tokens, users};

    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let args = ["rosa", "--name", "Rosa M", "--role", "admin"];
    let said = refused(add_user(&url, &args, "too short"));
    assert!(said.contains("use at least 10 characters"), "{said}");

    let said = printed(add_user(&url, &args, "a long password with spaces"));
    assert_eq!(said.trim(), "added admin rosa");
    let said = refused(add_user(&url, &args, "another long password"));
    assert!(said.contains("username `rosa` is taken"), "{said}");

    prepare(&url, async |conn| {
        let (user, hash) = users::for_sign_in(conn, "rosa").await.unwrap().unwrap();
        assert_eq!(
            (user.display_name.as_str(), user.is_admin()),
            ("Rosa M", true)
        );
        assert!(verify_password("a long password with spaces", &hash));
        assert!(!hash.contains("spaces"));
        aidline::tokens::add(conn, "signal-bot", Some(user.id), 1)
            .await
            .unwrap();
    });

    let said = printed(aidline_on(&url, &["users", "disable", "rosa"]));
    assert_eq!(said.trim(), "disabled rosa");
    prepare(&url, async |conn| {
        assert!(users::for_sign_in(conn, "rosa").await.unwrap().is_none());
        let made = tokens::all(conn).await.unwrap();
        assert!(made[0].revoked_at.is_some(), "her token goes with her");
    });
}

#[test]
fn users_list_shows_each_account_its_role_and_whether_it_is_disabled_but_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let rosa = ["rosa", "--name", "Rosa M", "--role", "admin"];
    printed(add_user(&url, &rosa, "a long password with spaces"));
    let dana = ["dana", "--name", "Dana", "--role", "dispatcher"];
    printed(add_user(&url, &dana, "another long password"));
    printed(aidline_on(&url, &["users", "disable", "dana"]));

    let listed = printed(aidline_on(&url, &["users", "list"]));
    let row = |username: &str| {
        let line = listed.lines().find(|l| l.starts_with(username));
        line.expect(&listed).split_whitespace().collect::<Vec<_>>()
    };
    assert_eq!(row("rosa"), ["rosa", "Rosa", "M", "admin", "-"]);
    let dana = row("dana");
    assert_eq!(dana[..3], ["dana", "Dana", "dispatcher"], "{listed}");
    assert_ne!(dana[3], "-", "disabled, with when: {listed}");
    assert!(listed.ends_with("2 accounts\n"), "{listed}");
    assert_eq!(
        listed.lines().count(),
        4,
        "a header, two accounts, the count: {listed}"
    );
    assert!(
        !listed.contains("password") && !listed.contains("$argon2"),
        "{listed}"
    );
}

#[test]
fn an_organiser_makes_lists_and_revokes_an_api_token_on_the_command_line() {
    use aidline::store::tokens;

    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let out = aidline_on(&url, &["tokens", "add", "signal-bot"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("it cannot be shown again"));
    let token = printed(out).trim().to_string();
    assert_eq!(token.len(), 43, "{token}");
    let said = refused(aidline_on(&url, &["tokens", "add", "signal-bot"]));
    assert!(
        said.contains("a token named `signal-bot` exists already"),
        "{said}"
    );
    let said = refused(aidline_on(&url, &["tokens", "add", "Signal Bot"]));
    assert!(
        said.contains("name: use 1 to 64 lower-case letters"),
        "{said}"
    );

    let listed = printed(aidline_on(&url, &["tokens", "list"]));
    assert!(
        listed.contains("signal-bot") && listed.contains("command line"),
        "{listed}"
    );
    assert!(!listed.contains(&token));

    assert_eq!(
        printed(aidline_on(&url, &["tokens", "revoke", "signal-bot"])).trim(),
        "revoked signal-bot"
    );
    let said = refused(aidline_on(&url, &["tokens", "revoke", "signal-bot"]));
    assert!(
        said.contains("no token named `signal-bot` is in use"),
        "{said}"
    );
    prepare(&url, async |conn| {
        let all = tokens::all(conn).await.unwrap();
        assert!(all[0].revoked_at.is_some() && all[0].created_by.is_none());
    });
}

#[test]
fn blocking_on_the_command_line_takes_a_real_number_and_a_key_to_keep_it_under() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let said = refused(aidline_on(&url, &["contacts", "block", "banana"]));
    assert!(said.contains("\"banana\" is not a phone number"), "{said}");
    let said = refused(aidline_on(&url, &["contacts", "block", "+15557663001"]));
    assert!(said.contains("set `block_key` in [safety]"), "{said}");
    prepare(&url, async |conn| {
        let blocked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blocked_numbers")
            .fetch_one(conn)
            .await
            .unwrap();
        assert_eq!(blocked, 0);
    });
}

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

/// A settings file with the line winding down, in `dir`.
fn winding_down_settings(dir: &tempfile::TempDir) -> String {
    let path = dir.path().join("aidline.toml");
    let settings =
        "[wind_down]\nreferral.en = \"We have closed. Text Eastside Aid at 555-0199.\"\n";
    std::fs::write(&path, settings).unwrap();
    path.display().to_string()
}

#[test]
fn winding_down_keeps_the_counts_and_forgets_everyone_but_only_on_a_line_winding_down() {
    winding_down_on(test_db::Backend::Sqlite);
}

#[test]
fn winding_down_on_postgres_keeps_the_counts_and_forgets_everyone() {
    winding_down_on(test_db::Backend::Postgres);
}

fn winding_down_on(backend: test_db::Backend) {
    use aidline::lifecycle::RequestStatus;
    use aidline::store::{contacts, requests, stats};

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(test_db::TestDb::create(backend)) else {
        return;
    };
    let url = db.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let hour = 60 * 60 * 1000;
    prepare(&url, async |conn| {
        let phones = ["+15557657001", "+15557657002", "+15557657003"];
        let ids = contacts::upsert_many(conn, &phones, now - 3 * hour)
            .await
            .unwrap();
        let fields = std::collections::BTreeMap::from([("items".to_string(), "bread".to_string())]);
        for ((_, contact), queue) in ids.iter().zip(["groceries", "groceries", "pickup"]) {
            let new = requests::NewRequest {
                contact_id: *contact,
                line: "+15550100100",
                queue,
                fields: &fields,
                priority: 0,
                session_id: None,
                actor: "test",
            };
            let (id, _) = requests::create(conn, &new, now - 3 * hour).await.unwrap();
            if queue == "pickup" {
                let claimed = RequestStatus::Claimed;
                requests::set_status(conn, id, claimed, "test", None, now - 2 * hour)
                    .await
                    .unwrap();
            }
        }
    });
    let export = dir.path().join("counts.json");
    let export_arg = export.display().to_string();
    let args = ["wind-down", "--export", export_arg.as_str(), "--yes"];

    let live = refused(aidline_on(&url, &args));
    assert!(live.contains("not winding down"), "{live}");
    assert!(!export.exists(), "a live line is left alone");

    let out = Command::new(env!("CARGO_BIN_EXE_aidline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AIDLINE_CONFIG", winding_down_settings(&dir))
        .env("AIDLINE_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(printed(out).contains("3 numbers forgotten"));
    let written = std::fs::read_to_string(&export).unwrap();
    assert!(
        !written.contains("555765700") && !written.contains("bread"),
        "{written}"
    );
    let counts: serde_json::Value = serde_json::from_str(&written).unwrap();
    let weeks = counts["weeks"].as_array().unwrap();
    let this_week = &weeks[weeks.len() - 1]["made"];
    assert_eq!(
        (
            this_week["groceries"].as_u64(),
            this_week["pickup"].as_u64()
        ),
        (Some(2), Some(1))
    );

    runtime.block_on(async {
        let db = aidline::store::Db::connect(&url).await.unwrap();
        let mut conn = db.acquire().await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(left, 0, "nobody is left");
        // The stats page's numbers, read after the wind-down: the same counts.
        let made = stats::made_since(&mut conn, 0, "volunteers").await.unwrap();
        let zone = aidline::local_time::LocalTime::parse("UTC").unwrap();
        let page = stats::summarise(&made, &[], now, &zone.last_days(now, 14));
        let queues = counts["queues"].as_array().unwrap();
        assert_eq!(queues.len(), page.timings.len());
        for (exported, shown) in queues.iter().zip(&page.timings) {
            assert_eq!(exported["queue"], shown.queue.clone().unwrap_or_default());
            assert_eq!(exported["made"], shown.made);
            assert_eq!(exported["claimed"], shown.claimed);
            assert_eq!(exported["delivered"], shown.delivered);
        }
        assert_eq!(page.timings.last().unwrap().claimed, 1);
    });
}
