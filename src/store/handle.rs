//! `Store`: the one handle the app passes around (`Arc<dyn Store>`), every role of the store in
//! one object, and `connect`, which picks the backend by the URL's scheme.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use sqlx::{Postgres, Sqlite};
use uuid::Uuid;

use super::assets::AssetStore;
use super::events::EventLog;
use super::flows::FlowStore;
use super::imports::ImportStore;
use super::postgres::PgStore;
use super::queue::RunQueue;
use super::records::FlowRecord;
use super::scope::{StoreResult, TenantScope};
use super::sqlite::SqliteStore;

/// The database: every role's methods (callable on `dyn Store` without importing the role's
/// trait) and what concerns the whole of it.
#[async_trait]
pub trait Store: FlowStore + ImportStore + AssetStore + RunQueue + EventLog + Send + Sync + 'static {
    /// "postgres" or "sqlite", for logs and `/ready`.
    fn backend(&self) -> &'static str;
    async fn migrate(&self) -> StoreResult<()>;
    /// The database answers; and whether row-level security holds this process's queries
    /// (PostgreSQL: not when they run as a superuser or a BYPASSRLS role), `None` for SQLite.
    async fn ping(&self) -> StoreResult<Option<bool>>;
    /// Statements run outside write transactions since start (the N+1 test reads it).
    fn read_statements(&self) -> u64;
}

impl dyn Store {
    pub async fn get_flow(&self, scope: &TenantScope, id: Uuid) -> StoreResult<Option<FlowRecord>> {
        Ok(self.get_flows(scope, &[id]).await?.pop())
    }
}

/// Opens (creating a SQLite file if needed) the database the URL names and runs its migrations.
pub async fn connect(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(PgStore::connect(url).await?)
    } else if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url).await?)
    } else {
        anyhow::bail!("unsupported database URL: expected postgres://… or sqlite:…");
    };
    store.migrate().await?;
    Ok(store)
}

macro_rules! impl_store {
    ($store:ident, $db:ident) => {
        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                Self::BACKEND
            }

            async fn migrate(&self) -> StoreResult<()> {
                self.run_migrations().await?;
                Ok(())
            }

            async fn ping(&self) -> StoreResult<Option<bool>> {
                Ok(self.row_security().await?)
            }

            fn read_statements(&self) -> u64 {
                self.reads.load(Ordering::Relaxed)
            }
        }

        impl $store {
            /// A read unit's connection, counting the statement about to run on it.
            pub(super) fn counted<'c>(
                &self,
                tx: &'c mut sqlx::Transaction<'static, $db>,
            ) -> &'c mut <$db as sqlx::Database>::Connection {
                self.reads.fetch_add(1, Ordering::Relaxed);
                &mut **tx
            }
        }
    };
}

for_both_backends!(impl_store);
