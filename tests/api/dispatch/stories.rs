use std::time::Duration;

use super::*;
use crate::on_both_databases;

const NEIGHBOUR: &str = "+15557660001";
const ANA: &str = "+15557660101";
const BEN: &str = "+15557660102";
const CAL: &str = "+15557660103";
const DOWNTOWN_DEE: &str = "+15557660104";

async fn three_northside_volunteers(app: &TestApp) {
    volunteer(app, ANA, "Ana", &["northside"]).await;
    volunteer(app, BEN, "Ben", &["northside"]).await;
    volunteer(app, CAL, "Cal", &[]).await;
    volunteer(app, DOWNTOWN_DEE, "Dee", &["downtown"]).await;
}

on_both_databases! {
    async fn a_new_request_is_offered_to_volunteers_who_cover_its_area_without_the_address(db) {
        let app = spawn(db).await;
        three_northside_volunteers(&app).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;

        for v in [ANA, BEN, CAL] {
            let offers = inbox(&app, v).await;
            assert_eq!(offers.len(), 1, "{offers:?}");
            assert!(offers[0].contains(&format!("YES {code}")), "{}", offers[0]);
            assert!(offers[0].contains("northside"), "{}", offers[0]);
            assert!(!offers[0].contains(CORNER) && !offers[0].contains(NOTES) && !offers[0].contains(NEIGHBOUR));
        }
        assert!(inbox(&app, DOWNTOWN_DEE).await.is_empty(), "Dee does not cover Northside");
        assert_eq!(status_of(&app, &code).await, "offered");
    }

    async fn two_volunteers_answering_yes_at_the_same_instant_one_wins_and_the_other_is_told_it_was_taken(db) {
        let app = spawn(db).await;
        three_northside_volunteers(&app).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let (a, b) = (format!("YES {code}"), format!("{} yes", code.to_lowercase()));
        tokio::join!(app.text(ANA, &a), app.text(BEN, &b));

        let (ana, ben) = (inbox(&app, ANA).await, inbox(&app, BEN).await);
        let won: Vec<&Vec<String>> = [&ana, &ben].into_iter().filter(|t| t.last().unwrap().contains("is yours")).collect();
        let lost: Vec<&Vec<String>> = [&ana, &ben].into_iter().filter(|t| t.last().unwrap().contains("already taken")).collect();
        assert_eq!((won.len(), lost.len()), (1, 1), "{ana:?} {ben:?}");
        let details = won[0].last().unwrap();
        assert!(details.contains(CORNER) && details.contains(NOTES) && details.contains("Maria"), "{details}");
        assert!(!details.contains(NEIGHBOUR), "the neighbour's number never goes to a volunteer");
        assert_eq!(status_of(&app, &code).await, "claimed");
        let winner = if won[0] == &ana { "Ana" } else { "Ben" };
        let told = inbox(&app, NEIGHBOUR).await;
        assert!(told.last().unwrap().contains(winner), "{told:?}");
    }

    async fn a_volunteer_who_drops_a_job_puts_it_back_and_it_is_offered_to_someone_new(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &["northside"]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        app.text(ANA, &format!("YES {code}")).await;
        volunteer(&app, BEN, "Ben", &["northside"]).await;
        app.text(ANA, &format!("DROP {code}")).await;

        assert!(inbox(&app, ANA).await.last().unwrap().contains("back to the queue"));
        let ben = inbox(&app, BEN).await;
        assert!(ben.last().unwrap().contains(&format!("YES {code}")), "{ben:?}");
        assert!(inbox(&app, NEIGHBOUR).await.last().unwrap().contains("could not make it"));
        assert_eq!(status_of(&app, &code).await, "offered");
        // Ana is not offered it again.
        assert_eq!(inbox(&app, ANA).await.iter().filter(|t| t.contains("Reply YES")).count(), 1);
    }

    async fn an_unclaimed_request_goes_to_a_wider_wave_then_alerts_the_dispatcher(db) {
        let app = spawn(db).await;
        three_northside_volunteers(&app).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        for (i, phone) in ["+15557660201", "+15557660202"].into_iter().enumerate() {
            // Joined after the first wave went out.
            volunteer(&app, phone, &format!("Late{i}"), &["northside"]).await;
        }
        app.intake.fire_due_timers().await.unwrap();
        assert!(inbox(&app, "+15557660201").await.is_empty(), "not yet");

        app.clock.advance(Duration::from_secs(31 * 60));
        app.intake.fire_due_timers().await.unwrap();
        assert!(inbox(&app, "+15557660201").await[0].contains(&format!("YES {code}")));
        assert!(inbox(&app, DISPATCHER).await.is_empty());

        app.clock.advance(Duration::from_secs(90 * 60));
        app.intake.fire_due_timers().await.unwrap();
        let alerts = inbox(&app, DISPATCHER).await;
        assert_eq!(alerts.len(), 1);
        assert!(alerts[0].contains(&code) && alerts[0].contains("nobody has taken it"), "{alerts:?}");
        assert!(!alerts[0].contains(NEIGHBOUR));
    }

    async fn volunteer_and_neighbour_talk_through_the_line_without_either_number(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &["northside"]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        app.text(ANA, &format!("YES {code}")).await;
        app.text(ANA, &format!("{code} I'm outside, blue car")).await;
        app.text(NEIGHBOUR, "Coming down now").await;
        // One job, so the code can be left off.
        app.text(ANA, "See you").await;

        let neighbour = inbox(&app, NEIGHBOUR).await;
        assert!(neighbour.contains(&format!("Ana ({code}): I'm outside, blue car")), "{neighbour:?}");
        assert!(neighbour.contains(&format!("Ana ({code}): See you")), "{neighbour:?}");
        let ana = inbox(&app, ANA).await;
        assert!(ana.contains(&format!("Maria ({code}): Coming down now")), "{ana:?}");
        for body in app.sent().await.iter().map(|s| &s.body) {
            assert!(!body.contains(NEIGHBOUR) && !body.contains(ANA), "{body}");
        }
    }

    async fn done_asks_the_neighbour_and_yes_closes_it(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        app.text(ANA, &format!("YES {code}")).await;
        app.text(ANA, &format!("got {code}")).await;
        assert_eq!(status_of(&app, &code).await, "picked_up");
        app.text(ANA, &format!("done {code}")).await;
        assert!(inbox(&app, NEIGHBOUR).await.last().unwrap().contains("Did you get it?"));
        assert_eq!(status_of(&app, &code).await, "delivered");
        app.text(NEIGHBOUR, "1").await;
        assert_eq!(status_of(&app, &code).await, "confirmed");
        assert!(inbox(&app, DISPATCHER).await.is_empty());
    }

    async fn a_neighbour_who_says_it_never_came_reopens_it_and_the_dispatcher_is_alerted(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        app.text(ANA, &format!("YES {code}")).await;
        app.text(ANA, &format!("DONE {code}")).await;
        app.text(NEIGHBOUR, "2").await;
        assert_eq!(status_of(&app, &code).await, "new");
        assert!(inbox(&app, NEIGHBOUR).await.last().unwrap().contains("A person from the group"));
        let alerts = inbox(&app, DISPATCHER).await;
        assert!(alerts.last().unwrap().contains("did not arrive"), "{alerts:?}");
    }

    async fn a_neighbour_can_ask_status_and_cancel_while_a_volunteer_holds_the_request(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        app.text(ANA, &format!("YES {code}")).await;
        app.text(NEIGHBOUR, "status").await;
        assert_eq!(
            inbox(&app, NEIGHBOUR).await.last().unwrap(),
            &format!("Your request {code} is taken by a volunteer.")
        );
        // A bare CANCEL would be STOP to the carrier; cancelling takes two words.
        app.text(NEIGHBOUR, "cancel request").await;
        assert_eq!(status_of(&app, &code).await, "cancelled");
        assert!(inbox(&app, ANA).await.last().unwrap().contains("cancelled by the neighbour"));
    }

    async fn a_second_request_from_a_neighbour_with_one_open_is_attached_not_duplicated(db) {
        let app = spawn(db).await;
        let first = neighbour_asks(&app, NEIGHBOUR).await;
        let second = neighbour_asks(&app, NEIGHBOUR).await;
        assert_eq!(first, second);
        assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'attached'").await, 1);
    }

    async fn a_sign_up_by_text_waits_for_a_dispatcher_before_any_offer(db) {
        let app = spawn(db).await;
        let sam = "+15557660301";
        for text in ["volunteer", "Sam", "northside", "3", "yes", "weekday evenings"] {
            app.text(sam, text).await;
        }
        let row: (String, String, String, String, String) = sqlx::query_as(
            "SELECT name_to_use, zones, languages, capabilities, status FROM volunteers",
        ).fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(row, ("Sam".into(), "northside".into(), "en,es".into(), "car".into(), "pending".into()));
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        assert!(!inbox(&app, sam).await.iter().any(|t| t.contains(&code)), "not approved yet");
    }

    async fn volunteer_commands_my_pause_resume_and_a_hint_for_anything_else(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        app.text(ANA, "MY").await;
        assert_eq!(inbox(&app, ANA).await.last().unwrap(), "You have no open jobs.");
        app.text(ANA, "hello?").await;
        assert!(inbox(&app, ANA).await.last().unwrap().starts_with("Reply YES code"));
        app.text(ANA, "pause").await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        assert!(!inbox(&app, ANA).await.iter().any(|t| t.contains(&code)), "paused: no offers");
        app.text(ANA, "RESUME").await;
        // Back in time for the wider wave, which offers it to her.
        app.clock.advance(Duration::from_secs(31 * 60));
        app.intake.fire_due_timers().await.unwrap();
        assert!(inbox(&app, ANA).await.last().unwrap().contains(&format!("YES {code}")));
        app.text(ANA, &format!("YES {code}")).await;
        app.text(ANA, "my").await;
        assert_eq!(inbox(&app, ANA).await.last().unwrap(), &format!("Your jobs: {code} (Groceries)"));
    }
}

/// Every text a volunteer got before their claim won, across a busy story: none carries the
/// neighbour's corner, notes or number.
mod what_volunteers_see_before_claiming {
    use super::*;

    on_both_databases! {
        async fn no_offer_or_refusal_carries_the_neighbours_details(db) {
            let app = spawn(db).await;
            three_northside_volunteers(&app).await;
            let code = neighbour_asks(&app, NEIGHBOUR).await;
            app.text(CAL, &format!("no {code}")).await;
            app.text(BEN, &format!("YES {code}")).await;
            app.text(ANA, &format!("YES {code}")).await;
            app.text(ANA, "MY").await;
            app.clock.advance(Duration::from_secs(3 * 3600));
            app.intake.fire_due_timers().await.unwrap();
            app.send_due().await;

            let winner = "Ben";
            for sent in app.sent().await {
                let is_volunteer = [ANA, BEN, CAL, DOWNTOWN_DEE].contains(&sent.to.as_str());
                let winning_details = sent.to == BEN && sent.body.contains("is yours");
                if is_volunteer && !winning_details {
                    for private in [CORNER, NOTES, NEIGHBOUR] {
                        assert!(!sent.body.contains(private), "{} saw {private}: {}", sent.to, sent.body);
                    }
                }
            }
            assert!(app.sent_to(BEN).await.iter().any(|t| t.contains(CORNER)), "{winner} got the details");
        }
    }
}
