//! A neighbour texting the line and being taken in.

use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, PASSWORD, account};

on_both_databases! {
    async fn a_neighbour_who_texts_walks_the_intake_and_their_request_lands_on_its_queue(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557654321";
        let texts = [
            "hello", "1", "2", "Main St Pharmacy, under Rosa", "3", "02139", "5th and Elm", "after 3pm", "skip", "Rosa",
        ];
        for text in texts {
            app.text(neighbour, text).await;
        }
        app.send_due().await;

        let replies = app.sent_to(neighbour).await;
        assert_eq!(replies.len(), 10, "{replies:#?}");
        assert!(replies[0].contains("Reply 1 for English"));
        assert!(replies[1].starts_with("What do you need?"));
        assert!(replies[2].starts_with("Which pharmacy"));
        assert!(replies[3].starts_with("How many people"));
        assert!(replies[4].starts_with("What is your zip code"));
        assert!(app.sent().await.iter().all(|s| s.from == LINE));

        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.queue, "prescription");
        assert_eq!(request.status.as_str(), "new");
        assert_eq!(request.phone, neighbour);
        assert_eq!(request.fields["pharmacy"], "Main St Pharmacy, under Rosa");
        assert_eq!(request.fields["household"], "3");
        assert_eq!(request.fields["zone"], "northside");
        assert_eq!(request.fields["cross_streets"], "5th and Elm");
        assert_eq!(request.fields["when"], "after 3pm");
        assert_eq!(request.fields["name_to_use"], "Rosa");
        assert!(!request.fields.contains_key("notes"), "skipped");
        assert_eq!(
            replies[9],
            format!("Thank you, Rosa! Your request is {}. A volunteer will text you soon.", request.code)
        );
    }

    async fn a_neighbour_who_chooses_spanish_is_answered_in_spanish_from_then_on(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557654322";
        for text in ["hola", "Español", "comida"] {
            app.text(neighbour, text).await;
        }
        app.send_due().await;
        let replies = app.sent_to(neighbour).await;
        assert_eq!(replies[1], "¿Qué necesita? Responda 1 comida, 2 recoger medicinas, 3 otra entrega.");
        assert_eq!(replies[2], "¿Qué le llevamos? Basta una lista corta. (Responda SALTAR para saltar.)");
    }

    async fn an_answer_that_fits_no_choice_is_asked_again_once_then_the_intake_moves_on_keeping_the_words(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557654323";
        for text in ["hi", "1", "pizza", "tacos", "soup"] {
            app.text(neighbour, text).await;
        }
        app.send_due().await;
        let replies = app.sent_to(neighbour).await;
        assert_eq!(replies[2], "Please reply 1, 2 or 3.");
        assert!(replies[3].starts_with("What should we bring?"), "{replies:#?}");
        assert!(replies[4].starts_with("How many people"), "{replies:#?}");
        let answers: String = sqlx::query_scalar("SELECT answers FROM sessions WHERE ended_at IS NULL")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        let answers: serde_json::Value = serde_json::from_str(&answers).unwrap();
        assert_eq!(answers["said"], "pizza / tacos");
        assert_eq!(answers["items"], "soup");
        assert!(app.requests().await.is_empty(), "nothing filed yet");
    }

    async fn a_required_question_with_no_answer_it_can_place_is_handed_to_a_person(db) {
        let app = TestApp::spawn(db).await;
        let volunteer = "+15557654324";
        for text in ["VOLUNTEER", "Luis", "downtown", "french", "german", "italian"] {
            app.text(volunteer, text).await;
        }
        app.send_due().await;
        let replies = app.sent_to(volunteer).await;
        assert_eq!(replies[3], replies[4], "asked again");
        assert!(replies[5].contains("An organiser will text you"), "{replies:#?}");
        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].queue, "handoff");
        assert_eq!(requests[0].fields["said"], "french / german / italian");
    }

    async fn the_console_line_answers_with_its_replies_in_the_response(db) {
        let app = TestApp::spawn(db).await;
        let reply = app
            .http
            .post(app.url("/webhooks/console/sms"))
            .form(&[("from", "555-867-5309"), ("body", "hi")])
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        assert!(reply.text().await.unwrap().contains("Reply 1 for English"));
        // The console line never goes near Twilio.
        app.send_due().await;
        assert!(app.sent().await.is_empty());
    }

    async fn outside_the_demo_the_console_line_takes_no_texts_unless_the_settings_open_it(db) {
        let console = format!("[[lines]]\nnumber = \"{CONSOLE_LINE}\"\ngateway = \"console\"\nflow = \"intake\"");
        let options = Options { console_line: false, extra_lines: console, ..Options::default() };
        let app = TestApp::spawn_with(db, options).await;
        let refused = app.http.post(app.url("/webhooks/console/sms"))
            .form(&[("from", "555-867-5309"), ("body", "hi")])
            .send().await.unwrap();
        assert_eq!(refused.status(), 403);
        assert!(refused.text().await.unwrap().contains("console_texts = true"));
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);

        account(&app, "ada", "admin").await;
        let ada = Browser::new(&app);
        assert!(!ada.sign_in("ada", PASSWORD).await.body.contains("href=\"/simulator\""));
        assert_eq!(ada.get("/simulator").await.status, reqwest::StatusCode::NOT_FOUND);
    }
}
