//! The dependency_analysis phase's agents: edges from the sources' `depends_on` names, written
//! as names, host names, FQDNs or any of an asset's addresses, in lists or short phrases
//! (`dependency_mapping`, with `resolver.rs` and `reference_text.rs`), which servers and
//! databases make up each application (`application_grouping`), and the shape of the graph:
//! subnets, shared addresses, cycles, hubs, longest chains (`network_topology`).
//!
//! The three agents work over every asset of a flow at once, so they work on the packed
//! [`AssetTable`](crate::agents::asset_table::AssetTable) and name assets by number: edges, groups
//! and the topology hold `u32`s, and the indexes are sorted vectors of hashes rather than maps of
//! strings (`lookup.rs`). A million assets fit in a few hundred megabytes. All algorithms are
//! linear or `n log n` (sorts, iterative Tarjan, DP on the condensation), and nothing recurses.

pub mod application_grouping;
pub mod dependency_mapping;
#[cfg(test)]
mod fixture_recall_tests;
mod lookup;
pub mod network_topology;
mod reference_text;
mod resolver;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod written_references_tests;

pub use application_grouping::{ApplicationGroup, ApplicationGrouping, GroupingInput};
pub use dependency_mapping::{
    CONFIDENCE_HOST, CONFIDENCE_IP, CONFIDENCE_NAME, CONFIDENCE_SHORT_NAME, DependencyEdge, DependencyMap,
    DependencyMapping, UnresolvedReference, dependency_type, dependents_count,
};
pub use network_topology::{
    HUB_MIN_DEPENDENTS, Hub, MAX_LONGEST_CHAINS, NetworkTopology, SharedHost, Subnet, Topology, TopologyInput,
};
