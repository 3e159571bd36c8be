//! The database: one pool that speaks to SQLite or PostgreSQL, the migrations for each, and the
//! queries, grouped by the table they own.
//!
//! Queries are written once with `$1` placeholders (both drivers accept them) and run through sqlx's
//! `Any` driver. Every query function takes a `&mut AnyConnection`, so callers compose several into
//! one transaction.

pub mod attempts;
pub mod audit;
pub mod blocks;
pub mod calls;
pub mod code_misses;
pub mod contacts;
pub mod erasure;
pub mod history;
pub mod inbound;
pub mod limits;
pub mod offers;
pub mod outbound;
pub mod pacing;
pub mod parts;
pub mod personal;
pub mod problems;
pub mod provider_copies;
pub mod purge;
pub mod queue;
pub mod recordings;
pub mod relay_stops;
pub mod requests;
pub mod sessions;
pub mod sheets;
pub mod stats;
pub mod timers;
pub mod together;
pub mod tokens;
pub mod users;
pub mod volunteers;
pub mod waiting;

use std::str::FromStr;
use std::time::Duration;

use sqlx::Arguments;
use sqlx::any::{AnyArguments, AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

pub type Conn = AnyConnection;
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A change the rules forbid (a move from an ended request); nothing was written.
    #[error("not allowed: {0}")]
    NotAllowed(String),
    /// Other statements kept changing what this one needed, however often it was tried.
    #[error("contended: {0}")]
    Contended(String),
}

impl StoreError {
    /// Whether the database could not be reached at all (down, cut off, out of connections, or
    /// a SQLite file another process holds locked), as opposed to refusing what was asked. Such
    /// a failure is worth trying again shortly; a constraint violation or a bad query is not.
    pub fn is_unreachable(&self) -> bool {
        match self {
            StoreError::Sqlx(e) => sqlx_unreachable(e),
            _ => false,
        }
    }
}

fn sqlx_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => {
            if let Some(pg) = e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                // Class 08 is the connection failing; 57P01-57P03 a server shutting down or
                // starting up; 53300 no connection slot left.
                let code = pg.code();
                code.starts_with("08") || code.starts_with("57P0") || code == "53300"
            } else if e.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLITE_BUSY and SQLITE_LOCKED (with their extended codes): another
                // connection kept the file locked past the busy timeout.
                let code = e.code().and_then(|c| c.parse::<i32>().ok());
                code.is_some_and(|c| matches!(c & 0xff, 5 | 6))
            } else {
                false
            }
        }
        _ => false,
    }
}

/// `$first, $first+1, …` for an `IN (…)` list of `count` values.
pub(crate) fn value_list(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($first, …), (…)` for `rows` rows of `cols` values each. Bound values carry their types, so
/// PostgreSQL needs no casts even inside a bare `VALUES`.
pub(crate) fn value_rows(first: usize, rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", value_list(first + r * cols, cols)))
        .collect::<Vec<_>>()
        .join(", ")
}

// Statements over a batch are built for its size. Left alone, every batch size would be a
// statement of its own, and the prepared-statement cache (100 per connection) would churn. So
// lists take power-of-two sizes only: padded where a repeat is harmless (IN lists, updates from
// VALUES), split where it is not (inserts).

/// `items` padded to the next power of two by repeating the last one.
pub(crate) fn padded<T: Clone>(items: &[T]) -> Vec<T> {
    let mut out = items.to_vec();
    if let Some(last) = items.last() {
        out.resize(items.len().next_power_of_two(), last.clone());
    }
    out
}

/// Adds `value` to `args`, as the next placeholder.
pub(crate) fn add<'t, T>(args: &mut AnyArguments, value: T) -> Result<(), StoreError>
where
    T: sqlx::Encode<'t, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    args.add(value).map_err(sqlx::Error::Encode)?;
    Ok(())
}

/// Adds `ids` (padded) to `args` and returns the placeholders of their `IN (…)` list, numbered
/// after whatever `args` already holds.
pub(crate) fn in_list(args: &mut AnyArguments, ids: &[i64]) -> Result<String, StoreError> {
    let first = args.len() + 1;
    let ids = padded(ids);
    for id in &ids {
        args.add(*id).map_err(sqlx::Error::Encode)?;
    }
    Ok(value_list(first, ids.len()))
}

/// `items` in chunks whose sizes are powers of two, largest first (37 → 32, 4, 1), at most 64.
pub(crate) fn pow2_chunks<T>(mut items: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if items.is_empty() {
            return None;
        }
        let size = (1usize << items.len().ilog2()).min(64);
        let (chunk, rest) = items.split_at(size);
        items = rest;
        Some(chunk)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Which database `conn` speaks to, for the few statements written for each.
pub(crate) fn backend_of(conn: &Conn) -> Backend {
    if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// How long a query waits for a connection before the database counts as unreachable. A webhook
/// may wait twice in a row (to check the sender, then to store the text) and must still answer
/// well inside the 15 seconds a provider such as Twilio waits: a late answer counts as lost,
/// while a prompt 503 is retried.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How often the SQLite write-ahead log is copied back into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// How many times emptying the log after a forgetting is tried before it is left to the next.
const FLUSH_TRIES: usize = 50;

/// Copies the write-ahead log into the database file from a connection of its own, so the copy
/// and its fsync never stall the writer (SQLite would otherwise do it inside a commit).
async fn checkpoint_in_background(mut conn: AnyConnection, pool: AnyPool) {
    while !pool.is_closed() {
        tokio::time::sleep(CHECKPOINT_INTERVAL).await;
        if let Err(e) = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::warn!(error = %e, "SQLite checkpoint failed; will try again");
        }
    }
    let _ = conn.close().await;
}

/// Connections on PostgreSQL for work that a crash of the database can only make happen again
/// (see [`Db::for_repeatable_work`]).
const REPEATABLE_WORK_CONNECTIONS: u32 = 4;

/// A PostgreSQL connection idle this long is asked whether it still works before it is used.
/// One in steady use is not: the question is a round trip, by default paid before every use.
/// A connection that broke while in steady use fails its next query (a webhook then answers 503
/// and is retried), and the pool drops it when it comes back, since the pool asks every
/// connection returned to it anyway.
const PING_IDLE_AFTER: Duration = Duration::from_secs(5);

fn postgres_pool_options() -> AnyPoolOptions {
    AnyPoolOptions::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IDLE_AFTER {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// The pool [`Db::for_repeatable_work`] hands out: on SQLite the same one (one writer).
    repeatable: AnyPool,
    backend: Backend,
}

impl Db {
    /// Opens the database named by `url`, creating a SQLite file on first use.
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let pool = match backend {
            Backend::Sqlite => {
                let in_memory = url.contains(":memory:");
                let url = if url.contains('?') || in_memory {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                };
                // SQLite takes one writer at a time. One connection makes that queue explicit and
                // fair, instead of writers spinning in SQLite's busy handler.
                let pool = AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    // An in-memory database lives as long as its connection: never let it go.
                    .min_connections(u32::from(in_memory))
                    .idle_timeout(None)
                    .max_lifetime(None)
                    // secure_delete: a deleted row is overwritten with zeros rather than left in
                    // a free page, so a forgotten number cannot be read back from the file.
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                                 PRAGMA wal_autocheckpoint = 0; PRAGMA secure_delete = ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(AnyConnectOptions::from_str(&url)?)
                    .await?;
                if !in_memory {
                    let checkpointer = AnyConnection::connect(&url).await?;
                    tokio::spawn(checkpoint_in_background(checkpointer, pool.clone()));
                }
                pool
            }
            Backend::Postgres => {
                let pool = postgres_pool_options()
                    .max_connections(16)
                    .connect(url)
                    .await?;
                let repeatable = postgres_pool_options()
                    .max_connections(REPEATABLE_WORK_CONNECTIONS)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("SET synchronous_commit = off").await?;
                            Ok(())
                        })
                    })
                    .connect_lazy(url)?;
                return Ok(Db {
                    pool,
                    repeatable,
                    backend,
                });
            }
        };
        Ok(Db {
            repeatable: pool.clone(),
            pool,
            backend,
        })
    }

    /// The same database, for work that a crash of the database itself could only make happen
    /// again, never undo unnoticed: the outbox's leases and its record of what was sent (lost,
    /// the text is sent again, as one whose send was in flight is). On PostgreSQL its commits
    /// do not wait for the disk, which on a busy line is much of what a commit costs; what a
    /// commit made is seen by every other connection at once either way. Everything a webhook is
    /// answered for, and every change a person made, still waits for the disk.
    pub fn for_repeatable_work(&self) -> Db {
        Db {
            pool: self.repeatable.clone(),
            repeatable: self.repeatable.clone(),
            backend: self.backend,
        }
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(self.pool.begin().await?)
    }

    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    /// Writes a consistent copy of a SQLite database to `file` while the service keeps running
    /// (`VACUUM INTO` reads one snapshot, so texts arriving meanwhile wait for nothing and are in
    /// the next backup). A file already there is not overwritten: yesterday's backup is not
    /// lost to a typo. PostgreSQL is backed up with its own tools (docs/operations.md).
    pub async fn backup_to(&self, file: &std::path::Path) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            return Err(StoreError::NotAllowed(
                "a PostgreSQL database is backed up with pg_dump: pg_dump --format=custom --file=FILE DATABASE_URL".into(),
            ));
        }
        if file.exists() {
            return Err(StoreError::NotAllowed(format!(
                "{} exists already; name a new file",
                file.display()
            )));
        }
        let path = file.to_str().ok_or_else(|| {
            StoreError::NotAllowed("name the backup file in plain characters".into())
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// After a forgetting: SQLite copies the log into the database file and empties the log, so
    /// the forgotten rows' old versions are in neither file (PostgreSQL keeps dead rows until
    /// VACUUM; docs/privacy.md says what to run).
    pub async fn flush_erased(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            return Ok(());
        }
        // A checkpoint cannot empty the log while another connection (the background
        // checkpointer, or another process on the same file) is reading it: try again shortly.
        for _ in 0..FLUSH_TRIES {
            let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await?;
            if busy == 0 {
                return Ok(());
            }
            tokio::time::sleep(CHECKPOINT_INTERVAL / 10).await;
        }
        tracing::warn!("the SQLite log could not be emptied after a forgetting; the next one will");
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.repeatable.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_take_power_of_two_shapes() {
        assert_eq!(padded(&[1, 2, 3]), vec![1, 2, 3, 3]);
        assert_eq!(padded(&[7]), vec![7]);
        assert!(padded::<i64>(&[]).is_empty());
        let sizes: Vec<usize> = pow2_chunks(&[0; 37]).map(<[i32]>::len).collect();
        assert_eq!(sizes, vec![32, 4, 1]);
        let sizes: Vec<usize> = pow2_chunks(&[0; 130]).map(<[i32]>::len).collect();
        assert_eq!(sizes, vec![64, 64, 2]);
        assert_eq!(value_list(3, 2), "$3, $4");
        assert_eq!(value_rows(2, 2, 2), "($2, $3), ($4, $5)");
    }
}
