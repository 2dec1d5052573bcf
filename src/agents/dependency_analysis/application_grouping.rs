//! `application_grouping` (dependency_analysis): which servers and databases make up each
//! application, from `dependency_mapping`'s edges and the assets' `application` fields.

use std::collections::{BTreeMap, HashSet, VecDeque};

use super::dependency_mapping::DependencyEdge;
use super::lookup::sort_unique_by_key;
use crate::agents::asset_table::{AssetKind, AssetTable};
use crate::agents::graph::Graph;
use crate::agents::types::{Agent, AgentError, AgentOutput};
use crate::domain::PhaseName;

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

#[cfg(test)]
mod tests {
    use super::super::test_support::{edges_of, map};
    use super::*;
    use crate::agents::test_fixtures::{asset, dep, sample};

    #[test]
    fn no_panics_on_empty_input() {
        let groups = ApplicationGrouping
            .run(&GroupingInput {
                assets: AssetTable::default(),
                edges: vec![],
            })
            .unwrap();
        assert!(groups.value.is_empty());
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
}
