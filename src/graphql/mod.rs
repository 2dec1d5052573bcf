//! The GraphQL API: thin resolvers over the orchestrator. No SQL here.

mod enums;
mod loaders;
mod mutation;
mod query;
mod results;
mod subscription;
mod types;

use std::sync::Arc;

use async_graphql::{Context, ID, Schema};
use uuid::Uuid;

use crate::auth::{Authentication, RequestContext};
use crate::error::{AppError, AppResult};
use crate::orchestrator::MasterFlowOrchestrator;

pub use loaders::loaders;
pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use subscription::SubscriptionRoot;

pub type FlowgraphSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

pub fn build_schema(orchestrator: Arc<MasterFlowOrchestrator>) -> FlowgraphSchema {
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .data(orchestrator)
        .finish()
}

/// The SDL the code defines; `schema.graphql` is this text.
pub fn sdl() -> String {
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot).finish().sdl()
}

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

/// Errors raised before execution (syntax, validation, argument coercion) carry no code of ours;
/// they are all the client's input.
pub fn tag_uncoded_errors(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_USER_INPUT");
        }
    }
}
