//! What every provider's line must do, written once; `table!` runs each for every provider.

use std::time::Duration;

use serde_json::Value;

use super::*;

pub async fn a_text_is_taken_in_and_answered_as_the_provider_documents<F: Provider>(db: TestDb) {
    let app = spawn::<F>(db).await;
    let neighbour = "+15557658001";
    let response = text_in::<F>(&app, neighbour, "hi", &new_id()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), F::ACKNOWLEDGEMENT);
    let (line, gateway): (String, String) =
        sqlx::query_as("SELECT line, gateway FROM inbound_messages")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!((line.as_str(), gateway.as_str()), (F::LINE, F::GATEWAY));
    let contact: String = sqlx::query_scalar("SELECT phone FROM contacts")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        contact, neighbour,
        "kept in E.164, however the provider wrote it"
    );

    assert_eq!(app.send_due().await, 1);
    let requests = app.api.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "one send, to this provider alone");
    let request = &requests[0];
    assert_eq!(request.url.path(), F::SEND_PATH);
    assert_eq!(request.method.as_str(), "POST");
    F::assert_authenticated(request);
    let content_type = request.headers["content-type"].to_str().unwrap();
    let expected_type = match F::SENDS_JSON {
        true => "application/json",
        false => "application/x-www-form-urlencoded",
    };
    assert!(content_type.starts_with(expected_type), "{content_type}");
    let reply = outbound(&app).await;
    assert_eq!(
        read_send::<F>(request),
        F::expected_send(&app, neighbour, FIRST_QUESTION, reply.id)
    );
    assert_eq!(reply.state, "sent");
    assert_eq!(reply.gateway_id, Some(F::message_id(request, 1)));
}

pub async fn a_duplicate_webhook_is_taken_once<F: Provider>(db: TestDb) {
    let app = spawn::<F>(db).await;
    let id = new_id();
    // A provider that missed our answer posts the text again later, signed afresh.
    for _ in 0..3 {
        let response = text_in::<F>(&app, "+15557658002", "hi", &id).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), F::ACKNOWLEDGEMENT);
        app.clock.advance(Duration::from_secs(10));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 1);
    assert_eq!(app.send_due().await, 1, "one reply to one text");
    assert_eq!(sends::<F>(&app).await.len(), 1);
}

pub async fn a_delivery_report_moves_the_text_on_and_a_late_one_does_not_move_it_back<
    F: Provider,
>(
    db: TestDb,
) {
    let app = spawn::<F>(db).await;
    let neighbour = "+15557658003";
    let id = answered::<F>(&app, neighbour).await;
    let steps = [
        (Report::Sent, "sent"),
        (Report::Delivered, "delivered"),
        // Repeated, or once for each part of a long text.
        (Report::Delivered, "delivered"),
        (Report::Sent, "delivered"),
    ];
    for (said, state) in steps {
        let status = report::<F>(&app, &id, neighbour, said, Signer::Line).await;
        assert_eq!(status, 200, "{said:?}");
        assert_eq!(outbound(&app).await.state, state, "{said:?}");
    }
    let opted_out = "SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL";
    assert_eq!(app.count(opted_out).await, 0);
    // A report on a text we never sent is taken and changes nothing.
    let unknown = new_id();
    let status = report::<F>(&app, &unknown, neighbour, Report::Delivered, Signer::Line).await;
    assert_eq!(status, 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbound_messages").await, 1);
}

pub async fn a_failure_report_fails_the_text_and_keeps_the_providers_code<F: Provider>(db: TestDb) {
    let app = spawn::<F>(db).await;
    report_failure::<F>(&app, "+15557658004", F::FAILURE_CODE).await;
    let opted_out = "SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL";
    assert_eq!(app.count(opted_out).await, 0, "not the neighbour's choice");
}

pub async fn an_opt_out_code_opts_the_neighbour_out<F: OptsOut>(db: TestDb) {
    let app = spawn::<F>(db).await;
    let opted_out = || async {
        let sql = "SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL";
        let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM opt_events WHERE source = $1")
            .bind(format!("gateway:{}", F::OPT_OUT_CODE))
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        (app.count(sql).await, events)
    };
    report_failure::<F>(&app, "+15557658005", F::OPT_OUT_CODE).await;
    assert_eq!(opted_out().await, (1, 1));

    let Some((status, body)) = F::opted_out_refusal() else {
        return;
    };
    app.refuse_next_send(F::SEND_PATH, status, None, body).await;
    text::<F>(&app, "+15557658015", "hi").await;
    assert_eq!(app.send_due().await, 1);
    let refused = outbound(&app).await;
    assert_eq!((refused.state.as_str(), refused.attempts), ("failed", 1));
    assert_eq!(refused.error_code.as_deref(), Some(F::OPT_OUT_CODE));
    assert_eq!(opted_out().await, (2, 2));
}

pub async fn a_forged_webhook_is_refused_and_nothing_is_stored<F: Provider>(db: TestDb) {
    let app = spawn::<F>(db).await;
    let body = F::inbound("+15557658006", "groceries", &new_id());
    let mut forgeries = vec![
        (
            "signed by a stranger",
            F::sign(&app, F::TEXTS, &body, Signer::Stranger),
        ),
        ("unsigned", Signed::unsigned(&body)),
    ];
    if F::SIGNS_BODY {
        let mut changed = F::sign(&app, F::TEXTS, &body, Signer::Line);
        changed.body = changed.body.replace("groceries", "STOP");
        forgeries.push(("changed after signing", changed));
    }
    forgeries.extend(F::forgeries(&app, &body));
    for (forgery, hook) in forgeries {
        let response = post(&app, F::TEXTS, F::POSTS, hook).await;
        assert_eq!(response.status(), 403, "{forgery}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);

    // Nor may a stranger fail a text we sent.
    let neighbour = "+15557658016";
    let id = answered::<F>(&app, neighbour).await;
    let failed = Report::Failed(F::FAILURE_CODE);
    let status = report::<F>(&app, &id, neighbour, failed, Signer::Stranger).await;
    assert_eq!(status, 403);
    assert_eq!(outbound(&app).await.state, "sent");
}

pub async fn a_malformed_webhook_gets_400_naming_the_field<F: Provider>(db: TestDb) {
    let app = spawn::<F>(db).await;
    for (field, body) in F::malformed() {
        let signed = F::sign(&app, F::TEXTS, &body, Signer::Line);
        let response = post(&app, F::TEXTS, F::POSTS, signed).await;
        assert_eq!(response.status(), 400, "{field}");
        let answer = response.text().await.unwrap();
        assert!(answer.contains(&format!("`{field}`")), "{field}: {answer}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbound_messages").await, 0);
}

pub async fn a_reply_that_meets_an_outage_is_sent_on_retry<F: Provider>(db: TestDb) {
    let app = spawn::<F>(db).await;
    let outages = F::outages();
    for (n, outage) in (1..).zip(&outages) {
        let body = outage.body.clone();
        app.refuse_next_send(F::SEND_PATH, outage.status, outage.retry_after, body)
            .await;
        text::<F>(&app, &format!("+1555765810{n}"), "hi").await;
        app.assert_sent_on_retry(outage.retry_after).await;
        let retried = sends::<F>(&app).await.pop().unwrap();
        let id = outbound(&app).await.gateway_id;
        assert_eq!(id, Some(F::message_id(&retried, n)), "{}", outage.status);
    }
    assert_eq!(sends::<F>(&app).await.len(), 2 * outages.len());
}

pub async fn stop_is_confirmed_once_and_then_nothing_more_is_sent<F: Provider>(db: TestDb) {
    let app = spawn::<F>(db).await;
    for words in ["hi", "STOP", "1"] {
        text::<F>(&app, "+15557658008", words).await;
        app.send_due().await;
    }
    let texts: Vec<Value> = sends::<F>(&app)
        .await
        .iter()
        .map(|request| {
            read_send::<F>(request)
                .pointer(F::SENT_TEXT)
                .unwrap()
                .clone()
        })
        .collect();
    let mut expected = vec![FIRST_QUESTION];
    if !F::CONFIRMS_STOP {
        expected.push(STOPPED);
    }
    assert_eq!(texts, expected);
    let opted_out = "SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL";
    assert_eq!(app.count(opted_out).await, 1);
    let by_keyword =
        "SELECT COUNT(*) FROM opt_events WHERE kind = 'opt_out' AND source = 'keyword'";
    assert_eq!(app.count(by_keyword).await, 1);
}

/// A text from `neighbour`, answered: the provider's id for the answer.
async fn answered<F: Provider>(app: &TestApp, neighbour: &str) -> String {
    text::<F>(app, neighbour, "hi").await;
    app.send_due().await;
    outbound(app).await.gateway_id.unwrap()
}

/// The provider reports that the answer to a text from `neighbour` failed with `code`, which the
/// answer keeps as it fails.
async fn report_failure<F: Provider>(app: &TestApp, neighbour: &str, code: &str) {
    let id = answered::<F>(app, neighbour).await;
    let failed = Report::Failed(code);
    let status = report::<F>(app, &id, neighbour, failed, Signer::Line).await;
    assert_eq!(status, 200);
    let reply = outbound(app).await;
    assert_eq!(reply.state, F::FAILED);
    assert_eq!(reply.error_code.as_deref(), Some(code));
}
