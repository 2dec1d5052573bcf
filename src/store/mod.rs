//! Persistence: a PostgreSQL and a SQLite implementation chosen by the URL's scheme, behind one
//! `Store` handle (`Arc<dyn Store>`) made of role traits, each in its own file with its impl for
//! both databases: `FlowStore` (flows.rs), `ImportStore` (imports.rs), `AssetStore` (assets.rs),
//! `RunQueue` (queue.rs) and `EventLog` (events.rs). All SQL in flowgraph lives under this
//! folder, each statement written once for both databases (sql.rs tells how).

// First, so its macros are in scope for every file after it.
#[macro_use]
mod sql;
mod assets;
mod bulk;
mod events;
mod flows;
mod handle;
mod imports;
pub mod legacy;
mod output;
mod postgres;
mod queue;
mod records;
mod scope;
mod sqlite;

pub use assets::AssetStore;
pub use events::EventLog;
pub use flows::FlowStore;
pub use handle::{Store, connect};
pub use imports::ImportStore;
pub use postgres::PgStore;
pub use queue::RunQueue;
pub use records::*;
pub use scope::{StoreError, StoreResult, TenantScope, UPLOAD_CHUNK};
pub use sqlite::SqliteStore;
