//! The assessment flow's judgements, pure like the agents: per-application readiness and 6R
//! roll-up, and migration waves (dependency cycles move together, dependencies first).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::agents::graph::{Graph, component_of, strongly_connected_components};

/// An asset as the assessment sees it (from the master discovery flow).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessedAsset {
    pub key: String,
    pub name: String,
    pub asset_type: String,
    pub application: Option<String>,
    pub quality: f64,
    /// REHOST, REPLATFORM, ... as stored.
    pub six_r: Option<String>,
    /// Past end of support.
    pub expired: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationAssessment {
    pub name: String,
    /// Keys of the application's assets (the application record itself included, if any).
    pub members: Vec<String>,
    /// 0–100: data completeness 40%, tech debt 30%, dependency complexity 30%.
    pub readiness_score: u8,
    pub reasons: Vec<String>,
    pub six_r_strategy: String,
    pub six_r_rationale: String,
    /// S, M, L or XL.
    pub effort_class: String,
}

/// The application an asset belongs to: its `application` field, or its own name for an
/// application record.
fn application_of(asset: &AssessedAsset) -> Option<String> {
    asset
        .application
        .clone()
        .filter(|a| !a.trim().is_empty())
        .or_else(|| (asset.asset_type == "application").then(|| asset.name.clone()))
}

/// Effort points per strategy: what moving one component that way costs, roughly.
fn effort_points(strategy: &str) -> f64 {
    match strategy {
        "REFACTOR" => 4.0,
        "REPLATFORM" | "REPURCHASE" => 2.0,
        "REHOST" => 1.0,
        "RETIRE" => 0.5,
        _ => 0.0,
    }
}

/// Readiness and a 6R recommendation per application, from its assets and their dependencies
/// (`edges`: source depends on target, by key).
pub fn assess_applications(assets: &[AssessedAsset], edges: &[(String, String)]) -> Vec<ApplicationAssessment> {
    let mut groups: BTreeMap<String, (String, Vec<&AssessedAsset>)> = BTreeMap::new();
    for asset in assets {
        if let Some(app) = application_of(asset) {
            groups
                .entry(app.to_lowercase())
                .or_insert_with(|| (app.clone(), Vec::new()))
                .1
                .push(asset);
        }
    }
    let group_of: HashMap<&str, String> = groups
        .iter()
        .flat_map(|(key, (_, members))| members.iter().map(move |m| (m.key.as_str(), key.clone())))
        .collect();
    groups
        .iter()
        .map(|(key, (name, members))| {
            let n = members.len() as f64;
            let completeness = members.iter().map(|m| m.quality).sum::<f64>() / n;
            let expired = members.iter().filter(|m| m.expired).count();
            let external = edges
                .iter()
                .filter(|(s, t)| {
                    let (gs, gt) = (group_of.get(s.as_str()), group_of.get(t.as_str()));
                    (gs == Some(key)) != (gt == Some(key))
                })
                .count();
            let debt = 1.0 - expired as f64 / n;
            let coupling = 1.0 / (1.0 + external as f64 / 2.0);
            let score = (100.0 * (0.4 * completeness + 0.3 * debt + 0.3 * coupling))
                .round()
                .clamp(0.0, 100.0) as u8;
            let mut reasons = vec![format!(
                "data completeness {:.0}% across {} assets",
                completeness * 100.0,
                members.len()
            )];
            if expired > 0 {
                reasons.push(format!("{expired} of {} assets past end of support", members.len()));
            }
            reasons.push(match external {
                0 => "no dependencies outside the application".to_string(),
                n => format!("{n} dependencies cross the application's boundary"),
            });

            // The application record's own decision wins (a SaaS replacement, say); otherwise
            // the strategy most of its components need.
            let own = members
                .iter()
                .find(|m| m.asset_type == "application")
                .and_then(|m| m.six_r.clone());
            let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
            for m in members.iter().filter(|m| m.asset_type != "application") {
                *tally.entry(m.six_r.as_deref().unwrap_or("REHOST")).or_default() += 1;
            }
            let majority = tally
                .iter()
                .max_by_key(|(s, n)| (**n, effort_points(s) as i64))
                .map(|(s, _)| s.to_string());
            let (strategy, rationale) = match (own, majority) {
                (Some(own), _) if own == "REPURCHASE" || own == "RETIRE" || own == "RETAIN" => (
                    own.clone(),
                    format!(
                        "the application itself is to {}: its components follow it",
                        own.to_lowercase()
                    ),
                ),
                (_, Some(major)) => {
                    let count = tally.get(major.as_str()).copied().unwrap_or(0);
                    let total: usize = tally.values().sum();
                    (
                        major.clone(),
                        format!("{count} of {total} components are to {}", major.to_lowercase()),
                    )
                }
                (Some(own), None) => (own.clone(), "only the application record itself is known".to_string()),
                (None, None) => (
                    "REHOST".to_string(),
                    "no component decisions: rehost by default".to_string(),
                ),
            };
            let points: f64 = members
                .iter()
                .map(|m| effort_points(m.six_r.as_deref().unwrap_or("REHOST")))
                .sum::<f64>()
                + expired as f64
                + external as f64 * 0.5;
            let effort = match points {
                p if p < 4.0 => "S",
                p if p < 8.0 => "M",
                p if p < 16.0 => "L",
                _ => "XL",
            };
            ApplicationAssessment {
                name: name.clone(),
                members: members.iter().map(|m| m.key.clone()).collect(),
                readiness_score: score,
                reasons,
                six_r_strategy: strategy,
                six_r_rationale: rationale,
                effort_class: effort.to_string(),
            }
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wave {
    /// From 1; everything an asset depends on moves in its wave or an earlier one.
    pub number: usize,
    pub members: Vec<String>,
    pub applications: Vec<String>,
    /// A dependency cycle larger than the maximum wave size, kept together anyway.
    pub oversized: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WavePlan {
    pub waves: Vec<Wave>,
    /// The longest dependency chain (keys, dependent first): the sequence no planning can shorten.
    pub critical_path: Vec<String>,
    pub max_wave_size: usize,
}

/// Migration waves: each strongly connected component stays in one wave; a component goes in
/// the earliest wave no earlier than its dependencies' with room for it (first fit).
pub fn plan_waves(assets: &[AssessedAsset], edges: &[(String, String)], max_wave_size: usize) -> WavePlan {
    let max_wave_size = max_wave_size.max(1);
    let index: HashMap<&str, usize> = assets.iter().enumerate().map(|(i, a)| (a.key.as_str(), i)).collect();
    let pairs: Vec<(u32, u32)> = edges
        .iter()
        .filter_map(|(s, t)| Some((*index.get(s.as_str())? as u32, *index.get(t.as_str())? as u32)))
        .filter(|(s, t)| s != t)
        .collect();
    let adjacency = Graph::new(assets.len(), pairs.into_iter());
    // Dependencies come out first: every edge between components points to an earlier one.
    let scc = strongly_connected_components(&adjacency);
    let components: Vec<&[u32]> = (0..scc.nodes() as u32).map(|c| scc.successors(c)).collect();
    let component_of = component_of(&scc, assets.len());
    let mut wave_of_component = vec![0usize; components.len()];
    let mut sizes: Vec<usize> = Vec::new();
    // Longest chain ending at each component (in assets), and where it came from.
    let mut depth = vec![0usize; components.len()];
    let mut via: Vec<Option<usize>> = vec![None; components.len()];
    for (c, members) in components.iter().enumerate() {
        let deps: Vec<usize> = members
            .iter()
            .flat_map(|&m| {
                adjacency
                    .successors(m)
                    .iter()
                    .map(|&t| component_of[t as usize] as usize)
            })
            .filter(|&d| d != c)
            .collect();
        let earliest = deps.iter().map(|&d| wave_of_component[d]).max().unwrap_or(0);
        let wave = (earliest..)
            .find(|&w| {
                sizes
                    .get(w)
                    .is_none_or(|&used| used + members.len() <= max_wave_size || used == 0)
            })
            .unwrap_or(earliest);
        if wave >= sizes.len() {
            sizes.resize(wave + 1, 0);
        }
        sizes[wave] += members.len();
        wave_of_component[c] = wave;
        if let Some(&best) = deps.iter().max_by_key(|&&d| depth[d]) {
            depth[c] = depth[best] + members.len();
            via[c] = Some(best);
        } else {
            depth[c] = members.len();
        }
    }
    let mut waves: Vec<Wave> = (0..sizes.len())
        .map(|w| Wave {
            number: w + 1,
            members: Vec::new(),
            applications: Vec::new(),
            oversized: false,
        })
        .collect();
    for (c, members) in components.iter().enumerate() {
        let wave = &mut waves[wave_of_component[c]];
        wave.oversized |= members.len() > max_wave_size;
        for &m in members.iter() {
            let m = m as usize;
            wave.members.push(assets[m].key.clone());
            if let Some(app) = application_of(&assets[m])
                && !wave.applications.contains(&app)
            {
                wave.applications.push(app);
            }
        }
    }
    for wave in &mut waves {
        wave.members.sort();
        wave.applications.sort();
    }
    let mut critical_path = Vec::new();
    let mut at = (0..components.len()).max_by_key(|&c| (depth[c], std::cmp::Reverse(c)));
    while let Some(c) = at {
        let mut keys: Vec<String> = components[c].iter().map(|&m| assets[m as usize].key.clone()).collect();
        keys.sort();
        critical_path.extend(keys);
        at = via[c];
    }
    WavePlan {
        waves,
        critical_path,
        max_wave_size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(key: &str, kind: &str, app: &str, six_r: &str, expired: bool) -> AssessedAsset {
        AssessedAsset {
            key: key.into(),
            name: key.into(),
            asset_type: kind.into(),
            application: (!app.is_empty()).then(|| app.into()),
            quality: 1.0,
            six_r: Some(six_r.into()),
            expired,
        }
    }

    fn edge(s: &str, t: &str) -> (String, String) {
        (s.into(), t.into())
    }

    fn wave_of(plan: &WavePlan, key: &str) -> usize {
        plan.waves
            .iter()
            .find(|w| w.members.iter().any(|m| m == key))
            .unwrap()
            .number
    }

    #[test]
    fn waves_put_dependencies_first_and_keep_cycles_together() {
        let assets: Vec<AssessedAsset> = ["app", "web", "db", "host", "a", "b"]
            .iter()
            .map(|k| asset(k, "server", "", "REHOST", false))
            .collect();
        let edges = vec![
            edge("app", "web"),
            edge("web", "db"),
            edge("db", "host"),
            edge("a", "b"),
            edge("b", "a"),
        ];
        let plan = plan_waves(&assets, &edges, 2);
        for (s, t) in &edges {
            assert!(wave_of(&plan, t) <= wave_of(&plan, s), "{s} -> {t}: {plan:?}");
        }
        assert_eq!(wave_of(&plan, "a"), wave_of(&plan, "b"));
        assert!(plan.waves.iter().all(|w| w.members.len() <= 2));
        assert_eq!(plan.critical_path, ["app", "web", "db", "host"]);
    }

    #[test]
    fn a_cycle_larger_than_a_wave_stays_together() {
        let assets: Vec<AssessedAsset> = ["a", "b", "c"]
            .iter()
            .map(|k| asset(k, "server", "", "REHOST", false))
            .collect();
        let edges = vec![edge("a", "b"), edge("b", "c"), edge("c", "a")];
        let plan = plan_waves(&assets, &edges, 2);
        assert_eq!(plan.waves.len(), 1);
        assert!(plan.waves[0].oversized);
    }

    #[test]
    fn applications_roll_up_their_components() {
        let assets = vec![
            asset("crm", "application", "CRM", "REPURCHASE", false),
            asset("crm_db", "database", "CRM", "REPLATFORM", true),
            asset("web1", "server", "CRM", "REHOST", false),
            asset("pay", "application", "Payroll", "REHOST", false),
            asset("pay_db", "database", "Payroll", "REPLATFORM", false),
            asset("pay_web", "server", "Payroll", "REPLATFORM", false),
        ];
        let edges = vec![
            edge("crm", "crm_db"),
            edge("crm", "web1"),
            edge("pay", "pay_db"),
            edge("pay_web", "crm_db"),
        ];
        let apps = assess_applications(&assets, &edges);
        assert_eq!(apps.len(), 2);
        let crm = apps.iter().find(|a| a.name == "CRM").unwrap();
        assert_eq!(crm.six_r_strategy, "REPURCHASE");
        assert_eq!(crm.members.len(), 3);
        let payroll = apps.iter().find(|a| a.name == "Payroll").unwrap();
        assert_eq!(payroll.six_r_strategy, "REPLATFORM");
        // CRM has an expired database and a dependency crossing its boundary: less ready.
        assert!(crm.readiness_score < payroll.readiness_score + 30);
        assert!(crm.reasons.iter().any(|r| r.contains("past end of support")));
    }
}
