//! Throwaway databases for the integration tests: a SQLite file, or a PostgreSQL database with a
//! random name created on TEST_DATABASE_URL's server. Each is removed when dropped, so also when
//! the test fails. Test binaries are crates of their own: each includes this file with
//! `#[path = "…/common/scratch_db.rs"] mod scratch_db;` (a folder without main.rs is no test target).

// Each test binary uses a part of it.
#![allow(dead_code)]

use std::path::PathBuf;

use sqlx::Connection;
use uuid::Uuid;

/// TEST_DATABASE_URL when it is set and not empty: the server for the PostgreSQL runs, which are
/// skipped without it.
pub fn admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

/// A PostgreSQL database of its own, dropped (WITH (FORCE)) when this is.
pub struct ScratchPg {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl ScratchPg {
    /// A new database `{prefix}_{random}` on TEST_DATABASE_URL's server; `None` without it.
    pub async fn create(prefix: &str) -> Option<ScratchPg> {
        Some(ScratchPg::create_on(&admin_url()?, prefix).await)
    }

    /// A new database `{prefix}_{random}` on the server of `admin_url`.
    pub async fn create_on(admin_url: &str, prefix: &str) -> ScratchPg {
        let name = format!("{prefix}_{}", Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .expect("TEST_DATABASE_URL connects");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let (server, _) = admin_url.rsplit_once('/').expect("a database URL has a path");
        ScratchPg {
            admin_url: admin_url.to_string(),
            url: format!("{server}/{name}"),
            name,
        }
    }
}

impl Drop for ScratchPg {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop may run inside the test's runtime, which cannot be blocked on: the async clean-up
        // gets a thread and a runtime of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
            })
        })
        .join();
    }
}

/// A SQLite file in the temporary folder (not created here: SQLite needs no set-up), removed
/// with its -wal and -shm files when this is dropped.
pub struct ScratchSqlite {
    pub path: PathBuf,
    pub url: String,
}

impl ScratchSqlite {
    pub fn new(prefix: &str) -> ScratchSqlite {
        let path = std::env::temp_dir().join(format!("{prefix}-{}.db", Uuid::new_v4().simple()));
        ScratchSqlite {
            url: format!("sqlite://{}", path.display()),
            path,
        }
    }
}

impl Drop for ScratchSqlite {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

/// Either kind.
pub enum ScratchDb {
    Sqlite(ScratchSqlite),
    Postgres(ScratchPg),
}

impl ScratchDb {
    pub fn sqlite(prefix: &str) -> ScratchDb {
        ScratchDb::Sqlite(ScratchSqlite::new(prefix))
    }

    /// `None` without TEST_DATABASE_URL.
    pub async fn postgres(prefix: &str) -> Option<ScratchDb> {
        ScratchPg::create(prefix).await.map(ScratchDb::Postgres)
    }

    pub fn url(&self) -> &str {
        match self {
            ScratchDb::Sqlite(db) => &db.url,
            ScratchDb::Postgres(db) => &db.url,
        }
    }

    /// Runs `sql` (one statement or several) on a connection of its own, for what no API may do
    /// (expire a lease, install a faulty trigger, say).
    pub async fn execute(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self {
            ScratchDb::Sqlite(db) => {
                let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
            }
            ScratchDb::Postgres(db) => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
            }
        }
    }
}
