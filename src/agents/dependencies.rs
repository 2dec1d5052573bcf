//! Dependency analysis: edges from the sources' `depends_on` names (`dependency_mapping`), which
//! servers and databases make up each application (`application_grouping`), and the shape of the
//! graph — subnets, shared addresses, cycles, hubs, longest chains (`network_topology`).
//!
//! The three agents work over every asset of a flow at once, so they work on the packed
//! [`AssetTable`] and name assets by number: edges, groups and the topology hold `u32`s, and the
//! indexes are sorted vectors of hashes rather than maps of strings. A million assets fit in a few
//! hundred megabytes. All algorithms are linear or `n log n` (sorts, iterative Tarjan, DP on the
//! condensation), and nothing recurses.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::net::Ipv4Addr;

use crate::agents::asset_table::{AssetKind, AssetTable};
use crate::agents::types::{Agent, AgentError, AgentOutput};
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

/// A directed dependency: `source` depends on `target` (asset numbers in the table).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DependencyEdge {
    pub source: u32,
    pub target: u32,
    /// hosting, data_flow, network, service, configuration.
    pub dependency_type: &'static str,
    pub confidence: f64,
}

/// A `depends_on` name that matched no asset: the asset that named it, and the reference's
/// number in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnresolvedReference {
    pub source: u32,
    pub reference: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DependencyMap {
    /// Sorted by (source key, target key); one per pair of keys.
    pub edges: Vec<DependencyEdge>,
    /// Sorted by (source key, reference); one per pair.
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
pub fn dependents_count(table: &AssetTable, edges: &[DependencyEdge]) -> HashMap<String, usize> {
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for e in edges {
        let (source, target) = (table.key(e.source), table.key(e.target));
        if source != target && seen.insert((source, target)) {
            *counts.entry(target.to_string()).or_default() += 1;
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

fn hash_of(text: &str) -> u64 {
    // `DefaultHasher::new()` has fixed keys: the same hash in every run.
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// Sorts `items` by the key of the asset each names, then by number (so ties keep table order),
/// and drops repeated keys.
fn sort_unique_by_key(table: &AssetTable, items: &mut Vec<u32>) {
    items.sort_unstable_by(|&a, &b| table.key_order(a, b));
    items.dedup_by(|b, a| table.key(*a) == table.key(*b));
}

/// The normalized names of an asset: its key and its name.
fn names(table: &AssetTable, asset: u32) -> [String; 2] {
    [normalize(table.key(asset)), normalize(table.name(asset))]
}

/// The normalized host spellings of an asset: hostname and FQDN, and the first label of each
/// when it is dotted.
fn hosts(table: &AssetTable, asset: u32) -> Vec<String> {
    let mut spellings = Vec::new();
    for host in [table.hostname(asset), table.fqdn(asset)].into_iter().flatten() {
        let host = normalize(host);
        if host.is_empty() {
            continue;
        }
        if let Some(label) = host.split('.').next().filter(|l| *l != host && !l.is_empty()) {
            spellings.push(label.to_string());
        }
        spellings.push(host);
    }
    spellings
}

/// Spellings → assets, as a sorted vector of (hash of the spelling, asset): 16 bytes a spelling
/// where a map of strings took about 80. A lookup rechecks each candidate's spellings, so a hash
/// collision cannot resolve a name to the wrong asset.
struct SpellingIndex {
    entries: Vec<(u64, u32)>,
}

/// (hash of a spelling, asset) for every asset's distinct spellings, sorted.
fn hashed(table: &AssetTable, spellings: impl Fn(&AssetTable, u32) -> Vec<String>) -> Vec<(u64, u32)> {
    let mut entries = Vec::new();
    for asset in table.indices() {
        let mut hashes: Vec<u64> = spellings(table, asset).iter().map(|s| hash_of(s)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        entries.extend(hashes.into_iter().map(|h| (h, asset)));
    }
    entries.sort_unstable();
    entries.shrink_to_fit();
    entries
}

impl SpellingIndex {
    fn new(table: &AssetTable, spellings: impl Fn(&AssetTable, u32) -> Vec<String>) -> Self {
        SpellingIndex {
            entries: hashed(table, spellings),
        }
    }

    /// The asset spelled `text`; when several are, the one with the smallest key (then the
    /// first), so the result does not depend on input order.
    fn get(&self, table: &AssetTable, text: &str, spellings: impl Fn(&AssetTable, u32) -> Vec<String>) -> Option<u32> {
        filed_under(&self.entries, hash_of(text))
            .filter(|&asset| spellings(table, asset).iter().any(|s| s == text))
            .min_by(|&a, &b| table.key_order(a, b))
    }
}

/// The assets filed under `key` in a vector of (key, asset) sorted by key.
fn filed_under<K: Ord + Copy>(entries: &[(K, u32)], key: K) -> impl Iterator<Item = u32> + '_ {
    let from = entries.partition_point(|&(k, _)| k < key);
    entries[from..]
        .iter()
        .take_while(move |&&(k, _)| k == key)
        .map(|&(_, asset)| asset)
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

/// Lookup from every spelling of an asset to its number.
struct Resolver<'a> {
    table: &'a AssetTable,
    by_name: SpellingIndex,
    by_host: SpellingIndex,
    /// (address, asset), sorted.
    by_ip: Vec<(u32, u32)>,
}

impl<'a> Resolver<'a> {
    fn new(table: &'a AssetTable) -> Self {
        let mut by_ip: Vec<(u32, u32)> = table
            .indices()
            .filter_map(|a| Some((u32::from(table.ip_address(a).and_then(canonical_ipv4)?), a)))
            .collect();
        by_ip.sort_unstable();
        Resolver {
            table,
            by_name: SpellingIndex::new(table, |t, a| names(t, a).into()),
            by_host: SpellingIndex::new(table, hosts),
            by_ip,
        }
    }

    fn name(&self, text: &str) -> Option<u32> {
        self.by_name.get(self.table, text, |t, a| names(t, a).into())
    }

    fn host(&self, text: &str) -> Option<u32> {
        self.by_host.get(self.table, text, hosts)
    }

    fn ip(&self, ip: Ipv4Addr) -> Option<u32> {
        filed_under(&self.by_ip, u32::from(ip)).min_by(|&a, &b| self.table.key_order(a, b))
    }

    /// Key/name, then hostname/FQDN, then IP, then the first label of a dotted name.
    fn resolve(&self, reference: &str) -> Option<(u32, Match)> {
        let r = normalize(reference);
        if r.is_empty() {
            return None;
        }
        if let Some(i) = self.name(&r) {
            return Some((i, Match::Name));
        }
        if let Some(i) = self.host(&r) {
            return Some((i, Match::Host));
        }
        if let Some(ip) = canonical_ipv4(&r) {
            return self.ip(ip).map(|i| (i, Match::Ip));
        }
        let label = r.split('.').next().filter(|l| !l.is_empty() && *l != r)?;
        self.name(label)
            .or_else(|| self.host(label))
            .map(|i| (i, Match::ShortName))
    }
}

/// Resolves every asset's `depends_on` names into edges.
#[derive(Debug, Clone, Copy, Default)]
pub struct DependencyMapping;

impl Agent for DependencyMapping {
    type Input = AssetTable;
    type Output = DependencyMap;
    const NAME: &'static str = "dependency_mapping";
    const PHASE: PhaseName = PhaseName::DependencyAnalysis;

    fn run(&self, table: &AssetTable) -> Result<AgentOutput<DependencyMap>, AgentError> {
        let resolver = Resolver::new(table);
        let mut found: Vec<(u32, u32, f64)> = Vec::new();
        let mut unresolved: Vec<UnresolvedReference> = Vec::new();
        let (mut total, mut self_refs) = (0usize, 0usize);
        let mut by_kind = [0usize; 4];
        for source in table.indices() {
            for (reference, text) in table.references(source) {
                total += 1;
                match resolver.resolve(text) {
                    Some((target, _)) if target == source || table.key(target) == table.key(source) => self_refs += 1,
                    Some((target, how)) => {
                        by_kind[how as usize] += 1;
                        found.push((source, target, how.confidence()));
                    }
                    None => unresolved.push(UnresolvedReference { source, reference }),
                }
            }
        }
        let misses = unresolved.len();
        drop(resolver);

        // One edge per pair of keys (duplicate keys in the input would give several pairs of
        // numbers), with the best confidence any of its references gave.
        found.sort_unstable_by(|a, b| {
            (table.key(a.0), table.key(a.1), a.0, a.1).cmp(&(table.key(b.0), table.key(b.1), b.0, b.1))
        });
        found.dedup_by(|b, a| {
            let same = table.key(a.0) == table.key(b.0) && table.key(a.1) == table.key(b.1);
            if same {
                a.2 = a.2.max(b.2);
            }
            same
        });
        let edges: Vec<DependencyEdge> = found
            .into_iter()
            .map(|(source, target, confidence)| DependencyEdge {
                source,
                target,
                dependency_type: dependency_type(table.kind(source).as_str(), table.kind(target).as_str()),
                confidence,
            })
            .collect();

        let order = |u: &UnresolvedReference| (table.key(u.source), table.reference(u.reference));
        unresolved.sort_unstable_by(|a, b| order(a).cmp(&order(b)).then(a.reference.cmp(&b.reference)));
        unresolved.dedup_by(|b, a| order(a) == order(b));

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

#[derive(Debug)]
pub struct GroupingInput {
    pub assets: AssetTable,
    pub edges: Vec<DependencyEdge>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationGroup {
    /// Lower-case application name: the grouping key.
    pub key: String,
    /// The application's name as written (the application asset's name when there is one).
    pub application: String,
    /// The application asset, when the inventory has one.
    pub application_asset: Option<u32>,
    /// The servers and databases, sorted by key.
    pub members: Vec<u32>,
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
    asset: Option<u32>,
    members: Vec<u32>,
}

fn is_member(kind: AssetKind) -> bool {
    matches!(kind, AssetKind::Server | AssetKind::Database)
}

impl Agent for ApplicationGrouping {
    type Input = GroupingInput;
    type Output = Vec<ApplicationGroup>;
    const NAME: &'static str = "application_grouping";
    const PHASE: PhaseName = PhaseName::DependencyAnalysis;

    fn run(&self, input: &GroupingInput) -> Result<AgentOutput<Vec<ApplicationGroup>>, AgentError> {
        let table = &input.assets;
        let targets = Graph::new(table.len(), input.edges.iter().map(|e| (e.source, e.target)));
        // Sorted by key so the spelling chosen for a field-only application is stable.
        let mut assets: Vec<u32> = table.indices().collect();
        assets.sort_by(|&a, &b| table.key(a).cmp(table.key(b)));

        let mut groups: BTreeMap<String, GroupBuilder> = BTreeMap::new();
        for &app in assets.iter().filter(|&&a| table.kind(a) == AssetKind::Application) {
            // The application field of the application asset, when it has one, is its group name.
            let (key, display) = match table.application(app).map(str::trim).filter(|s| !s.is_empty()) {
                Some(name) => (name.to_lowercase(), name.to_string()),
                None => (table.key(app).to_string(), table.name(app).to_string()),
            };
            let group = groups.entry(key).or_default();
            if group.asset.is_none() {
                group.asset = Some(app);
                let name = table.name(app);
                group.application = Some(if name.trim().is_empty() {
                    display
                } else {
                    name.to_string()
                });
            }
            // Breadth-first: application → servers/databases; databases → their hosts.
            let mut seen: HashSet<u32> = HashSet::from([app]);
            let mut queue: VecDeque<u32> = VecDeque::from([app]);
            while let Some(node) = queue.pop_front() {
                for &t in targets.successors(node) {
                    if !is_member(table.kind(t)) || !seen.insert(t) {
                        continue;
                    }
                    group.members.push(t);
                    if table.kind(t) == AssetKind::Database {
                        queue.push_back(t);
                    }
                }
            }
        }
        for &asset in &assets {
            let kind = table.kind(asset);
            let Some(name) = table.application(asset).map(str::trim).filter(|s| !s.is_empty()) else {
                continue;
            };
            if kind == AssetKind::Application {
                continue;
            }
            let group = groups.entry(name.to_lowercase()).or_default();
            group.application.get_or_insert_with(|| name.to_string());
            if is_member(kind) {
                group.members.push(asset);
            }
        }
        drop(assets);

        let result: Vec<ApplicationGroup> = groups
            .into_iter()
            .map(|(key, mut g)| {
                sort_unique_by_key(table, &mut g.members);
                ApplicationGroup {
                    application: g.application.unwrap_or_else(|| key.clone()),
                    key,
                    application_asset: g.asset,
                    members: g.members,
                }
            })
            .collect();

        let mut grouped: Vec<u32> = result.iter().flat_map(|g| g.members.iter().copied()).collect();
        sort_unique_by_key(table, &mut grouped);
        let mut candidates: Vec<u32> = table.indices().filter(|&a| is_member(table.kind(a))).collect();
        sort_unique_by_key(table, &mut candidates);
        let (grouped, candidates) = (grouped.len(), candidates.len());
        let ungrouped = candidates.saturating_sub(grouped);
        let confidence = if candidates == 0 {
            0.9
        } else {
            0.6 + 0.3 * grouped.min(candidates) as f64 / candidates as f64
        };
        let reasoning = format!(
            "{} applications; {grouped} of {candidates} servers and databases belong to at least one, {ungrouped} to none.",
            result.len(),
        );
        Ok(AgentOutput::new(result, confidence, reasoning))
    }
}

// ------------------------------------------------------------------------------------------------
// network_topology

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

/// A directed graph over numbered nodes in compressed rows: node `v`'s successors are
/// `targets[offsets[v]..offsets[v + 1]]`, in the order the edges came.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl Graph {
    /// A graph of `nodes` nodes; edges to or from nodes outside it are ignored.
    pub fn new(nodes: usize, edges: impl Iterator<Item = (u32, u32)> + Clone) -> Self {
        let n = nodes as u32;
        let inside = move |&(s, t): &(u32, u32)| s < n && t < n;
        let mut offsets = vec![0u32; nodes + 1];
        for (s, _) in edges.clone().filter(inside) {
            offsets[s as usize + 1] += 1;
        }
        for v in 0..nodes {
            offsets[v + 1] += offsets[v];
        }
        let mut next = offsets.clone();
        let mut targets = vec![0u32; offsets[nodes] as usize];
        for (s, t) in edges.filter(inside) {
            targets[next[s as usize] as usize] = t;
            next[s as usize] += 1;
        }
        Graph { offsets, targets }
    }

    pub fn nodes(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn successors(&self, v: u32) -> &[u32] {
        let v = v as usize;
        match (self.offsets.get(v), self.offsets.get(v + 1)) {
            (Some(&from), Some(&to)) => &self.targets[from as usize..to as usize],
            _ => &[],
        }
    }
}

/// Strongly connected components by Tarjan's algorithm with an explicit stack. Components come
/// out in reverse topological order: every edge between components points to an earlier one.
/// Returned as a graph of sorts: component `c`'s members are `successors(c)`.
pub fn strongly_connected_components(graph: &Graph) -> Graph {
    const UNVISITED: u32 = u32::MAX;
    let n = graph.nodes();
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut members: Vec<u32> = Vec::with_capacity(n);
    let mut offsets: Vec<u32> = vec![0];
    let mut counter = 0u32;
    // (node, position of the next successor to look at)
    let mut calls: Vec<(u32, u32)> = Vec::new();

    for root in 0..n as u32 {
        if index[root as usize] != UNVISITED {
            continue;
        }
        index[root as usize] = counter;
        low[root as usize] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        calls.push((root, 0));
        while let Some(&mut (v, ref mut next)) = calls.last_mut() {
            if let Some(&w) = graph.successors(v).get(*next as usize) {
                *next += 1;
                if index[w as usize] == UNVISITED {
                    index[w as usize] = counter;
                    low[w as usize] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w as usize] = true;
                    calls.push((w, 0));
                } else if on_stack[w as usize] {
                    low[v as usize] = low[v as usize].min(index[w as usize]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent as usize] = low[parent as usize].min(low[v as usize]);
            }
            if low[v as usize] == index[v as usize] {
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                offsets.push(members.len() as u32);
            }
        }
    }
    Graph {
        offsets,
        targets: members,
    }
}

/// Each node's component, from `strongly_connected_components`' answer over `nodes` nodes.
pub fn component_of(components: &Graph, nodes: usize) -> Vec<u32> {
    let mut of = vec![0u32; nodes];
    for c in 0..components.nodes() as u32 {
        for &v in components.successors(c) {
            of[v as usize] = c;
        }
    }
    of
}

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
    use crate::agents::types::AssetFacts;

    fn map(assets: &[AssetFacts]) -> (AssetTable, DependencyMap) {
        let table = AssetTable::from_facts(assets);
        let map = DependencyMapping.run(&table).expect("mapping never fails").value;
        (table, map)
    }

    fn edge<'a>(t: &AssetTable, m: &'a DependencyMap, s: &str, target: &str) -> Option<&'a DependencyEdge> {
        m.edges
            .iter()
            .find(|e| t.key(e.source) == s && t.key(e.target) == target)
    }

    fn dep(name: &str, asset_type: &str, deps: &[&str]) -> AssetFacts {
        let mut a = asset(name, asset_type);
        a.depends_on = deps.iter().map(|d| d.to_string()).collect();
        a
    }

    fn edges_of(table: &AssetTable, pairs: &[(&str, &str)]) -> Vec<DependencyEdge> {
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
        let (t, m) = map(&[app, db, web01, by_ip, web02, web03]);

        assert_eq!(edge(&t, &m, "portal", "db01").unwrap().confidence, CONFIDENCE_NAME);
        assert_eq!(edge(&t, &m, "portal", "db01").unwrap().dependency_type, "data_flow");
        assert_eq!(edge(&t, &m, "portal", "web01").unwrap().confidence, CONFIDENCE_HOST);
        assert_eq!(edge(&t, &m, "portal", "srv-a").unwrap().confidence, CONFIDENCE_IP);
        assert_eq!(
            edge(&t, &m, "portal", "web02-prod").unwrap().confidence,
            CONFIDENCE_HOST
        );
        assert_eq!(
            edge(&t, &m, "portal", "web03").unwrap().confidence,
            CONFIDENCE_SHORT_NAME
        );
        assert_eq!(edge(&t, &m, "portal", "srv-a").unwrap().dependency_type, "hosting");
        // `DB01` and `'db01'` collapse; the self-reference is dropped.
        assert_eq!(m.edges.len(), 5);
        assert!(edge(&t, &m, "portal", "portal").is_none());
        let unresolved: Vec<&str> = m.unresolved.iter().map(|u| t.reference(u.reference)).collect();
        assert_eq!(unresolved, vec!["10.9.9.9", "ghost"]);
        assert!(m.unresolved.iter().all(|u| t.key(u.source) == "portal"));
        let keys: Vec<(&str, &str)> = m.edges.iter().map(|e| (t.key(e.source), t.key(e.target))).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, keys);
    }

    #[test]
    fn fqdn_resolution_by_host_only() {
        let mut web = asset("Web Server 1", "server");
        web.hostname = Some("websrv1".into());
        web.fqdn = Some("websrv1.dmz.example.com".into());
        let app = dep("shop", "application", &["WEBSRV1.DMZ.EXAMPLE.COM", "websrv1"]);
        let (t, m) = map(&[app, web]);
        assert_eq!(m.edges.len(), 1);
        assert_eq!(t.key(m.edges[0].target), "web server 1");
        assert_eq!(m.edges[0].confidence, CONFIDENCE_HOST);
    }

    #[test]
    fn a_shared_spelling_goes_to_the_smallest_key_whatever_the_order() {
        let mut b = asset("b-host", "server");
        b.hostname = Some("shared".into());
        let mut a = asset("a-host", "server");
        a.hostname = Some("SHARED".into());
        let app = dep("app", "application", &["shared"]);
        for assets in [vec![app.clone(), b.clone(), a.clone()], vec![a, app, b]] {
            let (t, m) = map(&assets);
            assert_eq!(m.edges.len(), 1);
            assert_eq!(t.key(m.edges[0].target), "a-host");
        }
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
        let (_, m) = map(&[]);
        assert!(m.edges.is_empty() && m.unresolved.is_empty());
        let mut odd = dep("", "", &["", " ; , | ", "\u{1F600}", "999.999.1.1", "a.b.", "."]);
        odd.ip_address = Some("not an ip".into());
        odd.fqdn = Some("..".into());
        let twin = dep("", "server", &[""]);
        let (_, m) = map(&[odd.clone(), twin]);
        assert!(m.edges.is_empty());
        let (_, t) = topology(&[odd, asset("x", "server"), asset("y", "")], &[("x", "x"), ("", "y")]);
        assert_eq!(t.cycles, vec![vec!["x".to_string()]]);
        let groups = ApplicationGrouping
            .run(&GroupingInput {
                assets: AssetTable::default(),
                edges: vec![],
            })
            .unwrap();
        assert!(groups.value.is_empty());
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
    fn sample_resolves_every_truth_edge() {
        let (t, m) = map(&sample::assets());
        assert!(m.unresolved.is_empty(), "{:?}", m.unresolved);
        let got: Vec<(&str, &str)> = m.edges.iter().map(|e| (t.key(e.source), t.key(e.target))).collect();
        assert_eq!(got, TRUTH_EDGES);
        for e in &m.edges {
            let expected = if t.key(e.target).ends_with("_db") {
                "data_flow"
            } else {
                "hosting"
            };
            assert_eq!(e.dependency_type, expected, "{e:?}");
            assert_eq!(e.confidence, CONFIDENCE_NAME);
        }
        let dependents = dependents_count(&t, &m.edges);
        assert_eq!(dependents.get("srv0006"), Some(&2));
        assert_eq!(dependents.get("billing"), None);
    }

    #[test]
    fn sample_groups_six_applications() {
        let (assets, m) = map(&sample::assets());
        let input = GroupingInput { assets, edges: m.edges };
        let groups = ApplicationGrouping.run(&input).unwrap().value;
        let t = &input.assets;
        assert_eq!(groups.len(), 6);
        let billing = groups.iter().find(|g| g.key == "billing").unwrap();
        assert_eq!(billing.application, "Billing");
        assert_eq!(billing.application_asset.map(|a| t.key(a)), Some("billing"));
        assert_eq!(
            t.keys(&billing.members),
            vec!["batch0004", "batch0005", "billing_db", "srv0006"]
        );
        let dw = groups.iter().find(|g| g.key == "data warehouse").unwrap();
        assert_eq!(
            t.keys(&dw.members),
            vec!["app0001", "app0003", "data_warehouse_db", "web0002"]
        );
        assert!(groups.iter().all(|g| g.members.len() == 4));
    }

    #[test]
    fn grouping_follows_databases_to_their_hosts_but_not_servers_onwards() {
        let mut app = dep("Shop", "application", &[]);
        app.application = None;
        let mut host = asset("dbhost", "server");
        host.application = Some("Warehouse".into());
        let assets = AssetTable::from_facts(&[
            app,
            asset("shopdb", "database"),
            host,
            asset("web", "server"),
            asset("ad01", "server"),
            asset("san", "storage"),
        ]);
        let edges = edges_of(
            &assets,
            &[
                ("shop", "shopdb"),
                ("shopdb", "dbhost"),
                ("shop", "web"),
                ("web", "ad01"),
                ("shop", "san"),
            ],
        );
        let input = GroupingInput { assets, edges };
        let groups = ApplicationGrouping.run(&input).unwrap().value;
        let t = &input.assets;
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].key, "shop");
        assert_eq!(t.keys(&groups[0].members), vec!["dbhost", "shopdb", "web"]);
        // Known only from an `application` field.
        assert_eq!(groups[1].key, "warehouse");
        assert_eq!(groups[1].application, "Warehouse");
        assert_eq!(groups[1].application_asset, None);
        assert_eq!(t.keys(&groups[1].members), vec!["dbhost"]);
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
                .push(crate::agents::asset_table::Identity {
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

    #[test]
    fn tarjan_on_small_graphs() {
        // 0 → 1 → 2 → 0, 2 → 3, 3 → 4 → 3
        let graph = Graph::new(5, [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 3)].into_iter());
        let components = strongly_connected_components(&graph);
        let sccs: Vec<Vec<u32>> = (0..components.nodes() as u32)
            .map(|c| {
                let mut c = components.successors(c).to_vec();
                c.sort();
                c
            })
            .collect();
        // Reverse topological order: {3,4} before {0,1,2}.
        assert_eq!(sccs, vec![vec![3, 4], vec![0, 1, 2]]);
        assert_eq!(
            strongly_connected_components(&Graph::new(0, std::iter::empty())).nodes(),
            0
        );
    }
}
