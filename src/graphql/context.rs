//! What resolvers take from the request's context: the orchestrator, the caller, and ids.

use std::sync::Arc;

use async_graphql::{Context, ID};
use uuid::Uuid;

use crate::auth::{Authentication, RequestContext};
use crate::error::{AppError, AppResult};
use crate::orchestrator::MasterFlowOrchestrator;

pub(crate) fn orchestrator<'a>(ctx: &Context<'a>) -> &'a Arc<MasterFlowOrchestrator> {
    ctx.data_unchecked::<Arc<MasterFlowOrchestrator>>()
}

/// The caller, or `UNAUTHENTICATED`.
pub(crate) fn caller<'a>(ctx: &Context<'a>) -> AppResult<&'a RequestContext> {
    match ctx.data_opt::<Authentication>() {
        Some(auth) => auth.context(),
        None => Authentication::Missing.context(),
    }
}

pub(crate) fn parse_id(id: &ID) -> AppResult<Uuid> {
    Uuid::parse_str(id)
        .map_err(|_| AppError::bad_input(format!("`{}` is not a valid id (expected a UUID)", id.as_str())))
}
