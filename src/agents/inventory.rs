//! The inventory agents: `asset_classification` picks each record's asset type,
//! `criticality_assessment` its business criticality, `asset_inventory` turns both into asset drafts
//! with unique keys. Pure functions of their input.
//!
//! Decisions worth knowing:
//! - The source's own type text wins over evidence; evidence (OS, IP, dependencies) only decides when
//!   the type is missing or unknown. Classification confidence = share of records typed explicitly.
//! - Criticality: an explicit source value is kept (standardised); otherwise production → high,
//!   staging/qa/test/dr → medium, development → low, unknown environment → medium (no evidence
//!   either way, so neither understated nor inflated). Then one level up, once, for databases (data is
//!   what everything else depends on) and for applications whose name, application or attribute
//!   values mention customer-facing, payments, billing, checkout, PCI, CRM or ERP.
//! - `asset_inventory` coerces an unknown asset type to `other` and an unknown criticality to
//!   `medium` (counted in the reasoning) rather than failing the phase; only mismatched lengths are
//!   an error.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agents::cleansing::{merge_records, os_family};
use crate::agents::types::{ASSET_TYPES, Agent, AgentError, AgentOutput, AssetDraft, CleanRecord};
use crate::domain::PhaseName;

/// The criticality levels, most critical first.
pub const CRITICALITY_LEVELS: &[&str] = &["critical", "high", "medium", "low"];

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn filled(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| !v.trim().is_empty())
}

// ------------------------------------------------------------------------------------------------
// asset_classification

/// A record's asset type (one of `ASSET_TYPES`) and whether the source said so itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    pub asset_type: &'static str,
    pub explicit: bool,
}

/// Classifies every record, in order.
#[derive(Debug, Clone, Copy, Default)]
pub struct AssetClassification;

impl Agent for AssetClassification {
    type Input = [CleanRecord];
    type Output = Vec<String>;
    const NAME: &'static str = "asset_classification";
    const PHASE: PhaseName = PhaseName::Inventory;

    fn run(&self, input: &[CleanRecord]) -> Result<AgentOutput<Vec<String>>, AgentError> {
        let classes: Vec<Classification> = input.iter().map(classify_record).collect();
        let explicit = classes.iter().filter(|c| c.explicit).count();
        let counts: Vec<String> = ASSET_TYPES
            .iter()
            .map(|t| (t, classes.iter().filter(|c| c.asset_type == *t).count()))
            .filter(|(_, n)| *n > 0)
            .map(|(t, n)| format!("{n} {t}"))
            .collect();
        let n = input.len();
        let confidence = if n == 0 {
            1.0
        } else {
            round3(explicit as f64 / n as f64)
        };
        let reasoning = format!(
            "Classified {n} records ({}): {explicit} from the source's type, {} from evidence (OS, IP, \
             dependencies, name).",
            if counts.is_empty() {
                "none".to_string()
            } else {
                counts.join(", ")
            },
            n - explicit
        );
        Ok(AgentOutput::new(
            classes.iter().map(|c| c.asset_type.to_string()).collect(),
            confidence,
            reasoning,
        ))
    }
}

/// The asset type a source's type text names (`Server`, `VM`, `cmdb_ci_linux_server`, `DB`,
/// `Business Application`, `Load Balancer`, `SAN`, ...), or `None` when it names none we know.
pub fn asset_type_from_text(text: &str) -> Option<&'static str> {
    // `cmdb_ci_linux_server`, `Virtual-Machine` and `virtual machine` are one spelling here.
    let folded = text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if folded.is_empty() {
        return None;
    }
    type_of_folded(&folded).or_else(|| folded.strip_suffix('s').and_then(type_of_folded))
}

fn type_of_folded(t: &str) -> Option<&'static str> {
    let exact = match t {
        "server"
        | "virtual machine"
        | "vm"
        | "host"
        | "physical server"
        | "virtual server"
        | "computer"
        | "mainframe"
        | "hypervisor"
        | "esx host"
        | "esxi host"
        | "cmdb ci server"
        | "cmdb ci win server"
        | "cmdb ci linux server"
        | "cmdb ci unix server"
        | "cmdb ci esx server"
        | "cmdb ci aix server"
        | "cmdb ci solaris server"
        | "cmdb ci hpux server"
        | "cmdb ci vm instance"
        | "cmdb ci vmware instance"
        | "cmdb ci computer"
        | "cmdb ci mainframe" => Some("server"),
        "database"
        | "db"
        | "database instance"
        | "db instance"
        | "cmdb ci database"
        | "cmdb ci db instance"
        | "sql server"
        | "mssql"
        | "oracle"
        | "mysql"
        | "postgresql"
        | "postgres"
        | "mongodb" => Some("database"),
        "application"
        | "app"
        | "business application"
        | "business app"
        | "software"
        | "service"
        | "business service"
        | "application service"
        | "cmdb ci appl"
        | "cmdb ci business app"
        | "cmdb ci service"
        | "cmdb ci service auto"
        | "cmdb ci service discovered" => Some("application"),
        "router"
        | "switch"
        | "firewall"
        | "load balancer"
        | "network device"
        | "network"
        | "network gear"
        | "cmdb ci netgear"
        | "cmdb ci ip router"
        | "cmdb ci ip switch"
        | "cmdb ci ip firewall"
        | "cmdb ci lb" => Some("network_device"),
        "storage"
        | "san"
        | "nas"
        | "storage array"
        | "storage device"
        | "cmdb ci storage device"
        | "cmdb ci san"
        | "cmdb ci nas"
        | "cmdb ci storage server" => Some("storage"),
        _ => None,
    };
    exact
        .or_else(|| {
            // ServiceNow class families: `cmdb_ci_db_ora_instance`, `cmdb_ci_appl_tomcat`, ...
            let prefixes: &[(&str, &'static str)] = &[
                ("cmdb ci db ", "database"),
                ("cmdb ci appl ", "application"),
                ("cmdb ci storage ", "storage"),
                ("cmdb ci san ", "storage"),
                ("cmdb ci nas ", "storage"),
                ("cmdb ci ip ", "network_device"),
                ("cmdb ci lb ", "network_device"),
            ];
            prefixes.iter().find(|(p, _)| t.starts_with(p)).map(|(_, ty)| *ty)
        })
        .or_else(|| {
            // `Linux Server`, `Database Server`, `cmdb_ci_hpux_server`: a host whatever it hosts.
            (t.ends_with(" server") || t.ends_with(" vm")).then_some("server")
        })
}

/// The record's type: from its source type text, else from evidence:
/// a database product as OS or a `_db` name → database; an OS with an IP or FQDN, or CPU/memory →
/// server; no host facts and either dependencies with an application or a name equal to its
/// application → application; else other.
pub fn classify_record(record: &CleanRecord) -> Classification {
    if let Some(asset_type) = record.asset_type.as_deref().and_then(asset_type_from_text) {
        return Classification {
            asset_type,
            explicit: true,
        };
    }
    let guess = |asset_type| Classification {
        asset_type,
        explicit: false,
    };
    let os = record
        .operating_system
        .as_deref()
        .map(str::trim)
        .filter(|os| !os.is_empty());
    let db_name = [record.key.as_str(), record.name.as_str()].iter().any(|n| {
        let n = n.trim().to_lowercase();
        ["_db", "-db", " db", ".db"].iter().any(|s| n.ends_with(s))
    });
    if os.is_some_and(|os| os_family(os) == "database") || db_name {
        return guess("database");
    }
    let addressed = filled(&record.ip_address) || filled(&record.fqdn);
    let sized = record.cpu_cores.is_some() || record.memory_gb.is_some();
    if (os.is_some() && addressed) || sized {
        return guess("server");
    }
    let host_facts = os.is_some() || addressed || sized;
    let application = record.application.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let named_after_app = application.is_some_and(|a| a.eq_ignore_ascii_case(record.name.trim()));
    if !host_facts && application.is_some() && (!record.depends_on.is_empty() || named_after_app) {
        return guess("application");
    }
    guess("other")
}

// ------------------------------------------------------------------------------------------------
// criticality_assessment

/// The records and their asset types (from `asset_classification`), in the same order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CriticalityInput {
    pub records: Vec<CleanRecord>,
    pub asset_types: Vec<String>,
}

/// critical / high / medium / low for every record, in order.
#[derive(Debug, Clone, Copy, Default)]
pub struct CriticalityAssessment;

impl Agent for CriticalityAssessment {
    type Input = CriticalityInput;
    type Output = Vec<String>;
    const NAME: &'static str = "criticality_assessment";
    const PHASE: PhaseName = PhaseName::Inventory;

    fn run(&self, input: &CriticalityInput) -> Result<AgentOutput<Vec<String>>, AgentError> {
        if input.records.len() != input.asset_types.len() {
            return Err(AgentError(format!(
                "criticality_assessment needs one asset type per record: {} records, {} asset types",
                input.records.len(),
                input.asset_types.len()
            )));
        }
        let (mut explicit, mut from_env, mut defaulted, mut raised, mut unreadable) = (0, 0, 0, 0, 0);
        let mut levels = Vec::with_capacity(input.records.len());
        for (record, asset_type) in input.records.iter().zip(&input.asset_types) {
            let assessed = assess_criticality(record, asset_type);
            match assessed.basis {
                Basis::Explicit => explicit += 1,
                Basis::Environment => from_env += 1,
                Basis::Default => defaulted += 1,
            }
            raised += usize::from(assessed.raised);
            unreadable += usize::from(filled(&record.business_criticality) && assessed.basis != Basis::Explicit);
            levels.push(assessed.level.to_string());
        }
        let n = levels.len();
        // The source's word is certain; an environment is a decent proxy; nothing is a guess.
        let confidence = if n == 0 {
            1.0
        } else {
            round3((explicit as f64 + 0.7 * from_env as f64 + 0.4 * defaulted as f64) / n as f64)
        };
        let reasoning = format!(
            "{n} records: {explicit} kept the source's criticality, {from_env} derived from the environment, \
             {defaulted} defaulted to medium (no environment); {raised} raised a level (databases, customer-facing \
             or revenue applications); {unreadable} source values not understood."
        );
        Ok(AgentOutput::new(levels, confidence, reasoning))
    }
}

/// Where a criticality came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The source's own value.
    Explicit,
    /// Derived from the environment (and possibly raised).
    Environment,
    /// No environment either: medium (possibly raised).
    Default,
}

/// A record's criticality level (one of `CRITICALITY_LEVELS`), its basis, and whether it was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Criticality {
    pub level: &'static str,
    pub basis: Basis,
    pub raised: bool,
}

/// A source's criticality in our four levels: ServiceNow's `1 - most critical` … `5 - planning`,
/// `Tier 1`…`Tier 4`, words (`Critical`, `Mission critical`, `High`, `Moderate`, `Low`, ...).
pub fn standardize_criticality(text: &str) -> Option<&'static str> {
    let lower = text.trim().to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let by_number = |n: &str| match n.parse::<u32>().ok()? {
        0 | 1 => Some("critical"),
        2 => Some("high"),
        3 => Some("medium"),
        4 | 5 => Some("low"),
        _ => None,
    };
    match words.as_slice() {
        [] => return None,
        [first, ..] if first.bytes().all(|b| b.is_ascii_digit()) => return by_number(first),
        ["tier", n, ..] => return by_number(n),
        _ => {}
    }
    let has = |w: &str| words.contains(&w);
    if (has("non") || has("not") || has("no")) && has("critical") {
        Some("low")
    } else if has("critical") || has("crucial") || has("highest") || (has("very") && has("high")) {
        Some("critical")
    } else if has("high") {
        Some("high")
    } else if has("medium") || has("moderate") || has("med") || has("normal") || has("average") {
        Some("medium")
    } else if has("low") || has("lowest") || has("minor") || has("minimal") || has("planning") {
        Some("low")
    } else {
        None
    }
}

/// Words that make an application business-critical when its name, application or tags carry them.
const CRITICAL_APP_WORDS: &[&str] = &[
    "payment",
    "payments",
    "billing",
    "checkout",
    "pci",
    "crm",
    "erp",
    "customerfacing",
];

fn mentions_critical_business(record: &CleanRecord) -> bool {
    fn scan(text: &str) -> bool {
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        words.iter().any(|w| CRITICAL_APP_WORDS.contains(w))
            || words.windows(2).any(|pair| pair == ["customer", "facing"])
    }
    fn scan_value(value: &Value) -> bool {
        match value {
            Value::String(s) => scan(s),
            Value::Array(items) => items.iter().any(|item| matches!(item, Value::String(s) if scan(s))),
            _ => false,
        }
    }
    scan(&record.name) || record.application.as_deref().is_some_and(scan) || record.attributes.values().any(scan_value)
}

fn one_level_up(level: &'static str) -> &'static str {
    match level {
        "low" => "medium",
        "medium" => "high",
        _ => "critical",
    }
}

/// The record's criticality, with where it came from.
pub fn assess_criticality(record: &CleanRecord, asset_type: &str) -> Criticality {
    if let Some(level) = record.business_criticality.as_deref().and_then(standardize_criticality) {
        return Criticality {
            level,
            basis: Basis::Explicit,
            raised: false,
        };
    }
    let (level, basis) = match record.environment.as_deref().map(str::trim) {
        Some("production") => ("high", Basis::Environment),
        Some("staging" | "qa" | "test" | "dr") => ("medium", Basis::Environment),
        Some("development") => ("low", Basis::Environment),
        _ => ("medium", Basis::Default),
    };
    let raise = match asset_type.trim() {
        "database" => true,
        "application" => mentions_critical_business(record),
        _ => false,
    };
    Criticality {
        level: if raise { one_level_up(level) } else { level },
        basis,
        raised: raise,
    }
}

// ------------------------------------------------------------------------------------------------
// asset_inventory

/// The deduplicated records with their types and criticality, in the same order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InventoryInput {
    pub records: Vec<CleanRecord>,
    pub asset_types: Vec<String>,
    pub criticality: Vec<String>,
}

/// Builds the asset drafts: one per non-empty key.
#[derive(Debug, Clone, Copy, Default)]
pub struct AssetInventory;

impl Agent for AssetInventory {
    type Input = InventoryInput;
    type Output = Vec<AssetDraft>;
    const NAME: &'static str = "asset_inventory";
    const PHASE: PhaseName = PhaseName::Inventory;

    fn run(&self, input: &InventoryInput) -> Result<AgentOutput<Vec<AssetDraft>>, AgentError> {
        let n = input.records.len();
        if input.asset_types.len() != n || input.criticality.len() != n {
            return Err(AgentError(format!(
                "asset_inventory needs one asset type and one criticality per record: {n} records, {} asset \
                 types, {} criticality values",
                input.asset_types.len(),
                input.criticality.len()
            )));
        }
        let (mut dropped, mut coerced) = (0usize, 0usize);
        // Keys in first-appearance order, each with the positions of the records that carry it.
        let mut slot_of_key: HashMap<String, usize> = HashMap::with_capacity(n);
        let mut slots: Vec<(String, Vec<usize>)> = Vec::with_capacity(n);
        for (i, record) in input.records.iter().enumerate() {
            let key = record.key.trim().to_lowercase();
            if key.is_empty() {
                dropped += 1;
                continue;
            }
            match slot_of_key.get(&key) {
                Some(&slot) => slots[slot].1.push(i),
                None => {
                    slot_of_key.insert(key.clone(), slots.len());
                    slots.push((key, vec![i]));
                }
            }
        }
        let mut merged = 0usize;
        let mut drafts = Vec::with_capacity(slots.len());
        for (key, positions) in slots {
            let members: Vec<&CleanRecord> = positions.iter().map(|&i| &input.records[i]).collect();
            merged += members.len() - 1;
            let Some(mut record) = merge_records(&members, "same key at inventory") else {
                continue;
            };
            // The first record's type and criticality stand, as its other values do.
            let first = positions[0];
            let asset_type = match input.asset_types[first].trim().to_lowercase() {
                t if ASSET_TYPES.contains(&t.as_str()) => t,
                _ => {
                    coerced += 1;
                    "other".to_string()
                }
            };
            let criticality = match standardize_criticality(&input.criticality[first]) {
                Some(level) => level.to_string(),
                None => {
                    coerced += 1;
                    "medium".to_string()
                }
            };
            record.key = key;
            record.business_criticality = Some(criticality.clone());
            drafts.push(AssetDraft {
                record,
                asset_type,
                business_criticality: criticality,
            });
        }
        let confidence = if n == 0 {
            1.0
        } else {
            round3(1.0 - 0.5 * (dropped + coerced + merged) as f64 / n as f64)
        };
        let reasoning = format!(
            "{} assets from {n} records: {dropped} dropped for an empty key, {merged} merged into a record with the \
             same key, {coerced} unknown types or criticality values replaced by other/medium.",
            drafts.len()
        );
        Ok(AgentOutput::new(drafts, confidence, reasoning))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::cleansing::{DataQuality, DataStandardization, Deduplication, StandardizeInput};
    use crate::agents::types::{FieldMapping, SourceRecord};
    use serde_json::{Map, json};

    fn record(name: &str) -> CleanRecord {
        CleanRecord {
            key: name.to_lowercase(),
            name: name.to_string(),
            source_rows: vec![1],
            ..Default::default()
        }
    }

    #[test]
    fn type_text_is_read_first() {
        for (text, expected) in [
            ("Server", "server"),
            ("Virtual Machine", "server"),
            ("VM", "server"),
            ("Host", "server"),
            ("cmdb_ci_linux_server", "server"),
            ("cmdb_ci_esx_server", "server"),
            ("Linux Servers", "server"),
            ("Database", "database"),
            ("DB", "database"),
            ("cmdb_ci_db_mssql_instance", "database"),
            ("cmdb_ci_db_ora_instance", "database"),
            ("Application", "application"),
            ("Business Application", "application"),
            ("cmdb_ci_appl", "application"),
            ("cmdb_ci_service", "application"),
            ("Load Balancer", "network_device"),
            ("cmdb_ci_ip_router", "network_device"),
            ("Firewall", "network_device"),
            ("SAN", "storage"),
            ("NAS", "storage"),
            ("cmdb_ci_storage_device", "storage"),
        ] {
            assert_eq!(asset_type_from_text(text), Some(expected), "{text}");
        }
        assert_eq!(asset_type_from_text("Widget"), None);
        assert_eq!(asset_type_from_text("  "), None);
        // The source's word beats the evidence.
        let r = CleanRecord {
            asset_type: Some("Server".into()),
            operating_system: Some("MySQL 8.0".into()),
            ..record("x")
        };
        assert_eq!(
            classify_record(&r),
            Classification {
                asset_type: "server",
                explicit: true
            }
        );
    }

    #[test]
    fn evidence_decides_without_a_type() {
        let db = CleanRecord {
            operating_system: Some("Microsoft SQL Server 2012".into()),
            ..record("crm")
        };
        let db_by_name = record("orders_db");
        let server = CleanRecord {
            operating_system: Some("AIX 7.1".into()),
            ip_address: Some("10.0.0.1".into()),
            asset_type: Some("Thing".into()),
            ..record("aix01")
        };
        let app = CleanRecord {
            application: Some("CRM".into()),
            depends_on: vec!["a".into()],
            ..record("CRM")
        };
        let other = CleanRecord {
            operating_system: Some("AIX 7.1".into()),
            ..record("mystery")
        };
        let out = AssetClassification.run(&[db, db_by_name, server, app, other]).unwrap();
        assert_eq!(
            out.value,
            vec!["database", "database", "server", "application", "other"]
        );
        assert_eq!(out.confidence, 0.0);
        let typed = AssetClassification
            .run(&[CleanRecord {
                asset_type: Some("VM".into()),
                ..record("a")
            }])
            .unwrap();
        assert_eq!(typed.confidence, 1.0);
    }

    #[test]
    fn criticality_rules() {
        for (text, expected) in [
            ("1", Some("critical")),
            ("1 - most critical", Some("critical")),
            ("Critical", Some("critical")),
            ("2 - somewhat critical", Some("high")),
            ("High", Some("high")),
            ("3", Some("medium")),
            ("Moderate", Some("medium")),
            ("4 - not critical", Some("low")),
            ("5", Some("low")),
            ("Low", Some("low")),
            ("Tier 1", Some("critical")),
            ("non-critical", Some("low")),
            ("banana", None),
            ("9", None),
        ] {
            assert_eq!(standardize_criticality(text), expected, "{text}");
        }
        let env = |e: &str| CleanRecord {
            environment: Some(e.into()),
            ..record("x")
        };
        let level = |r: &CleanRecord, t: &str| assess_criticality(r, t).level;
        assert_eq!(level(&env("production"), "server"), "high");
        assert_eq!(level(&env("qa"), "server"), "medium");
        assert_eq!(level(&env("development"), "server"), "low");
        assert_eq!(level(&record("x"), "server"), "medium");
        assert_eq!(level(&env("production"), "database"), "critical");
        assert_eq!(level(&env("development"), "database"), "medium");
        let billing = CleanRecord {
            application: Some("Billing".into()),
            ..env("qa")
        };
        assert_eq!(level(&billing, "application"), "high");
        assert_eq!(level(&billing, "server"), "medium");
        let tagged = CleanRecord {
            attributes: Map::from_iter([("tags".into(), json!(["Customer-Facing"]))]),
            ..env("production")
        };
        assert_eq!(level(&tagged, "application"), "critical");
        let explicit = CleanRecord {
            business_criticality: Some("4 - low".into()),
            ..env("production")
        };
        assert_eq!(level(&explicit, "database"), "low");

        let err = CriticalityAssessment.run(&CriticalityInput {
            records: vec![record("a")],
            asset_types: vec![],
        });
        assert!(err.is_err());
    }

    #[test]
    fn inventory_checks_lengths_drops_empty_keys_and_keeps_keys_unique() {
        let input = InventoryInput {
            records: vec![record("a")],
            asset_types: vec!["server".into()],
            criticality: vec![],
        };
        assert!(AssetInventory.run(&input).is_err());

        let a = CleanRecord {
            source_rows: vec![1],
            ..record("Web01")
        };
        let blank = CleanRecord {
            key: "  ".into(),
            ..record("")
        };
        let a_again = CleanRecord {
            source_rows: vec![3],
            owner: Some("ops".into()),
            ..record("WEB01")
        };
        let b = CleanRecord {
            source_rows: vec![4],
            ..record("b")
        };
        let input = InventoryInput {
            records: vec![a, blank, a_again, b],
            asset_types: vec!["server".into(), "server".into(), "database".into(), "Gizmo".into()],
            criticality: vec!["high".into(), "low".into(), "low".into(), "???".into()],
        };
        let out = AssetInventory.run(&input).unwrap();
        let drafts = out.value;
        assert_eq!(drafts.len(), 2);
        assert_eq!(drafts[0].record.key, "web01");
        assert_eq!(drafts[0].record.source_rows, vec![1, 3]);
        assert_eq!(drafts[0].record.owner.as_deref(), Some("ops"));
        assert_eq!(
            (drafts[0].asset_type.as_str(), drafts[0].business_criticality.as_str()),
            ("server", "high")
        );
        assert_eq!(drafts[0].record.business_criticality.as_deref(), Some("high"));
        assert_eq!(
            (drafts[1].asset_type.as_str(), drafts[1].business_criticality.as_str()),
            ("other", "medium")
        );
        assert!(out.reasoning.contains("1 dropped"));
    }

    /// Eight rows of the sample export, with its traps: a duplicate in another case, sizes in MB and
    /// with glued units, applications listing their servers.
    const SAMPLE: &str = "\
Server Name,Asset Type,IP Address,FQDN,Operating System,OS Version,Environment,Application,CPU Cores,Memory (GB),Storage (GB),Owner,Depends On
batch0004,Server,10.19.127.204,batch0004.corp.example.com,Ubuntu 14.04.6 LTS,14.04,Test,Billing,4,4096 MB,1000,ops-team,
CRM,Application,,,,,PRD,CRM,,,,a.khan,batch0016;web0017;web0018;crm_db
batch0010,Server,10.30.205.16,batch0010.corp.example.com,Oracle Solaris 10,10,PRD,Reporting,2,8GB,100,j.smith,
web0018,Server,10.9.242.169,web0018.corp.example.com,Microsoft Windows Server 2008 R2 Enterprise,2008 R2,production,CRM,4,64 GB,50,j.smith,
Intranet,Application,,,,,DEV,Intranet,,,,j.smith,batch0007;app0008;web0009;intranet_db
batch0007,Server,10.31.30.56,batch0007.corp.example.com,Microsoft Windows Server 2008 R2 Enterprise,2008 R2,DEV,Intranet,4,128 GB,500,ops-team,
crm_db,Database,,,Microsoft SQL Server 2012,,Production,CRM,,,2000,dba-team,web0018
BATCH0007,Server,10.31.30.56,batch0007.corp.example.com,Microsoft Windows Server 2008 R2 Enterprise,2008 R2,DEV,Intranet,4,128 GB,500,ops-team,
intranet_db,Database,,,MySQL 8.0,,DEV,Intranet,,,2000,dba-team,web0009
";

    fn sample_input() -> StandardizeInput {
        let mut lines = SAMPLE.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let target = |column: &str| match column {
            "Server Name" => "name",
            "Asset Type" => "asset_type",
            "IP Address" => "ip_address",
            "FQDN" => "fqdn",
            "Operating System" => "operating_system",
            "OS Version" => "os_version",
            "Environment" => "environment",
            "Application" => "application",
            "CPU Cores" => "cpu_cores",
            "Memory (GB)" => "memory_gb",
            "Storage (GB)" => "storage_gb",
            "Owner" => "owner",
            _ => "depends_on",
        };
        let mappings = header
            .iter()
            .map(|column| FieldMapping {
                source_field: column.to_string(),
                target_attribute: Some(target(column).to_string()),
                confidence: 1.0,
                agent: "field_mapping".into(),
                reasoning: String::new(),
            })
            .collect();
        let records = lines
            .enumerate()
            .map(|(i, line)| SourceRecord {
                row_number: i as i64 + 1,
                line_number: i as i64 + 2,
                fields: header
                    .iter()
                    .zip(line.split(','))
                    .map(|(h, v)| (h.to_string(), if v.is_empty() { Value::Null } else { json!(v) }))
                    .collect(),
            })
            .collect();
        StandardizeInput { mappings, records }
    }

    #[test]
    fn sample_rows_through_the_pipeline() {
        let clean = DataStandardization.run(&sample_input()).unwrap().value;
        assert_eq!(clean.len(), 9);
        let by_name = |name: &str| clean.iter().find(|r| r.name == name).unwrap();
        assert_eq!(by_name("batch0004").memory_gb, Some(4.0));
        assert_eq!(by_name("batch0010").memory_gb, Some(8.0));
        assert_eq!(by_name("web0018").memory_gb, Some(64.0));
        assert_eq!(by_name("web0018").hostname.as_deref(), Some("web0018"));
        assert_eq!(by_name("crm_db").os_version.as_deref(), Some("2012"));
        assert_eq!(by_name("CRM").key, "crm");
        assert_eq!(by_name("CRM").environment.as_deref(), Some("production"));
        assert_eq!(
            by_name("CRM").depends_on,
            vec!["batch0016", "web0017", "web0018", "crm_db"]
        );
        assert!(clean.iter().all(|r| r.issues.is_empty()), "{clean:?}");

        let quality = DataQuality.run(&clean).unwrap().value;
        assert!(quality.records.iter().all(|r| r.quality_score == 1.0));
        assert_eq!(quality.overall, 1.0);

        let dedup = Deduplication.run(&quality.records).unwrap().value;
        assert_eq!(dedup.records.len(), 8);
        assert_eq!(dedup.merges.len(), 1);
        assert_eq!(dedup.merges[0].kept_key, "batch0007");
        assert_eq!(dedup.merges[0].merged_rows, vec![8]);
        let records = dedup.records;

        let types = AssetClassification.run(&records).unwrap();
        assert_eq!(types.confidence, 1.0);
        let asset_types = types.value;
        let count = |t: &str| asset_types.iter().filter(|a| *a == t).count();
        assert_eq!((count("server"), count("database"), count("application")), (4, 2, 2));

        let criticality = CriticalityAssessment
            .run(&CriticalityInput {
                records: records.clone(),
                asset_types: asset_types.clone(),
            })
            .unwrap()
            .value;
        let drafts = AssetInventory
            .run(&InventoryInput {
                records,
                asset_types,
                criticality,
            })
            .unwrap()
            .value;
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
        assert_eq!(
            got,
            vec![
                ("batch0004", "server", "medium"),
                ("crm", "application", "critical"),
                ("batch0010", "server", "high"),
                ("web0018", "server", "high"),
                ("intranet", "application", "low"),
                ("batch0007", "server", "low"),
                ("crm_db", "database", "critical"),
                ("intranet_db", "database", "medium"),
            ]
        );
        assert_eq!(drafts[5].record.source_rows, vec![6, 8]);
    }
}
