//! Helpers for the tests of the agents that take `dependency_mapping`'s edges: the mapping of a
//! set of assets, and edges between assets named by key.

use super::dependency_mapping::{DependencyEdge, DependencyMap, DependencyMapping};
use crate::agents::asset_table::AssetTable;
use crate::agents::types::{Agent, AssetFacts};

pub(super) fn map(assets: &[AssetFacts]) -> (AssetTable, DependencyMap) {
    let table = AssetTable::from_facts(assets);
    let map = DependencyMapping.run(&table).expect("mapping never fails").value;
    (table, map)
}

pub(super) fn edges_of(table: &AssetTable, pairs: &[(&str, &str)]) -> Vec<DependencyEdge> {
    pairs
        .iter()
        .map(|(s, t)| DependencyEdge {
            source: table.find(s).expect("an asset"),
            target: table.find(t).expect("an asset"),
            dependency_type: "service",
            confidence: 0.95,
        })
        .collect()
}
