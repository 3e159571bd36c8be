//! Many texts at once: from one phone (handled one at a time, in order) and from many phones.

use std::time::Duration;

use aidline::store::requests::CODE_LOCKS;
use futures::future::join_all;

use crate::helpers::*;
use crate::on_both_databases;

on_both_databases! {
    async fn fifty_texts_fired_at_once_from_one_phone_are_handled_in_arrival_order(db) {
        // Past the line's usual limit on texts from one number, which would hold the rest back.
        let unlimited = "[safety]\ntexts = { most = 100, minutes = 10 }";
        let app = TestApp::spawn_with(db, Options { flows_dir: "tests/flows".into(), flow: "echo", extra_settings: unlimited.into(), ..Options::default() }).await;
        let neighbour = "+15557655001";
        app.text(neighbour, "hello").await;
        let texts: Vec<String> = (0..50).map(|i| format!("message {i}")).collect();
        join_all(texts.iter().map(|t| app.text(neighbour, t))).await;

        // Each reply echoes the text before it, so replies in id order must follow the texts in
        // the order they were stored, with none skipped or repeated.
        let stored: Vec<String> = sqlx::query_scalar("SELECT body FROM inbound_messages ORDER BY id")
            .fetch_all(app.db.pool()).await.unwrap();
        let replies: Vec<String> = sqlx::query_scalar("SELECT body FROM outbound_messages ORDER BY id")
            .fetch_all(app.db.pool()).await.unwrap();
        assert_eq!(stored.len(), 51);
        assert_eq!(replies.len(), 51);
        assert_eq!(replies[0], "Say anything.");
        for (text, reply) in stored[1..].iter().zip(&replies[1..]) {
            assert_eq!(reply, &format!("Got {text}."));
        }
        let mut sorted = stored[1..].to_vec();
        sorted.sort();
        let mut expected = texts.clone();
        expected.sort();
        assert_eq!(sorted, expected, "every text stored once");
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages WHERE handled_at IS NULL").await, 0);
    }

    async fn two_hundred_phones_texting_at_once_all_finish_the_intake(db) {
        let app = TestApp::spawn(db).await;
        let conversations = (0..200).map(|i| {
            let app = &app;
            async move {
                let phone = format!("+1555766{i:04}");
                for text in INTAKE {
                    app.text(&phone, text).await;
                }
            }
        });
        join_all(conversations).await;
        let requests = app.requests().await;
        assert_eq!(requests.len(), 200);
        assert!(requests.iter().all(|r| r.queue == "groceries" && r.fields["name_to_use"] == "Sam"));
        let mut codes: Vec<&str> = requests.iter().map(|r| r.code.as_str()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 200, "every open request has its own code");
    }
}

/// PostgreSQL only: there another transaction can be filing requests at the same moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_filed_while_every_short_code_is_being_filed_elsewhere_takes_a_longer_one_without_waiting()
 {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let app = TestApp::spawn(db).await;
    // Another copy, midway through filing requests under every two-character code: waiting for
    // its commit is how two copies came to wait for each other for ever.
    let mut elsewhere = app.db.pool().begin().await.unwrap();
    for letter in "ACDEFGHJKLMNPQRTUVWXY".chars() {
        for digit in "23456789".chars() {
            sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                .bind(CODE_LOCKS)
                .bind(format!("{letter}{digit}"))
                .execute(&mut *elsewhere)
                .await
                .unwrap();
        }
    }
    let filing = async {
        for text in INTAKE {
            app.text("+15557669001", text).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), filing)
        .await
        .expect("filing the request waited for the other transaction");
    let requests = app.requests().await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].code.len(), 3, "{}", requests[0].code);
    elsewhere.rollback().await.unwrap();
}

/// PostgreSQL only: there another copy can be adding the same number at the same moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_text_from_a_number_another_copy_is_adding_that_moment_is_stored_and_answered() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let app = TestApp::spawn(db).await;
    // Another copy has made the contact and not yet committed: storing the text waits for it,
    // then cannot see the contact it made, and must try again rather than take the text for a
    // repeat.
    let mut elsewhere = app.db.pool().begin().await.unwrap();
    sqlx::query(
        "INSERT INTO contacts (phone, created_at, last_seen_at) VALUES ('+15557669002', 0, 0)",
    )
    .execute(&mut *elsewhere)
    .await
    .unwrap();
    let committing = async {
        let started = std::time::Instant::now();
        while app
            .count("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
            .await
            == 0
        {
            assert!(started.elapsed() < Duration::from_secs(10), "the text never waited");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        elsewhere.commit().await.unwrap();
    };
    tokio::join!(app.text("+15557669002", "hi"), committing);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbound_messages WHERE handled_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM contacts WHERE phone = '+15557669002'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbound_messages").await,
        1,
        "the greeting is queued"
    );
}

/// Makes the database refuse any reply to `phone`, as a broken rule or a full disk might.
async fn refuse_replies_to(app: &TestApp, phone: &str) {
    let statements = match app.db.backend() {
        aidline::store::Backend::Sqlite => vec![format!(
            "CREATE TRIGGER refuse_reply BEFORE INSERT ON outbound_messages \
             WHEN NEW.to_phone = '{phone}' BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
        )],
        aidline::store::Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION refuse_reply() RETURNS trigger AS $$ BEGIN \
                 IF NEW.to_phone = '{phone}' THEN RAISE EXCEPTION 'refused for the test'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER refuse_reply BEFORE INSERT ON outbound_messages \
             FOR EACH ROW EXECUTE FUNCTION refuse_reply()"
                .to_string(),
        ],
    };
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(app.db.pool())
            .await
            .unwrap();
    }
}

async fn stored_under(app: &TestApp, sid: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM inbound_messages WHERE gateway_id = $1")
        .bind(sid)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

on_both_databases! {
    async fn a_text_that_cannot_be_handled_is_refused_for_retry_holds_up_no_one_else_and_is_handled_once_later(db) {
        let app = TestApp::spawn(db).await;
        let unlucky = "+15557669100";
        refuse_replies_to(&app, unlucky).await;
        let others: Vec<String> = (0..10).map(|i| format!("+155576692{i:02}")).collect();
        let sid = app.new_sid();
        let (refused, answered) = tokio::join!(
            app.text_with_sid(unlucky, "hi", &sid),
            join_all(others.iter().map(|phone| app.text(phone, "hi")))
        );
        assert!(refused.status().is_server_error(), "the provider is to send it again: {}", refused.status());
        assert_eq!(answered.len(), 10);
        assert_eq!(stored_under(&app, &sid).await, 1, "the text itself is kept");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM inbound_messages WHERE handled_at IS NULL").await,
            1,
            "every other text is handled"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM outbound_messages").await, 10, "every other neighbour is greeted");

        // Once the database takes it, the provider's next try changes nothing more, and the
        // pass that looks for unhandled texts answers it, once.
        let drop = match app.db.backend() {
            aidline::store::Backend::Sqlite => "DROP TRIGGER refuse_reply",
            aidline::store::Backend::Postgres => "DROP TRIGGER refuse_reply ON outbound_messages",
        };
        sqlx::query(drop).execute(app.db.pool()).await.unwrap();
        assert_eq!(app.text_with_sid(unlucky, "hi", &sid).await.status(), 200);
        assert_eq!(app.intake.recover().await.unwrap(), 1);
        assert_eq!(app.intake.recover().await.unwrap(), 0);
        assert_eq!(stored_under(&app, &sid).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbound_messages").await, 11);
    }

    async fn a_number_that_texts_again_after_an_hour_is_marked_seen(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557669300";
        app.text(neighbour, "hi").await;
        sqlx::query("UPDATE contacts SET last_seen_at = 0").execute(app.db.pool()).await.unwrap();
        app.text(neighbour, "1").await;
        let seen: i64 = sqlx::query_scalar("SELECT last_seen_at FROM contacts WHERE phone = $1")
            .bind(neighbour)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert!(seen > 0, "last seen at {seen}");
    }
}
