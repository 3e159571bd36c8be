//! Forms and the phone simulator on a phone's screen (390 by 844): what matters after a send is
//! on the screen without scrolling for it.

use std::time::Duration;

use aidline::accounts;
use aidline::demo::NEIGHBOUR_PHONE;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use super::{Chromium, PASSWORD};
use crate::dispatch::{ASKING_FOR_GROCERIES, neighbour_asks};
use crate::helpers::*;
use crate::on_both_databases;

const PHONE: (u32, u32) = (390, 844);

/// Signs `rosa` in on a phone-sized window.
async fn rosa_on_a_phone(app: &TestApp, browser: &Chromium) {
    let now = app.clock.now_ms();
    accounts::add(&app.db, "rosa", "Rosa", "dispatcher", PASSWORD, now)
        .await
        .unwrap();
    let b = &browser.client;
    b.set_window_size(PHONE.0, PHONE.1).await.unwrap();
    browser.sign_in(app, "rosa").await;
}

/// Clicks `button` and waits until the page it leads to has loaded: the page it left is marked,
/// so a page the live script changes in the meantime is not mistaken for the new one.
/// The newest message on a simulated phone's screen, read in one step: the chat is a live part,
/// which a refresh may replace between finding an element and reading it.
async fn newest_in_chat(b: &Client, phone: &str) -> String {
    let newest =
        format!("return document.querySelector('#{phone}-phone .chat > li:last-child').innerText;");
    let newest = b.execute(&newest, vec![]).await.unwrap();
    newest.as_str().unwrap_or_default().to_string()
}

async fn submit(b: &Client, button: &str) {
    b.execute("window.leaving = true;", vec![]).await.unwrap();
    b.find(Locator::Css(button))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let loaded = "return !window.leaving && document.readyState === 'complete';";
    for _ in 0..150 {
        if b.execute(loaded, vec![]).await.unwrap() == json!(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{button} led to no new page");
}

/// Where the top and bottom of what `selector` finds are, against the window's height.
async fn rect(b: &Client, selector: &str) -> (f64, f64, f64) {
    let script = "const r = document.querySelector(arguments[0]).getBoundingClientRect();
                  return [r.top, r.bottom, window.innerHeight];";
    let found = b.execute(script, vec![json!(selector)]).await.unwrap();
    let at = |i: usize| found[i].as_f64().unwrap();
    (at(0), at(1), at(2))
}

/// Whether the whole of what `selector` finds is on the screen. Lines are fractions of a pixel
/// high, so a jump to an anchor may leave its target a hair above the top.
async fn in_view(b: &Client, selector: &str) -> bool {
    let (top, bottom, height) = rect(b, selector).await;
    top >= -1.0 && bottom <= height + 1.0
}

/// A phone's newest text is in view within its screen and on the window, and so is what to type
/// the next one in and the button that sends it.
async fn newest_and_input_in_view(b: &Client, role: &str) {
    let newest = format!("#{role}-phone .chat > li:last-child");
    let (top, bottom, height) = rect(b, &newest).await;
    let (screen_top, screen_bottom, _) = rect(b, &format!("#{role}-phone .screen")).await;
    assert!(
        top >= screen_top - 1.0 && bottom <= screen_bottom + 1.0,
        "{role}'s newest text at {top}..{bottom}, its screen at {screen_top}..{screen_bottom}"
    );
    assert!(
        top >= 0.0 && bottom <= height,
        "{role}'s newest text at {top}..{bottom} of {height}"
    );
    for input in [format!("#{role}-body"), format!("#{role}-phone button")] {
        let (top, bottom, _) = rect(b, &input).await;
        assert!(
            in_view(b, &input).await,
            "{input} at {top}..{bottom} of {height}"
        );
    }
    let wide = "return document.documentElement.scrollWidth <= window.innerWidth;";
    assert_eq!(
        b.execute(wide, vec![]).await.unwrap(),
        Value::Bool(true),
        "no sideways scrolling"
    );
}

/// Types `text` into a phone of the simulator and sends it.
async fn send(b: &Client, role: &str, text: &str) {
    let body = b.find(Locator::Id(&format!("{role}-body"))).await.unwrap();
    body.send_keys(text).await.unwrap();
    submit(b, &format!("#{role}-phone button")).await;
}

on_both_databases! {
    async fn after_a_send_on_a_phone_sized_screen_the_newest_text_and_the_input_are_in_view(db) {
        let Some(browser) = Chromium::start().await else { return };
        let app = TestApp::spawn(db).await;
        let b = &browser.client;
        rosa_on_a_phone(&app, &browser).await;
        b.goto(&app.url("/simulator")).await.unwrap();

        // A whole request's worth of texts: far more than the phone's screen holds.
        for text in ASKING_FOR_GROCERIES {
            send(b, "neighbour", text).await;
            newest_and_input_in_view(b, "neighbour").await;
        }
        let newest = newest_in_chat(b, "neighbour").await;
        assert!(newest.contains("Your request is"), "the line's answer is the newest: {newest}");
        if app.test_db.url.starts_with("sqlite") {
            browser.screenshot("simulator-phone", PHONE.0).await;
            b.set_window_size(PHONE.0, PHONE.1).await.unwrap();
        }

        // The second phone, further down the page, is brought into view by its own send.
        send(b, "volunteer", "hello").await;
        newest_and_input_in_view(b, "volunteer").await;

        // A text that arrives while the page is open shows at the foot of its phone's screen.
        app.text(NEIGHBOUR_PHONE, "Thank you, see you soon").await;
        let arrived = "//section[@id='neighbour-phone']//li[contains(., 'see you soon')]";
        b.wait().at_most(Duration::from_secs(15)).for_element(Locator::XPath(arrived)).await.unwrap();
        let (top, bottom, _) = rect(b, "#neighbour-phone .chat > li:last-child").await;
        let (screen_top, screen_bottom, _) = rect(b, "#neighbour-phone .screen").await;
        assert!(top >= screen_top - 1.0 && bottom <= screen_bottom + 1.0, "{top}..{bottom} in {screen_top}..{screen_bottom}");
        browser.close().await;
    }

    async fn a_dispatchers_mistake_on_a_phone_lands_on_the_field_with_what_they_typed(db) {
        let Some(browser) = Chromium::start().await else { return };
        let app = TestApp::spawn(db).await;
        let b = &browser.client;
        let code = neighbour_asks(&app, "+15557658301").await;
        rosa_on_a_phone(&app, &browser).await;
        b.goto(&app.url(&format!("/requests/{code}"))).await.unwrap();

        b.find(Locator::Id("into")).await.unwrap().send_keys("Z99").await.unwrap();
        submit(b, "form[action$='/merge'] button").await;
        let focused = "return document.activeElement.id;";
        assert_eq!(b.execute(focused, vec![]).await.unwrap(), json!("into"), "focus is on the field");
        let (top, bottom, height) = rect(b, "#into").await;
        assert!(top >= 0.0 && bottom <= height, "the field at {top}..{bottom} of {height}");
        assert!(in_view(b, "#into-error").await, "and its mistake beside it");
        let into = b.find(Locator::Id("into")).await.unwrap();
        assert_eq!(into.prop("value").await.unwrap().as_deref(), Some("Z99"));
        let said = b.find(Locator::Id("into-error")).await.unwrap().text().await.unwrap();
        assert!(said.contains("no open request has the code Z99"), "{said}");
        if app.test_db.url.starts_with("sqlite") {
            browser.screenshot("form-error-phone", PHONE.0).await;
        }

        // The list at the top leads back to the field.
        b.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
        b.find(Locator::Css(".error-summary a")).await.unwrap().click().await.unwrap();
        assert!(in_view(b, "#into").await);
        browser.close().await;
    }
}

on_both_databases! {
    async fn a_caller_uses_the_simulators_keypad_and_words_on_a_phone_sized_screen(db) {
        let Some(browser) = Chromium::start().await else { return };
        let app = TestApp::spawn(db).await;
        let b = &browser.client;
        rosa_on_a_phone(&app, &browser).await;
        b.goto(&app.url("/simulator")).await.unwrap();

        submit(b, "#neighbour-phone form.call button").await;
        submit(b, "#neighbour-phone .keypad button[value='2']").await;
        let say = b.find(Locator::Id("neighbour-say")).await.unwrap();
        say.send_keys("comida").await.unwrap();
        submit(b, "#neighbour-phone button[value='say']").await;
        let newest = newest_in_chat(b, "neighbour").await;
        assert!(newest.contains("¿Qué le llevamos?") && newest.contains("spoken"), "{newest}");
        let wide = "return document.documentElement.scrollWidth <= window.innerWidth;";
        assert_eq!(b.execute(wide, vec![]).await.unwrap(), Value::Bool(true), "no sideways scrolling");
        if app.test_db.url.starts_with("sqlite") {
            b.execute("document.querySelector('#neighbour-phone form.call').scrollIntoView()", vec![])
                .await
                .unwrap();
            browser.screenshot("simulator-call-phone", PHONE.0).await;
        }
        browser.close().await;
    }
}
