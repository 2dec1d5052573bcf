//! The schema: its roots and limits, and the SDL that `schema.graphql` holds.

use std::sync::Arc;

use async_graphql::Schema;

use crate::config::Limits;
use crate::graphql::mutation::MutationRoot;
use crate::graphql::query::QueryRoot;
use crate::graphql::subscription::SubscriptionRoot;
use crate::orchestrator::MasterFlowOrchestrator;

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

/// The SDL the code defines; `schema.graphql` is this text.
pub fn sdl() -> String {
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot).finish().sdl()
}
