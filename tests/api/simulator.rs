//! The demo in a browser: its own admin account, and the phone simulator texting the console line
//! as a neighbour and as the demo volunteer.

use aidline::demo::{ADMIN, NEIGHBOUR_PHONE, VOLUNTEER_PHONE, Welcome};
use reqwest::StatusCode;

use crate::dispatch::{ASKING_FOR_GROCERIES, CORNER, NOTES, status_of};
use crate::forms::{shown_again, typed};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, Page};

fn demo() -> Options {
    Options {
        demo: true,
        ..Options::default()
    }
}

/// The demo's admin, signed in with the password the terminal showed.
async fn demo_admin(app: &TestApp) -> Browser {
    let Some(Welcome::Created { password }) = &app.demo else {
        panic!("a first start makes the demo account: {:?}", app.demo);
    };
    let browser = Browser::new(app);
    let page = browser.sign_in(ADMIN, password).await;
    assert_eq!(page.path, "/", "{}", page.body);
    browser
}

/// Texts the line from one of the simulator's phones, as its form does.
async fn send(browser: &Browser, page: &Page, from: &str, body: &str) -> Page {
    let csrf = page.csrf();
    let form = [
        ("csrf", csrf.as_str()),
        ("from", from),
        ("neighbour", NEIGHBOUR_PHONE),
        ("volunteer", VOLUNTEER_PHONE),
        ("body", body),
    ];
    let page = browser.post("/simulator", &form).await;
    assert_eq!(
        (page.status, page.path.as_str()),
        (StatusCode::OK, "/simulator"),
        "{}",
        page.body
    );
    page
}

/// One phone's conversation as the page shows it.
fn phone<'a>(page: &'a Page, role: &str) -> &'a str {
    let section = page
        .body
        .split(&format!("id=\"{role}-title\""))
        .nth(1)
        .unwrap();
    section.split("</ol>").next().unwrap()
}

/// The neighbour phone asks for groceries in Northside; returns the page after the last text.
async fn neighbour_asks_on_the_simulator(browser: &Browser) -> Page {
    let mut page = browser.get("/simulator").await;
    for text in ASKING_FOR_GROCERIES {
        page = send(browser, &page, "neighbour", text).await;
    }
    page
}

fn code_in(texts: &str) -> String {
    let start = texts.find("Your request is ").expect("the request's code") + 16;
    texts[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

on_both_databases! {
    async fn the_demo_makes_one_admin_and_one_volunteer_and_only_in_demo_mode(db) {
        let app = TestApp::spawn(db).await;
        assert_eq!(app.demo, None, "a settings file: no demo");
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM volunteers").await, 0);

        let (db, api) = app.stop().await;
        let app = TestApp::start(db, demo(), api).await;
        demo_admin(&app).await;
        let admins = "SELECT COUNT(*) FROM users WHERE username = 'demo' AND role = 'admin'";
        assert_eq!(app.count(admins).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM volunteers WHERE status = 'active'").await, 1);

        let (db, api) = app.stop().await;
        let app = TestApp::start(db, demo(), api).await;
        assert_eq!(app.demo, Some(Welcome::Existing), "a restart makes no second account");
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM volunteers").await, 1);
    }

    async fn the_neighbour_phone_files_a_request_and_sees_the_lines_replies_in_order(db) {
        let app = TestApp::spawn_with(db, demo()).await;
        let browser = demo_admin(&app).await;
        let page = neighbour_asks_on_the_simulator(&browser).await;

        let neighbour = phone(&page, "neighbour");
        let question = neighbour.find("What should we bring?").expect("the flow's question");
        let answer = neighbour.find("bread, milk").expect("the neighbour's answer");
        let thanks = neighbour.find("Your request is").expect("the request's code");
        assert!(question < answer && answer < thanks, "oldest first: {neighbour}");
        let code = code_in(neighbour);
        assert_eq!(status_of(&app, &code).await, "offered");
        assert!(page.body.contains(&format!("value=\"{NEIGHBOUR_PHONE}\"")));

        // The same state after a reload, without any script.
        let reloaded = browser.get(&format!("/simulator?neighbour=%2B{}", &NEIGHBOUR_PHONE[1..])).await;
        assert_eq!(phone(&reloaded, "neighbour"), neighbour);
        // The request is on the queue like any texted in.
        assert!(browser.get("/").await.body.contains(&code));
    }

    async fn the_volunteer_phone_gets_the_offer_claims_it_and_sees_the_details(db) {
        let app = TestApp::spawn_with(db, demo()).await;
        let browser = demo_admin(&app).await;
        let page = neighbour_asks_on_the_simulator(&browser).await;
        let code = code_in(phone(&page, "neighbour"));

        let offer = phone(&page, "volunteer");
        assert!(offer.contains(&format!("YES {code}")), "{offer}");
        assert!(!offer.contains(CORNER), "no address before the claim: {offer}");

        let page = send(&browser, &page, "volunteer", &format!("YES {code}")).await;
        let volunteer = phone(&page, "volunteer");
        let details = &volunteer[volunteer.find("is yours").expect("the claim won")..];
        assert!(details.contains(CORNER) && details.contains(NOTES) && details.contains("Maria"), "{details}");
        assert!(!volunteer.contains(&NEIGHBOUR_PHONE[2..]), "never the neighbour's number");
        assert_eq!(status_of(&app, &code).await, "claimed");
        assert!(phone(&page, "neighbour").contains("Vic"), "the neighbour hears who is coming");
    }

    async fn the_simulator_needs_a_signed_in_form_and_a_console_line(db) {
        let app = TestApp::spawn_with(db, demo()).await;
        let browser = demo_admin(&app).await;
        let Some(Welcome::Created { password }) = app.demo.clone() else { unreachable!() };
        let form = [("from", "neighbour"), ("body", "hi")];
        assert_eq!(browser.post("/simulator", &form).await.status, StatusCode::FORBIDDEN);
        assert_eq!(Browser::new(&app).get("/simulator").await.path, "/signin");
        assert!(browser.get("/").await.body.contains("<a href=\"/simulator\">Phone simulator</a>"));
        let csrf = browser.get("/simulator").await.csrf();
        let empty = [("csrf", csrf.as_str()), ("from", "neighbour"), ("body", " ")];
        let page = browser.post("/simulator", &empty).await;
        shown_again(&page, "neighbour-body", "text: write something");
        let typo = [("csrf", csrf.as_str()), ("from", "neighbour"), ("neighbour", "12"), ("body", "hi there")];
        let page = browser.post("/simulator", &typo).await;
        shown_again(&page, "neighbour-number", "not a phone number");
        assert_eq!((typed(&page, "neighbour-number").as_str(), typed(&page, "neighbour-body").as_str()), ("12", "hi there"));
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);

        let (db, api) = app.stop().await;
        let options = Options { console_line: false, ..Options::default() };
        let app = TestApp::start(db, options, api).await;
        let browser = Browser::new(&app);
        let queue = browser.sign_in(ADMIN, &password).await;
        assert!(!queue.body.contains("href=\"/simulator\""), "no link to a simulator with no line");
        let page = browser.get("/simulator").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.body.contains("this service has none"), "{}", page.body);
    }
}

/// Presses, says or does `action` on the neighbour phone's call, as its form does.
async fn on_the_call(browser: &Browser, page: &Page, field: (&str, &str)) -> Page {
    let csrf = page.csrf();
    let call = page
        .body
        .split("name=\"call\" value=\"")
        .nth(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .unwrap_or_default();
    let form = [
        ("csrf", csrf.as_str()),
        ("neighbour", NEIGHBOUR_PHONE),
        ("volunteer", VOLUNTEER_PHONE),
        ("call", call.as_str()),
        field,
    ];
    let page = browser.post("/simulator/call", &form).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page
}

on_both_databases! {
    async fn the_neighbour_phone_calls_the_line_with_the_keypad_and_words_then_hangs_up(db) {
        let app = TestApp::spawn_with(db, demo()).await;
        let browser = demo_admin(&app).await;
        let page = browser.get("/simulator").await;
        assert!(page.body.contains("Call the line instead"));
        let page = on_the_call(&browser, &page, ("action", "call")).await;
        assert!(phone(&page, "neighbour").contains("For English, press 1"), "{}", page.body);
        assert!(page.body.contains("On a call with the line"));
        let page = on_the_call(&browser, &page, ("press", "2")).await;
        assert!(phone(&page, "neighbour").contains("Para comida, oprima 1"));
        let page = on_the_call(&browser, &page, ("say", "comida")).await;
        assert!(phone(&page, "neighbour").contains("¿Qué le llevamos? Diga una lista corta."));
        assert!(phone(&page, "neighbour").contains("reply, spoken"), "marked as said, not texted");
        let page = on_the_call(&browser, &page, ("action", "hang_up")).await;
        assert!(!page.body.contains("On a call with the line"), "the call is over");
        app.send_due().await;
        let page = browser.get("/simulator").await;
        assert!(
            phone(&page, "neighbour").contains("Perdimos la llamada. Puede seguir por mensaje: ¿Qué le llevamos?"),
            "{}",
            phone(&page, "neighbour")
        );
    }
}
