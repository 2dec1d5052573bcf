//! The GraphQL API: thin resolvers over the orchestrator. No SQL here.

mod enums;
mod fanout;
mod loaders;
mod mutation;
mod objects;
mod query;
mod query_gate;
mod subscription;

use std::sync::Arc;

use async_graphql::parser::types::{ExecutableDocument, OperationDefinition};
use async_graphql::{Context, ID, Schema};
use uuid::Uuid;

use crate::auth::{Authentication, RequestContext};
use crate::config::Limits;
use crate::error::{AppError, AppResult};
use crate::orchestrator::MasterFlowOrchestrator;

pub use fanout::{FanOut, SlowSubscriber, from_now};
pub use loaders::{LoadQueue, drive, loaders};
pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use query_gate::QueryGate;
pub use subscription::SubscriptionRoot;

pub type FlowgraphSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

pub fn build_schema(orchestrator: Arc<MasterFlowOrchestrator>, limits: &Limits) -> FlowgraphSchema {
    let builder = Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .data(orchestrator)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(64);
    if limits.introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// Refuses a document with more root fields or aliases than allowed: async-graphql limits depth
/// and complexity, not breadth.
pub fn check_breadth(document: &ExecutableDocument, limits: &Limits) -> Result<(), String> {
    use async_graphql::parser::types::{Selection, SelectionSet};
    fn aliases(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => usize::from(f.node.alias.is_some()) + aliases(&f.node.selection_set.node),
                Selection::InlineFragment(f) => aliases(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let mut total_aliases = document
        .fragments
        .values()
        .map(|f| aliases(&f.node.selection_set.node))
        .sum::<usize>();
    for (_, operation) in document.operations.iter() {
        let roots = operation.node.selection_set.node.items.len();
        if roots > limits.max_root_fields {
            return Err(format!(
                "the operation has {roots} root fields; at most {} are allowed",
                limits.max_root_fields
            ));
        }
        total_aliases += aliases(&operation.node.selection_set.node);
    }
    if total_aliases > limits.max_aliases {
        return Err(format!(
            "the document has {total_aliases} aliases; at most {} are allowed",
            limits.max_aliases
        ));
    }
    Ok(())
}

/// The operation a request runs: the one it names, else the first written.
pub fn chosen_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<(
    Option<&'a async_graphql::Name>,
    &'a async_graphql::Positioned<OperationDefinition>,
)> {
    match operation_name {
        Some(wanted) => document
            .operations
            .iter()
            .find(|(name, _)| name.is_some_and(|n| n.as_str() == wanted)),
        None => document.operations.iter().min_by_key(|(_, operation)| operation.pos),
    }
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
