//! Persistence (`--data-dir`): the emulator's state in an SQLite database,
//! so that everything it acknowledged survives a crash and a restart.
//!
//! Why SQLite (through rusqlite, SQLite compiled in): one file, atomic
//! transactions, crash safety proven over decades, readable with any SQLite
//! tool, and no server. The database runs in WAL mode with
//! `synchronous=NORMAL`: a transaction is in the operating system's hands
//! when it commits, so a killed emulator process (`kill -9`) loses nothing
//! it acknowledged; only a power cut may lose the latest commits.
//!
//! Rows hold JSON documents keyed by id; what they mean belongs to the
//! modules that write them (users: [`crate::identity_store`], threads and
//! messages: the chat store, event subscriptions: [`crate::events`]). Every
//! write is a transaction committed before the request is answered.
//!
//! Opening checks the file: not an SQLite database, corrupted, written by a
//! newer schema, or belonging to another resource (another access key) are
//! each a clear [`PersistError`], never a silent reset.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use crate::sync::lock;

/// The schema this build writes and reads.
const SCHEMA_VERSION: &str = "1";

/// Why the data directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// The directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a usable SQLite database (corrupted, or another kind
    /// of file).
    #[error("{path} is not a usable emulator database ({reason}); move it away to start afresh")]
    Unusable {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        reason: String,
    },
    /// The database belongs to another resource (another access key).
    #[error("{path} belongs to resource {found}, not {expected} (another access key); use another --data-dir or the key it was made with")]
    ForeignResource {
        /// The database file.
        path: PathBuf,
        /// The resource this emulator serves.
        expected: String,
        /// The resource the database holds.
        found: String,
    },
    /// The database was written by a newer emulator.
    #[error("{path} has schema version {found}; this emulator reads version {SCHEMA_VERSION}")]
    Schema {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: String,
    },
    /// A read or write failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// One resource's database.
pub struct Database {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.path)
            .finish()
    }
}

/// A document table: `(key, json)` rows, or `(key, seq, json)` for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Users, by id.
    Users,
    /// Thread headers (everything but messages), by thread id.
    Threads,
    /// `repeatability-request-id` results, by creator and request id.
    Repeatability,
    /// Event subscriptions, by id.
    Subscriptions,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Users => "users",
            Table::Threads => "threads",
            Table::Repeatability => "repeatability",
            Table::Subscriptions => "subscriptions",
        }
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (key TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS threads (key TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    thread TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL,
    PRIMARY KEY (thread, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS repeatability (key TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (key TEXT PRIMARY KEY, json TEXT NOT NULL);
";

impl Database {
    /// Opens (or creates) `file` in `dir` for the resource `resource_id`.
    pub fn open(dir: &Path, file: &str, resource_id: &str) -> Result<Self, PersistError> {
        std::fs::create_dir_all(dir).map_err(|source| PersistError::Directory {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join(file);
        let unusable = |err: rusqlite::Error| PersistError::Unusable {
            path: path.clone(),
            reason: err.to_string(),
        };
        let connection = Connection::open(&path).map_err(unusable)?;
        let check: String = connection
            .query_row("PRAGMA quick_check", [], |row| row.get(0))
            .map_err(unusable)?;
        if check != "ok" {
            return Err(PersistError::Unusable {
                path,
                reason: check,
            });
        }
        connection
            .execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
            .map_err(unusable)?;
        connection.execute_batch(SCHEMA).map_err(unusable)?;
        let meta = |key: &str| -> Result<Option<String>, rusqlite::Error> {
            connection
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                    row.get(0)
                })
                .optional()
        };
        match meta("schema")? {
            None => {
                connection.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', ?1), ('resource', ?2)",
                    params![SCHEMA_VERSION, resource_id],
                )?;
            }
            Some(found) if found != SCHEMA_VERSION => {
                return Err(PersistError::Schema { path, found });
            }
            Some(_) => {}
        }
        match meta("resource")? {
            Some(found) if found == resource_id => {}
            found => {
                return Err(PersistError::ForeignResource {
                    path,
                    expected: resource_id.to_owned(),
                    found: found.unwrap_or_else(|| "(none)".to_owned()),
                })
            }
        }
        Ok(Self {
            path,
            connection: Mutex::new(connection),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes (or replaces) one document.
    pub fn put(&self, table: Table, key: &str, json: &str) -> Result<(), PersistError> {
        let connection = lock(&self.connection);
        connection.execute(
            &format!(
                "INSERT OR REPLACE INTO {} (key, json) VALUES (?1, ?2)",
                table.name()
            ),
            params![key, json],
        )?;
        Ok(())
    }

    /// Removes one document (and, for a thread, its messages).
    pub fn delete(&self, table: Table, key: &str) -> Result<(), PersistError> {
        let mut connection = lock(&self.connection);
        let tx = connection.transaction()?;
        tx.execute(
            &format!("DELETE FROM {} WHERE key = ?1", table.name()),
            [key],
        )?;
        if table == Table::Threads {
            tx.execute("DELETE FROM messages WHERE thread = ?1", [key])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every document of `table`, as `(key, json)`.
    pub fn all(&self, table: Table) -> Result<Vec<(String, String)>, PersistError> {
        let connection = lock(&self.connection);
        let mut statement = connection.prepare(&format!(
            "SELECT key, json FROM {} ORDER BY key",
            table.name()
        ))?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Writes a thread's header (when given), the given messages (by
    /// sequence number) and one more document (when given: the
    /// `repeatability-request-id` record of a new thread) in one
    /// transaction.
    pub fn put_thread(
        &self,
        thread: &str,
        header: Option<&str>,
        messages: &[(u64, String)],
        also: Option<(Table, &str, &str)>,
    ) -> Result<(), PersistError> {
        let mut connection = lock(&self.connection);
        let tx = connection.transaction()?;
        if let Some((table, key, json)) = also {
            tx.execute(
                &format!(
                    "INSERT OR REPLACE INTO {} (key, json) VALUES (?1, ?2)",
                    table.name()
                ),
                params![key, json],
            )?;
        }
        if let Some(header) = header {
            tx.prepare_cached("INSERT OR REPLACE INTO threads (key, json) VALUES (?1, ?2)")?
                .execute(params![thread, header])?;
        }
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO messages (thread, seq, json) VALUES (?1, ?2, ?3)",
            )?;
            for (seq, json) in messages {
                // Sequence numbers start at 1 and stay far below i64::MAX.
                let seq = i64::try_from(*seq).unwrap_or(i64::MAX);
                insert.execute(params![thread, seq, json])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// A thread's messages, in sequence order.
    pub fn messages(&self, thread: &str) -> Result<Vec<String>, PersistError> {
        let connection = lock(&self.connection);
        let mut statement = connection
            .prepare_cached("SELECT json FROM messages WHERE thread = ?1 ORDER BY seq")?;
        let rows = statement.query_map([thread], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Removes every document (`POST /admin/reset`).
    pub fn clear(&self) -> Result<(), PersistError> {
        lock(&self.connection).execute_batch(
            "BEGIN; DELETE FROM users; DELETE FROM threads; DELETE FROM messages;
             DELETE FROM repeatability; DELETE FROM subscriptions; COMMIT;",
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "acs-emulator-persist-{name}-{}",
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn documents_survive_reopening() {
        let dir = temp_dir("reopen");
        {
            let db = Database::open(&dir, "db.sqlite3", "r1").expect("opens");
            db.put(Table::Users, "u1", r#"{"id":"u1"}"#).expect("put");
            db.put_thread(
                "t1",
                Some("{}"),
                &[(1, "m1".into()), (2, "m2".into())],
                None,
            )
            .expect("thread");
        }
        let db = Database::open(&dir, "db.sqlite3", "r1").expect("reopens");
        assert_eq!(
            db.all(Table::Users).expect("users"),
            [("u1".to_owned(), r#"{"id":"u1"}"#.to_owned())]
        );
        assert_eq!(db.messages("t1").expect("messages"), ["m1", "m2"]);
        db.delete(Table::Threads, "t1").expect("delete");
        assert!(db.messages("t1").expect("messages").is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn foreign_and_corrupted_files_are_refused() {
        let dir = temp_dir("refuse");
        drop(Database::open(&dir, "db.sqlite3", "r1").expect("opens"));
        let foreign = Database::open(&dir, "db.sqlite3", "r2").expect_err("another resource");
        assert!(
            matches!(foreign, PersistError::ForeignResource { .. }),
            "{foreign}"
        );
        std::fs::write(
            dir.join("junk.sqlite3"),
            b"this is not a database, just text".repeat(200),
        )
        .expect("write");
        let junk = Database::open(&dir, "junk.sqlite3", "r1").expect_err("not a database");
        assert!(matches!(junk, PersistError::Unusable { .. }), "{junk}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
