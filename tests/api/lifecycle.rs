//! A request's status and history are read strictly and moved only as the rules allow, on both
//! databases.

use aidline::lifecycle::RequestStatus;
use aidline::store::StoreError;
use aidline::store::requests;

use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::filed;

on_both_databases! {
    async fn a_status_the_code_does_not_know_is_an_error_not_a_guess(db) {
        let app = TestApp::spawn(db).await;
        let code = filed(&app, "+15557680001", "groceries", "northside", 0).await;
        sqlx::query("UPDATE requests SET status = 'lost_in_the_post' WHERE code = $1")
            .bind(&code).execute(app.db.pool()).await.unwrap();
        let mut conn = app.db.acquire().await.unwrap();
        let read = requests::open_by_code(&mut conn, &code).await;
        let e = read.expect_err("an unknown status is not read as any other");
        assert!(e.to_string().contains("lost_in_the_post"), "{e}");
    }

    async fn an_ended_request_is_not_moved_again(db) {
        let app = TestApp::spawn(db).await;
        let code = filed(&app, "+15557680002", "groceries", "northside", 0).await;
        let mut conn = app.db.acquire().await.unwrap();
        let id = requests::open_by_code(&mut conn, &code).await.unwrap().unwrap().id;
        requests::set_status(&mut conn, id, RequestStatus::Cancelled, "neighbour", None, 1).await.unwrap();
        let late = requests::set_status(&mut conn, id, RequestStatus::Failed, "dispatch", Some("late"), 2).await;
        assert!(matches!(late, Err(StoreError::NotAllowed(_))), "{late:?}");
        let delivered = requests::set_status(&mut conn, id, RequestStatus::Delivered, "dispatch", None, 3).await;
        assert!(delivered.is_err());
        let request = requests::by_id(&mut conn, id).await.unwrap().unwrap();
        assert_eq!(request.status, RequestStatus::Cancelled);
    }
}
