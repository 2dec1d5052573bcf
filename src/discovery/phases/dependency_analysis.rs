//! dependency_analysis: resolve each asset's dependency references to edges
//! (dependency_mapping), group servers and databases by application (application_grouping), and
//! report subnets, shared hosts, cycles, hubs and the longest chains (network_topology).

use std::collections::HashMap;

use serde_json::json;

use super::{AssetPages, supervise};
use crate::agents::dependencies::{
    ApplicationGrouping, DependencyMapping, GroupingInput, NetworkTopology, TopologyInput,
};
use crate::agents::supervisor::SupervisorInput;
use crate::agents::types::AssetFacts;
use crate::discovery::{BATCH_ROWS, PhaseFailure, PhaseInput, PhaseSuccess, share};
use crate::domain::PhaseName;
use crate::store::{AssetRecord, DependencyRecord, PhaseOutput};

/// Unresolved references (and applications, subnets, shared hosts, cycles, hubs and chains)
/// listed in the summary; all are counted.
const UNRESOLVED_LISTED: usize = 100;

pub async fn run(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    // Dependency resolution needs every asset at once, but only what names and links it: read
    // page by page and keep the identity fields, not the attributes.
    let (mut pages, mut ids, mut facts) = (AssetPages::default(), HashMap::new(), Vec::new());
    while let Some(page) = pages.next(input).await? {
        for asset in page {
            ids.insert(asset.source_key.clone(), asset.id);
            facts.push(identity(asset));
        }
    }
    if facts.is_empty() {
        return Err(PhaseFailure::user("no assets: run inventory first"));
    }
    let analysed = input
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
                // The summary lives in the flow's state, read with the flow: lists are capped
                // like the unresolved references, with their full counts beside them.
                "applications": first(&groups),
                "applicationCount": groups.len(),
                "subnets": first(&topology.subnets),
                "subnetCount": topology.subnets.len(),
                "sharedHosts": first(&topology.shared_hosts),
                "sharedHostCount": topology.shared_hosts.len(),
                "cycles": first(&topology.cycles),
                "cycleCount": topology.cycles.len(),
                "hubs": first(&topology.hubs),
                "longestChains": first(&topology.longest_chains),
                "supervisor": anomalies,
            });
            Ok((edges, summary, topology_input.assets.len()))
        })
        .await;
    let (mut edges, summary, items) = analysed?;
    let total = edges.len();
    while !edges.is_empty() {
        let rest = edges.split_off(BATCH_ROWS.min(edges.len()));
        let batch = std::mem::replace(&mut edges, rest);
        let written = total - edges.len();
        let message = format!("{written} of {total} edges written");
        input
            .write_batch(PhaseOutput::Dependencies(batch), Some(share(written, total)), message)
            .await?;
    }
    input.clear_if_unwritten(PhaseOutput::Dependencies(Vec::new())).await?;
    Ok(PhaseSuccess::streamed("dependencyAnalysis", summary, items))
}

/// The first `UNRESOLVED_LISTED` items of a list, for the summary.
fn first<T>(items: &[T]) -> &[T] {
    &items[..items.len().min(UNRESOLVED_LISTED)]
}

/// What dependency analysis reads of an asset: its names, addresses, kind and references.
fn identity(asset: AssetRecord) -> AssetFacts {
    AssetFacts {
        key: asset.source_key,
        name: asset.name,
        asset_type: asset.asset_type,
        hostname: asset.hostname,
        fqdn: asset.fqdn,
        ip_address: asset.ip_address,
        operating_system: None,
        os_version: None,
        environment: None,
        application: asset.application,
        business_criticality: None,
        depends_on: asset.depends_on.0,
        attributes: Default::default(),
    }
}
