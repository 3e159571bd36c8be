//! Calls to the Twilio line: a caller walks the shipped intake by keypad and by speech, in English
//! and in Spanish, into the same requests texts make. Every webhook is signed as Twilio signs it,
//! and each answer goes to the address the last document's `<Gather>` gave.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::Event;

use crate::helpers::*;
use crate::on_both_databases;

/// What one TwiML document tells Twilio to do.
#[derive(Debug, Default)]
struct Heard {
    /// Everything said, in order, with the language it is said in.
    says: Vec<(String, String)>,
    /// The `<Gather>`'s attributes, when the line waits for an answer.
    gather: Option<Vec<(String, String)>>,
    hangup: bool,
}

impl Heard {
    fn parse(xml: &str) -> Heard {
        let mut reader = Reader::from_str(xml);
        let mut heard = Heard::default();
        let mut saying: Option<String> = None;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) | Event::Empty(e) => {
                    let attributes = e
                        .attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
                            (
                                key,
                                a.normalized_value(XmlVersion::Implicit1_0)
                                    .unwrap()
                                    .into_owned(),
                            )
                        })
                        .collect::<Vec<_>>();
                    match e.name().as_ref() {
                        b"Say" => {
                            let language = attributes.iter().find(|(k, _)| k == "language");
                            saying = Some(language.map(|(_, v)| v.clone()).unwrap_or_default());
                            heard.says.push((String::new(), saying.clone().unwrap()));
                        }
                        b"Gather" => heard.gather = Some(attributes),
                        b"Hangup" => heard.hangup = true,
                        _ => {}
                    }
                }
                Event::Text(t) if saying.is_some() => {
                    let text = t.xml10_content().unwrap().into_owned();
                    heard.says.last_mut().unwrap().0.push_str(&text);
                }
                Event::GeneralRef(r) if saying.is_some() => {
                    let name = r.decode().unwrap();
                    let c = quick_xml::escape::resolve_predefined_entity(&name).unwrap();
                    heard.says.last_mut().unwrap().0.push_str(c);
                }
                Event::End(e) if e.name().as_ref() == b"Say" => saying = None,
                Event::Eof => break,
                _ => {}
            }
        }
        heard
    }

    fn said(&self) -> String {
        let words: Vec<&str> = self.says.iter().map(|(t, _)| t.as_str()).collect();
        words.join(" ")
    }

    fn gather(&self, attribute: &str) -> Option<&str> {
        let gather = self.gather.as_ref()?;
        gather
            .iter()
            .find(|(k, _)| k == attribute)
            .map(|(_, v)| v.as_str())
    }
}

/// One call to the Twilio line.
struct Call<'a> {
    app: &'a TestApp,
    sid: String,
    from: String,
    /// Where the next answer goes: the last `<Gather action>`.
    next: String,
}

impl<'a> Call<'a> {
    /// Dials the line and hears its first question.
    async fn dial(app: &'a TestApp, from: &str) -> (Call<'a>, Heard) {
        let mut call = Call {
            app,
            sid: format!("CA{:032x}", rand::random::<u128>()),
            from: from.to_string(),
            next: "/webhooks/twilio/voice".into(),
        };
        let heard = call.post(&[("CallStatus", "ringing")]).await;
        (call, heard)
    }

    async fn press(&mut self, keys: &str) -> Heard {
        self.post(&[("Digits", keys)]).await
    }

    async fn say(&mut self, words: &str) -> Heard {
        self.post(&[("SpeechResult", words), ("Confidence", "0.91")])
            .await
    }

    async fn stay_silent(&mut self) -> Heard {
        self.post(&[]).await
    }

    fn params(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        [
            ("CallSid", self.sid.as_str()),
            ("AccountSid", ACCOUNT),
            ("From", self.from.as_str()),
            ("To", LINE),
            ("Direction", "inbound"),
            ("ApiVersion", "2010-04-01"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    async fn post(&mut self, extra: &[(&str, &str)]) -> Heard {
        let response = self.post_raw(extra).await;
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("xml")
        );
        let heard = Heard::parse(&response.text().await.unwrap());
        if let Some(action) = heard.gather("action") {
            self.next = action.strip_prefix(&self.app.url("")).unwrap().to_string();
        }
        heard
    }

    async fn post_raw(&self, extra: &[(&str, &str)]) -> reqwest::Response {
        self.app.post_signed(&self.next, &self.params(extra)).await
    }
}

const CALLER: &str = "+15557650101";

on_both_databases! {
    async fn a_caller_presses_and_speaks_their_way_through_the_intake_into_a_request(db) {
        let app = TestApp::spawn(db).await;
        let (mut call, heard) = Call::dial(&app, CALLER).await;
        assert!(heard.said().contains("For English, press 1"), "{heard:?}");
        assert_eq!(heard.gather("numDigits"), Some("1"));
        assert!(heard.gather("input").unwrap().contains("dtmf"));

        let heard = call.press("1").await;
        assert!(heard.said().contains("For groceries, press 1"), "{heard:?}");
        assert_eq!(heard.says[0].1, "en-US");
        let heard = call.press("1").await;
        assert!(heard.said().starts_with("What should we bring? Say a short list"), "{heard:?}");
        assert_eq!(heard.gather("input"), Some("speech"), "a list is said, not typed");
        let heard = call.say("Milk, bread and rice.").await;
        assert!(heard.said().contains("Type the number, then press pound"), "{heard:?}");
        assert_eq!(heard.gather("finishOnKey"), Some("#"));
        let heard = call.press("3#").await;
        assert!(heard.said().contains("zip code"), "{heard:?}");
        call.press("02139#").await;
        call.say("Corner of Main and 3rd").await;
        call.press("*").await; // when: skipped
        call.press("*").await; // notes: skipped
        let heard = call.say("Rosa").await;
        assert!(heard.said().starts_with("Thank you, Rosa! Your request is "), "{heard:?}");
        assert!(heard.hangup && heard.gather.is_none(), "{heard:?}");

        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        let fields = &requests[0].fields;
        assert_eq!(fields["need"], "groceries");
        assert_eq!(fields["items"], "Milk, bread and rice.");
        assert_eq!(fields["household"], "3");
        assert_eq!(fields["zone"], "northside");
        assert_eq!(fields["cross_streets"], "Corner of Main and 3rd");
        assert!(!fields.contains_key("when"));
        app.send_due().await;
        assert!(
            app.sent_to(CALLER).await.is_empty(),
            "what was said on the call is not texted as well"
        );
    }

    async fn a_spanish_speaker_hears_the_questions_in_spanish_and_answers_by_voice(db) {
        let app = TestApp::spawn(db).await;
        let (mut call, _) = Call::dial(&app, CALLER).await;
        let heard = call.press("2").await;
        assert!(heard.said().contains("Para comida, oprima 1"), "{heard:?}");
        assert_eq!(heard.says[0].1, "es-MX");
        assert_eq!(heard.gather("language"), Some("es-MX"));
        let heard = call.say("Medicinas").await;
        assert!(heard.said().starts_with("¿Qué farmacia"), "{heard:?}");
        call.say("La farmacia de la calle Main, a nombre de Ana").await;
        let heard = call.say("dos").await;
        // "dos" is no number a keypad typed: the question is asked again, as spoken.
        assert!(heard.said().contains("Marque el número"), "{heard:?}");
        call.press("2#").await;
        call.say("Northside").await;
        for _ in 0..4 {
            call.press("*").await;
        }
        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].fields["need"], "prescription");
        assert_eq!(requests[0].fields["pharmacy"], "La farmacia de la calle Main, a nombre de Ana");
        assert_eq!(requests[0].fields["zone"], "northside");
        let language = app.count("SELECT COUNT(*) FROM contacts WHERE language = 'es'").await;
        assert_eq!(language, 1, "the caller's language is kept for their texts too");
    }

    async fn a_call_picks_up_the_conversation_a_text_began_and_texts_carry_on_after(db) {
        let app = TestApp::spawn(db).await;
        app.text(CALLER, "hola").await;
        app.text(CALLER, "2").await; // español, by text
        let (mut call, heard) = Call::dial(&app, CALLER).await;
        assert!(heard.said().contains("Para comida, oprima 1"), "the question they are at: {heard:?}");
        call.press("1").await;
        app.text(CALLER, "arroz y frijoles").await;
        let conversations = app.count("SELECT COUNT(*) FROM sessions").await;
        assert_eq!(conversations, 1, "one conversation across the call and the texts");
        app.send_due().await;
        let texts = app.sent_to(CALLER).await;
        assert!(texts.last().unwrap().starts_with("¿Para cuántas personas"), "{texts:?}");
    }

    async fn a_retried_call_webhook_gets_the_same_answer_and_is_taken_once(db) {
        let app = TestApp::spawn(db).await;
        let (call, _) = Call::dial(&app, CALLER).await;
        let first = call.post_raw(&[("Digits", "1")]).await.text().await.unwrap();
        let again = call.post_raw(&[("Digits", "1")]).await.text().await.unwrap();
        assert_eq!(first, again);
        let heard = Heard::parse(&again);
        assert!(heard.said().contains("For groceries"), "{heard:?}");
        let turns = app.count("SELECT COUNT(*) FROM inbound_messages WHERE channel = 'voice'").await;
        assert_eq!(turns, 2, "the call's start and one answer");
    }

    async fn a_forged_call_is_refused_and_leaves_nothing_behind(db) {
        let app = TestApp::spawn(db).await;
        let params = [("CallSid", "CAforged"), ("From", CALLER), ("To", LINE)];
        let response = app
            .http
            .post(app.url("/webhooks/twilio/voice"))
            .header("X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl")
            .form(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
    }

    async fn a_caller_who_says_nothing_is_asked_again_then_told_goodbye(db) {
        let app = TestApp::spawn(db).await;
        let (mut call, first) = Call::dial(&app, CALLER).await;
        let again = call.stay_silent().await;
        assert_eq!(again.said(), first.said(), "the question is asked again");
        call.stay_silent().await;
        let last = call.stay_silent().await;
        assert!(last.said().starts_with("We did not hear anything"), "{last:?}");
        assert!(last.hangup);
        assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
    }
}
