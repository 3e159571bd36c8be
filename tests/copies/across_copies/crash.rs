//! Two copies under load on one PostgreSQL database, one killed and started again.

use crate::crash::{kill_mid_load, setup};
use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_killed_mid_load_loses_no_text_and_repeats_only_what_it_was_sending() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let service = Service::start(db, setup(), 2).await;
    kill_mid_load(&service, 0).await;
}
