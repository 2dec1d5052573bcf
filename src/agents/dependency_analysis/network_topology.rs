//! `network_topology` (dependency_analysis): the shape of the dependency graph: /24 subnets,
//! addresses recorded on more than one asset, cycles (strongly connected components), hubs and
//! the longest dependency chains.

use std::collections::BTreeMap;

use super::dependency_mapping::{DependencyEdge, UnresolvedReference};
use super::lookup::{hash_of, hashed, normalize, sort_unique_by_key};
use crate::agents::asset_table::AssetTable;
use crate::agents::graph::{Graph, component_of, strongly_connected_components};
use crate::agents::types::{Agent, AgentError, AgentOutput};
use crate::agents::vocabulary::addresses::canonical_ipv4;
use crate::domain::PhaseName;

/// An asset with at least this many dependents is a hub.
pub const HUB_MIN_DEPENDENTS: usize = 3;
/// How many longest chains the topology reports.
pub const MAX_LONGEST_CHAINS: usize = 5;

#[derive(Debug)]
pub struct TopologyInput {
    pub assets: AssetTable,
    pub edges: Vec<DependencyEdge>,
    pub unresolved: Vec<UnresolvedReference>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    /// IPv4 /24, `10.1.105.0/24`.
    pub cidr: String,
    /// Sorted by key.
    pub members: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedHost {
    /// An IP address, hostname or FQDN (lower-case) recorded on more than one asset.
    pub address: String,
    /// Sorted by key.
    pub members: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hub {
    pub asset: u32,
    pub dependents: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Topology {
    /// Sorted by network address.
    pub subnets: Vec<Subnet>,
    /// Sorted by address.
    pub shared_hosts: Vec<SharedHost>,
    /// Strongly connected components of more than one asset, and self-loops; members sorted by
    /// key, cycles by their keys.
    pub cycles: Vec<Vec<u32>>,
    /// Assets with at least `HUB_MIN_DEPENDENTS` dependents, most depended-on first.
    pub hubs: Vec<Hub>,
    /// Up to `MAX_LONGEST_CHAINS` longest dependency paths (dependent → ... → dependency), longest
    /// first, each from a different starting asset. A cycle on a path appears as its smallest key.
    pub longest_chains: Vec<Vec<u32>>,
    /// How many references matched no asset.
    pub unresolved: usize,
}

/// The shape of the dependency graph.
#[derive(Debug, Clone, Copy, Default)]
pub struct NetworkTopology;

impl Agent for NetworkTopology {
    type Input = TopologyInput;
    type Output = Topology;
    const NAME: &'static str = "network_topology";
    const PHASE: PhaseName = PhaseName::DependencyAnalysis;

    fn run(&self, input: &TopologyInput) -> Result<AgentOutput<Topology>, AgentError> {
        let table = &input.assets;
        let subnets = subnets(table);
        let shared_hosts = shared_hosts(table);

        let n = table.len();
        let mut pairs: Vec<(u32, u32)> = input.edges.iter().map(|e| (e.source, e.target)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut self_loops: Vec<u32> = pairs.iter().filter(|(s, t)| s == t).map(|&(s, _)| s).collect();
        pairs.retain(|(s, t)| s != t);
        let mut dependents = vec![0u32; n];
        for &(_, t) in &pairs {
            if let Some(d) = dependents.get_mut(t as usize) {
                *d += 1;
            }
        }
        let graph = Graph::new(n, pairs.iter().copied());
        drop(pairs);

        let components = strongly_connected_components(&graph);
        let count = components.nodes();
        let component_of = component_of(&components, n);
        let key_order = |a: &u32, b: &u32| table.key_order(*a, *b);
        // A component is named by its smallest key.
        let representative: Vec<u32> = (0..count as u32)
            .map(|c| components.successors(c).iter().copied().min_by(key_order).unwrap_or(0))
            .collect();

        self_loops.sort_unstable_by(key_order);
        let mut cycles: Vec<Vec<u32>> = (0..count as u32)
            .map(|c| components.successors(c))
            .filter(|m| m.len() > 1)
            .map(|m| {
                let mut m = m.to_vec();
                sort_unique_by_key(table, &mut m);
                m
            })
            .chain(self_loops.into_iter().map(|v| vec![v]))
            .collect();
        cycles.sort_by(|a, b| table.keys(a).cmp(&table.keys(b)));
        cycles.dedup_by(|b, a| table.keys(a) == table.keys(b));

        let mut hubs: Vec<Hub> = (0..n as u32)
            .filter(|&v| dependents[v as usize] as usize >= HUB_MIN_DEPENDENTS)
            .map(|v| Hub {
                asset: v,
                dependents: dependents[v as usize] as usize,
            })
            .collect();
        hubs.sort_by(|a, b| {
            b.dependents
                .cmp(&a.dependents)
                .then_with(|| key_order(&a.asset, &b.asset))
        });

        let longest_chains = longest_chains(table, &components, &component_of, &graph, &representative);

        let unresolved = input.unresolved.len();
        let reasoning = format!(
            "{} subnets, {} shared addresses, {} cycles, {} hubs (≥ {HUB_MIN_DEPENDENTS} dependents), longest chain {} \
             assets, {unresolved} unresolved references.",
            subnets.len(),
            shared_hosts.len(),
            cycles.len(),
            hubs.len(),
            longest_chains.first().map_or(0, Vec::len),
        );
        // The graph facts are exact; what they mean is only as good as the references resolved.
        let total = input.edges.len() + unresolved;
        let confidence = if total == 0 {
            0.9
        } else {
            0.6 + 0.35 * input.edges.len() as f64 / total as f64
        };
        let topology = Topology {
            subnets,
            shared_hosts,
            cycles,
            hubs,
            longest_chains,
            unresolved,
        };
        Ok(AgentOutput::new(topology, confidence, reasoning))
    }
}

fn subnets(table: &AssetTable) -> Vec<Subnet> {
    let mut by_net: Vec<([u8; 3], u32)> = table
        .indices()
        .filter_map(|a| {
            let [x, y, z, _] = table.ip_address(a).and_then(canonical_ipv4)?.octets();
            Some(([x, y, z], a))
        })
        .collect();
    by_net.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| table.key(a.1).cmp(table.key(b.1))));
    let mut subnets: Vec<Subnet> = Vec::new();
    for chunk in by_net.chunk_by(|a, b| a.0 == b.0) {
        let [x, y, z] = chunk[0].0;
        let mut members: Vec<u32> = chunk.iter().map(|&(_, a)| a).collect();
        members.dedup_by(|b, a| table.key(*a) == table.key(*b));
        subnets.push(Subnet {
            cidr: format!("{x}.{y}.{z}.0/24"),
            members,
        });
    }
    subnets
}

/// The addresses an asset is recorded at: its IP (canonical when it parses), hostname and FQDN,
/// normalized, without empties.
fn addresses(table: &AssetTable, asset: u32) -> Vec<String> {
    let ip = table
        .ip_address(asset)
        .map(|ip| canonical_ipv4(ip).map_or_else(|| normalize(ip), |ip| ip.to_string()));
    [
        ip,
        table.hostname(asset).map(normalize),
        table.fqdn(asset).map(normalize),
    ]
    .into_iter()
    .flatten()
    .filter(|a| !a.is_empty())
    .collect()
}

fn shared_hosts(table: &AssetTable) -> Vec<SharedHost> {
    // Only addresses whose hash more than one asset has are spelled out again, and grouped by
    // their text.
    let by_hash = hashed(table, addresses);
    let mut shared: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for run in by_hash.chunk_by(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
        let hash = run[0].0;
        for &(_, asset) in run {
            for address in addresses(table, asset).into_iter().filter(|a| hash_of(a) == hash) {
                shared.entry(address).or_default().push(asset);
            }
        }
    }
    shared
        .into_iter()
        .filter_map(|(address, mut members)| {
            sort_unique_by_key(table, &mut members);
            (members.len() > 1).then_some(SharedHost { address, members })
        })
        .collect()
}

/// Longest paths on the condensation DAG, by dynamic programming in Tarjan's output order (every
/// successor component is finished before its predecessors). Ties go to the smaller key.
fn longest_chains(
    table: &AssetTable,
    components: &Graph,
    component_of: &[u32],
    graph: &Graph,
    representative: &[u32],
) -> Vec<Vec<u32>> {
    let count = components.nodes();
    let name = |c: usize| table.key(representative[c]);
    let mut length = vec![1u32; count];
    let mut next: Vec<u32> = vec![u32::MAX; count];
    let mut has_predecessor = vec![false; count];
    for c in 0..count {
        for &v in components.successors(c as u32) {
            for &w in graph.successors(v) {
                let d = component_of[w as usize] as usize;
                if d == c {
                    continue;
                }
                has_predecessor[d] = true;
                let better = match next[c] {
                    u32::MAX => true,
                    cur => {
                        let cur = cur as usize;
                        length[d] > length[cur] || (length[d] == length[cur] && name(d) < name(cur))
                    }
                };
                if better {
                    next[c] = d as u32;
                    length[c] = length[d] + 1;
                }
            }
        }
    }
    let mut starts: Vec<usize> = (0..count).filter(|&c| !has_predecessor[c] && length[c] > 1).collect();
    starts.sort_by(|&a, &b| length[b].cmp(&length[a]).then_with(|| name(a).cmp(name(b))));
    starts
        .into_iter()
        .take(MAX_LONGEST_CHAINS)
        .map(|start| {
            let mut chain = Vec::with_capacity(length[start] as usize);
            let mut at = start as u32;
            while at != u32::MAX {
                chain.push(representative[at as usize]);
                at = next[at as usize];
            }
            chain
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{edges_of, map};
    use super::*;
    use crate::agents::asset_table::Identity;
    use crate::agents::test_fixtures::{asset, dep, sample};
    use crate::agents::types::AssetFacts;

    /// The topology's lists by key.
    struct Named {
        subnets: Vec<(String, Vec<String>)>,
        shared_hosts: Vec<(String, Vec<String>)>,
        cycles: Vec<Vec<String>>,
        hubs: Vec<(String, usize)>,
        longest_chains: Vec<Vec<String>>,
    }

    fn named(table: &AssetTable, t: &Topology) -> Named {
        let keys = |assets: &[u32]| -> Vec<String> { assets.iter().map(|&a| table.key(a).to_string()).collect() };
        Named {
            subnets: t.subnets.iter().map(|s| (s.cidr.clone(), keys(&s.members))).collect(),
            shared_hosts: t
                .shared_hosts
                .iter()
                .map(|s| (s.address.clone(), keys(&s.members)))
                .collect(),
            cycles: t.cycles.iter().map(|c| keys(c)).collect(),
            hubs: t
                .hubs
                .iter()
                .map(|h| (table.key(h.asset).to_string(), h.dependents))
                .collect(),
            longest_chains: t.longest_chains.iter().map(|c| keys(c)).collect(),
        }
    }

    fn topology(assets: &[AssetFacts], pairs: &[(&str, &str)]) -> (Topology, Named) {
        let table = AssetTable::from_facts(assets);
        let edges = edges_of(&table, pairs);
        let input = TopologyInput {
            assets: table,
            edges,
            unresolved: vec![],
        };
        let t = NetworkTopology.run(&input).unwrap().value;
        let n = named(&input.assets, &t);
        (t, n)
    }

    fn servers(names: &[&str]) -> Vec<AssetFacts> {
        names.iter().map(|n| asset(n, "server")).collect()
    }

    #[test]
    fn no_panics_on_empty_or_odd_input() {
        let mut odd = dep("", "", &["", " ; , | ", "\u{1F600}", "999.999.1.1", "a.b.", "."]);
        odd.ip_address = Some("not an ip".into());
        odd.fqdn = Some("..".into());
        let (_, t) = topology(&[odd, asset("x", "server"), asset("y", "")], &[("x", "x"), ("", "y")]);
        assert_eq!(t.cycles, vec![vec!["x".to_string()]]);
        let empty = NetworkTopology
            .run(&TopologyInput {
                assets: AssetTable::default(),
                edges: vec![],
                unresolved: vec![],
            })
            .unwrap();
        assert!(empty.value.subnets.is_empty() && empty.value.longest_chains.is_empty());
    }

    #[test]
    fn finds_cycles_hubs_and_longest_chains() {
        let assets = servers(&["a", "b", "c", "d", "e", "hub", "p", "q", "r", "s", "t"]);
        let (_, t) = topology(
            &assets,
            &[
                ("a", "b"),
                ("b", "c"),
                ("c", "a"),
                ("d", "a"),
                ("e", "e"),
                ("a", "hub"),
                ("d", "hub"),
                ("p", "hub"),
                ("p", "q"),
                ("q", "r"),
                ("r", "s"),
                ("t", "s"),
                ("p", "q"),
            ],
        );
        assert_eq!(t.cycles, vec![vec!["a", "b", "c"], vec!["e"]]);
        assert_eq!(t.hubs, vec![("hub".to_string(), 3)]);
        assert_eq!(t.longest_chains[0], vec!["p", "q", "r", "s"]);
        // d → {a,b,c} → hub: the cycle collapses to its smallest key.
        assert_eq!(t.longest_chains[1], vec!["d", "a", "hub"]);
        assert_eq!(t.longest_chains[2], vec!["t", "s"]);
        assert_eq!(t.longest_chains.len(), 3);
    }

    #[test]
    fn hubs_are_sorted_by_dependents_then_key() {
        let assets = servers(&["x", "y", "z", "a1", "a2", "a3", "a4"]);
        let mut pairs = Vec::new();
        for s in ["a1", "a2", "a3", "a4"] {
            pairs.push((s, "y"));
        }
        for s in ["a1", "a2", "a3"] {
            pairs.push((s, "x"));
            pairs.push((s, "z"));
        }
        let (_, t) = topology(&assets, &pairs);
        let hubs: Vec<(&str, usize)> = t.hubs.iter().map(|(k, d)| (k.as_str(), *d)).collect();
        assert_eq!(hubs, vec![("y", 4), ("x", 3), ("z", 3)]);
        assert!(t.cycles.is_empty());
        assert!(t.longest_chains.len() <= MAX_LONGEST_CHAINS);
    }

    #[test]
    fn subnets_and_shared_addresses() {
        let mut a = asset("a", "server");
        a.ip_address = Some("10.1.2.3".into());
        a.hostname = Some("Shared".into());
        let mut b = asset("b", "server");
        b.ip_address = Some("10.1.2.200".into());
        b.hostname = Some("shared".into());
        let mut c = asset("c", "server");
        c.ip_address = Some("10.1.2.3".into());
        let mut d = asset("d", "server");
        d.ip_address = Some("9.1.2.3".into());
        let (_, t) = topology(&[c, a, d, b], &[]);
        let cidrs: Vec<&str> = t.subnets.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(cidrs, vec!["9.1.2.0/24", "10.1.2.0/24"]);
        assert_eq!(t.subnets[1].1, vec!["a", "b", "c"]);
        assert_eq!(
            t.shared_hosts,
            vec![
                ("10.1.2.3".to_string(), vec!["a".to_string(), "c".to_string()]),
                ("shared".to_string(), vec!["a".to_string(), "b".to_string()])
            ]
        );
    }

    #[test]
    fn sample_topology() {
        let (assets, m) = map(&sample::assets());
        let input = TopologyInput {
            assets,
            edges: m.edges,
            unresolved: m.unresolved,
        };
        let t = NetworkTopology.run(&input).unwrap().value;
        let n = named(&input.assets, &t);
        assert!(t.cycles.is_empty());
        assert!(t.hubs.is_empty());
        assert!(t.shared_hosts.is_empty());
        assert_eq!(t.subnets.len(), 18);
        assert_eq!(t.longest_chains.len(), MAX_LONGEST_CHAINS);
        assert_eq!(n.longest_chains[0], vec!["billing", "billing_db", "srv0006"]);
        assert!(t.longest_chains.iter().all(|c| c.len() == 3));
    }

    #[test]
    fn scales_to_a_hundred_thousand_assets_without_recursion() {
        const N: usize = 100_000;
        let assets: Vec<AssetFacts> = (0..N)
            .map(|i| {
                let mut a = asset(&format!("n{i:06}"), "server");
                a.ip_address = Some(format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256));
                if i + 1 < N {
                    a.depends_on = vec![format!("n{:06}", i + 1)];
                } else {
                    a.depends_on = vec!["n000000".to_string()];
                }
                a
            })
            .collect();
        let (assets, m) = map(&assets);
        assert_eq!(m.edges.len(), N);
        let input = TopologyInput {
            assets,
            edges: m.edges,
            unresolved: vec![],
        };
        let t = NetworkTopology.run(&input).unwrap().value;
        // One big cycle through every asset.
        assert_eq!(t.cycles.len(), 1);
        assert_eq!(t.cycles[0].len(), N);
        assert!(t.longest_chains.is_empty());

        // And a 100,000-long chain (no cycle) for the longest-path pass.
        let mut chain = AssetTable::default();
        for i in 0..N {
            let key = format!("c{i}");
            chain
                .push(Identity {
                    key: &key,
                    name: &key,
                    asset_type: "server",
                    ..Default::default()
                })
                .unwrap();
        }
        let edges: Vec<DependencyEdge> = (0..N as u32 - 1)
            .map(|i| DependencyEdge {
                source: i,
                target: i + 1,
                dependency_type: "service",
                confidence: 0.9,
            })
            .collect();
        let input = TopologyInput {
            assets: chain,
            edges,
            unresolved: vec![],
        };
        let t = NetworkTopology.run(&input).unwrap().value;
        assert_eq!(t.longest_chains.len(), 1);
        assert_eq!(t.longest_chains[0].len(), N);
        assert_eq!(t.longest_chains[0].first().map(|&a| input.assets.key(a)), Some("c0"));
    }
}
