//! dependency_analysis: resolve each asset's dependency references to edges
//! (dependency_mapping), group servers and databases by application (application_grouping), and
//! report subnets, shared hosts, cycles, hubs and the longest chains (network_topology).

use std::collections::HashMap;

use serde_json::json;

use super::{asset_facts, supervise};
use crate::agents::dependencies::{
    ApplicationGrouping, DependencyMapping, GroupingInput, NetworkTopology, TopologyInput,
};
use crate::agents::supervisor::SupervisorInput;
use crate::agents::types::AssetFacts;
use crate::discovery::{PhaseFailure, PhaseInput, PhaseSuccess};
use crate::domain::PhaseName;
use crate::store::{DependencyRecord, PhaseOutput};

/// Unresolved references listed in the summary; all are counted.
const UNRESOLVED_LISTED: usize = 100;

pub async fn run(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let assets = input
        .store
        .flow_assets(input.scope, input.flow.id)
        .await
        .map_err(PhaseFailure::internal)?;
    if assets.is_empty() {
        return Err(PhaseFailure::user("no assets: run inventory first"));
    }
    let ids: HashMap<String, uuid::Uuid> = assets.iter().map(|a| (a.source_key.clone(), a.id)).collect();
    let facts: Vec<AssetFacts> = assets.iter().map(asset_facts).collect();
    input
        .compute(move |log| {
            let map = log.run(&DependencyMapping, &facts[..])?.value;
            let references: usize = facts.iter().map(|a| a.depends_on.len()).sum();
            let grouping = GroupingInput {
                assets: facts,
                edges: map.edges,
            };
            let groups = log.run(&ApplicationGrouping, &grouping)?.value;
            let topology_input = TopologyInput {
                assets: grouping.assets,
                edges: grouping.edges,
                unresolved: map.unresolved,
            };
            let topology = log.run(&NetworkTopology, &topology_input)?.value;
            let anomalies = supervise(
                log,
                SupervisorInput::new(PhaseName::DependencyAnalysis)
                    .with("references", references as f64)
                    .with("unresolved", topology.unresolved.len() as f64)
                    .with("cycles", topology.cycles.len() as f64),
            )?;
            let edges: Vec<DependencyRecord> = topology_input
                .edges
                .iter()
                .filter_map(|e| {
                    Some(DependencyRecord {
                        source_asset_id: *ids.get(&e.source)?,
                        target_asset_id: *ids.get(&e.target)?,
                        dependency_type: e.dependency_type.clone(),
                        confidence: e.confidence,
                    })
                })
                .collect();
            let summary = json!({
                "edges": edges.len(),
                "references": references,
                "unresolved": topology.unresolved.len(),
                "unresolvedReferences": topology.unresolved.iter().take(UNRESOLVED_LISTED).collect::<Vec<_>>(),
                "applications": groups,
                "subnets": topology.subnets,
                "sharedHosts": topology.shared_hosts,
                "cycles": topology.cycles,
                "hubs": topology.hubs,
                "longestChains": topology.longest_chains,
                "supervisor": anomalies,
            });
            let items = topology_input.assets.len();
            Ok(PhaseSuccess::new(
                "dependencyAnalysis",
                summary,
                PhaseOutput::Dependencies(edges),
                items,
            ))
        })
        .await
}
