//! Someone who goes quiet mid-conversation: a reminder, then the end. Time is moved with the
//! service's clock and timers are fired by hand, so nothing here sleeps.

use std::time::Duration;

use crate::helpers::*;
use crate::on_both_databases;

const HOUR: Duration = Duration::from_secs(3600);

async fn fire(app: &TestApp) -> usize {
    app.intake.fire_due_timers().await.unwrap()
}

async fn replies(app: &TestApp, to: &str) -> Vec<String> {
    app.send_due().await;
    app.sent_to(to).await
}

on_both_databases! {
    async fn a_quiet_neighbour_is_reminded_once_and_the_conversation_ends_a_day_later(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557659001";
        app.text(neighbour, "hi").await;
        app.text(neighbour, "1").await;

        app.clock.advance(HOUR);
        assert_eq!(fire(&app).await, 0, "nothing is due after an hour");
        app.clock.advance(HOUR + Duration::from_secs(1));
        assert_eq!(fire(&app).await, 1);
        assert_eq!(fire(&app).await, 0, "a reminder is sent once");
        assert_eq!(
            replies(&app, neighbour).await.last().unwrap(),
            "Still there? Reply to carry on where we left off."
        );

        app.clock.advance(22 * HOUR);
        assert_eq!(fire(&app).await, 1);
        assert_eq!(
            replies(&app, neighbour).await.last().unwrap(),
            "We stopped here as we had not heard back. Text us any time to start again."
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE end_reason = 'expired'").await, 1);

        // Their next text begins a new conversation.
        app.text(neighbour, "hello").await;
        assert!(replies(&app, neighbour).await.last().unwrap().contains("Reply 1 for English"));
    }

    async fn every_text_of_a_slow_conversation_puts_the_reminder_off_again(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557659005";
        app.text(neighbour, "hi").await;
        app.clock.advance(HOUR + HOUR / 2);
        app.text(neighbour, "1").await;
        app.clock.advance(HOUR);
        assert_eq!(fire(&app).await, 0, "two hours have not passed since the second text");
        app.clock.advance(HOUR / 2);
        app.text(neighbour, "1").await;
        app.clock.advance(HOUR + HOUR / 2 + Duration::from_secs(1));
        assert_eq!(fire(&app).await, 0, "two hours have not passed since the third text");
        app.clock.advance(HOUR / 2);
        assert_eq!(fire(&app).await, 1, "two hours after the third text");
        assert!(replies(&app, neighbour).await.last().unwrap().starts_with("Still there?"));
    }

    async fn an_answer_after_the_reminder_earns_a_fresh_reminder_rather_than_the_end(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557659006";
        app.text(neighbour, "hi").await;
        app.clock.advance(2 * HOUR + Duration::from_secs(1));
        assert_eq!(fire(&app).await, 1);
        app.clock.advance(HOUR);
        app.text(neighbour, "1").await;

        app.clock.advance(2 * HOUR + Duration::from_secs(1));
        assert_eq!(fire(&app).await, 1);
        assert!(replies(&app, neighbour).await.last().unwrap().starts_with("Still there?"));
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").await, 1);
        // The end comes a day after the answer, not a day after the first text.
        app.clock.advance(19 * HOUR);
        assert_eq!(fire(&app).await, 0);
        app.clock.advance(3 * HOUR);
        assert_eq!(fire(&app).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE end_reason = 'expired'").await, 1);
    }

    async fn a_reminder_sent_late_still_ends_the_conversation_a_day_after_the_last_text(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557659007";
        app.text(neighbour, "hi").await;
        app.clock.advance(HOUR);
        app.text(neighbour, "1").await;
        // Nothing fires the timers for three hours (the service was down, say).
        app.clock.advance(3 * HOUR);
        assert_eq!(fire(&app).await, 1);
        assert!(replies(&app, neighbour).await.last().unwrap().starts_with("Still there?"));
        app.clock.advance(20 * HOUR + Duration::from_secs(1));
        assert_eq!(fire(&app).await, 0, "a day after the first text, not after the last");
        app.clock.advance(HOUR);
        assert_eq!(fire(&app).await, 1, "a day after the last text");
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE end_reason = 'expired'").await, 1);
    }

    async fn a_finished_conversation_has_no_timers_left(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557659003";
        for text in ["hi", "1", "1", "rice", "skip", "skip", "skip", "skip", "skip", "Ana"] {
            app.text(neighbour, text).await;
        }
        app.clock.advance(48 * HOUR);
        fire(&app).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM outbound_messages WHERE kind = 'reminder'").await, 0);
        // (The request it made keeps a timer of its own, for offers nobody took.)
        assert_eq!(app.count("SELECT COUNT(*) FROM timers WHERE done_at IS NULL AND session_id IS NOT NULL").await, 0);
    }

    async fn timers_survive_a_restart(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557659004";
        app.text(neighbour, "hi").await;
        let (db, twilio) = app.stop().await;
        let app = TestApp::start(db, Options::default(), twilio).await;
        app.clock.advance(3 * HOUR);
        assert_eq!(fire(&app).await, 1);
        assert!(replies(&app, neighbour).await.last().unwrap().starts_with("Still there?"));
    }
}
