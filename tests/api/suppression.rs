//! Our own suppression list is the last word: a text to a number that opted out never reaches a
//! provider, on any line, whichever part of the service queued it.

use aidline::lifecycle::OutboundKind;
use aidline::store::contacts::{self, OptChange};
use aidline::store::outbound::{self, NewOutbound};

use crate::helpers::*;
use crate::on_both_databases;
use crate::providers::every_line;

on_both_databases! {
    async fn a_text_to_an_opted_out_number_never_reaches_any_provider_whatever_queued_it(db) {
        let (extra_lines, lines) = every_line();
        let app = TestApp::spawn_with(db, Options { extra_lines, ..Options::default() }).await;
        let neighbour = "+15557659001";
        let now = app.clock.now_ms();
        let mut conn = app.db.acquire().await.unwrap();
        let contact = contacts::upsert_many(&mut conn, &[neighbour], now).await.unwrap()[0].1;
        contacts::record_opt_change(&mut conn, contact, OptChange::OptOut, "keyword:STOP", LINE, now)
            .await
            .unwrap();
        // Whatever asked: an answer a conversation wrote, a reminder a timer wrote.
        for &line in &lines {
            for kind in [OutboundKind::Reply, OutboundKind::Reminder] {
                let text = NewOutbound { contact_id: contact, line, to: neighbour, body: "hello", kind, inbound_id: None, spoken: false, spoken_audio: None };
                outbound::enqueue_many(&mut conn, &[text], now).await.unwrap();
            }
        }
        drop(conn);

        assert_eq!(app.send_due().await, 2 * lines.len());
        assert!(app.api.received_requests().await.unwrap_or_default().is_empty(), "a provider was called");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM outbound_messages WHERE state = 'suppressed'").await,
            2 * lines.len() as i64
        );
    }
}
