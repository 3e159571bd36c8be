//! Twenty volunteers claim one request at the same instant, a hundred times over: exactly one
//! wins each time, on SQLite and on PostgreSQL.

use aidline::store::offers;
use aidline::store::requests::{self, NewRequest};

use super::*;
use crate::on_both_databases;

const ROUNDS: usize = 100;
const VOLUNTEERS: usize = 20;

on_both_databases! {
    async fn twenty_volunteers_claiming_at_once_always_leave_exactly_one_winner(db) {
        // A hundred claims from each phone at one instant is far past what the line takes from
        // one number; this is about the claims, so the limit is lifted.
        let unlimited = "[safety]\ntexts = { most = 1000, minutes = 10 }";
        let app = TestApp::spawn_with(db, Options { extra_settings: unlimited.into(), ..Options::default() }).await;
        let phones: Vec<String> = (0..VOLUNTEERS).map(|i| format!("+155576610{i:02}")).collect();
        let mut ids = Vec::new();
        for (i, phone) in phones.iter().enumerate() {
            ids.push(volunteer(&app, phone, &format!("V{i}"), &[]).await);
        }
        for round in 0..ROUNDS {
            let neighbour = format!("+15557662{round:03}");
            let (id, code) = {
                let mut conn = app.db.acquire().await.unwrap();
                let now = app.clock.now_ms();
                let contact = contacts::upsert_many(&mut conn, &[neighbour.as_str()], now).await.unwrap()[0].1;
                let fields = Default::default();
                let new = NewRequest { contact_id: contact, line: LINE, queue: "groceries", fields: &fields, priority: 0, session_id: None, actor: "test" };
                let (id, code) = requests::create(&mut conn, &new, now).await.unwrap();
                // Offered to all twenty, as a wide wave would.
                offers::record(&mut conn, id, &ids, 1, now).await.unwrap();
                (id, code)
            };
            let claim = format!("YES {code}");
            let sids: Vec<String> = phones.iter().map(|_| app.new_sid()).collect();
            let claims: Vec<_> = phones.iter().zip(&sids).map(|(p, sid)| app.text_with_sid(p, &claim, sid)).collect();
            for response in futures::future::join_all(claims).await {
                assert_eq!(response.status(), 200);
            }
            let holders: Vec<Option<i64>> = sqlx::query_scalar("SELECT volunteer_id FROM requests WHERE id = $1")
                .bind(id).fetch_all(app.db.pool()).await.unwrap();
            assert!(matches!(holders.as_slice(), [Some(_)]), "round {round}: {holders:?}");
            let claimed: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM request_events WHERE request_id = $1 AND kind = 'claimed'",
            ).bind(id).fetch_one(app.db.pool()).await.unwrap();
            assert_eq!(claimed, 1, "round {round}");
            // Each volunteer's job is done so they have room for the next round.
            sqlx::query("UPDATE requests SET status = 'confirmed', closed_at = 1 WHERE id = $1")
                .bind(id).execute(app.db.pool()).await.unwrap();
        }
        app.send_due().await;
        let yours = app.sent().await.iter().filter(|s| s.body.contains("is yours")).count();
        assert_eq!(yours, ROUNDS, "one winner told per round");
    }
}
