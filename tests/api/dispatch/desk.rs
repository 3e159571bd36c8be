//! What a dispatcher does to a request, straight through the desk that the pages and the API share.

use aidline::dispatch::desk::{Desk, DeskError, parse_status};

use super::*;
use crate::on_both_databases;

const NEIGHBOUR: &str = "+15557661001";
const ANA: &str = "+15557661101";
const BEN: &str = "+15557661102";

/// Runs one dispatcher change in its own transaction, as `token:ops`.
async fn set_status(
    app: &TestApp,
    code: &str,
    to: &str,
    reason: Option<&str>,
) -> Result<(), DeskError> {
    let to = parse_status(to).expect("a status a dispatcher can set");
    let mut tx = app.db.begin().await.unwrap();
    let mut desk = Desk {
        conn: &mut tx,
        settings: &app.settings.dispatch,
        actor: "token:ops",
        now: app.clock.now_ms(),
    };
    let job = desk.open(code).await?;
    desk.set_status(&job, to, reason).await?;
    tx.commit().await.unwrap();
    Ok(())
}

async fn timers_for(app: &TestApp, code: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM timers t JOIN requests r ON r.id = t.request_id \
         WHERE r.code = $1 AND t.done_at IS NULL",
    )
    .bind(code)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

on_both_databases! {
    async fn a_dispatcher_who_puts_a_held_request_back_to_new_tells_both_sides_and_offers_it_afresh(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &["northside"]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        app.text(ANA, &format!("YES {code}")).await;
        volunteer(&app, BEN, "Ben", &["northside"]).await;

        set_status(&app, &code, "new", None).await.unwrap();

        let ana = inbox(&app, ANA).await;
        assert_eq!(
            ana.last().unwrap(),
            &format!("{code} was taken back by the dispatchers, so you do not need to do it. Thank you!")
        );
        assert!(inbox(&app, NEIGHBOUR).await.last().unwrap().contains("could not make it"));
        assert!(inbox(&app, BEN).await.last().unwrap().contains(&format!("YES {code}")));
        assert_eq!(status_of(&app, &code).await, "offered");
        let actor: String = sqlx::query_scalar(
            "SELECT actor FROM request_events WHERE kind = 'new' ORDER BY id DESC LIMIT 1",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(actor, "token:ops");
    }

    async fn failing_a_request_needs_a_reason_and_closing_one_stops_its_offers(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &["northside"]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        assert_eq!(timers_for(&app, &code).await, 1, "the offers' timer runs");

        let no_reason = set_status(&app, &code, "failed", Some("  ")).await.unwrap_err();
        assert!(matches!(no_reason, DeskError::Invalid(_)), "{no_reason}");
        let nobody = set_status(&app, &code, "picked_up", None).await.unwrap_err();
        assert!(matches!(nobody, DeskError::Conflict(_)), "{nobody}");
        assert_eq!(status_of(&app, &code).await, "offered", "unchanged");

        set_status(&app, &code, "failed", Some("store closed")).await.unwrap();
        assert_eq!(status_of(&app, &code).await, "failed");
        set_status(&app, &code, "closed", None).await.unwrap();
        assert_eq!(status_of(&app, &code).await, "closed");
        assert_eq!(timers_for(&app, &code).await, 0);
        let gone = set_status(&app, &code, "new", None).await.unwrap_err();
        assert!(matches!(gone, DeskError::NotFound(_)), "a closed request is no longer open");
    }
}
