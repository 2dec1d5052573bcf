//! The agents' self-tests: each registry agent run once on a tiny built-in input (three rows of
//! one small estate), with a known property of its answer checked.

use std::any::Any;
use std::collections::HashMap;
use std::panic;
use std::time::Instant;

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::agents::REGISTRY;
use crate::agents::asset_table::AssetTable;
use crate::agents::attribute_mapping::field_mapping::{FieldMappingAgent, MappingInput};
use crate::agents::attribute_mapping::pattern_recognition::{PatternInput, PatternRecognition};
use crate::agents::data_cleansing::data_quality::DataQuality;
use crate::agents::data_cleansing::data_standardization::{DataStandardization, StandardizeInput};
use crate::agents::data_cleansing::deduplication::Deduplication;
use crate::agents::data_import::data_validation::{DataValidation, DuplicateRow};
use crate::agents::data_import::format_detection::FormatDetection;
use crate::agents::dependency_analysis::application_grouping::{ApplicationGrouping, GroupingInput};
use crate::agents::dependency_analysis::dependency_mapping::{DependencyEdge, DependencyMapping};
use crate::agents::dependency_analysis::network_topology::{NetworkTopology, TopologyInput};
use crate::agents::flow_supervisor::{FlowSupervisor, SupervisorInput};
use crate::agents::inventory::asset_classification::AssetClassification;
use crate::agents::inventory::asset_inventory::{AssetInventory, InventoryInput};
use crate::agents::inventory::criticality_assessment::{CriticalityAssessment, CriticalityInput};
use crate::agents::tech_debt_analysis::lifecycle_analysis::{LifecycleAnalysis, LifecycleInput};
use crate::agents::tech_debt_analysis::modernization_strategy::{ModernizationStrategy, StrategyInput};
use crate::agents::tech_debt_analysis::security_risk::{RiskInput, SecurityRisk};
use crate::agents::types::{
    Agent, AssetFacts, CleanRecord, FieldMapping, ImportBatch, LifecycleStatus, SixR, SourceRecord, SupportLevel,
    TechDebtFinding,
};
use crate::domain::PhaseName;

/// Each agent's self-test outcome: `Ok(ms it took)` or `Err(what went wrong)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProbeResults {
    pub(super) results: HashMap<&'static str, Result<f64, String>>,
}

impl ProbeResults {
    /// Records (or replaces) an agent's outcome; for callers that cache or merge probe runs.
    pub fn record(&mut self, agent: &'static str, outcome: Result<f64, String>) {
        self.results.insert(agent, outcome);
    }

    /// Whether the agent's self-test passed (an agent that was not probed has not passed).
    pub fn ok(&self, agent: &str) -> bool {
        matches!(self.results.get(agent), Some(Ok(_)))
    }

    /// Whether every registry agent's self-test passed.
    pub fn all_passed(&self) -> bool {
        REGISTRY.iter().all(|spec| self.ok(spec.name))
    }

    /// Why the agent's self-test failed; `None` when it passed or was not run.
    pub fn error(&self, agent: &str) -> Option<&str> {
        match self.results.get(agent) {
            Some(Err(error)) => Some(error),
            _ => None,
        }
    }

    /// How long the agent's passing self-test took, in ms.
    pub fn elapsed_ms(&self, agent: &str) -> Option<f64> {
        match self.results.get(agent) {
            Some(Ok(ms)) => Some(*ms),
            _ => None,
        }
    }
}

/// Runs every registry agent once on a tiny built-in input and checks a known property of its
/// answer. Takes well under 50 ms in a release build. Never panics: a panicking agent is recorded
/// as a failed probe (the process's panic hook still logs the panic; a build with
/// `panic = "abort"` would abort instead).
pub fn run_probes() -> ProbeResults {
    let mut results = ProbeResults::default();
    for spec in REGISTRY {
        let outcome = match probe_for(spec.name) {
            Some(probe) => run_probe(probe),
            None => Err("no self-test defined for this agent".to_string()),
        };
        results.record(spec.name, outcome);
    }
    results
}

/// A self-test: `Err` says which property of the answer did not hold.
type Probe = fn() -> Result<(), String>;

pub(super) fn probe_for(agent: &str) -> Option<Probe> {
    let probe: Probe = match agent {
        "data_validation" => probe_data_validation,
        "format_detection" => probe_format_detection,
        "field_mapping" => probe_field_mapping,
        "pattern_recognition" => probe_pattern_recognition,
        "data_standardization" => probe_data_standardization,
        "data_quality" => probe_data_quality,
        "deduplication" => probe_deduplication,
        "asset_classification" => probe_asset_classification,
        "asset_inventory" => probe_asset_inventory,
        "criticality_assessment" => probe_criticality_assessment,
        "dependency_mapping" => probe_dependency_mapping,
        "application_grouping" => probe_application_grouping,
        "network_topology" => probe_network_topology,
        "lifecycle_analysis" => probe_lifecycle_analysis,
        "security_risk" => probe_security_risk,
        "modernization_strategy" => probe_modernization_strategy,
        "flow_supervisor" => probe_flow_supervisor,
        _ => return None,
    };
    Some(probe)
}

/// Runs one probe, timed, with a panic turned into a failure.
fn run_probe(probe: Probe) -> Result<f64, String> {
    let clock = Instant::now();
    let outcome = panic::catch_unwind(probe);
    let ms = clock.elapsed().as_secs_f64() * 1000.0;
    match outcome {
        Ok(Ok(())) => Ok(ms),
        Ok(Err(error)) => Err(error),
        Err(payload) => Err(format!("panicked: {}", panic_message(payload.as_ref()))),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}

/// Fails the probe with a message unless the condition holds.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Runs an agent, checking what every answer owes: a finite confidence and a reasoning.
fn run<A: Agent>(agent: A, input: &A::Input) -> Result<A::Output, String> {
    let out = agent.run(input).map_err(|e| format!("returned an error: {e}"))?;
    ensure!(
        out.confidence.is_finite(),
        "confidence is not a number ({})",
        out.confidence
    );
    ensure!(!out.reasoning.trim().is_empty(), "gave no reasoning");
    Ok(out.value)
}

// --- Fixtures: three rows of one small estate. WEB01 and web01 are one server under two
// spellings; it depends on DB01 and runs Windows Server 2008 R2, out of support on `today`.

const COLUMNS: [&str; 5] = [
    "Server Name",
    "IP Address",
    "Operating System",
    "Environment",
    "Depends On",
];
const ROWS: [[&str; 5]; 3] = [
    ["WEB01", "10.0.0.11", "Windows Server 2008 R2", "Production", "DB01"],
    ["DB01", "10.0.0.12", "Red Hat Enterprise Linux 8", "Production", ""],
    ["web01", "10.0.0.11", "Windows Server 2008 R2", "Prod", "DB01"],
];
/// Where each column maps (`COLUMNS` order).
const TARGETS: [&str; 5] = ["name", "ip_address", "operating_system", "environment", "depends_on"];

/// The probes' fixed today: Windows Server 2008 R2 lost its last (paid) support on 2023-01-10;
/// RHEL 8 is in mainstream support until 2029.
fn today() -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(2026, 11, 25).ok_or_else(|| "bad fixture date".to_string())
}

fn source_record(row_number: i64, values: &[&str; 5]) -> SourceRecord {
    let fields: Map<String, Value> = COLUMNS
        .iter()
        .zip(values)
        .map(|(c, v)| (c.to_string(), Value::String(v.to_string())))
        .collect();
    SourceRecord {
        row_number,
        line_number: row_number + 1,
        fields,
    }
}

fn source_records() -> Vec<SourceRecord> {
    ROWS.iter()
        .zip(1..)
        .map(|(values, n)| source_record(n, values))
        .collect()
}

fn columns() -> Vec<String> {
    COLUMNS.iter().map(|c| c.to_string()).collect()
}

fn mapping(source: &str, target: Option<&str>) -> FieldMapping {
    FieldMapping {
        source_field: source.to_string(),
        target_attribute: target.map(str::to_string),
        confidence: 0.9,
        agent: "field_mapping".to_string(),
        reasoning: "probe fixture.".to_string(),
    }
}

fn mappings() -> Vec<FieldMapping> {
    COLUMNS.iter().zip(TARGETS).map(|(c, t)| mapping(c, Some(t))).collect()
}

/// The rows as cleansing leaves them: WEB01's source rates it low criticality; DB01 is a database.
fn clean_records() -> Vec<CleanRecord> {
    let record = |row: i64, values: &[&str; 5], asset_type: &str| CleanRecord {
        key: values[0].to_lowercase(),
        source_rows: vec![row],
        name: values[0].to_string(),
        hostname: Some(values[0].to_lowercase()),
        ip_address: Some(values[1].to_string()),
        asset_type: Some(asset_type.to_string()),
        operating_system: Some(values[2].to_string()),
        environment: Some("production".to_string()),
        depends_on: values[4]
            .split(';')
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect(),
        ..Default::default()
    };
    let mut records = vec![
        record(1, &ROWS[0], "Server"),
        record(2, &ROWS[1], "Database"),
        record(3, &ROWS[2], "Server"),
    ];
    records[0].business_criticality = Some("Low".to_string());
    records
}

fn asset_facts() -> Vec<AssetFacts> {
    let facts = |values: &[&str; 5], asset_type: &str| AssetFacts {
        key: values[0].to_lowercase(),
        name: values[0].to_string(),
        asset_type: asset_type.to_string(),
        hostname: Some(values[0].to_lowercase()),
        fqdn: None,
        ip_address: Some(values[1].to_string()),
        operating_system: Some(values[2].to_string()),
        os_version: None,
        environment: Some("production".to_string()),
        application: Some("CRM".to_string()),
        business_criticality: Some("high".to_string()),
        depends_on: values[4]
            .split(';')
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect(),
        attributes: Map::new(),
    };
    vec![facts(&ROWS[0], "server"), facts(&ROWS[1], "database")]
}

/// The edge `source` → `target` between two of `asset_facts()`, by key.
fn edge(assets: &AssetTable, source: &str, target: &str) -> Result<DependencyEdge, String> {
    let number = |key: &str| assets.find(key).ok_or_else(|| format!("no probe asset {key}"));
    Ok(DependencyEdge {
        source: number(source)?,
        target: number(target)?,
        dependency_type: "data_flow",
        confidence: 0.95,
    })
}

/// lifecycle_analysis's finding for web01, as it would hand it on.
fn expired_web01() -> TechDebtFinding {
    TechDebtFinding {
        asset_key: "web01".to_string(),
        category: "operating_system".to_string(),
        severity: "critical".to_string(),
        description: "Windows Server 2008 R2: no vendor support remains.".to_string(),
        end_of_life: NaiveDate::from_ymd_opt(2023, 1, 10),
        lifecycle_status: Some(LifecycleStatus::EolExpired),
        support_level: Some(SupportLevel::None),
    }
}

// --- One probe per agent.

fn probe_data_validation() -> Result<(), String> {
    let mut records = source_records();
    records.push(source_record(4, &ROWS[0]));
    let report = run(
        DataValidation,
        &ImportBatch {
            columns: columns(),
            records,
        },
    )?;
    ensure!(report.rows_checked == 4, "checked {} rows, not 4", report.rows_checked);
    ensure!(
        report.exact_duplicates
            == [DuplicateRow {
                row_number: 4,
                duplicate_of: 1
            }],
        "row 4 (a copy of row 1) not flagged as its duplicate: {:?}",
        report.exact_duplicates
    );
    ensure!(
        report.empty_rows.is_empty(),
        "flagged filled rows as empty: {:?}",
        report.empty_rows
    );
    Ok(())
}

fn probe_format_detection() -> Result<(), String> {
    let profile = run(
        FormatDetection,
        &ImportBatch {
            columns: columns(),
            records: source_records(),
        },
    )?;
    ensure!(
        profile.columns.len() == 5,
        "profiled {} columns, not 5",
        profile.columns.len()
    );
    let ip = profile.columns.iter().find(|c| c.name == "IP Address");
    ensure!(
        ip.is_some_and(|c| c.inferred_type == "ip" && c.fill_rate == 1.0),
        "IP Address not profiled as a full ip column: {ip:?}"
    );
    Ok(())
}

fn probe_field_mapping() -> Result<(), String> {
    let found = run(FieldMappingAgent, &MappingInput { columns: columns() })?;
    for (column, target) in COLUMNS.iter().zip(TARGETS) {
        let got = found.iter().find(|m| m.source_field == *column);
        ensure!(
            got.is_some_and(|m| m.target_attribute.as_deref() == Some(target)),
            "'{column}' not mapped to {target}: {:?}",
            got.map(|m| &m.target_attribute)
        );
    }
    Ok(())
}

fn probe_pattern_recognition() -> Result<(), String> {
    // IP Address left unmapped: its values are unmistakably IP addresses, so it is retargeted.
    let mut maps = mappings();
    maps[1].target_attribute = None;
    let checked = run(
        PatternRecognition,
        &PatternInput {
            mappings: maps,
            records: source_records(),
        },
    )?;
    let ip = checked.iter().find(|m| m.source_field == "IP Address");
    ensure!(
        ip.is_some_and(|m| m.target_attribute.as_deref() == Some("ip_address")),
        "unmapped 'IP Address' not corrected to ip_address: {:?}",
        ip.map(|m| &m.target_attribute)
    );
    ensure!(
        checked[0].target_attribute.as_deref() == Some("name"),
        "'Server Name' lost its mapping to name"
    );
    Ok(())
}

fn probe_data_standardization() -> Result<(), String> {
    let records = run(
        DataStandardization,
        &StandardizeInput {
            mappings: mappings(),
            records: source_records(),
        },
    )?;
    ensure!(records.len() == 3, "{} records out of 3 rows", records.len());
    let third = &records[2];
    ensure!(third.key == "web01", "row 3 keyed '{}', not web01", third.key);
    ensure!(
        third.environment.as_deref() == Some("production"),
        "'Prod' standardised to {:?}, not production",
        third.environment
    );
    ensure!(
        records[0].depends_on == ["DB01"],
        "WEB01 depends on {:?}, not DB01",
        records[0].depends_on
    );
    Ok(())
}

fn probe_data_quality() -> Result<(), String> {
    let mut records = clean_records();
    records.push(CleanRecord {
        key: "bare".to_string(),
        name: "bare".to_string(),
        source_rows: vec![4],
        ..Default::default()
    });
    let report = run(DataQuality, records.as_slice())?;
    ensure!(
        report.records.len() == 4,
        "scored {} records, not 4",
        report.records.len()
    );
    let (full, bare) = (report.records[0].quality_score, report.records[3].quality_score);
    ensure!(
        full > bare && (0.0..=1.0).contains(&full) && (0.0..=1.0).contains(&bare),
        "a full record scored {full}, a name-only one {bare}"
    );
    let ip = report.per_field.get("ip_address").copied();
    ensure!(ip == Some(0.75), "ip_address filled in {ip:?} of records, not 0.75");
    Ok(())
}

fn probe_deduplication() -> Result<(), String> {
    let result = run(Deduplication, clean_records().as_slice())?;
    let keys: Vec<&str> = result.records.iter().map(|r| r.key.as_str()).collect();
    ensure!(keys == ["web01", "db01"], "WEB01 and web01 not merged: {keys:?}");
    ensure!(
        result.merges.len() == 1 && result.merges[0].merged_rows == [3],
        "expected row 3 merged into web01: {:?}",
        result.merges
    );
    Ok(())
}

fn probe_asset_classification() -> Result<(), String> {
    let types = run(AssetClassification, clean_records().as_slice())?;
    ensure!(
        types == ["server", "database", "server"],
        "classified as {types:?}, not server, database, server"
    );
    Ok(())
}

fn probe_criticality_assessment() -> Result<(), String> {
    let records = clean_records();
    let input = CriticalityInput {
        asset_types: vec!["server".into(), "database".into(), "server".into()],
        records: records.clone(),
    };
    let levels = run(CriticalityAssessment, &input)?;
    // WEB01's own "Low" stands; a production database is high, raised to critical.
    ensure!(
        levels == ["low", "critical", "high"],
        "criticality {levels:?}, not low, critical, high"
    );
    let mismatched = CriticalityInput {
        records,
        asset_types: vec!["server".into()],
    };
    ensure!(
        CriticalityAssessment.run(&mismatched).is_err(),
        "accepted one asset type for three records"
    );
    Ok(())
}

fn probe_asset_inventory() -> Result<(), String> {
    let input = InventoryInput {
        records: clean_records(),
        asset_types: vec!["server".into(), "database".into(), "server".into()],
        criticality: vec!["low".into(), "critical".into(), "high".into()],
    };
    let drafts = run(AssetInventory, &input)?;
    let got: Vec<(&str, &str, &str)> = drafts
        .iter()
        .map(|d| {
            (
                d.record.key.as_str(),
                d.asset_type.as_str(),
                d.business_criticality.as_str(),
            )
        })
        .collect();
    ensure!(
        got == [("web01", "server", "low"), ("db01", "database", "critical")],
        "drafts {got:?}: expected web01 (merged, server, low) and db01 (database, critical)"
    );
    Ok(())
}

fn probe_dependency_mapping() -> Result<(), String> {
    let assets = AssetTable::from_facts(&asset_facts());
    let map = run(DependencyMapping, &assets)?;
    let edges: Vec<(&str, &str)> = map
        .edges
        .iter()
        .map(|e| (assets.key(e.source), assets.key(e.target)))
        .collect();
    ensure!(edges == [("web01", "db01")], "edges {edges:?}, not web01 → db01");
    ensure!(map.unresolved.is_empty(), "unresolved references: {:?}", map.unresolved);
    Ok(())
}

fn probe_application_grouping() -> Result<(), String> {
    let assets = AssetTable::from_facts(&asset_facts());
    let edges = vec![edge(&assets, "web01", "db01")?];
    let input = GroupingInput { assets, edges };
    let groups = run(ApplicationGrouping, &input)?;
    ensure!(
        groups.len() == 1 && groups[0].key == "crm" && input.assets.keys(&groups[0].members) == ["db01", "web01"],
        "expected one CRM group of db01 and web01: {groups:?}"
    );
    Ok(())
}

fn probe_network_topology() -> Result<(), String> {
    let assets = AssetTable::from_facts(&asset_facts());
    let edges = vec![edge(&assets, "web01", "db01")?, edge(&assets, "db01", "web01")?];
    let input = TopologyInput {
        assets,
        edges,
        unresolved: Vec::new(),
    };
    let topology = run(NetworkTopology, &input)?;
    let cycles: Vec<Vec<&str>> = topology.cycles.iter().map(|c| input.assets.keys(c)).collect();
    ensure!(
        cycles == [["db01", "web01"]],
        "web01 ⇄ db01 cycle not found: {cycles:?}"
    );
    ensure!(
        topology.subnets.len() == 1 && topology.subnets[0].cidr == "10.0.0.0/24",
        "expected the one subnet 10.0.0.0/24: {:?}",
        topology.subnets
    );
    Ok(())
}

fn probe_lifecycle_analysis() -> Result<(), String> {
    let mut findings = run(
        LifecycleAnalysis,
        &LifecycleInput {
            assets: asset_facts(),
            today: today()?,
        },
    )?;
    // RHEL 8 is in Maintenance Support: at most a low, informational finding.
    findings.retain(|f| f.severity != "low");
    ensure!(
        findings.len() == 1,
        "{} findings, expected one (web01's Windows Server 2008 R2; RHEL 8 is supported): {findings:?}",
        findings.len()
    );
    let f = &findings[0];
    ensure!(
        f.asset_key == "web01" && f.lifecycle_status == Some(LifecycleStatus::EolExpired) && f.severity == "critical",
        "Windows Server 2008 R2 in production not critical and expired: {f:?}"
    );
    Ok(())
}

fn probe_security_risk() -> Result<(), String> {
    let input = RiskInput {
        assets: asset_facts(),
        findings: vec![expired_web01()],
    };
    let scores = run(SecurityRisk, &input)?;
    let score = |key: &str| scores.iter().find(|s| s.asset_key == key).map(|s| s.score);
    let (web, db) = (score("web01"), score("db01"));
    ensure!(
        matches!((web, db), (Some(w), Some(d)) if w > d),
        "end of life did not raise web01's risk above db01's: web01 {web:?}, db01 {db:?}"
    );
    Ok(())
}

fn probe_modernization_strategy() -> Result<(), String> {
    let mut assets = asset_facts();
    // A development server out of support that nothing depends on is retired; a database moves
    // to a managed service.
    assets[0].environment = Some("development".to_string());
    let input = StrategyInput {
        assets,
        findings: vec![expired_web01()],
        risks: Vec::new(),
        dependents: HashMap::new(),
    };
    let decisions = run(ModernizationStrategy, &input)?;
    let got: Vec<(&str, SixR)> = decisions.iter().map(|d| (d.asset_key.as_str(), d.strategy)).collect();
    ensure!(
        got == [("web01", SixR::Retire), ("db01", SixR::Replatform)],
        "decisions {got:?}, expected web01 retire and db01 replatform"
    );
    Ok(())
}

fn probe_flow_supervisor() -> Result<(), String> {
    let empty = run(
        FlowSupervisor,
        &SupervisorInput::new(PhaseName::DataImport).with("rows", 0),
    )?;
    ensure!(empty.iter().any(|a| a.fatal), "an empty import was not flagged fatal");
    let sound = SupervisorInput::new(PhaseName::DataImport)
        .with("rows", 3)
        .with("bad_rows", 0);
    let found = run(FlowSupervisor, &sound)?;
    ensure!(found.is_empty(), "a sound import was flagged: {found:?}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_probes_pass_on_the_real_agents() {
        let probes = run_probes();
        let failures: Vec<String> = REGISTRY
            .iter()
            .filter_map(|s| probes.error(s.name).map(|e| format!("{}: {e}", s.name)))
            .collect();
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(probes.all_passed());
        for spec in REGISTRY {
            assert!(probes.ok(spec.name), "{}", spec.name);
            assert!(probes.elapsed_ms(spec.name).is_some_and(|ms| ms >= 0.0));
        }
        assert_eq!(probes.results.len(), REGISTRY.len());
    }

    #[test]
    fn probes_are_fast() {
        run_probes();
        let clock = Instant::now();
        run_probes();
        let ms = clock.elapsed().as_secs_f64() * 1000.0;
        // 50 ms is the release-build promise; unoptimised test builds get more room.
        let limit = if cfg!(debug_assertions) { 1_000.0 } else { 50.0 };
        assert!(ms < limit, "probes took {ms:.1} ms");
    }

    #[test]
    fn a_panicking_or_failing_probe_is_a_failure_not_a_crash() {
        fn panics() -> Result<(), String> {
            panic!("index out of bounds")
        }
        fn fails() -> Result<(), String> {
            Err("wrong answer".into())
        }
        let outcome = run_probe(panics);
        assert!(
            outcome
                .as_ref()
                .is_err_and(|e| e.contains("panicked: index out of bounds")),
            "{outcome:?}"
        );
        assert_eq!(run_probe(fails), Err("wrong answer".to_string()));
        assert!(probe_for("no_such_agent").is_none());
    }
}
