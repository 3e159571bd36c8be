//! A scratch database for one test or benchmark run: a fresh SQLite file, or a fresh PostgreSQL
//! database (made under AIDLINE_TEST_POSTGRES_URL, dropped afterwards).

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection, Executor};

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database of the test's own, removed afterwards.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_from: Option<(String, String)>,
}

impl TestDb {
    /// `None` when PostgreSQL is not configured on a developer's machine (said loudly); in CI a
    /// missing PostgreSQL fails the test instead.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/aidline.db", dir.path().display());
                Some(TestDb {
                    url,
                    _dir: Some(dir),
                    drop_from: None,
                })
            }
            Backend::Postgres => {
                let Ok(admin) = std::env::var("AIDLINE_TEST_POSTGRES_URL") else {
                    if std::env::var_os("CI").is_some() {
                        panic!("CI must run the PostgreSQL tests: set AIDLINE_TEST_POSTGRES_URL");
                    }
                    eprintln!(
                        "SKIPPED on PostgreSQL: set AIDLINE_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run it"
                    );
                    return None;
                };
                sqlx::any::install_default_drivers();
                static NEXT: AtomicU64 = AtomicU64::new(0);
                let name = format!(
                    "aidline_test_{}_{}_{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed),
                    rand::random::<u32>()
                );
                let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .unwrap();
                let mut url = reqwest::Url::parse(&admin).unwrap();
                url.set_path(&format!("/{name}"));
                Some(TestDb {
                    url: url.to_string(),
                    _dir: None,
                    drop_from: Some((admin, name)),
                })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.drop_from.take() else {
            return;
        };
        // Drop runs outside async code, so the clean-up gets a small runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = conn.execute(sqlx::AssertSqlSafe(sql)).await;
                }
            });
        })
        .join();
    }
}
