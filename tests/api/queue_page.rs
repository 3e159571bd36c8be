//! The queue page as a dispatcher works it on a busy day: lanes by what must be done, urgency in
//! words, a search, and long lanes a page at a time.

use std::time::Duration;

use crate::dispatch::{neighbour_asks, spawn, volunteer};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, NEIGHBOUR, PASSWORD, account, filed};

const ANA: &str = "+15557658201";

on_both_databases! {
    async fn filters_narrow_the_queue_and_handed_off_requests_wait_apart(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let north = filed(&app, "+15557650001", "groceries", "northside", 0).await;
        app.clock.advance(Duration::from_secs(40 * 60));
        let south = filed(&app, "+15557650002", "medicine", "southside", 2).await;
        let person = filed(&app, "+15557650003", "handoff", "southside", 0).await;

        let dana = Browser::new(&app);
        let page = dana.sign_in("dana", PASSWORD).await;
        assert_eq!(page.codes(), [north.as_str(), south.as_str()], "oldest first");
        assert_eq!(page.codes_under("person"), [person.as_str()]);
        assert!(page.body.contains("class=\"age waiting\">40 min"), "{}", page.body);

        let page = dana.get("/?zone=northside").await;
        assert_eq!(page.codes(), [north.as_str()]);
        assert!(page.codes_under("person").is_empty());
        assert!(page.body.contains("<summary>Filters: zone northside</summary>"));
        let page = dana.get("/?queue=medicine&max_age=30&zone=").await;
        assert_eq!(page.codes(), [south.as_str()]);
        assert_eq!(page.codes_under("person"), [person.as_str()], "a hand-off has no queue to filter");
        assert!(page.body.contains("<option value=\"30\" selected>"));
    }

    async fn urgency_weighs_the_flows_priority_with_the_wait_and_most_urgent_comes_first(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let waited = filed(&app, "+15557650011", "groceries", "northside", 0).await;
        app.clock.advance(Duration::from_secs(40 * 60));
        let marked = filed(&app, "+15557650012", "medicine", "northside", 2).await;
        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;

        let page = dana.get("/?sort=priority").await;
        assert_eq!(page.codes(), [marked.as_str(), waited.as_str()]);
        assert!(page.body.contains("class=\"urgency urgent\">urgent<"), "priority 2 is urgent at once");
        assert!(page.body.contains("class=\"urgency soon\">soon<"), "40 minutes is soon");
        assert!(page.body.contains("<summary>Filters: most urgent first</summary>"));

        // Two hours on both are urgent, and the flow's priority still counts as time waited.
        app.clock.advance(Duration::from_secs(2 * 60 * 60));
        let page = dana.get("/?sort=priority").await;
        assert_eq!(page.codes(), [marked.as_str(), waited.as_str()]);
        assert!(!page.body.contains("class=\"urgency soon\""));
        assert_eq!(dana.get("/").await.codes(), [waited.as_str(), marked.as_str()], "oldest first");
    }

    async fn a_request_that_was_delivered_waits_in_its_own_lane_until_the_neighbour_confirms(db) {
        let app = spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        volunteer(&app, ANA, "Ana", &[]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;
        assert_eq!(dana.get("/").await.codes(), [code.as_str()], "waiting for a volunteer");

        app.text(ANA, &format!("YES {code}")).await;
        let page = dana.get("/").await;
        assert!(page.codes().is_empty());
        assert_eq!(page.codes_under("in_progress"), [code.as_str()]);
        app.text(ANA, &format!("got {code}")).await;
        assert_eq!(dana.get("/").await.codes_under("in_progress"), [code.as_str()], "picked up");

        app.text(ANA, &format!("done {code}")).await;
        let page = dana.get("/").await;
        assert!(page.codes_under("in_progress").is_empty());
        assert_eq!(page.codes_under("delivered"), [code.as_str()]);

        app.text(NEIGHBOUR, "1").await;
        let page = dana.get("/").await;
        assert!(page.codes_under("delivered").is_empty(), "confirmed, it leaves the queue");
        assert!(page.body.contains("Nothing is open."));
    }

    async fn a_sign_up_waits_in_its_own_place_and_never_among_the_errands(db) {
        let app = spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        for text in ["volunteer", "Sam", "northside", "3", "yes", "weekday evenings"] {
            app.text("+15557660301", text).await;
        }
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let dana = Browser::new(&app);
        let page = dana.sign_in("dana", PASSWORD).await;
        assert_eq!(page.codes(), [code.as_str()]);
        let sign_ups = page.codes_under("sign_ups");
        assert_eq!(sign_ups.len(), 1, "{}", page.body);
        assert!(page.body.contains("href=\"/volunteers\">volunteers page</a>"));
        let choices = page.body.split("id=\"f-queue\"").nth(1).unwrap().split("</select>").next().unwrap();
        assert!(!choices.contains("volunteers"), "sign-ups are a lane, not a queue to choose: {choices}");
    }

    async fn searching_for_a_word_the_neighbour_wrote_finds_their_request_and_no_other(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let maria = neighbour_asks(&app, NEIGHBOUR).await;
        let other = filed(&app, "+15557650021", "groceries", "Montréal", 0).await;
        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;

        let page = dana.get("/?q=BELL+broken").await;
        assert_eq!(page.codes(), [maria.as_str()], "words from the notes, in any case");
        assert!(page.body.contains("value=\"BELL broken\""), "the search stays in its box");
        assert_eq!(dana.get(&format!("/?q={}", other.to_lowercase())).await.codes(), [other.as_str()]);
        assert_eq!(dana.get("/?q=montreal").await.codes(), [other.as_str()], "accents folded");
        assert_eq!(dana.get("/?q=maria").await.codes(), [maria.as_str()], "the name to use");
        let nothing = dana.get("/?q=rice").await;
        assert!(nothing.codes().is_empty());
        assert!(nothing.body.contains("None match the filters.") && nothing.body.contains("Nothing open matches."));
        // The neighbour's number finds nobody, whole or in part.
        for digits in ["5557654321", "4321"] {
            assert!(dana.get(&format!("/?q={digits}")).await.codes().is_empty(), "{digits}");
        }
    }

    async fn a_busy_lane_shows_its_first_rows_and_opens_to_show_the_rest_a_page_at_a_time(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let mut codes = Vec::new();
        for i in 0..30 {
            codes.push(filed(&app, &format!("+155576501{i:02}"), "groceries", "northside", 0).await);
            app.clock.advance(Duration::from_secs(60));
        }
        let dana = Browser::new(&app);
        let page = dana.sign_in("dana", PASSWORD).await;
        assert_eq!(page.codes(), &codes[..25]);
        assert!(page.body.contains("<span class=\"lane-count\">30</span>"));
        let all = "<a href=\"/?zone=northside&#38;lane=waiting\">All 30, a page at a time</a>";
        let filtered = dana.get("/?zone=northside").await;
        assert!(filtered.body.contains(all), "{}", filtered.body);

        let lane = dana.get("/?zone=northside&lane=waiting").await;
        assert_eq!(lane.codes(), codes);
        assert!(!lane.body.contains("id=\"person\""), "the other lanes step aside");
        assert!(lane.body.contains("<input type=\"hidden\" name=\"lane\" value=\"waiting\">"));
        assert!(lane.body.contains("<a href=\"/?zone=northside\">Back to every lane</a>"));
    }
}
