//! `flowgraph migrate-legacy`: copies the old services' discovery flows (`discovery_flows` joined
//! with `crewai_flow_state_extensions`, PostgreSQL) into `unified_flow_states`, with a completed
//! `flow_phase_runs` row per phase the old flow had completed, in one transaction per batch; then
//! reads everything back and proves it: counts per tenant, every id present, and the same
//! checksum of the carried fields on both sides. Layout, mapping and report:
//! migrations/legacy/README.md. The SQL is in `store::legacy`.
//!
//! migrate.rs runs it (batches, dry runs, read-back); mapping.rs turns an old row into the new
//! records; checksum.rs computes what both sides must agree on; report.rs prints the result.

mod checksum;
mod mapping;
mod migrate;
mod report;

pub use checksum::{canonical_row, checksum, fnv1a64, row_digest};
pub use mapping::{MIGRATED_ACTION, legacy_user_uuid, map_phase, map_row, map_status};
pub use migrate::{DEFAULT_BATCH_SIZE, MigrateOptions, migrate};
pub use report::{Report, SkippedRow, TenantLine};

#[cfg(test)]
mod tests;
