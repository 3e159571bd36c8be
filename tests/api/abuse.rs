//! A number that floods the line is told once to slow down and then not heard for a while; a
//! number a dispatcher or an admin blocks is neither heard nor answered, and the block list keeps
//! no number.

use std::time::Duration;

use crate::calls::Call;
use crate::dispatch::{ASKING_FOR_GROCERIES, neighbour_asks};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, NEIGHBOUR, PASSWORD, account};
use crate::providers::FIRST_QUESTION;

const FLOODER: &str = "+15557663001";
const CALLER: &str = "+15557663002";
const NOTICE_EN: &str = "This line has had more texts or calls from your number than it can take, so it will not answer you for a while. Please try again later.";
const NOTICE_ES: &str = "Recibimos demasiados mensajes o llamadas de este teléfono. Por eso no le responderemos por un rato. Intente de nuevo luego.";
const BLOCK_KEY: &str = "[safety]\nblock_key = \"a test key of some length\"";

/// How many messages from `phone` the limit held back.
async fn held(app: &TestApp, phone: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM inbound_messages i JOIN contacts c ON c.id = i.contact_id \
         WHERE c.phone = $1 AND i.outcome = 'limited'",
    )
    .bind(phone)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// The first webhook of a new Twilio call from `from`, as Twilio signs it; the TwiML answer.
async fn ring(app: &TestApp, from: &str) -> String {
    let sid = format!("CA{:032x}", rand::random::<u128>());
    let fields: Vec<(String, String)> = [
        ("CallSid", sid.as_str()),
        ("AccountSid", ACCOUNT),
        ("From", from),
        ("To", LINE),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let response = app.post_signed("/webhooks/twilio/voice", &fields).await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

const REJECTED: &str = "<Response><Reject reason=\"rejected\"/></Response>";

/// Runs `aidline` as an admin would, on the test's database, with the service's block key.
fn aidline(app: &TestApp, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("aidline.toml");
    let settings = format!("database_url = \"{}\"\n{BLOCK_KEY}\n", app.test_db.url);
    std::fs::write(&config, settings).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aidline"))
        .arg("--config")
        .arg(&config)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

on_both_databases! {
    async fn a_number_that_texts_forty_times_is_told_once_to_slow_down_then_hears_nothing_until_the_cool_off_ends(db) {
        let app = TestApp::spawn(db).await;
        for _ in 0..30 {
            app.text(FLOODER, "hello?").await;
        }
        app.send_due().await;
        let answered = app.sent_to(FLOODER).await.len();
        assert!(answered > 0);
        let requests = app.requests().await.len();

        // The thirty-first text in ten minutes is one too many. By now the line speaks English
        // with them, so the notice comes in English.
        let language: Option<String> = sqlx::query_scalar("SELECT language FROM contacts WHERE phone = $1")
            .bind(FLOODER).fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(language.as_deref(), Some("en"));
        app.text(FLOODER, "hello?").await;
        app.send_due().await;
        assert_eq!(app.sent_to(FLOODER).await[answered..], [NOTICE_EN]);

        // Meanwhile a whole request's worth of answers is kept, but answers nothing and files
        // nothing.
        for text in ASKING_FOR_GROCERIES {
            app.text(FLOODER, text).await;
        }
        app.send_due().await;
        assert_eq!(app.sent_to(FLOODER).await.len(), answered + 1, "silence after the notice");
        assert_eq!(app.requests().await.len(), requests, "no request while cooling off");
        assert_eq!(held(&app, FLOODER).await, 1 + ASKING_FOR_GROCERIES.len() as i64);

        // Fifty-nine minutes on they are still not heard; an hour on, they are.
        app.clock.advance(Duration::from_secs(59 * 60));
        app.text(FLOODER, "hello?").await;
        app.send_due().await;
        assert_eq!(app.sent_to(FLOODER).await.len(), answered + 1);
        app.clock.advance(Duration::from_secs(2 * 60));
        app.text(FLOODER, "hi").await;
        app.send_due().await;
        let texts = app.sent_to(FLOODER).await;
        assert_eq!(texts.len(), answered + 2, "{texts:#?}");
        assert_ne!(texts.last().unwrap(), NOTICE_EN);
    }

    async fn forty_texts_fired_at_once_from_one_number_are_counted_once_each_and_told_once(db) {
        // Intake workers (four on PostgreSQL) take these side by side, as copies of the service
        // sharing the database would: the count is the stored texts', read under the number's
        // lock, so exactly the texts past thirty are held back.
        let app = TestApp::spawn(db).await;
        let texts: Vec<String> = (0..40).map(|i| format!("message {i}")).collect();
        futures::future::join_all(texts.iter().map(|t| app.text(FLOODER, t))).await;
        assert_eq!(held(&app, FLOODER).await, 10);
        app.send_due().await;
        let notices = app.sent_to(FLOODER).await.into_iter().filter(|t| t == NOTICE_EN).count();
        assert_eq!(notices, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM contact_limits").await, 1);
    }

    async fn a_number_that_knows_its_language_is_told_in_it_and_stop_still_works_while_it_cools_off(db) {
        let app = TestApp::spawn_with(db, Options {
            extra_settings: "[safety]\ntexts = { most = 3, minutes = 10 }".into(),
            ..Options::default()
        }).await;
        for text in ["hola", "2", "no sé"] {
            app.text(FLOODER, text).await;
        }
        app.send_due().await;
        let answered = app.sent_to(FLOODER).await.len();
        app.text(FLOODER, "¿hola?").await;
        app.send_due().await;
        assert_eq!(app.sent_to(FLOODER).await[answered..], [NOTICE_ES]);

        app.text(FLOODER, "STOP").await;
        assert_eq!(
            app.count("SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL").await,
            1,
            "STOP is honoured whatever the limit"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM opt_events WHERE kind = 'opt_out'").await, 1);
    }

    async fn a_number_that_calls_eleven_times_in_an_hour_hears_the_notice_and_is_hung_up_on(db) {
        let app = TestApp::spawn(db).await;
        for _ in 0..10 {
            let (_, heard) = Call::dial(&app, CALLER).await;
            assert!(heard.said().contains("For English, press 1"), "{heard:?}");
        }
        let (_, heard) = Call::dial(&app, CALLER).await;
        assert_eq!(heard.says, [
            (NOTICE_EN.to_string(), "en-US".to_string()),
            (NOTICE_ES.to_string(), "es-MX".to_string()),
        ]);
        assert!(heard.hangup && heard.listen.is_none(), "{heard:?}");
        // While the number cools off its calls are refused before they are answered.
        assert!(ring(&app, CALLER).await.contains(REJECTED));
        app.send_due().await;
        assert!(app.sent_to(CALLER).await.is_empty(), "the notice was said, not texted");
        assert_eq!(held(&app, CALLER).await, 2);

        app.clock.advance(Duration::from_secs(61 * 60));
        let (_, heard) = Call::dial(&app, CALLER).await;
        assert!(heard.said().contains("For English, press 1"), "{heard:?}");
    }

    async fn a_caller_who_floods_the_line_by_text_during_a_call_is_hung_up_on_at_the_next_answer(db) {
        let app = TestApp::spawn_with(db, Options {
            extra_settings: "[safety]\ntexts = { most = 1, minutes = 10 }".into(),
            ..Options::default()
        }).await;
        let (mut call, heard) = Call::dial(&app, CALLER).await;
        assert!(heard.listen.is_some());
        app.text(CALLER, "hello").await;
        app.text(CALLER, "hello again").await;
        let heard = call.press("1").await;
        assert!(heard.hangup && heard.says.is_empty() && heard.listen.is_none(), "{heard:?}");
        app.send_due().await;
        let texts = app.sent_to(CALLER).await;
        // "hello" told the line they speak English.
        assert_eq!(texts.last().map(String::as_str), Some(NOTICE_EN), "{texts:?}");
        assert_eq!(texts.iter().filter(|t| *t == NOTICE_EN).count(), 1, "told once, by text");
    }

    async fn a_dispatcher_blocks_a_number_from_its_request_and_the_line_stops_hearing_it(db) {
        let app = TestApp::spawn_with(db, Options { extra_settings: BLOCK_KEY.into(), ..Options::default() }).await;
        account(&app, "dana", "dispatcher").await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        app.send_due().await;
        let texts_before = app.sent_to(NEIGHBOUR).await.len();
        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;
        let page = dana.get(&format!("/requests/{code}")).await;
        assert!(page.body.contains(&format!("action=\"/requests/{code}/block\"")));

        // The button asks first, and a form without the page's token does nothing.
        let refused = dana.post(&format!("/requests/{code}/block"), &[("confirmed", "yes")]).await;
        assert_eq!(refused.status, 403);
        let asked = dana.post(&format!("/requests/{code}/block"), &[("csrf", &page.csrf())]).await;
        assert!(asked.body.contains("Block the number that made"), "{}", asked.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM blocked_numbers").await, 0);
        let done = dana
            .post(&format!("/requests/{code}/block"), &[("csrf", &asked.csrf()), ("confirmed", "yes")])
            .await;
        assert!(done.body.contains("Blocked: the line will neither keep nor answer"), "{}", done.body);

        let stored = app.count("SELECT COUNT(*) FROM inbound_messages").await;
        let requests = app.requests().await.len();
        app.text(NEIGHBOUR, "hi").await;
        for text in ASKING_FOR_GROCERIES {
            app.text(NEIGHBOUR, text).await;
        }
        app.send_due().await;
        assert_eq!(app.sent_to(NEIGHBOUR).await.len(), texts_before, "no answer");
        assert_eq!(app.requests().await.len(), requests, "no request");
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, stored, "nothing kept");
        assert!(ring(&app, NEIGHBOUR).await.contains(REJECTED), "the call is refused unanswered");
        assert_eq!(app.count("SELECT COUNT(*) FROM calls").await, 0);

        // The list holds a keyed hash, and the audit trail who did it, from where: no number.
        let (digest, ): (String,) = sqlx::query_as("SELECT digest FROM blocked_numbers")
            .fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(digest.len(), 64);
        assert!(!digest.contains("7654321"));
        let events: Vec<(String, String, Option<i64>)> =
            sqlx::query_as("SELECT kind, actor, request_id FROM block_events")
                .fetch_all(app.db.pool()).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].0.as_str(), events[0].1.as_str()), ("blocked", "user:dana"));
        assert!(events[0].2.is_some());

        // Another number is heard as ever.
        app.text(FLOODER, "hi").await;
        app.send_due().await;
        assert_eq!(app.sent_to(FLOODER).await, [FIRST_QUESTION]);
    }

    async fn without_a_block_key_nobody_is_blocked_and_the_page_says_what_is_missing(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let dana = Browser::new(&app);
        let page = dana.sign_in("dana", PASSWORD).await;
        let done = dana
            .post(&format!("/requests/{code}/block"), &[("csrf", &page.csrf()), ("confirmed", "yes")])
            .await;
        assert_eq!(done.status, 409);
        assert!(done.body.contains("set `block_key` in [safety]"), "{}", done.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM blocked_numbers").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM block_events").await, 0);
    }

    async fn an_admin_blocks_and_unblocks_a_number_from_the_command_line(db) {
        let app = TestApp::spawn_with(db, Options { extra_settings: BLOCK_KEY.into(), ..Options::default() }).await;
        app.text(FLOODER, "hi").await;
        app.send_due().await;
        assert_eq!(app.sent_to(FLOODER).await, [FIRST_QUESTION]);
        assert_eq!(aidline(&app, &["contacts", "block", "(555) 766-3001"]), "blocked +1******3001\n");
        assert_eq!(aidline(&app, &["contacts", "block", FLOODER]), "+1******3001 was blocked already\n");
        app.text(FLOODER, "hello?").await;
        // Nor does the conversation they were in remind them of the question a day later.
        app.clock.advance(Duration::from_secs(24 * 3600));
        app.intake.fire_due_timers().await.unwrap();
        app.send_due().await;
        assert_eq!(app.sent_to(FLOODER).await, [FIRST_QUESTION], "nothing more");
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 1, "only the text from before");

        assert_eq!(aidline(&app, &["contacts", "unblock", FLOODER]), "unblocked +1******3001\n");
        app.text(FLOODER, "1").await;
        app.send_due().await;
        let texts = app.sent_to(FLOODER).await;
        assert_eq!(texts.len(), 2, "heard again: {texts:?}");
        let events: Vec<(String, String)> =
            sqlx::query_as("SELECT kind, actor FROM block_events ORDER BY id")
                .fetch_all(app.db.pool()).await.unwrap();
        let command_line = "cli".to_string();
        assert_eq!(events, [("blocked".to_string(), command_line.clone()), ("unblocked".to_string(), command_line)]);
    }
}

/// PostgreSQL only: there another transaction can hold the number while its text waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_that_waits_while_another_transaction_begins_the_numbers_cool_off_is_held_back() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let app = TestApp::spawn_with(
        db,
        Options {
            extra_settings: "[safety]\ntexts = { most = 5, minutes = 10 }".into(),
            ..Options::default()
        },
    )
    .await;
    for text in ["hi", "1", "1"] {
        app.text(FLOODER, text).await;
    }
    app.send_due().await;
    let answered = app.sent_to(FLOODER).await.len();
    let contact: i64 = sqlx::query_scalar("SELECT id FROM contacts WHERE phone = $1")
        .bind(FLOODER)
        .fetch_one(app.db.pool())
        .await
        .unwrap();

    // Another transaction holds the number's row for an update that leaves its key alone. The
    // text is stored meanwhile (storing waits only on locks that guard the key) and its handling
    // waits.
    let mut elsewhere = app.db.begin().await.unwrap();
    sqlx::query("SELECT id FROM contacts WHERE id = $1 FOR NO KEY UPDATE")
        .bind(contact)
        .execute(&mut *elsewhere)
        .await
        .unwrap();
    let holder: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *elsewhere)
        .await
        .unwrap();
    let fourth = app.text(FLOODER, "bread, milk");
    tokio::pin!(fourth);
    // A guard against hanging, not a measurement.
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        tokio::select! {
            () = &mut fourth => panic!("the text was handled while another transaction held the number"),
            () = someone_waits_on(&app, holder) => {}
        }
    });
    waited
        .await
        .expect("the text neither waited for the number nor was handled");
    // It begins the number's cool-off, and lets go.
    let until = app.clock.now_ms() + 60 * 60_000;
    sqlx::query("INSERT INTO contact_limits (contact_id, until) VALUES ($1, $2)")
        .bind(contact)
        .bind(until)
        .execute(&mut *elsewhere)
        .await
        .unwrap();
    elsewhere.commit().await.unwrap();

    fourth.await;
    // Within its own count, yet held back and not answered: the cool-off is what it sees.
    assert_eq!(
        held(&app, FLOODER).await,
        1,
        "the waiting text sees the cool-off"
    );
    app.send_due().await;
    let answers = app.sent_to(FLOODER).await;
    assert_eq!(answers.len(), answered, "{answers:#?}");
}
