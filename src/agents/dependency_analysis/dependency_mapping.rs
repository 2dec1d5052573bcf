//! `dependency_mapping` (dependency_analysis): resolves every asset's `depends_on` names into
//! edges, by key or name, then host name or FQDN, then any of the asset's IP addresses, then the
//! first label of a dotted name; a reference that names no asset whole is cut into list parts
//! (`a + b`, `a / b`) and phrase words (`hébergée sur srv0036`) (`resolver.rs`). Each edge is
//! typed by the asset types at its ends.

use std::collections::{HashMap, HashSet};

use super::reference_text::offset_in;
use super::resolver::{Match, Outcome, Resolver};
use crate::agents::asset_table::AssetTable;
use crate::agents::types::{Agent, AgentError, AgentOutput};
use crate::domain::PhaseName;

/// Confidence of an edge by how its reference was resolved.
pub const CONFIDENCE_NAME: f64 = 0.95;
pub const CONFIDENCE_HOST: f64 = 0.9;
/// The first label of a dotted reference (`web01.corp.example.com` → asset `web01`).
pub const CONFIDENCE_SHORT_NAME: f64 = 0.85;
pub const CONFIDENCE_IP: f64 = 0.8;

/// A directed dependency: `source` depends on `target` (asset numbers in the table).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DependencyEdge {
    pub source: u32,
    pub target: u32,
    /// hosting, data_flow, network, service, configuration.
    pub dependency_type: &'static str,
    pub confidence: f64,
}

/// A `depends_on` name that matched no asset: the asset that named it, the reference's number
/// in the table, and the byte range of the part that named nothing (the whole reference, or one
/// item of a list or phrase in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnresolvedReference {
    pub source: u32,
    pub reference: u32,
    pub part: (u32, u32),
}

impl UnresolvedReference {
    /// The unresolved text, as written.
    pub fn text<'t>(&self, table: &'t AssetTable) -> &'t str {
        &table.reference(self.reference)[self.part.0 as usize..self.part.1 as usize]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DependencyMap {
    /// Sorted by (source key, target key); one per pair of keys.
    pub edges: Vec<DependencyEdge>,
    /// Sorted by (source key, text); one per pair.
    pub unresolved: Vec<UnresolvedReference>,
    /// How many items the references held: whole references that named an asset, and the
    /// list parts and phrase words of the others that named one or nothing.
    pub references: usize,
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

/// Confidence of an edge by how its reference was resolved.
fn confidence(how: Match) -> f64 {
    match how {
        Match::Name => CONFIDENCE_NAME,
        Match::Host => CONFIDENCE_HOST,
        Match::ShortName => CONFIDENCE_SHORT_NAME,
        Match::Ip => CONFIDENCE_IP,
    }
}

/// A byte offset within one reference, which the table already holds in a `u32`.
fn to_u32(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
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
        let (mut by_kind, mut within_lists) = ([0usize; 4], 0usize);
        // Reused across references: the common reference resolves whole and allocates nothing
        // here.
        let mut outcomes: Vec<Outcome> = Vec::new();
        for source in table.indices() {
            for (reference, text) in table.references(source) {
                outcomes.clear();
                resolver.resolve_reference(text, &mut outcomes);
                for &outcome in &outcomes {
                    total += 1;
                    match outcome {
                        Outcome::Found { target, .. } if target == source || table.key(target) == table.key(source) => {
                            self_refs += 1
                        }
                        Outcome::Found { target, how, within } => {
                            by_kind[how as usize] += 1;
                            within_lists += usize::from(within);
                            found.push((source, target, confidence(how)));
                        }
                        Outcome::Missing(part) => {
                            let from = offset_in(text, part);
                            unresolved.push(UnresolvedReference {
                                source,
                                reference,
                                part: (to_u32(from), to_u32(from + part.len())),
                            });
                        }
                    }
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

        let order = |u: &UnresolvedReference| (table.key(u.source), u.text(table));
        unresolved.sort_unstable_by(|a, b| {
            order(a)
                .cmp(&order(b))
                .then((a.reference, a.part).cmp(&(b.reference, b.part)))
        });
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
             {} by short name; {within_lists} of them items of a list or words of a phrase); {} unresolved, \
             {self_refs} self-references dropped.",
            edges.len(),
            by_kind[Match::Name as usize],
            by_kind[Match::Host as usize],
            by_kind[Match::Ip as usize],
            by_kind[Match::ShortName as usize],
            unresolved.len(),
        );
        Ok(AgentOutput::new(
            DependencyMap {
                edges,
                unresolved,
                references: total,
            },
            confidence,
            reasoning,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::test_fixtures::sample::{self, TRUTH_EDGES};
    use crate::agents::test_fixtures::{asset, dep};
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
}
