//! Dependency analysis: edges from the sources' `depends_on` names (`dependency_mapping`), which
//! servers and databases make up each application (`application_grouping`), and the shape of the
//! graph — subnets, shared addresses, cycles, hubs, longest chains (`network_topology`).
//!
//! All algorithms are linear in assets + edges (hash maps, iterative Tarjan, DP on the
//! condensation), so 100,000 assets are fine and nothing recurses.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::agents::types::{Agent, AgentError, AgentOutput, AssetFacts, DependencyEdge};
use crate::domain::PhaseName;

/// Confidence of an edge by how its reference was resolved.
pub const CONFIDENCE_NAME: f64 = 0.95;
pub const CONFIDENCE_HOST: f64 = 0.9;
/// The first label of a dotted reference (`web01.corp.example.com` → asset `web01`).
pub const CONFIDENCE_SHORT_NAME: f64 = 0.85;
pub const CONFIDENCE_IP: f64 = 0.8;
/// An asset with at least this many dependents is a hub.
pub const HUB_MIN_DEPENDENTS: usize = 3;
/// How many longest chains the topology reports.
pub const MAX_LONGEST_CHAINS: usize = 5;

/// A `depends_on` name that matched no asset.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UnresolvedReference {
    /// The key of the asset that named it.
    pub source: String,
    /// The name as the source gave it (trimmed).
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DependencyMap {
    /// Sorted by (source, target); one per pair.
    pub edges: Vec<DependencyEdge>,
    /// Sorted by (source, reference); one per pair.
    pub unresolved: Vec<UnresolvedReference>,
}

/// The kind of a dependency from the asset types at its ends:
/// - anything touching a network device: `network`;
/// - anything involving an `other`/unknown type: `configuration` (we cannot say more);
/// - X → storage: `hosting` (the storage holds X's data volumes); storage → X: `configuration`
///   (a storage array depending on a management host is a configuration relationship);
/// - application → server, database → server: `hosting`;
/// - anything → database (application, server, database replica): `data_flow`;
/// - application ↔ application, server ↔ server, server/database → application: `service`.
pub fn dependency_type(source_type: &str, target_type: &str) -> &'static str {
    let known = |t: &str| matches!(t, "server" | "database" | "application" | "network_device" | "storage");
    match (source_type, target_type) {
        ("network_device", _) | (_, "network_device") => "network",
        (s, t) if !known(s) || !known(t) => "configuration",
        (_, "storage") => "hosting",
        ("storage", _) => "configuration",
        ("application" | "database", "server") => "hosting",
        (_, "database") => "data_flow",
        _ => "service",
    }
}

/// How many distinct assets depend on each key (self-references excluded).
pub fn dependents_count(edges: &[DependencyEdge]) -> HashMap<String, usize> {
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for e in edges {
        if e.source != e.target && seen.insert((e.source.as_str(), e.target.as_str())) {
            *counts.entry(e.target.clone()).or_default() += 1;
        }
    }
    counts
}

fn normalize(name: &str) -> String {
    name.trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .trim()
        .trim_end_matches('.')
        .to_lowercase()
}

/// An IPv4 address in canonical form, tolerating a port or a prefix length (`10.0.0.5:8080`,
/// `10.0.0.5/24`).
fn canonical_ipv4(text: &str) -> Option<Ipv4Addr> {
    let text = text.trim();
    let host = text.split(['/', ':']).next().unwrap_or(text);
    host.parse::<Ipv4Addr>().ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    Name,
    Host,
    ShortName,
    Ip,
}

impl Match {
    fn confidence(self) -> f64 {
        match self {
            Match::Name => CONFIDENCE_NAME,
            Match::Host => CONFIDENCE_HOST,
            Match::ShortName => CONFIDENCE_SHORT_NAME,
            Match::Ip => CONFIDENCE_IP,
        }
    }
}

/// Lookup tables from every spelling of an asset to its index. When two assets share a spelling,
/// the one with the smaller key wins, so the result does not depend on input order.
struct Resolver<'a> {
    assets: &'a [AssetFacts],
    by_name: HashMap<String, usize>,
    by_host: HashMap<String, usize>,
    by_ip: HashMap<Ipv4Addr, usize>,
}

impl<'a> Resolver<'a> {
    fn new(assets: &'a [AssetFacts]) -> Self {
        let mut r = Resolver {
            assets,
            by_name: HashMap::new(),
            by_host: HashMap::new(),
            by_ip: HashMap::new(),
        };
        for (i, a) in assets.iter().enumerate() {
            for name in [a.key.as_str(), a.name.as_str()] {
                Self::insert(&mut r.by_name, assets, normalize(name), i);
            }
            for host in [a.hostname.as_deref(), a.fqdn.as_deref()].into_iter().flatten() {
                let host = normalize(host);
                if host.is_empty() {
                    continue;
                }
                // The FQDN's (or dotted hostname's) first label is also a way to name the host.
                if let Some(label) = host.split('.').next().filter(|l| *l != host && !l.is_empty()) {
                    Self::insert(&mut r.by_host, assets, label.to_string(), i);
                }
                Self::insert(&mut r.by_host, assets, host, i);
            }
            if let Some(ip) = a.ip_address.as_deref().and_then(canonical_ipv4) {
                Self::insert(&mut r.by_ip, assets, ip, i);
            }
        }
        r
    }

    fn insert<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, assets: &[AssetFacts], k: K, i: usize) {
        map.entry(k)
            .and_modify(|cur| {
                if assets[i].key < assets[*cur].key {
                    *cur = i
                }
            })
            .or_insert(i);
    }

    /// Key/name, then hostname/FQDN, then IP, then the first label of a dotted name.
    fn resolve(&self, reference: &str) -> Option<(usize, Match)> {
        let r = normalize(reference);
        if r.is_empty() {
            return None;
        }
        if let Some(&i) = self.by_name.get(&r) {
            return Some((i, Match::Name));
        }
        if let Some(&i) = self.by_host.get(&r) {
            return Some((i, Match::Host));
        }
        if let Some(ip) = canonical_ipv4(&r) {
            return self.by_ip.get(&ip).map(|&i| (i, Match::Ip));
        }
        let label = r.split('.').next().filter(|l| !l.is_empty() && *l != r)?;
        self.by_name
            .get(label)
            .or_else(|| self.by_host.get(label))
            .map(|&i| (i, Match::ShortName))
    }

    fn asset_type(&self, i: usize) -> String {
        self.assets[i].asset_type.trim().to_lowercase()
    }
}

/// Splits a `depends_on` entry that still holds several names (`a; b, c | d`).
fn references(asset: &AssetFacts) -> impl Iterator<Item = &str> {
    asset
        .depends_on
        .iter()
        .flat_map(|d| d.split([';', ',', '|', '\n', '\r']))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Resolves every asset's `depends_on` names into edges.
#[derive(Debug, Clone, Copy, Default)]
pub struct DependencyMapping;

impl Agent for DependencyMapping {
    type Input = [AssetFacts];
    type Output = DependencyMap;
    const NAME: &'static str = "dependency_mapping";
    const PHASE: PhaseName = PhaseName::DependencyAnalysis;

    fn run(&self, assets: &[AssetFacts]) -> Result<AgentOutput<DependencyMap>, AgentError> {
        let resolver = Resolver::new(assets);
        let mut edges: HashMap<(usize, usize), f64> = HashMap::new();
        let mut unresolved: BTreeSet<UnresolvedReference> = BTreeSet::new();
        let (mut total, mut self_refs, mut misses) = (0usize, 0usize, 0usize);
        let mut by_kind = [0usize; 4];
        for (i, asset) in assets.iter().enumerate() {
            for reference in references(asset) {
                total += 1;
                match resolver.resolve(reference) {
                    Some((target, _)) if target == i || assets[target].key == asset.key => self_refs += 1,
                    Some((target, how)) => {
                        by_kind[how as usize] += 1;
                        let conf = edges.entry((i, target)).or_insert(0.0);
                        *conf = conf.max(how.confidence());
                    }
                    None => {
                        misses += 1;
                        unresolved.insert(UnresolvedReference {
                            source: asset.key.clone(),
                            reference: reference.to_string(),
                        });
                    }
                }
            }
        }

        let mut edges: Vec<DependencyEdge> = edges
            .into_iter()
            .map(|((s, t), confidence)| DependencyEdge {
                source: assets[s].key.clone(),
                target: assets[t].key.clone(),
                dependency_type: dependency_type(&resolver.asset_type(s), &resolver.asset_type(t)).to_string(),
                confidence,
            })
            .collect();
        edges.sort_by(|a, b| (&a.source, &a.target).cmp(&(&b.source, &b.target)));
        // Duplicate keys in the input would give two index pairs for one key pair.
        edges.dedup_by(|b, a| {
            let same = a.source == b.source && a.target == b.target;
            if same {
                a.confidence = a.confidence.max(b.confidence);
            }
            same
        });

        let unresolved: Vec<UnresolvedReference> = unresolved.into_iter().collect();
        let resolved = total - misses;
        let confidence = if total == 0 {
            1.0
        } else {
            let mean = if edges.is_empty() {
                CONFIDENCE_NAME
            } else {
                edges.iter().map(|e| e.confidence).sum::<f64>() / edges.len() as f64
            };
            mean * resolved as f64 / total as f64
        };
        let reasoning = format!(
            "Resolved {resolved} of {total} references into {} edges ({} by name, {} by host name or FQDN, {} by IP, \
             {} by short name); {} unresolved, {self_refs} self-references dropped.",
            edges.len(),
            by_kind[Match::Name as usize],
            by_kind[Match::Host as usize],
            by_kind[Match::Ip as usize],
            by_kind[Match::ShortName as usize],
            unresolved.len(),
        );
        Ok(AgentOutput::new(
            DependencyMap { edges, unresolved },
            confidence,
            reasoning,
        ))
    }
}

// ------------------------------------------------------------------------------------------------
// application_grouping

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupingInput {
    pub assets: Vec<AssetFacts>,
    pub edges: Vec<DependencyEdge>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationGroup {
    /// Lower-case application name: the grouping key.
    pub key: String,
    /// The application's name as written (the application asset's name when there is one).
    pub application: String,
    /// The key of the application asset, when the inventory has one.
    pub application_asset: Option<String>,
    /// Keys of the servers and databases, sorted.
    pub members: Vec<String>,
}

/// Which servers and databases make up each application: the application asset's own edges (and,
/// through its databases, the databases' hosts), plus every server or database whose `application`
/// field names it. An application known only from `application` fields still gets a group.
/// Traversal stops at servers: a server's own dependencies (directory, backup, ...) are shared
/// infrastructure, not the application.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplicationGrouping;

#[derive(Default)]
struct GroupBuilder {
    application: Option<String>,
    asset: Option<String>,
    members: BTreeSet<String>,
}

fn is_member_type(t: &str) -> bool {
    matches!(t, "server" | "database")
}

impl Agent for ApplicationGrouping {
    type Input = GroupingInput;
    type Output = Vec<ApplicationGroup>;
    const NAME: &'static str = "application_grouping";
    const PHASE: PhaseName = PhaseName::DependencyAnalysis;

    fn run(&self, input: &GroupingInput) -> Result<AgentOutput<Vec<ApplicationGroup>>, AgentError> {
        let type_of: HashMap<&str, String> = input
            .assets
            .iter()
            .map(|a| (a.key.as_str(), a.asset_type.trim().to_lowercase()))
            .collect();
        let mut targets: HashMap<&str, Vec<&str>> = HashMap::new();
        for e in &input.edges {
            targets.entry(e.source.as_str()).or_default().push(e.target.as_str());
        }
        // Sorted by key so the spelling chosen for a field-only application is stable.
        let mut assets: Vec<&AssetFacts> = input.assets.iter().collect();
        assets.sort_by(|a, b| a.key.cmp(&b.key));

        let mut groups: BTreeMap<String, GroupBuilder> = BTreeMap::new();
        for app in assets
            .iter()
            .filter(|a| type_of.get(a.key.as_str()).is_some_and(|t| t == "application"))
        {
            // The application field of the application asset, when it has one, is its group name.
            let (key, display) = match app.application.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(name) => (name.to_lowercase(), name.to_string()),
                None => (app.key.clone(), app.name.clone()),
            };
            let group = groups.entry(key).or_default();
            if group.asset.is_none() {
                group.asset = Some(app.key.clone());
                group.application = Some(app.name.clone())
                    .filter(|n| !n.trim().is_empty())
                    .or(Some(display));
            }
            // Breadth-first: application → servers/databases; databases → their hosts.
            let mut seen: HashSet<&str> = HashSet::from([app.key.as_str()]);
            let mut queue: VecDeque<&str> = VecDeque::from([app.key.as_str()]);
            while let Some(node) = queue.pop_front() {
                for &t in targets.get(node).map(Vec::as_slice).unwrap_or(&[]) {
                    let t_type = type_of.get(t).map(String::as_str).unwrap_or("other");
                    if !is_member_type(t_type) || !seen.insert(t) {
                        continue;
                    }
                    group.members.insert(t.to_string());
                    if t_type == "database" {
                        queue.push_back(t);
                    }
                }
            }
        }
        for asset in &assets {
            let t = type_of.get(asset.key.as_str()).map(String::as_str).unwrap_or("other");
            let Some(name) = asset.application.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
                continue;
            };
            if t == "application" {
                continue;
            }
            let group = groups.entry(name.to_lowercase()).or_default();
            group.application.get_or_insert_with(|| name.to_string());
            if is_member_type(t) {
                group.members.insert(asset.key.clone());
            }
        }

        let result: Vec<ApplicationGroup> = groups
            .into_iter()
            .map(|(key, g)| ApplicationGroup {
                application: g.application.unwrap_or_else(|| key.clone()),
                key,
                application_asset: g.asset,
                members: g.members.into_iter().collect(),
            })
            .collect();

        let grouped: HashSet<&str> = result
            .iter()
            .flat_map(|g| g.members.iter().map(String::as_str))
            .collect();
        let candidates = type_of.values().filter(|t| is_member_type(t)).count();
        let ungrouped = candidates.saturating_sub(grouped.len());
        let confidence = if candidates == 0 {
            0.9
        } else {
            0.6 + 0.3 * grouped.len().min(candidates) as f64 / candidates as f64
        };
        let reasoning = format!(
            "{} applications; {} of {candidates} servers and databases belong to at least one, {ungrouped} to none.",
            result.len(),
            grouped.len()
        );
        Ok(AgentOutput::new(result, confidence, reasoning))
    }
}

// ------------------------------------------------------------------------------------------------
// network_topology

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopologyInput {
    pub assets: Vec<AssetFacts>,
    pub edges: Vec<DependencyEdge>,
    pub unresolved: Vec<UnresolvedReference>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    /// IPv4 /24, `10.1.105.0/24`.
    pub cidr: String,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedHost {
    /// An IP address, hostname or FQDN (lower-case) recorded on more than one asset.
    pub address: String,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hub {
    pub key: String,
    pub dependents: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    /// Sorted by network address.
    pub subnets: Vec<Subnet>,
    pub shared_hosts: Vec<SharedHost>,
    /// Strongly connected components of more than one asset, and self-loops; members sorted.
    pub cycles: Vec<Vec<String>>,
    /// Assets with at least `HUB_MIN_DEPENDENTS` dependents, most depended-on first.
    pub hubs: Vec<Hub>,
    /// Up to `MAX_LONGEST_CHAINS` longest dependency paths (dependent → ... → dependency), longest
    /// first, each from a different starting asset. A cycle on a path appears as its smallest key.
    pub longest_chains: Vec<Vec<String>>,
    pub unresolved: Vec<UnresolvedReference>,
}

/// The shape of the dependency graph.
#[derive(Debug, Clone, Copy, Default)]
pub struct NetworkTopology;

/// Strongly connected components by Tarjan's algorithm with an explicit stack. Components come
/// out in reverse topological order: every edge between components points to an earlier one.
pub fn strongly_connected_components(adjacency: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNVISITED: usize = usize::MAX;
    let n = adjacency.len();
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut components: Vec<Vec<usize>> = Vec::new();
    let mut counter = 0usize;
    // (node, position of the next successor to look at)
    let mut calls: Vec<(usize, usize)> = Vec::new();

    for root in 0..n {
        if index[root] != UNVISITED {
            continue;
        }
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        calls.push((root, 0));
        while let Some(&mut (v, ref mut next)) = calls.last_mut() {
            if let Some(&w) = adjacency[v].get(*next) {
                *next += 1;
                if index[w] == UNVISITED {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

impl Agent for NetworkTopology {
    type Input = TopologyInput;
    type Output = Topology;
    const NAME: &'static str = "network_topology";
    const PHASE: PhaseName = PhaseName::DependencyAnalysis;

    fn run(&self, input: &TopologyInput) -> Result<AgentOutput<Topology>, AgentError> {
        let subnets = subnets(&input.assets);
        let shared_hosts = shared_hosts(&input.assets);

        // Nodes: every asset, plus edge ends the asset list does not have.
        let mut names: Vec<&str> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for key in input
            .assets
            .iter()
            .map(|a| a.key.as_str())
            .chain(input.edges.iter().flat_map(|e| [e.source.as_str(), e.target.as_str()]))
        {
            if !index.contains_key(key) {
                index.insert(key, names.len());
                names.push(key);
            }
        }
        let n = names.len();
        let mut adjacency: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut dependents = vec![0usize; n];
        let mut self_loops: BTreeSet<usize> = BTreeSet::new();
        let mut seen: HashSet<(usize, usize)> = HashSet::new();
        for e in &input.edges {
            let (Some(&s), Some(&t)) = (index.get(e.source.as_str()), index.get(e.target.as_str())) else {
                continue;
            };
            if !seen.insert((s, t)) {
                continue;
            }
            if s == t {
                self_loops.insert(s);
                continue;
            }
            adjacency[s].push(t);
            dependents[t] += 1;
        }

        let components = strongly_connected_components(&adjacency);
        let mut component_of = vec![0usize; n];
        for (c, members) in components.iter().enumerate() {
            for &v in members {
                component_of[v] = c;
            }
        }
        // A component is named by its smallest key.
        let representative: Vec<&str> = components
            .iter()
            .map(|m| m.iter().map(|&v| names[v]).min().unwrap_or_default())
            .collect();

        let mut cycles: Vec<Vec<String>> = components
            .iter()
            .filter(|m| m.len() > 1)
            .map(|m| {
                let mut keys: Vec<String> = m.iter().map(|&v| names[v].to_string()).collect();
                keys.sort();
                keys
            })
            .chain(self_loops.iter().map(|&v| vec![names[v].to_string()]))
            .collect();
        cycles.sort();
        cycles.dedup();

        let mut hubs: Vec<Hub> = (0..n)
            .filter(|&v| dependents[v] >= HUB_MIN_DEPENDENTS)
            .map(|v| Hub {
                key: names[v].to_string(),
                dependents: dependents[v],
            })
            .collect();
        hubs.sort_by(|a, b| b.dependents.cmp(&a.dependents).then_with(|| a.key.cmp(&b.key)));

        let longest_chains = longest_chains(&components, &component_of, &adjacency, &representative);

        let mut unresolved = input.unresolved.clone();
        unresolved.sort();
        unresolved.dedup();

        let reasoning = format!(
            "{} subnets, {} shared addresses, {} cycles, {} hubs (≥ {HUB_MIN_DEPENDENTS} dependents), longest chain {} \
             assets, {} unresolved references.",
            subnets.len(),
            shared_hosts.len(),
            cycles.len(),
            hubs.len(),
            longest_chains.first().map_or(0, Vec::len),
            unresolved.len()
        );
        // The graph facts are exact; what they mean is only as good as the references resolved.
        let total = input.edges.len() + unresolved.len();
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

fn subnets(assets: &[AssetFacts]) -> Vec<Subnet> {
    let mut by_net: BTreeMap<[u8; 3], BTreeSet<String>> = BTreeMap::new();
    for a in assets {
        if let Some(ip) = a.ip_address.as_deref().and_then(canonical_ipv4) {
            let [x, y, z, _] = ip.octets();
            by_net.entry([x, y, z]).or_default().insert(a.key.clone());
        }
    }
    by_net
        .into_iter()
        .map(|([x, y, z], members)| Subnet {
            cidr: format!("{x}.{y}.{z}.0/24"),
            members: members.into_iter().collect(),
        })
        .collect()
}

fn shared_hosts(assets: &[AssetFacts]) -> Vec<SharedHost> {
    let mut by_address: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in assets {
        let ip = a
            .ip_address
            .as_deref()
            .map(|ip| canonical_ipv4(ip).map_or_else(|| normalize(ip), |ip| ip.to_string()));
        for address in [
            ip,
            a.hostname.as_deref().map(normalize),
            a.fqdn.as_deref().map(normalize),
        ]
        .into_iter()
        .flatten()
        {
            if !address.is_empty() {
                by_address.entry(address).or_default().insert(a.key.clone());
            }
        }
    }
    by_address
        .into_iter()
        .filter(|(_, members)| members.len() > 1)
        .map(|(address, members)| SharedHost {
            address,
            members: members.into_iter().collect(),
        })
        .collect()
}

/// Longest paths on the condensation DAG, by dynamic programming in Tarjan's output order (every
/// successor component is finished before its predecessors). Ties go to the smaller key.
fn longest_chains(
    components: &[Vec<usize>],
    component_of: &[usize],
    adjacency: &[Vec<usize>],
    representative: &[&str],
) -> Vec<Vec<String>> {
    let count = components.len();
    let mut length = vec![1usize; count];
    let mut next: Vec<Option<usize>> = vec![None; count];
    let mut has_predecessor = vec![false; count];
    for (c, members) in components.iter().enumerate() {
        for &v in members {
            for &w in &adjacency[v] {
                let d = component_of[w];
                if d == c {
                    continue;
                }
                has_predecessor[d] = true;
                let better = match next[c] {
                    None => true,
                    Some(cur) => {
                        length[d] > length[cur] || (length[d] == length[cur] && representative[d] < representative[cur])
                    }
                };
                if better {
                    next[c] = Some(d);
                    length[c] = length[d] + 1;
                }
            }
        }
    }
    let mut starts: Vec<usize> = (0..count).filter(|&c| !has_predecessor[c] && length[c] > 1).collect();
    starts.sort_by(|&a, &b| {
        length[b]
            .cmp(&length[a])
            .then_with(|| representative[a].cmp(representative[b]))
    });
    starts
        .into_iter()
        .take(MAX_LONGEST_CHAINS)
        .map(|start| {
            let mut chain = Vec::with_capacity(length[start]);
            let mut at = Some(start);
            while let Some(c) = at {
                chain.push(representative[c].to_string());
                at = next[c];
            }
            chain
        })
        .collect()
}

/// The 30 assets of `tests/fixtures/cmdb_sample.csv` after cleansing and deduplication (the
/// duplicate `BATCH0007` row merged), environments standardised; shared by the agents' tests.
#[cfg(test)]
pub(crate) mod sample {
    use serde_json::Map;

    use crate::agents::types::AssetFacts;

    /// An asset with only a name and a type.
    pub(crate) fn asset(name: &str, asset_type: &str) -> AssetFacts {
        AssetFacts {
            key: name.to_lowercase(),
            name: name.to_string(),
            asset_type: asset_type.to_string(),
            hostname: None,
            fqdn: None,
            ip_address: None,
            operating_system: None,
            os_version: None,
            environment: None,
            application: None,
            business_criticality: None,
            depends_on: Vec::new(),
            attributes: Map::new(),
        }
    }

    /// name, type, IP, operating system (DB product for databases), OS version, environment,
    /// application, depends on.
    type Row = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    );

    #[rustfmt::skip]
    const ROWS: &[Row] = &[
        ("batch0013", "server", "10.1.105.244", "Red Hat Enterprise Linux 8.8", "8.8", "development", "Payroll", ""),
        ("Payroll", "application", "", "", "", "development", "Payroll", "batch0013;srv0014;web0015;payroll_db"),
        ("batch0004", "server", "10.19.127.204", "Ubuntu 14.04.6 LTS", "14.04", "test", "Billing", ""),
        ("data_warehouse_db", "database", "", "Microsoft SQL Server 2008 R2", "", "production", "Data Warehouse", "app0003"),
        ("CRM", "application", "", "", "", "production", "CRM", "batch0016;web0017;web0018;crm_db"),
        ("BATCH0016", "server", "10.39.0.123", "Red Hat Enterprise Linux Server 6.10", "6.10", "production", "CRM", ""),
        ("payroll_db", "database", "", "MySQL 5.6", "", "development", "Payroll", "web0015"),
        ("Reporting", "application", "", "", "", "production", "Reporting", "batch0010;app0011;web0012;reporting_db"),
        ("batch0010", "server", "10.30.205.16", "Oracle Solaris 10", "10", "production", "Reporting", ""),
        ("app0003", "server", "10.11.52.149", "Windows Server 2022 Datacenter", "2022", "production", "Data Warehouse", ""),
        ("WEB0009", "server", "10.14.6.125", "Red Hat Enterprise Linux Server 6.10", "6.10", "development", "Intranet", ""),
        ("web0018", "server", "10.9.242.169", "Microsoft Windows Server 2008 R2 Enterprise", "2008 R2", "production", "CRM", ""),
        ("srv0014", "server", "10.22.114.137", "Windows Server 2016 Datacenter", "2016", "development", "Payroll", ""),
        ("web0017", "server", "10.5.202.119", "AIX 7.1", "7.1", "production", "CRM", ""),
        ("web0015", "server", "10.1.14.203", "Red Hat Enterprise Linux Server 6.10", "6.10", "development", "Payroll", ""),
        ("Intranet", "application", "", "", "", "development", "Intranet", "batch0007;app0008;web0009;intranet_db"),
        ("APP0008", "server", "10.17.70.210", "AIX 7.1", "7.1", "development", "Intranet", ""),
        ("web0002", "server", "10.3.203.13", "Microsoft Windows Server 2019 Standard", "2019", "production", "Data Warehouse", ""),
        ("Data Warehouse", "application", "", "", "", "production", "Data Warehouse", "app0001;web0002;app0003;data_warehouse_db"),
        ("intranet_db", "database", "", "MySQL 8.0", "", "development", "Intranet", "web0009"),
        ("web0012", "server", "10.38.186.122", "Ubuntu 22.04.3 LTS", "22.04", "production", "Reporting", ""),
        ("crm_db", "database", "", "Microsoft SQL Server 2012", "", "production", "CRM", "web0018"),
        ("batch0007", "server", "10.31.30.56", "Microsoft Windows Server 2008 R2 Enterprise", "2008 R2", "development", "Intranet", ""),
        ("reporting_db", "database", "", "Oracle Database 19c", "", "production", "Reporting", "web0012"),
        ("srv0006", "server", "10.37.233.18", "Ubuntu 14.04.6 LTS", "14.04", "test", "Billing", ""),
        ("APP0011", "server", "10.34.51.243", "Ubuntu 14.04.6 LTS", "14.04", "production", "Reporting", ""),
        ("Billing", "application", "", "", "", "qa", "Billing", "batch0004;batch0005;srv0006;billing_db"),
        ("billing_db", "database", "", "MySQL 5.6", "", "qa", "Billing", "srv0006"),
        ("app0001", "server", "10.5.222.108", "Ubuntu 20.04.6 LTS", "20.04", "production", "Data Warehouse", ""),
        ("BATCH0005", "server", "10.7.214.43", "Ubuntu 14.04.6 LTS", "14.04", "qa", "Billing", ""),
    ];

    pub(crate) fn assets() -> Vec<AssetFacts> {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        ROWS.iter()
            .map(|&(name, asset_type, ip, os, version, env, app, deps)| {
                let mut a = asset(name, asset_type);
                a.ip_address = some(ip);
                a.fqdn = some(ip).map(|_| format!("{}.corp.example.com", name.to_lowercase()));
                a.operating_system = some(os);
                a.os_version = some(version);
                a.environment = some(env);
                a.application = some(app);
                a.depends_on = deps.split(';').filter(|d| !d.is_empty()).map(str::to_string).collect();
                a
            })
            .collect()
    }

    /// `dependencies` from `cmdb_sample.truth.json`.
    pub(crate) const TRUTH_EDGES: &[(&str, &str)] = &[
        ("billing", "batch0004"),
        ("billing", "batch0005"),
        ("billing", "billing_db"),
        ("billing", "srv0006"),
        ("billing_db", "srv0006"),
        ("crm", "batch0016"),
        ("crm", "crm_db"),
        ("crm", "web0017"),
        ("crm", "web0018"),
        ("crm_db", "web0018"),
        ("data warehouse", "app0001"),
        ("data warehouse", "app0003"),
        ("data warehouse", "data_warehouse_db"),
        ("data warehouse", "web0002"),
        ("data_warehouse_db", "app0003"),
        ("intranet", "app0008"),
        ("intranet", "batch0007"),
        ("intranet", "intranet_db"),
        ("intranet", "web0009"),
        ("intranet_db", "web0009"),
        ("payroll", "batch0013"),
        ("payroll", "payroll_db"),
        ("payroll", "srv0014"),
        ("payroll", "web0015"),
        ("payroll_db", "web0015"),
        ("reporting", "app0011"),
        ("reporting", "batch0010"),
        ("reporting", "reporting_db"),
        ("reporting", "web0012"),
        ("reporting_db", "web0012"),
    ];
}

#[cfg(test)]
mod tests {
    use super::sample::{TRUTH_EDGES, asset};
    use super::*;

    fn map(assets: &[AssetFacts]) -> DependencyMap {
        DependencyMapping.run(assets).expect("mapping never fails").value
    }

    fn edge<'a>(m: &'a DependencyMap, s: &str, t: &str) -> Option<&'a DependencyEdge> {
        m.edges.iter().find(|e| e.source == s && e.target == t)
    }

    fn dep(name: &str, asset_type: &str, deps: &[&str]) -> AssetFacts {
        let mut a = asset(name, asset_type);
        a.depends_on = deps.iter().map(|d| d.to_string()).collect();
        a
    }

    fn edges_of(pairs: &[(&str, &str)]) -> Vec<DependencyEdge> {
        pairs
            .iter()
            .map(|(s, t)| DependencyEdge {
                source: s.to_string(),
                target: t.to_string(),
                dependency_type: "service".to_string(),
                confidence: 0.95,
            })
            .collect()
    }

    fn topology(assets: Vec<AssetFacts>, pairs: &[(&str, &str)]) -> Topology {
        NetworkTopology
            .run(&TopologyInput {
                assets,
                edges: edges_of(pairs),
                unresolved: vec![],
            })
            .unwrap()
            .value
    }

    #[test]
    fn resolves_by_name_host_fqdn_short_name_and_ip() {
        let app = dep(
            "Portal",
            "application",
            &[
                "DB01",
                "web01.corp.example.com",
                "10.0.0.7",
                "web02",
                "web03.other.example.com",
                " 'db01' ",
                "portal",
                "ghost; 10.9.9.9",
            ],
        );
        let db = asset("db01", "database");
        let mut web01 = asset("web01", "server");
        web01.fqdn = Some("web01.corp.example.com".into());
        let mut by_ip = asset("srv-a", "server");
        by_ip.ip_address = Some("10.0.0.7".into());
        let mut web02 = asset("web02-prod", "server");
        web02.fqdn = Some("WEB02.corp.example.com.".into());
        let web03 = asset("web03", "server");
        let m = map(&[app, db, web01, by_ip, web02, web03]);

        assert_eq!(edge(&m, "portal", "db01").unwrap().confidence, CONFIDENCE_NAME);
        assert_eq!(edge(&m, "portal", "db01").unwrap().dependency_type, "data_flow");
        assert_eq!(edge(&m, "portal", "web01").unwrap().confidence, CONFIDENCE_HOST);
        assert_eq!(edge(&m, "portal", "srv-a").unwrap().confidence, CONFIDENCE_IP);
        assert_eq!(edge(&m, "portal", "web02-prod").unwrap().confidence, CONFIDENCE_HOST);
        assert_eq!(edge(&m, "portal", "web03").unwrap().confidence, CONFIDENCE_SHORT_NAME);
        assert_eq!(edge(&m, "portal", "srv-a").unwrap().dependency_type, "hosting");
        // `DB01` and `'db01'` collapse; the self-reference is dropped.
        assert_eq!(m.edges.len(), 5);
        assert!(edge(&m, "portal", "portal").is_none());
        let unresolved: Vec<&str> = m.unresolved.iter().map(|u| u.reference.as_str()).collect();
        assert_eq!(unresolved, vec!["10.9.9.9", "ghost"]);
        assert!(m.unresolved.iter().all(|u| u.source == "portal"));
        let mut sorted = m.edges.clone();
        sorted.sort_by(|a, b| (&a.source, &a.target).cmp(&(&b.source, &b.target)));
        assert_eq!(sorted, m.edges);
    }

    #[test]
    fn fqdn_resolution_by_host_only() {
        let mut web = asset("Web Server 1", "server");
        web.hostname = Some("websrv1".into());
        web.fqdn = Some("websrv1.dmz.example.com".into());
        let app = dep("shop", "application", &["WEBSRV1.DMZ.EXAMPLE.COM", "websrv1"]);
        let m = map(&[app, web]);
        assert_eq!(m.edges.len(), 1);
        assert_eq!(m.edges[0].target, "web server 1");
        assert_eq!(m.edges[0].confidence, CONFIDENCE_HOST);
    }

    #[test]
    fn edge_types_follow_the_endpoint_types() {
        assert_eq!(dependency_type("application", "server"), "hosting");
        assert_eq!(dependency_type("application", "database"), "data_flow");
        assert_eq!(dependency_type("database", "server"), "hosting");
        assert_eq!(dependency_type("server", "database"), "data_flow");
        assert_eq!(dependency_type("database", "database"), "data_flow");
        assert_eq!(dependency_type("application", "application"), "service");
        assert_eq!(dependency_type("server", "server"), "service");
        assert_eq!(dependency_type("server", "network_device"), "network");
        assert_eq!(dependency_type("network_device", "storage"), "network");
        assert_eq!(dependency_type("server", "storage"), "hosting");
        assert_eq!(dependency_type("storage", "server"), "configuration");
        assert_eq!(dependency_type("other", "server"), "configuration");
        assert_eq!(dependency_type("", "weird"), "configuration");
    }

    #[test]
    fn no_panics_on_empty_or_odd_input() {
        let m = map(&[]);
        assert!(m.edges.is_empty() && m.unresolved.is_empty());
        let mut odd = dep("", "", &["", " ; , | ", "\u{1F600}", "999.999.1.1", "a.b.", "."]);
        odd.ip_address = Some("not an ip".into());
        odd.fqdn = Some("..".into());
        let twin = dep("", "server", &[""]);
        let m = map(&[odd.clone(), twin]);
        assert!(m.edges.is_empty());
        let t = topology(vec![odd], &[("x", "x"), ("", "y")]);
        assert_eq!(t.cycles, vec![vec!["x".to_string()]]);
        let groups = ApplicationGrouping
            .run(&GroupingInput {
                assets: vec![],
                edges: vec![],
            })
            .unwrap();
        assert!(groups.value.is_empty());
    }

    #[test]
    fn sample_resolves_every_truth_edge() {
        let m = map(&sample::assets());
        assert!(m.unresolved.is_empty(), "{:?}", m.unresolved);
        let got: Vec<(&str, &str)> = m.edges.iter().map(|e| (e.source.as_str(), e.target.as_str())).collect();
        assert_eq!(got, TRUTH_EDGES);
        for e in &m.edges {
            let expected = if e.target.ends_with("_db") {
                "data_flow"
            } else {
                "hosting"
            };
            assert_eq!(e.dependency_type, expected, "{e:?}");
            assert_eq!(e.confidence, CONFIDENCE_NAME);
        }
        let dependents = dependents_count(&m.edges);
        assert_eq!(dependents.get("srv0006"), Some(&2));
        assert_eq!(dependents.get("billing"), None);
    }

    #[test]
    fn sample_groups_six_applications() {
        let assets = sample::assets();
        let edges = map(&assets).edges;
        let groups = ApplicationGrouping.run(&GroupingInput { assets, edges }).unwrap().value;
        assert_eq!(groups.len(), 6);
        let billing = groups.iter().find(|g| g.key == "billing").unwrap();
        assert_eq!(billing.application, "Billing");
        assert_eq!(billing.application_asset.as_deref(), Some("billing"));
        assert_eq!(billing.members, vec!["batch0004", "batch0005", "billing_db", "srv0006"]);
        let dw = groups.iter().find(|g| g.key == "data warehouse").unwrap();
        assert_eq!(dw.members, vec!["app0001", "app0003", "data_warehouse_db", "web0002"]);
        assert!(groups.iter().all(|g| g.members.len() == 4));
    }

    #[test]
    fn grouping_follows_databases_to_their_hosts_but_not_servers_onwards() {
        let mut app = dep("Shop", "application", &[]);
        app.application = None;
        let mut host = asset("dbhost", "server");
        host.application = Some("Warehouse".into());
        let assets = vec![
            app,
            asset("shopdb", "database"),
            host,
            asset("web", "server"),
            asset("ad01", "server"),
            asset("san", "storage"),
        ];
        let edges = edges_of(&[
            ("shop", "shopdb"),
            ("shopdb", "dbhost"),
            ("shop", "web"),
            ("web", "ad01"),
            ("shop", "san"),
        ]);
        let groups = ApplicationGrouping.run(&GroupingInput { assets, edges }).unwrap().value;
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].key, "shop");
        assert_eq!(groups[0].members, vec!["dbhost", "shopdb", "web"]);
        // Known only from an `application` field.
        assert_eq!(groups[1].key, "warehouse");
        assert_eq!(groups[1].application, "Warehouse");
        assert_eq!(groups[1].application_asset, None);
        assert_eq!(groups[1].members, vec!["dbhost"]);
    }

    #[test]
    fn finds_cycles_hubs_and_longest_chains() {
        let assets: Vec<AssetFacts> = ["a", "b", "c", "d", "e", "hub", "p", "q", "r", "s", "t"]
            .iter()
            .map(|n| asset(n, "server"))
            .collect();
        let t = topology(
            assets,
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
        assert_eq!(
            t.hubs,
            vec![Hub {
                key: "hub".into(),
                dependents: 3
            }]
        );
        assert_eq!(t.longest_chains[0], vec!["p", "q", "r", "s"]);
        // d → {a,b,c} → hub: the cycle collapses to its smallest key.
        assert_eq!(t.longest_chains[1], vec!["d", "a", "hub"]);
        assert_eq!(t.longest_chains[2], vec!["t", "s"]);
        assert_eq!(t.longest_chains.len(), 3);
    }

    #[test]
    fn hubs_are_sorted_by_dependents_then_key() {
        let names = ["x", "y", "z", "a1", "a2", "a3", "a4"];
        let assets: Vec<AssetFacts> = names.iter().map(|n| asset(n, "server")).collect();
        let mut pairs = Vec::new();
        for s in ["a1", "a2", "a3", "a4"] {
            pairs.push((s, "y"));
        }
        for s in ["a1", "a2", "a3"] {
            pairs.push((s, "x"));
            pairs.push((s, "z"));
        }
        let t = topology(assets, &pairs);
        let hubs: Vec<(&str, usize)> = t.hubs.iter().map(|h| (h.key.as_str(), h.dependents)).collect();
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
        let t = topology(vec![a, b, c, d], &[]);
        let cidrs: Vec<&str> = t.subnets.iter().map(|s| s.cidr.as_str()).collect();
        assert_eq!(cidrs, vec!["9.1.2.0/24", "10.1.2.0/24"]);
        assert_eq!(t.subnets[1].members, vec!["a", "b", "c"]);
        let shared: Vec<(&str, Vec<String>)> = t
            .shared_hosts
            .iter()
            .map(|s| (s.address.as_str(), s.members.clone()))
            .collect();
        assert_eq!(
            shared,
            vec![
                ("10.1.2.3", vec!["a".to_string(), "c".to_string()]),
                ("shared", vec!["a".to_string(), "b".to_string()])
            ]
        );
    }

    #[test]
    fn sample_topology() {
        let assets = sample::assets();
        let m = map(&assets);
        let t = NetworkTopology
            .run(&TopologyInput {
                assets,
                edges: m.edges,
                unresolved: m.unresolved,
            })
            .unwrap()
            .value;
        assert!(t.cycles.is_empty());
        assert!(t.hubs.is_empty());
        assert!(t.shared_hosts.is_empty());
        assert_eq!(t.subnets.len(), 18);
        assert_eq!(t.longest_chains.len(), MAX_LONGEST_CHAINS);
        assert_eq!(t.longest_chains[0], vec!["billing", "billing_db", "srv0006"]);
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
        let m = map(&assets);
        assert_eq!(m.edges.len(), N);
        let t = NetworkTopology
            .run(&TopologyInput {
                assets,
                edges: m.edges,
                unresolved: vec![],
            })
            .unwrap()
            .value;
        // One big cycle through every asset.
        assert_eq!(t.cycles.len(), 1);
        assert_eq!(t.cycles[0].len(), N);
        assert!(t.longest_chains.is_empty());

        // And a 100,000-long chain (no cycle) for the longest-path pass.
        let pairs: Vec<(String, String)> = (0..N - 1).map(|i| (format!("c{i}"), format!("c{}", i + 1))).collect();
        let edges: Vec<DependencyEdge> = pairs
            .iter()
            .map(|(s, t)| DependencyEdge {
                source: s.clone(),
                target: t.clone(),
                dependency_type: "service".into(),
                confidence: 0.9,
            })
            .collect();
        let t = NetworkTopology
            .run(&TopologyInput {
                assets: vec![],
                edges,
                unresolved: vec![],
            })
            .unwrap()
            .value;
        assert_eq!(t.longest_chains.len(), 1);
        assert_eq!(t.longest_chains[0].len(), N);
        assert_eq!(t.longest_chains[0].first().map(String::as_str), Some("c0"));
    }

    #[test]
    fn tarjan_on_small_graphs() {
        // 0 → 1 → 2 → 0, 2 → 3, 3 → 4 → 3
        let adjacency = vec![vec![1], vec![2], vec![0, 3], vec![4], vec![3]];
        let mut sccs: Vec<Vec<usize>> = strongly_connected_components(&adjacency)
            .into_iter()
            .map(|mut c| {
                c.sort();
                c
            })
            .collect();
        // Reverse topological order: {3,4} before {0,1,2}.
        assert_eq!(sccs, vec![vec![3, 4], vec![0, 1, 2]]);
        sccs.clear();
        assert!(strongly_connected_components(&[]).is_empty());
    }
}
