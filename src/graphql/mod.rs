//! The GraphQL API: thin resolvers over the orchestrator. No SQL here.

mod context;
mod document;
mod enums;
mod fanout;
mod loaders;
mod mutation;
mod objects;
mod query;
mod query_gate;
mod schema;
mod subscription;

pub use document::{check_breadth, chosen_operation, tag_uncoded_errors};
pub use fanout::{FanOut, SlowSubscriber, from_now};
pub use loaders::{LoadQueue, drive, loaders};
pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use query_gate::QueryGate;
pub use schema::{FlowgraphSchema, build_schema, sdl};
pub use subscription::SubscriptionRoot;
