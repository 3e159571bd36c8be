//! How fast and when texts leave: a line's rate in segments per second, replies to someone who
//! just texted before anything we start ourselves, and quiet hours. Time moves with the service
//! clock; nothing sleeps.

use std::time::Duration;

use aidline::lifecycle::OutboundKind;
use aidline::store::outbound::{self, NewOutbound};
use aidline::store::{Db, contacts};

use crate::helpers::*;
use crate::on_both_databases;

/// Queues a reminder to a new contact, as a quiet conversation's timer would.
async fn queue_reminder(db: &Db, to: &str, body: &str, now: i64) {
    let mut conn = db.acquire().await.unwrap();
    let ids = contacts::upsert_many(&mut conn, &[to], now).await.unwrap();
    let reminder = NewOutbound {
        contact_id: ids[0].1,
        line: LINE,
        to,
        body,
        kind: OutboundKind::Reminder,
        inbound_id: None,
        spoken: false,
        spoken_audio: None,
    };
    outbound::enqueue_many(&mut conn, &[reminder], now)
        .await
        .unwrap();
}

fn one_per_second() -> Options {
    Options {
        extra_line_settings: "segments_per_second = 1".into(),
        ..Default::default()
    }
}

on_both_databases! {
    async fn ten_texts_on_a_one_per_second_line_leave_one_a_second_replies_first(db) {
        let app = TestApp::spawn_with(db, one_per_second()).await;
        let now = app.clock.now_ms();
        // Five reminders were waiting before five neighbours texted in.
        for i in 0..5 {
            queue_reminder(&app.db, &format!("+1555765410{i}"), "Still there?", now).await;
        }
        for i in 0..5 {
            app.text(&format!("+1555765420{i}"), "hi").await;
        }

        let mut order = Vec::new();
        for second in 0..10 {
            assert_eq!(app.send_due().await, 1, "second {second}");
            // Within the same second the line has nothing more to give.
            assert_eq!(app.send_due().await, 0, "second {second}");
            order.push(app.sent().await.last().unwrap().to.clone());
            app.clock.advance(Duration::from_secs(1));
        }
        let replies: Vec<bool> = order.iter().map(|to| to.starts_with("+1555765420")).collect();
        assert_eq!(replies, [true, true, true, true, true, false, false, false, false, false]);
    }

    async fn a_two_segment_text_takes_two_seconds_of_a_one_per_second_line(db) {
        let app = TestApp::spawn_with(db, one_per_second()).await;
        let now = app.clock.now_ms();
        queue_reminder(&app.db, "+15557654301", &"Long reminder. ".repeat(12), now).await;
        queue_reminder(&app.db, "+15557654302", "Short one.", now).await;
        assert_eq!(app.send_due().await, 1);
        app.clock.advance(Duration::from_secs(1));
        assert_eq!(app.send_due().await, 0, "the second segment still holds the line");
        app.clock.advance(Duration::from_secs(1));
        assert_eq!(app.send_due().await, 1);
        let segments = app.count("SELECT MAX(segments) FROM outbound_messages").await;
        assert_eq!(segments, 2);
    }

    async fn a_smart_encoding_line_sends_spanish_as_gsm7_and_paces_it_as_one_segment(db) {
        let options = Options {
            extra_line_settings: "segments_per_second = 1\nsmart_encoding = true".into(),
            ..Default::default()
        };
        let app = TestApp::spawn_with(db, options).await;
        let now = app.clock.now_ms();
        // 71 characters: with its accents two UCS-2 segments, without them one GSM-7 segment.
        let written = "Su pedido A7 fue entregado. ¿Lo recibió? Responda 1 sí, 2 no. “Gracias”";
        queue_reminder(&app.db, "+15557654311", written, now).await;
        queue_reminder(&app.db, "+15557654312", "Short one.", now).await;
        assert_eq!(app.send_due().await, 1);
        app.clock.advance(Duration::from_secs(1));
        assert_eq!(app.send_due().await, 1, "the first text held the line for one segment only");
        let sent = app.sent().await;
        assert_eq!(
            sent[0].body,
            "Su pedido A7 fue entregado. ¿Lo recibio? Responda 1 si, 2 no. \"Gracias\""
        );
        let stored = app.count("SELECT COUNT(*) FROM outbound_messages WHERE body LIKE '%recibió%'").await;
        assert_eq!(stored, 1, "the outbox keeps the words as written");
    }

    async fn quiet_hours_hold_a_reminder_but_never_a_reply(db) {
        // A window from an hour ago to an hour from now, whenever the test runs.
        let hour = |offset: i64| {
            let now = jiff::Timestamp::now().as_second();
            let t = jiff::Timestamp::from_second(now + offset * 3600).unwrap();
            jiff::tz::TimeZone::UTC.to_datetime(t).strftime("%H:%M").to_string()
        };
        let settings = format!(
            "quiet_hours = {{ from = \"{}\", to = \"{}\", time_zone = \"UTC\" }}",
            hour(-1),
            hour(1)
        );
        let app = TestApp::spawn_with(db, Options {
            extra_line_settings: settings,
            ..Default::default()
        }).await;
        queue_reminder(&app.db, "+15557654401", "Still there?", app.clock.now_ms()).await;
        app.text("+15557654402", "hi").await;

        assert_eq!(app.send_due().await, 1);
        assert_eq!(app.sent_to("+15557654402").await.len(), 1, "the reply went at once");
        assert!(app.sent_to("+15557654401").await.is_empty(), "the reminder waits");

        app.clock.advance(Duration::from_secs(2 * 3600));
        assert_eq!(app.send_due().await, 1);
        assert_eq!(app.sent_to("+15557654401").await, ["Still there?"]);
    }
}
