//! flowgraph: a GraphQL API server that orchestrates IT-estate discovery for cloud migrations.
//! Layers, top to bottom (docs/DESIGN.md): http → graphql → orchestrator → phases → agents → store;
//! beside them `import` (files to rows) and `legacy_migration` (the old database into this one).

/// mimalloc instead of glibc's malloc, for every binary built on this crate (the server, and the
/// benchmark and tests that run it in their own process). A nested read of 1,000 assets makes
/// tens of thousands of small allocations; under 16 clients glibc's malloc, free and their
/// consolidation took 40% of the CPU, and the same reads ran at 12 requests/s against 19 with
/// mimalloc (BENCHMARKS.md). Its per-thread heaps also stop the resident growth that glibc's
/// per-thread arenas caused in the pipeline.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod agents;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod fixtures;
pub mod graphql;
pub mod http;
pub mod import;
pub mod legacy_migration;
pub mod metrics;
pub mod orchestrator;
pub mod phases;
pub mod store;
pub mod telemetry;
