//! One copy on a SQLite file, killed mid-load and started again on the same file.

use crate::crash::{kill_mid_load, setup};
use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_on_sqlite_killed_mid_load_loses_no_text_and_repeats_only_what_it_was_sending() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let service = Service::start(db, setup(), 1).await;
    kill_mid_load(&service, 0).await;
}
