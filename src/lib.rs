//! flowgraph: a GraphQL API server that orchestrates IT-estate discovery for cloud migrations.
//! Layers, top to bottom (DESIGN.md): http → graphql → orchestrator → discovery → agents → store.

pub mod agents;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod discovery;
pub mod domain;
pub mod error;
pub mod fixtures;
pub mod graphql;
pub mod http;
pub mod legacy;
pub mod metrics;
pub mod orchestrator;
pub mod store;
pub mod telemetry;
