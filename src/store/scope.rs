//! Whose rows a unit of work touches, and what the store answers when it cannot.

use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An optimistic-concurrency check failed: someone else wrote the row first.
    #[error("concurrent update")]
    Conflict,
    #[error("row not found")]
    NotFound,
    /// A worker's lease on a run was taken over by another worker.
    #[error("the run's lease was lost")]
    LeaseLost,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Bytes per stored chunk of an uploaded file.
pub const UPLOAD_CHUNK: usize = 1 << 20;

/// Whose rows a transaction may touch. On PostgreSQL it becomes a transaction-local setting that
/// the row-level security policies read (migrations/postgres/0005), a second wall behind every
/// query's own tenant filter; SQLite has no such wall.
#[derive(Debug, Clone, Copy)]
pub(super) enum Unit {
    /// Serving one client account: only its rows are visible or writable.
    Tenant(Uuid),
    /// Workers, the event pump and the legacy importer, which serve every tenant by design.
    System,
}

/// The tenant a unit of work belongs to; every query filters on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantScope {
    pub client_account_id: Uuid,
    /// `None`: every engagement of the client account.
    pub engagement_id: Option<Uuid>,
}

impl TenantScope {
    /// The unit of work serving this tenant.
    pub(super) fn unit(&self) -> Unit {
        Unit::Tenant(self.client_account_id)
    }
}
