//! The dispatcher pages, used as a dispatcher would use them: in a browser that keeps cookies,
//! following redirects, posting the forms the pages show.

use std::collections::BTreeMap;
use std::time::Duration;

use aidline::accounts;
use aidline::store::{contacts, requests};
use reqwest::StatusCode;

use crate::dispatch::neighbour_asks;
use crate::helpers::*;
use crate::on_both_databases;

pub const PASSWORD: &str = "a long enough password";
pub const NEIGHBOUR: &str = "+15557654321";

/// A page as the browser ended up on it.
pub struct Page {
    pub status: StatusCode,
    pub path: String,
    pub body: String,
}

impl Page {
    /// The hidden CSRF token of the page's first form.
    pub fn csrf(&self) -> String {
        let start = self.body.find("name=\"csrf\" value=\"").expect("a form") + 19;
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_string()
    }

    /// The request codes in the table that follows `heading_id`, in order, each a link to its page.
    pub fn codes_under(&self, heading_id: &str) -> Vec<String> {
        let section = self
            .body
            .split(&format!("id=\"{heading_id}\""))
            .nth(1)
            .unwrap();
        let section = section.split("</section>").next().unwrap();
        section
            .split("data-label=\"Code\"><a href=\"/requests/")
            .skip(1)
            .map(|s| s[..s.find('"').unwrap()].to_string())
            .collect()
    }

    /// The requests waiting for a volunteer.
    pub fn codes(&self) -> Vec<String> {
        self.codes_under("waiting")
    }
}

/// Whether the page shows the request with this code, as text or as a link. A plain substring
/// test would misfire: a short code can turn up inside a page's random form token.
pub fn shows_request(html: &str, code: &str) -> bool {
    html.contains(&format!(">{code}<")) || html.contains(&format!("/requests/{code}"))
}

/// A browser of its own, with its own cookies.
pub struct Browser {
    pub http: reqwest::Client,
    base: String,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Self::with_headers(app, reqwest::header::HeaderMap::new())
    }

    /// A browser whose requests a reverse proxy passes on, naming `client` as where they came from.
    pub fn behind_proxy(app: &TestApp, client: &str) -> Browser {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", client.parse().unwrap());
        Self::with_headers(app, headers)
    }

    fn with_headers(app: &TestApp, headers: reqwest::header::HeaderMap) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .default_headers(headers)
                .build()
                .unwrap(),
            base: app.base.clone(),
        }
    }

    async fn page(response: reqwest::Response) -> Page {
        Page {
            status: response.status(),
            path: response.url().path().to_string(),
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(
            self.http
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let url = format!("{}{path}", self.base);
        Self::page(self.http.post(url).form(form).send().await.unwrap()).await
    }

    /// Posts a body written out by hand, such as a file upload.
    pub async fn post_body(&self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        let url = format!("{}{path}", self.base);
        let request = self.http.post(url).header("content-type", content_type);
        Self::page(request.body(body).send().await.unwrap()).await
    }

    /// Opens the sign-in page and fills it in.
    pub async fn sign_in(&self, username: &str, password: &str) -> Page {
        let csrf = self.get("/signin").await.csrf();
        let form = [
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
        ];
        self.post("/signin", &form).await
    }
}

pub async fn account(app: &TestApp, username: &str, role: &str) {
    let name = format!("{username} (display)");
    accounts::add(&app.db, username, &name, role, PASSWORD, app.clock.now_ms())
        .await
        .unwrap();
}

/// Files a request straight into the store, for the filters to have something to tell apart.
pub async fn filed(app: &TestApp, phone: &str, queue: &str, zone: &str, priority: i64) -> String {
    let mut conn = app.db.acquire().await.unwrap();
    let now = app.clock.now_ms();
    let contact = contacts::upsert_many(&mut conn, &[phone], now)
        .await
        .unwrap()[0]
        .1;
    let fields = BTreeMap::from([
        ("zone".to_string(), zone.to_string()),
        ("name_to_use".to_string(), format!("Neighbour in {zone}")),
    ]);
    let new = requests::NewRequest {
        contact_id: contact,
        line: LINE,
        queue,
        fields: &fields,
        priority,
        session_id: None,
        actor: "test",
    };
    requests::create(&mut conn, &new, now).await.unwrap().1
}

on_both_databases! {
    async fn a_signed_out_visitor_sees_only_the_sign_in_page(db) {
        let app = TestApp::spawn(db).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let visitor = Browser::new(&app);

        let page = visitor.get("/").await;
        assert_eq!((page.status, page.path.as_str()), (StatusCode::OK, "/signin"));
        assert!(page.body.contains("<h1>Sign in</h1>"), "{}", page.body);
        assert!(!shows_request(&page.body, &code) && !page.body.contains("Maria"));
        assert!(!page.body.contains("Sign out"));
        for private in ["/admin/users", "/?zone=northside"] {
            assert_eq!(visitor.get(private).await.path, "/signin");
        }
    }

    async fn a_dispatcher_signs_in_and_sees_a_texted_request_without_the_phone_number(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;

        let dana = Browser::new(&app);
        let page = dana.sign_in("Dana", PASSWORD).await;
        assert_eq!((page.status, page.path.as_str()), (StatusCode::OK, "/"));
        assert!(page.body.contains("Signed in as <strong>dana (display)</strong>"));
        assert_eq!(page.codes(), [code]);
        for shown in ["Maria", "northside", "just now", "<span class=\"count\">1</span>"] {
            assert!(page.body.contains(shown), "{shown}: {}", page.body);
        }
        for private in [NEIGHBOUR, "5557654321", "765-4321", "bread, milk"] {
            assert!(!page.body.contains(private), "{private} is on the page");
        }

        let css = dana.http.get(app.url("/assets/app.css")).send().await.unwrap();
        assert!(css.headers()["cache-control"].to_str().unwrap().contains("max-age"));
        assert!(css.text().await.unwrap().contains("@media (max-width: 600px)"));
    }

    async fn a_wrong_password_is_said_so_and_the_sixth_within_15_minutes_is_refused(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let guesser = Browser::new(&app);
        for _ in 0..5 {
            let page = guesser.sign_in("dana", "not the password").await;
            assert_eq!((page.status, page.path.as_str()), (StatusCode::OK, "/signin"));
            assert!(page.body.contains("do not match an account"), "{}", page.body);
        }
        let page = guesser.sign_in("dana", PASSWORD).await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.body.contains("wait 15 minutes"));

        app.clock.advance(Duration::from_secs(15 * 60 + 1));
        assert_eq!(guesser.sign_in("dana", PASSWORD).await.path, "/");
    }

    async fn signing_out_takes_the_session_token_and_a_forged_sign_out_does_nothing(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let dana = Browser::new(&app);
        let queue = dana.sign_in("dana", PASSWORD).await;

        for forged in [vec![], vec![("csrf", "guessed")]] {
            let page = dana.post("/signout", &forged).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN);
            assert_eq!(dana.get("/").await.path, "/", "still signed in");
        }
        let forged_sign_in = Browser::new(&app)
            .post("/signin", &[("username", "dana"), ("password", PASSWORD)])
            .await;
        assert_eq!(forged_sign_in.status, StatusCode::FORBIDDEN);

        let page = dana.post("/signout", &[("csrf", &queue.csrf())]).await;
        assert_eq!((page.status, page.path.as_str()), (StatusCode::OK, "/signin"));
        assert_eq!(dana.get("/").await.path, "/signin");
        assert_eq!(app.count("SELECT COUNT(*) FROM web_sessions").await, 0);
    }

    async fn only_an_admin_sees_the_accounts_and_never_a_password_hash(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        account(&app, "ada", "admin").await;

        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;
        assert_eq!(dana.get("/admin/users").await.status, StatusCode::FORBIDDEN);

        let ada = Browser::new(&app);
        ada.sign_in("ada", PASSWORD).await;
        let page = ada.get("/admin/users").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("dana (display)") && page.body.contains("admin"));
        assert!(!page.body.contains("argon2"));
    }
}

on_both_databases! {
    async fn shutting_down_does_not_wait_for_an_open_queue_page(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let browser = Browser::new(&app);
        browser.sign_in("dana", PASSWORD).await;
        // The queue page's event stream stays open for as long as the page does.
        let stream = browser.http.get(app.url("/events")).send().await.unwrap();
        assert_eq!(stream.status(), StatusCode::OK);
        // A guard against hanging, not a measurement: shutting down should take well under this.
        let stopped = tokio::time::timeout(Duration::from_secs(20), app.stop()).await;
        assert!(stopped.is_ok(), "shutdown waited on the open event stream");
        drop(stream);
    }

    async fn signing_out_ends_the_event_stream_of_a_page_left_open(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let browser = Browser::new(&app);
        let csrf = browser.sign_in("dana", PASSWORD).await.csrf();
        let stream = browser.http.get(app.url("/events")).send().await.unwrap();
        assert_eq!(stream.status(), StatusCode::OK);
        let other_tab = browser.post("/signout", &[("csrf", &csrf)]).await;
        assert_eq!(other_tab.path, "/signin");
        // A guard against hanging: the stream ends at its next look at the session, within a
        // second or so.
        let ended = tokio::time::timeout(Duration::from_secs(10), stream.text()).await;
        assert!(ended.is_ok(), "the event stream outlived its session");
    }
}
