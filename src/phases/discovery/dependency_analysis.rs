//! dependency_analysis: resolve each asset's dependency references to edges
//! (dependency_mapping), group servers and databases by application (application_grouping), and
//! report subnets, shared hosts, cycles, hubs and the longest chains (network_topology).

use serde_json::{Value, json};
use uuid::Uuid;

use super::{AssetPages, supervise};
use crate::agents::asset_table::{AssetTable, Identity};
use crate::agents::dependency_analysis::{
    ApplicationGrouping, DependencyEdge, DependencyMapping, GroupingInput, NetworkTopology, TopologyInput,
};
use crate::agents::flow_supervisor::SupervisorInput;
use crate::agents::vocabulary::addresses::ADDITIONAL_IPS;
use crate::domain::PhaseName;
use crate::phases::input::{BATCH_ROWS, PhaseInput};
use crate::phases::outcome::{PhaseFailure, PhaseSuccess, share};
use crate::store::{DependencyRecord, PhaseOutput};

/// Unresolved references (and applications, subnets, shared hosts, cycles, hubs and chains)
/// listed in the summary; all are counted.
const UNRESOLVED_LISTED: usize = 100;

/// The share of the phase's progress its agents report; writing the edges reports the rest (at
/// a million rows the two take about as long).
const AGENTS_SHARE: i32 = 50;

pub async fn run(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    // Dependency resolution needs every asset at once, but only what names and links it: read
    // page by page into the packed table, and keep each asset's id by its number.
    let (mut pages, mut assets, mut ids) = (AssetPages::default(), AssetTable::default(), Vec::<Uuid>::new());
    while let Some(page) = pages.next(input).await? {
        for asset in &page {
            assets
                .push(Identity {
                    key: &asset.source_key,
                    name: &asset.name,
                    asset_type: &asset.asset_type,
                    hostname: asset.hostname.as_deref(),
                    fqdn: asset.fqdn.as_deref(),
                    ip_address: asset.ip_address.as_deref(),
                    additional_ips: asset.attributes.0.get(ADDITIONAL_IPS),
                    application: asset.application.as_deref(),
                    depends_on: &asset.depends_on.0,
                })
                .map_err(|e| PhaseFailure::user(e.0))?;
            ids.push(asset.id);
        }
    }
    if assets.is_empty() {
        return Err(PhaseFailure::user("no assets: run inventory first"));
    }
    let analysed = input
        .compute_up_to(AGENTS_SHARE, move |log| {
            let map = log.run(&DependencyMapping, &assets)?.value;
            let references = map.references;
            let grouping = GroupingInput {
                assets,
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
                    .with("unresolved", topology.unresolved as f64)
                    .with("cycles", topology.cycles.len() as f64),
            )?;
            let TopologyInput {
                assets,
                edges,
                unresolved,
            } = topology_input;
            let keys = |members: &[u32]| assets.keys(members);
            let summary = json!({
                "edges": edges.len(),
                "references": references,
                "unresolved": unresolved.len(),
                "unresolvedReferences": first(&unresolved).iter()
                    .map(|u| json!({ "source": assets.key(u.source), "reference": u.text(&assets) }))
                    .collect::<Vec<_>>(),
                // The summary lives in the flow's state, read with the flow: lists are capped
                // like the unresolved references, with their full counts beside them.
                "applications": first(&groups).iter()
                    .map(|g| json!({
                        "key": g.key,
                        "application": g.application,
                        "application_asset": g.application_asset.map(|a| assets.key(a)),
                        "members": keys(&g.members),
                    }))
                    .collect::<Vec<_>>(),
                "applicationCount": groups.len(),
                "subnets": first(&topology.subnets).iter()
                    .map(|s| json!({ "cidr": s.cidr, "members": keys(&s.members) }))
                    .collect::<Vec<_>>(),
                "subnetCount": topology.subnets.len(),
                "sharedHosts": first(&topology.shared_hosts).iter()
                    .map(|s| json!({ "address": s.address, "members": keys(&s.members) }))
                    .collect::<Vec<_>>(),
                "sharedHostCount": topology.shared_hosts.len(),
                "cycles": first(&topology.cycles).iter().map(|c| keys(c)).collect::<Vec<_>>(),
                "cycleCount": topology.cycles.len(),
                "hubs": first(&topology.hubs).iter()
                    .map(|h| json!({ "key": assets.key(h.asset), "dependents": h.dependents }))
                    .collect::<Vec<_>>(),
                "longestChains": first(&topology.longest_chains).iter().map(|c| keys(c)).collect::<Vec<_>>(),
                "supervisor": anomalies,
            });
            Ok((edges, summary, assets.len()))
        })
        .await;
    let (edges, summary, items): (Vec<DependencyEdge>, Value, usize) = analysed?;
    // Edges become records a batch at a time: a record owns its type as a string.
    let total = edges.len();
    for (n, batch) in edges.chunks(BATCH_ROWS).enumerate() {
        let records = batch
            .iter()
            .map(|e| DependencyRecord {
                source_asset_id: ids[e.source as usize],
                target_asset_id: ids[e.target as usize],
                dependency_type: e.dependency_type.to_string(),
                confidence: e.confidence,
            })
            .collect();
        let written = (n * BATCH_ROWS + batch.len()).min(total);
        let message = format!("{written} of {total} edges written");
        let progress = AGENTS_SHARE + share(written, total) * (100 - AGENTS_SHARE) / 100;
        input
            .write_batch(PhaseOutput::Dependencies(records), Some(progress), message)
            .await?;
    }
    input.clear_if_unwritten(PhaseOutput::Dependencies(Vec::new())).await?;
    Ok(PhaseSuccess::streamed("dependencyAnalysis", summary, items))
}

/// The first `UNRESOLVED_LISTED` items of a list, for the summary.
fn first<T>(items: &[T]) -> &[T] {
    &items[..items.len().min(UNRESOLVED_LISTED)]
}
