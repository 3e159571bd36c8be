//! What the line holds about people: exporting, forgetting, purging, blocking and winding down.

use std::process::Command;

use super::*;

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
