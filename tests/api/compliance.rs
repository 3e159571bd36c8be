//! STOP, START and HELP, which win over every conversation.

use crate::helpers::*;
use crate::on_both_databases;

const WE_CONFIRM: &str = "opt_out_replies = \"ours\"";

on_both_databases! {
    async fn a_neighbour_who_texts_stop_gets_nothing_more_not_even_for_another_text(db) {
        // Twilio answers STOP itself on this line, so we stay silent.
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557650001";
        app.text(neighbour, "hi").await;
        app.send_due().await;
        assert_eq!(app.sent_to(neighbour).await.len(), 1);

        app.text(neighbour, "STOP").await;
        app.text(neighbour, "1").await;
        app.send_due().await;
        assert_eq!(app.sent_to(neighbour).await.len(), 1, "nothing after STOP");
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM opt_events WHERE kind = 'opt_out' AND source = 'keyword'").await, 1);
        // The conversation they were in is over.
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").await, 0);
    }

    async fn where_we_confirm_opt_outs_stop_gets_exactly_one_confirmation(db) {
        let app = TestApp::spawn_with(db, Options { extra_line_settings: WE_CONFIRM.into(), ..Options::default() }).await;
        let neighbour = "+15557650002";
        app.text(neighbour, "Stop.").await;
        app.text(neighbour, "hello?").await;
        app.text(neighbour, "HELP").await;
        app.send_due().await;
        let replies = app.sent_to(neighbour).await;
        assert_eq!(replies, vec!["You will get no more texts from this line. Reply START to receive texts again."]);
    }

    async fn every_carrier_opt_out_word_works_in_the_middle_of_a_conversation(db) {
        let app = TestApp::spawn(db).await;
        for (i, word) in ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT", "revoke", "optout"].iter().enumerate() {
            let neighbour = format!("+1555765100{i}");
            app.text(&neighbour, "hi").await;
            app.text(&neighbour, "1").await;
            app.text(&neighbour, word).await;
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL").await, 8);
    }

    async fn start_lets_a_neighbour_back_in_and_yes_does_too_while_opted_out(db) {
        let app = TestApp::spawn_with(db, Options { extra_line_settings: WE_CONFIRM.into(), ..Options::default() }).await;
        let (a, b) = ("+15557650003", "+15557650004");
        for n in [a, b] {
            app.text(n, "STOP").await;
        }
        app.text(a, "START").await;
        app.text(b, "yes").await;
        app.text(a, "hi").await;
        app.send_due().await;
        let to_a = app.sent_to(a).await;
        assert_eq!(to_a.len(), 3, "{to_a:#?}");
        assert!(to_a[1].starts_with("You can get texts from this line again"));
        assert!(to_a[2].contains("Reply 1 for English"));
        assert!(app.sent_to(b).await[1].starts_with("You can get texts from this line again"));
        assert_eq!(app.count("SELECT COUNT(*) FROM opt_events WHERE kind = 'opt_in'").await, 2);
    }

    async fn help_is_answered_and_does_not_disturb_the_conversation(db) {
        let app = TestApp::spawn_with(db, Options { extra_line_settings: WE_CONFIRM.into(), ..Options::default() }).await;
        let neighbour = "+15557650005";
        app.text(neighbour, "hi").await;
        app.text(neighbour, "info").await;
        app.text(neighbour, "1").await;
        app.send_due().await;
        let replies = app.sent_to(neighbour).await;
        assert!(replies[1].starts_with("This is a mutual-aid line"));
        assert!(replies[2].starts_with("What do you need?"));
        let help: String = sqlx::query_scalar("SELECT kind FROM outbound_messages WHERE body LIKE 'This is a mutual-aid line%'")
            .fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(help, "help", "labelled as the answer to HELP in the conversation");
    }
}
