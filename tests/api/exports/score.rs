//! Scores a discovered inventory against a truth file (the shape of `cmdb_fr.truth.json`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

/// The canonical environment names (`src/agents/vocabulary/environments.rs`).
pub const CANONICAL_ENVIRONMENTS: [&str; 6] = ["production", "staging", "test", "qa", "development", "dr"];

/// What a correct discovery finds. Names are lower-case. `types` (name → asset type) is
/// optional: the shared fixture gives counts per type only.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    pub rows: usize,
    pub unique_assets: usize,
    pub by_type: BTreeMap<String, usize>,
    pub types: Option<BTreeMap<String, String>>,
    pub duplicate_rows: usize,
    pub dependencies: BTreeSet<(String, String)>,
    pub eol_assets: BTreeSet<String>,
    pub eol_arguable: BTreeSet<String>,
    pub environments: BTreeMap<String, String>,
}

fn name(value: &Value) -> String {
    value.as_str().unwrap_or_default().trim().to_lowercase()
}

fn name_set(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .map(|a| a.iter().map(name).collect())
        .unwrap_or_default()
}

impl Truth {
    pub fn from_json(truth: &Value) -> Truth {
        let map = |key: &str| -> BTreeMap<String, String> {
            truth[key]
                .as_object()
                .map(|o| o.iter().map(|(k, v)| (k.trim().to_lowercase(), name(v))).collect())
                .unwrap_or_default()
        };
        Truth {
            rows: truth["rows"].as_u64().unwrap() as usize,
            unique_assets: truth["unique_assets"].as_u64().unwrap() as usize,
            by_type: truth["by_type"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap() as usize))
                .collect(),
            types: truth.get("types").map(|_| map("types")),
            duplicate_rows: truth["duplicate_rows"].as_u64().unwrap_or(0) as usize,
            dependencies: truth["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|pair| (name(&pair[0]), name(&pair[1])))
                .collect(),
            eol_assets: name_set(&truth["eol_assets"]),
            eol_arguable: name_set(&truth["eol_arguable"]),
            environments: map("environments"),
        }
    }

    /// The truth file's form (`cmdb_fr.truth.json`'s fields, plus `types`).
    pub fn to_json(&self) -> Value {
        let pairs: Vec<[&String; 2]> = self.dependencies.iter().map(|(a, b)| [a, b]).collect();
        serde_json::json!({
            "rows": self.rows,
            "unique_assets": self.unique_assets,
            "by_type": self.by_type,
            "types": self.types,
            "duplicate_rows": self.duplicate_rows,
            "dependencies": pairs,
            "eol_assets": self.eol_assets,
            "eol_arguable": self.eol_arguable,
            "environments": self.environments,
        })
    }

    /// The assets' names: every asset has an environment in the truth.
    pub fn names(&self) -> BTreeSet<String> {
        match &self.types {
            Some(types) => types.keys().cloned().collect(),
            None => self.environments.keys().cloned().collect(),
        }
    }
}

/// The scores of one discovery; each a share between 0 and 1.
#[derive(Debug, Clone)]
pub struct Scores {
    pub found: usize,
    pub expected: usize,
    /// Truth assets found by name.
    pub asset_recall: f64,
    /// Found assets that are truth assets (unmerged duplicates and stray rows lower it).
    pub asset_precision: f64,
    /// Truth assets found with the right type (by name when the truth has types, else by counts).
    pub types: f64,
    /// Assets flagged as past end of life, arguable ones left out.
    pub eol_flagged: usize,
    pub eol_precision: f64,
    pub eol_recall: f64,
    pub eol_due: usize,
    pub dependency_recall: f64,
    pub dependency_precision: f64,
    /// Truth assets found with their environment in canonical form.
    pub environments: f64,
    pub misses: Vec<String>,
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 { 1.0 } else { part as f64 / whole as f64 }
}

/// The first few of a list, for a failure message that can be read.
fn some<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    let items: Vec<&String> = items.into_iter().collect();
    let shown: Vec<&str> = items.iter().take(8).map(|s| s.as_str()).collect();
    format!("{} {:?}", items.len(), shown)
}

/// Scores the assets a flow's `assets` query returned (`name assetType environment
/// techDebt { lifecycleStatus } dependencies { target { name } }`).
pub fn score(truth: &Truth, assets: &[Value]) -> Scores {
    let names = truth.names();
    let by_name: BTreeMap<String, &Value> = assets.iter().map(|a| (name(&a["name"]), a)).collect();
    let found: BTreeSet<String> = by_name.keys().cloned().collect();
    let hits = names.intersection(&found).count();

    let types = match &truth.types {
        Some(types) => share(
            types
                .iter()
                .filter(|(n, t)| by_name.get(*n).is_some_and(|a| name(&a["assetType"]) == **t))
                .count(),
            truth.unique_assets,
        ),
        None => {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for asset in assets {
                *counts.entry(name(&asset["assetType"])).or_default() += 1;
            }
            let right: usize = truth
                .by_type
                .iter()
                .map(|(kind, n)| (*n).min(counts.get(kind).copied().unwrap_or(0)))
                .sum();
            share(right, truth.unique_assets)
        }
    };

    let expired: BTreeSet<String> = assets
        .iter()
        .filter(|a| {
            a["techDebt"]
                .as_array()
                .is_some_and(|items| items.iter().any(|t| t["lifecycleStatus"] == "EOL_EXPIRED"))
        })
        .map(|a| name(&a["name"]))
        .collect();
    let judged: BTreeSet<&String> = expired.iter().filter(|n| !truth.eol_arguable.contains(*n)).collect();
    let right_eol = judged.iter().filter(|n| truth.eol_assets.contains(**n)).count();

    let edges: BTreeSet<(String, String)> = assets
        .iter()
        .flat_map(|a| {
            let from = name(&a["name"]);
            a["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |d| (from.clone(), name(&d["target"]["name"])))
        })
        .collect();
    let right_edges = edges.intersection(&truth.dependencies).count();

    let environments = truth
        .environments
        .iter()
        .filter(|(n, env)| {
            CANONICAL_ENVIRONMENTS.contains(&env.as_str())
                && by_name.get(*n).is_some_and(|a| name(&a["environment"]) == **env)
        })
        .count();

    let mut misses = Vec::new();
    let missing: Vec<&String> = names.difference(&found).collect();
    if !missing.is_empty() {
        misses.push(format!("assets missing: {}", some(missing)));
    }
    let stray: Vec<&String> = found.difference(&names).collect();
    if !stray.is_empty() {
        misses.push(format!("assets not in the truth: {}", some(stray)));
    }
    let eol_missed: Vec<&String> = truth.eol_assets.difference(&expired).collect();
    if !eol_missed.is_empty() {
        misses.push(format!("end of life missed: {}", some(eol_missed)));
    }
    let eol_wrong: Vec<&String> = judged
        .iter()
        .copied()
        .filter(|n| !truth.eol_assets.contains(*n))
        .collect();
    if !eol_wrong.is_empty() {
        misses.push(format!("flagged but supported: {}", some(eol_wrong)));
    }
    let wrong_env: Vec<String> = truth
        .environments
        .iter()
        .filter_map(|(n, env)| {
            let got = by_name.get(n).map(|a| name(&a["environment"]))?;
            (got != *env).then(|| format!("{n}: {got:?} not {env}"))
        })
        .collect();
    if !wrong_env.is_empty() {
        misses.push(format!("environments: {}", some(&wrong_env)));
    }
    let lost: Vec<String> = truth
        .dependencies
        .difference(&edges)
        .map(|(a, b)| format!("{a}->{b}"))
        .collect();
    if !lost.is_empty() {
        misses.push(format!("dependencies missed: {}", some(&lost)));
    }

    Scores {
        found: assets.len(),
        expected: truth.unique_assets,
        asset_recall: share(hits, names.len()),
        asset_precision: share(hits, found.len()),
        types,
        eol_flagged: judged.len(),
        eol_precision: share(right_eol, judged.len()),
        eol_recall: share(truth.eol_assets.intersection(&expired).count(), truth.eol_assets.len()),
        eol_due: truth.eol_assets.len(),
        dependency_recall: share(right_edges, truth.dependencies.len()),
        dependency_precision: share(right_edges, edges.len()),
        environments: share(environments, truth.environments.len()),
        misses,
    }
}

impl fmt::Display for Scores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "assets {}/{} (recall {:.3}, precision {:.3}) types {:.3} eol P {:.3} R {:.3} ({} flagged, {} due) \
             deps R {:.3} (P {:.3}) environments {:.3}",
            self.found,
            self.expected,
            self.asset_recall,
            self.asset_precision,
            self.types,
            self.eol_precision,
            self.eol_recall,
            self.eol_flagged,
            self.eol_due,
            self.dependency_recall,
            self.dependency_precision,
            self.environments
        )
    }
}

impl Scores {
    /// The thresholds: assets and types ≥ 99 %, end of life ≥ 95 % both ways,
    /// dependency recall ≥ 95 %, environments ≥ 99 %. The failures, empty when it holds.
    pub fn shortfalls(&self) -> Vec<String> {
        let checks = [
            ("asset recall", self.asset_recall, 0.99),
            ("asset precision", self.asset_precision, 0.99),
            ("types", self.types, 0.99),
            ("end-of-life precision", self.eol_precision, 0.95),
            ("end-of-life recall", self.eol_recall, 0.95),
            ("dependency recall", self.dependency_recall, 0.95),
            ("environments", self.environments, 0.99),
        ];
        checks
            .iter()
            .filter(|(_, got, want)| got < want)
            .map(|(what, got, want)| format!("{what} {got:.3} < {want}"))
            .collect()
    }

    /// Prints the one-line summary and panics, with what was missed, under a threshold.
    pub fn assert_holds(&self, export: &str) {
        println!("export {export}: {self}");
        let shortfalls = self.shortfalls();
        assert!(
            shortfalls.is_empty(),
            "export {export}: {}\n{self}\n{}",
            shortfalls.join(", "),
            self.misses.join("\n")
        );
    }
}
