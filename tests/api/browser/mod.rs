//! The dispatcher pages in a real headless Chromium, driven over WebDriver (Debian's `chromium`
//! and `chromium-driver`). Without them a developer's run skips these tests and says so; CI
//! installs them, and there a missing browser fails the run.

mod audit;
mod forms;
mod messages;
mod problems;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aidline::accounts;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::dispatch::{neighbour_asks, volunteer};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::shows_request;
use crate::stats_page::a_fortnight_of_requests;

mod queue;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PASSWORD: &str = "a long enough password";
const NEIGHBOUR: &str = "+15557658001";
const ANA: &str = "+15557658101";
/// Where the screenshots the README shows are written.
const SCREENSHOTS: &str = "docs/screenshots";

/// Resolves once the driver says it is listening. What it writes is read to the end, so that it
/// never writes to a closed pipe.
fn listening(driver: &mut Child) -> tokio::sync::oneshot::Receiver<()> {
    let (said, listening) = tokio::sync::oneshot::channel();
    let output = driver.stdout.take().expect("the driver's output is piped");
    std::thread::spawn(move || {
        let mut lines = BufReader::new(output).lines().map_while(Result::ok);
        if lines.any(|line| line.contains("started successfully")) {
            let _ = said.send(());
        }
        lines.for_each(drop);
    });
    listening
}

/// A headless Chromium with a profile of its own, and the driver that runs it.
struct Chromium {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Chromium {
    async fn start() -> Option<Chromium> {
        if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the browser tests: install chromium and chromium-driver"
            );
            eprintln!(
                "SKIPPED: browser test (install Debian's chromium and chromium-driver to run it)"
            );
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let listening = listening(&mut driver);
        let profile = tempfile::tempdir().unwrap();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        // A guard against hanging, not a measurement.
        let said = tokio::time::timeout(Duration::from_secs(60), listening).await;
        assert!(
            matches!(said, Ok(Ok(()))),
            "chromedriver did not say it listens"
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("chromedriver answers");
        Some(Chromium {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Signs `username` in from the sign-in page the browser is on, and waits for the queue.
    async fn sign_in_here(&self, username: &str) {
        let b = &self.client;
        b.find(Locator::Id("username"))
            .await
            .unwrap()
            .send_keys(username)
            .await
            .unwrap();
        b.find(Locator::Id("password"))
            .await
            .unwrap()
            .send_keys(PASSWORD)
            .await
            .unwrap();
        b.find(Locator::Css("form.signin button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.wait().for_element(Locator::Id("waiting")).await.unwrap();
    }

    /// Opens the sign-in page of `app` and signs `username` in.
    async fn sign_in(&self, app: &TestApp, username: &str) {
        self.client.goto(&app.url("/signin")).await.unwrap();
        self.sign_in_here(username).await;
    }

    /// The path of the page the browser is on.
    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_string()
    }

    async fn screenshot(&self, name: &str, width: u32) {
        self.client.set_window_size(width, 900).await.unwrap();
        let png = self.client.screenshot().await.unwrap();
        std::fs::create_dir_all(SCREENSHOTS).unwrap();
        std::fs::write(format!("{SCREENSHOTS}/{name}.png"), png).unwrap();
    }

    async fn close(mut self) {
        self.client.clone().close().await.unwrap();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

on_both_databases! {
    async fn a_dispatcher_signs_in_sees_the_queue_live_assigns_a_request_and_signs_out(db) {
        let Some(browser) = Chromium::start().await else { return };
        let app = TestApp::spawn(db).await;
        accounts::add(&app.db, "rosa", "Rosa", "dispatcher", PASSWORD, app.clock.now_ms()).await.unwrap();
        volunteer(&app, ANA, "Ana", &["northside"]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let b = &browser.client;

        // A signed-out visitor sees nothing but the sign-in page.
        b.goto(&app.url("/")).await.unwrap();
        assert_eq!(browser.path().await, "/signin");
        assert!(!shows_request(&b.source().await.unwrap(), &code));

        browser.sign_in_here("rosa").await;
        assert_eq!(browser.path().await, "/");
        let page = b.source().await.unwrap();
        assert!(shows_request(&page, &code), "the request is on the queue");
        assert!(!page.contains(NEIGHBOUR) && !page.contains("5557658001"), "no phone number on the page");

        // Another neighbour texts in while the page is open: it appears without a reload.
        let second = neighbour_asks(&app, "+15557658002").await;
        let cell = format!("//*[@data-label='Code'][normalize-space()='{second}']");
        b.wait().at_most(Duration::from_secs(15)).for_element(Locator::XPath(&cell)).await.unwrap();
        assert_eq!(browser.path().await, "/");
        // The counts came with the rows: both requests are counted as offered.
        let counts = b.find(Locator::Css("ul.counts")).await.unwrap().text().await.unwrap();
        assert!(counts.contains("2 offered"), "{counts}");

        let screenshots = app.test_db.url.starts_with("sqlite");
        if screenshots {
            browser.screenshot("queue-phone", 390).await;
            browser.screenshot("queue-laptop", 1280).await;
        }

        // One click opens the request: what was asked, and the conversation, number masked.
        let link = format!("//a[normalize-space()='{code}']");
        b.find(Locator::XPath(&link)).await.unwrap().click().await.unwrap();
        b.wait().for_element(Locator::Id("conversation")).await.unwrap();
        assert_eq!(browser.path().await, format!("/requests/{code}"));
        let page = b.source().await.unwrap();
        assert!(page.contains("Oak and 3rd") && !page.contains(NEIGHBOUR), "details, no number");
        if screenshots {
            browser.screenshot("request-phone", 390).await;
            browser.screenshot("request-laptop", 1280).await;
        }

        // The request that came in by webhook while the queue was open goes to the volunteer the
        // page suggests, with one click; her text reaches the gateway.
        b.goto(&app.url(&format!("/requests/{second}"))).await.unwrap();
        let assign = "//button[normalize-space()='Assign to Ana']";
        b.wait().for_element(Locator::XPath(assign)).await.unwrap().click().await.unwrap();
        b.wait().for_element(Locator::Css("p.notice")).await.unwrap();
        assert_eq!(browser.path().await, format!("/requests/{second}"));
        let page = b.source().await.unwrap();
        assert!(page.contains("<dd>Ana</dd>"), "Ana holds it");
        app.send_due().await;
        let ana = app.sent_to(ANA).await;
        assert!(ana.last().unwrap().starts_with(&format!("{second} is yours.")), "{ana:?}");

        // A dispatcher may not open the admin pages.
        b.goto(&app.url("/admin/users")).await.unwrap();
        assert!(b.source().await.unwrap().contains("this page is for admins"));

        // A request that is not there is a page with the way back to the queue.
        b.goto(&app.url("/requests/ZZ9")).await.unwrap();
        b.wait().for_element(Locator::LinkText("Back to the queue")).await.unwrap();
        if screenshots {
            browser.screenshot("not-found-phone", 390).await;
        }
        b.goto(&app.url("/")).await.unwrap();

        // The stats page, one click away, with two weeks of history behind it.
        a_fortnight_of_requests(&app).await;
        b.find(Locator::LinkText("Stats")).await.unwrap().click().await.unwrap();
        b.wait().for_element(Locator::Id("per-day-chart")).await.unwrap();
        assert_eq!(browser.path().await, "/stats");
        let page = b.source().await.unwrap();
        assert!(!shows_request(&page, &code) && !page.contains(NEIGHBOUR), "no code, no number");
        if screenshots {
            browser.screenshot("stats-phone", 390).await;
            browser.screenshot("stats-laptop", 1280).await;
        }

        b.find(Locator::Css("form[action='/signout'] button")).await.unwrap().click().await.unwrap();
        b.wait().for_element(Locator::Id("username")).await.unwrap();
        b.goto(&app.url("/")).await.unwrap();
        assert_eq!(browser.path().await, "/signin");
        browser.close().await;
    }
}
