//! Writes made together in as few round trips as each database allows. On PostgreSQL they go as
//! one statement, each write a part of one `WITH`: a handling pass ends with four or five writes,
//! and there every statement is a round trip. On SQLite, where a statement costs none, each goes
//! as it is.
//!
//! The parts of one PostgreSQL statement all see the database as it was before the statement
//! began, and run in no set order. So the writes made together must touch different rows and
//! must not need each other's effects; a write whose rows must come after another's (ids handed
//! out in order) goes after it, not with it.

use sqlx::any::AnyArguments;

use super::{Backend, Conn, StoreError};

/// Builds one write: adds its values to `args`, numbering its placeholders after those already
/// there, and returns its statement; or `None`, adding nothing, when there is nothing to write.
pub(crate) trait Write:
    FnOnce(&mut AnyArguments) -> Result<Option<String>, StoreError>
{
}
impl<F: FnOnce(&mut AnyArguments) -> Result<Option<String>, StoreError>> Write for F {}

pub struct Together {
    backend: Backend,
    /// On PostgreSQL, the values of every part, in turn.
    shared: AnyArguments,
    /// Each part's statement, and on SQLite its own values.
    parts: Vec<(String, AnyArguments)>,
}

impl Together {
    pub fn new(backend: Backend) -> Together {
        Together {
            backend,
            shared: AnyArguments::default(),
            parts: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, write: impl Write) -> Result<(), StoreError> {
        let mut own = AnyArguments::default();
        let args = match self.backend {
            Backend::Postgres => &mut self.shared,
            Backend::Sqlite => &mut own,
        };
        if let Some(sql) = write(args)? {
            self.parts.push((sql, own));
        }
        Ok(())
    }

    pub async fn run(mut self, conn: &mut Conn) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            for (sql, args) in self.parts {
                sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
                    .execute(&mut *conn)
                    .await?;
            }
            return Ok(());
        }
        let Some((last, _)) = self.parts.pop() else {
            return Ok(());
        };
        let sql = if self.parts.is_empty() {
            last
        } else {
            let before: Vec<String> = self
                .parts
                .iter()
                .enumerate()
                .map(|(i, (part, _))| format!("w{i} AS ({part})"))
                .collect();
            format!("WITH {} {last}", before.join(", "))
        };
        sqlx::query_with(sqlx::AssertSqlSafe(sql), self.shared)
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// Makes one write on its own.
pub(crate) async fn write(conn: &mut Conn, write: impl Write) -> Result<(), StoreError> {
    let mut together = Together::new(super::backend_of(conn));
    together.add(write)?;
    together.run(conn).await
}
