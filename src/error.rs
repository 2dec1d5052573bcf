//! One error type for every layer above the store. It knows its GraphQL `extensions.code` and its
//! HTTP status; internal details are logged here and never reach a client.

use async_graphql::ErrorExtensions;
use axum::http::StatusCode;

use crate::store::StoreError;

///
/// It deliberately has no `Display`: async-graphql converts any `Display` type into an error
/// without extensions, so with one a stray `?` would silently drop the code.
#[derive(Debug)]
pub enum AppError {
    BadInput(String),
    Unauthenticated(String),
    Forbidden(String),
    NotFound(String),
    Conflict(String),
    /// The database is unreachable: a clear, retryable answer (code INTERNAL, HTTP 503).
    Unavailable(anyhow::Error),
    Internal(anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadInput(_) => "BAD_USER_INPUT",
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Conflict(_) => "CONFLICT",
            AppError::Internal(_) | AppError::Unavailable(_) => "INTERNAL",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadInput(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told.
    pub fn message(&self) -> &str {
        match self {
            AppError::BadInput(m)
            | AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m) => m,
            AppError::Unavailable(_) => "the database is unavailable; retry shortly",
            AppError::Internal(_) => "internal server error",
        }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        AppError::BadInput(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict(message.into())
    }

    pub fn flow_not_found() -> Self {
        AppError::NotFound("flow not found".into())
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => {
                AppError::Conflict("the flow was changed by another request; read it again and retry".into())
            }
            StoreError::NotFound => AppError::NotFound("not found".into()),
            StoreError::LeaseLost => AppError::Conflict("another worker took the run over".into()),
            StoreError::Database(db) if unreachable(&db) => AppError::Unavailable(db.into()),
            other => AppError::Internal(other.into()),
        }
    }
}

/// The database cannot be reached right now (down, restarting, pool exhausted).
fn unreachable(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_)
    ) || matches!(err, sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("57P") || c.starts_with("08")))
}

/// Whether an error, or one of its causes, is the database being unreachable.
pub fn database_unreachable(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<sqlx::Error>().is_some_and(unreachable)
            || matches!(cause.downcast_ref::<StoreError>(), Some(StoreError::Database(db)) if unreachable(db))
    })
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        AppError::Internal(err)
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            // The client gets a generic message; the cause chain goes to the log.
            AppError::Internal(source) => tracing::error!(error = ?source, "internal error"),
            AppError::Unavailable(source) => tracing::warn!(error = %source, "database unavailable"),
            _ => {}
        }
        async_graphql::Error::new(self.message()).extend_with(|_, ext| ext.set("code", self.code()))
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

/// The GraphQL-shaped JSON body for an error answered outside the executor (body too large,
/// unreadable request): clients parse one error format everywhere.
pub fn error_body(message: &str, code: &str) -> serde_json::Value {
    serde_json::json!({ "data": null, "errors": [{ "message": message, "extensions": { "code": code } }] })
}

impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let body = error_body(&self.extend().message, self.code());
        (self.status(), axum::Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_told_from_other_failures() {
        let down = |err: StoreError| database_unreachable(&anyhow::Error::from(err));
        assert!(down(StoreError::Database(sqlx::Error::PoolTimedOut)));
        assert!(down(StoreError::Database(sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused
        )))));
        assert!(database_unreachable(
            &anyhow::Error::from(StoreError::Database(sqlx::Error::PoolClosed)).context("writing a batch")
        ));
        assert!(!down(StoreError::Conflict));
        assert!(!down(StoreError::Database(sqlx::Error::RowNotFound)));
        assert!(!database_unreachable(&anyhow::anyhow!("the batch writer stopped")));
    }
}
