//! A caller who hangs up mid-way keeps their answers and is texted the question they were at, so
//! they can carry on by text; one who was done, or left a message, is not texted; one whose phone
//! cannot get texts (a landline) becomes a call-back for a person.

use crate::helpers::*;
use crate::on_both_databases;

const CALLER: &str = "+15557650301";

fn call(sid: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    [
        ("CallSid", sid),
        ("AccountSid", ACCOUNT),
        ("From", CALLER),
        ("To", LINE),
        ("Direction", "inbound"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The caller hangs up; Twilio tells the number's call status address.
async fn hang_up(app: &TestApp, sid: &str) {
    let over = call(sid, &[("CallStatus", "completed"), ("CallDuration", "40")]);
    let response = app.post_signed("/webhooks/twilio/ended", &over).await;
    assert_eq!(response.status(), 204);
}

on_both_databases! {
    async fn a_caller_who_hangs_up_mid_way_carries_on_by_text_where_they_left_off(db) {
        let app = TestApp::spawn(db).await;
        app.post_signed("/webhooks/twilio/voice", &call("CAhang1", &[("CallStatus", "ringing")])).await;
        app.post_signed("/webhooks/twilio/voice?turn=1&quiet=0", &call("CAhang1", &[("Digits", "2")])).await;
        hang_up(&app, "CAhang1").await;
        // Twilio may tell us twice; one text.
        hang_up(&app, "CAhang1").await;
        app.send_due().await;
        assert_eq!(
            app.sent_to(CALLER).await,
            ["Perdimos la llamada. Puede seguir por mensaje: ¿Qué necesita? Responda 1 comida, 2 recoger medicinas, 3 otra entrega."]
        );
        app.text(CALLER, "comida").await;
        app.send_due().await;
        let texts = app.sent_to(CALLER).await;
        assert!(texts.last().unwrap().starts_with("¿Qué le llevamos?"), "{texts:?}");
    }

    async fn a_caller_who_left_a_message_or_finished_is_not_texted_after_hanging_up(db) {
        let app = TestApp::spawn(db).await;
        app.post_signed("/webhooks/twilio/voice", &call("CAmsg", &[("CallStatus", "ringing")])).await;
        app.post_signed("/webhooks/twilio/voice?turn=1&quiet=0", &call("CAmsg", &[("Digits", "0")])).await;
        hang_up(&app, "CAmsg").await;
        // A call the line never answered a question on has nothing to carry on either.
        hang_up(&app, "CAunknown").await;
        app.send_due().await;
        assert!(app.sent_to(CALLER).await.is_empty());
        let carried = app.count("SELECT COUNT(*) FROM outbound_messages WHERE kind = 'carry_on'").await;
        assert_eq!(carried, 0);
    }

    async fn a_landline_that_cannot_get_the_text_becomes_a_call_back_with_the_answers(db) {
        let app = TestApp::spawn(db).await;
        app.post_signed("/webhooks/twilio/voice", &call("CAland", &[("CallStatus", "ringing")])).await;
        app.post_signed("/webhooks/twilio/voice?turn=1&quiet=0", &call("CAland", &[("Digits", "1")])).await;
        app.post_signed("/webhooks/twilio/voice?turn=2&quiet=0", &call("CAland", &[("Digits", "2")])).await;
        hang_up(&app, "CAland").await;
        app.send_due().await;
        let sid: String = sqlx::query_scalar("SELECT gateway_id FROM outbound_messages WHERE kind = 'carry_on'")
            .fetch_one(app.db.pool()).await.unwrap();
        let report: Vec<(String, String)> = [
            ("MessageSid", sid.as_str()), ("AccountSid", ACCOUNT), ("MessageStatus", "undelivered"),
            ("ErrorCode", "30006"), ("To", CALLER), ("From", LINE),
        ].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(app.post_signed("/webhooks/twilio/status", &report).await.status(), 200);
        assert_eq!(app.intake.fire_due_timers().await.unwrap(), 1);
        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].queue, "handoff");
        assert_eq!(requests[0].fields["need"], "prescription", "the answers so far go with it");
        assert!(requests[0].fields["handoff_reason"].contains("call them back"));
        // Followed up once: the next pass files nothing more.
        assert_eq!(app.intake.fire_due_timers().await.unwrap(), 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").await, 0);
    }

    async fn a_forged_hang_up_is_refused(db) {
        let app = TestApp::spawn(db).await;
        let response = app.http.post(app.url("/webhooks/twilio/ended"))
            .header("X-Twilio-Signature", "bm8=")
            .form(&[("CallSid", "CAx"), ("CallStatus", "completed")])
            .send().await.unwrap();
        assert_eq!(response.status(), 403);
    }
}
