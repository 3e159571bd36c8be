//! Calls to the Bandwidth line: the Voice application posts an `initiate` event when a call comes
//! in and a `gather` event for each answer to the `<Gather>`'s `gatherUrl`, as JSON behind the
//! callback credentials. Bandwidth hears keys only.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::Event;
use serde_json::json;

use super::bandwidth::Bandwidth;
use super::*;
use crate::on_both_databases;

const CALLER: &str = "+15557650201";
const VOICE: &str = "/webhooks/bandwidth/voice";

/// What one BXML document tells Bandwidth to do.
#[derive(Debug, Default)]
struct Bxml {
    said: String,
    /// The `<Gather>`'s `gatherUrl`, when the line waits for an answer.
    gather_url: Option<String>,
    hangup: bool,
}

impl Bxml {
    fn parse(xml: &str) -> Bxml {
        let mut reader = Reader::from_str(xml);
        let mut bxml = Bxml::default();
        let mut speaking = false;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                    b"SpeakSentence" => {
                        speaking = true;
                        bxml.said.push(' ');
                    }
                    b"Gather" => {
                        bxml.gather_url = e
                            .attributes()
                            .map(Result::unwrap)
                            .find(|a| a.key.as_ref() == b"gatherUrl")
                            .map(|a| {
                                a.normalized_value(XmlVersion::Implicit1_0)
                                    .unwrap()
                                    .into_owned()
                            });
                    }
                    b"Hangup" => bxml.hangup = true,
                    _ => {}
                },
                Event::Text(t) if speaking => bxml.said.push_str(&t.xml10_content().unwrap()),
                Event::GeneralRef(r) if speaking => {
                    let name = r.decode().unwrap();
                    let c = quick_xml::escape::resolve_predefined_entity(&name).unwrap();
                    bxml.said.push_str(c);
                }
                Event::End(e) if e.name().as_ref() == b"SpeakSentence" => speaking = false,
                Event::Eof => break,
                _ => {}
            }
        }
        bxml.said = bxml.said.trim().to_string();
        bxml
    }
}

/// One call to the Bandwidth line.
struct Call<'a> {
    app: &'a TestApp,
    call_id: String,
    /// Where the next event goes, as a path on the app.
    next: String,
}

impl<'a> Call<'a> {
    async fn dial(app: &'a TestApp) -> (Call<'a>, Bxml) {
        let mut call = Call {
            app,
            call_id: format!("c-{}", new_id()),
            next: VOICE.into(),
        };
        let bxml = call.send(&call.event("initiate", None)).await;
        (call, bxml)
    }

    fn event(&self, kind: &str, keys: Option<(&str, &str)>) -> String {
        let mut event = json!({
            "eventType": kind,
            "eventTime": "2019-06-20T15:54:25.435Z",
            "accountId": "9900000",
            "applicationId": "04e88489-df02-4e34-a0ee-27a91849555f",
            "from": CALLER,
            "to": Bandwidth::LINE,
            "direction": "inbound",
            "callId": self.call_id,
            "callUrl": format!("https://voice.bandwidth.com/api/v2/accounts/9900000/calls/{}", self.call_id),
            "startTime": "2019-06-20T15:54:22.234Z",
        });
        if let Some((digits, terminating)) = keys {
            event["answerTime"] = "2019-06-20T15:54:22.234Z".into();
            event["digits"] = digits.into();
            event["terminatingDigit"] = terminating.into();
        }
        event.to_string()
    }

    /// Keys as Bandwidth reports them: `#` that ended them apart from the digits.
    async fn press(&mut self, keys: &str) -> Bxml {
        let (digits, terminating) = match keys.strip_suffix('#') {
            Some(digits) => (digits, "#"),
            None => (keys, ""),
        };
        self.send(&self.event("gather", Some((digits, terminating))))
            .await
    }

    async fn post_raw(&self, body: &str, password: &str) -> reqwest::Response {
        let authorization = basic("aidline", password);
        self.app
            .post_raw(
                &self.next,
                &[("Authorization", authorization)],
                "application/json",
                body.to_string(),
            )
            .await
    }

    async fn send(&mut self, body: &str) -> Bxml {
        let response = self.post_raw(body, "callback-password").await;
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(content_type.contains("xml"), "{content_type}");
        let bxml = Bxml::parse(&response.text().await.unwrap());
        if let Some(url) = &bxml.gather_url {
            self.next = url.strip_prefix(&self.app.url("")).unwrap().to_string();
        }
        bxml
    }
}

on_both_databases! {
    async fn a_caller_on_a_bandwidth_line_hears_the_first_question_and_answers_it_by_pressing_2(db) {
        let app = spawn::<Bandwidth>(db).await;
        let (mut call, bxml) = Call::dial(&app).await;
        assert!(bxml.said.contains("For English, press 1"), "{bxml:?}");
        assert_eq!(
            bxml.gather_url.as_deref(),
            Some(app.url(&format!("{VOICE}?turn=1&quiet=0")).as_str())
        );
        let bxml = call.press("2").await;
        assert!(bxml.said.contains("Para comida, oprima 1"), "{bxml:?}");
    }

    async fn a_bandwidth_caller_walks_the_intake_by_keys_and_skips_what_only_speech_could_answer(db) {
        let app = spawn::<Bandwidth>(db).await;
        let (mut call, _) = Call::dial(&app).await;
        let bxml = call.press("1").await;
        assert!(bxml.said.contains("For groceries, press 1"), "{bxml:?}");
        let bxml = call.press("1").await;
        assert!(bxml.said.starts_with("What should we bring?"), "{bxml:?}");
        let bxml = call.press("*").await; // a list is said, and Bandwidth hears no speech
        assert!(bxml.said.contains("Type the number, then press pound"), "{bxml:?}");
        let bxml = call.press("3#").await;
        assert!(bxml.said.contains("zip code"), "{bxml:?}");
        call.press("02139#").await;
        for _ in 0..3 {
            call.press("*").await; // where, when, notes: spoken answers only
        }
        let bxml = call.press("*").await; // the name
        assert!(bxml.said.starts_with("Thank you, neighbour! Your request is "), "{bxml:?}");
        assert!(bxml.hangup && bxml.gather_url.is_none(), "{bxml:?}");
        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        let fields = &requests[0].fields;
        assert_eq!(fields["need"], "groceries");
        assert_eq!(fields["household"], "3");
        assert_eq!(fields["zone"], "northside");
        assert!(!fields.contains_key("items"));
        assert!(!fields.contains_key("cross_streets"));
    }

    async fn a_bandwidth_gather_sent_twice_gets_the_same_answer_and_is_taken_once(db) {
        let app = spawn::<Bandwidth>(db).await;
        let (call, _) = Call::dial(&app).await;
        let body = call.event("gather", Some(("1", "")));
        let first = call.post_raw(&body, "callback-password").await;
        assert_eq!(first.status(), 200);
        let first = first.text().await.unwrap();
        let again = call.post_raw(&body, "callback-password").await.text().await.unwrap();
        assert_eq!(first, again);
        assert!(Bxml::parse(&again).said.contains("For groceries"), "{again}");
        let turns = app.count("SELECT COUNT(*) FROM inbound_messages WHERE channel = 'voice'").await;
        assert_eq!(turns, 2, "the call's start and one answer");
    }

    async fn a_bandwidth_call_with_wrong_credentials_is_refused_and_leaves_nothing_behind(db) {
        let app = spawn::<Bandwidth>(db).await;
        let call = Call { app: &app, call_id: "c-forged".into(), next: VOICE.into() };
        let initiate = call.event("initiate", None);
        let response = call.post_raw(&initiate, "guess").await;
        assert_eq!(response.status(), 403, "a wrong password");
        let unsigned = app.post_raw(VOICE, &[], "application/json", initiate.clone()).await;
        assert_eq!(unsigned.status(), 403, "no credentials");
        let api = app
            .post_raw(VOICE, &[("Authorization", basic("api-user", "api-password"))], "application/json", initiate)
            .await;
        assert_eq!(api.status(), 403, "the API user's credentials");
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
    }
}
