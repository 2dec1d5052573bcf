//! `data_standardization` (data_cleansing): maps and standardises every source row into one
//! `CleanRecord`, in order. How a single source value is read (placeholders, sizes, core counts,
//! dependency lists) is in `values.rs`; the shared words (environments, OS families, addresses) are
//! in the [`vocabulary`](crate::agents::vocabulary).
//!
//! Decisions worth knowing:
//! - A source field with no mapping at all is treated like one mapped to `None`: kept in
//!   `attributes`, so nothing the customer sent is lost.
//! - When several source fields map onto one attribute, the first non-blank (in the row's field
//!   order) wins; the others stay in `attributes` under their source name.
//! - Placeholders (`N/A`, `null`, `none`, `-`, `TBD`, `unknown`, ...) count as missing in canonical
//!   fields.
//! - UAT and SIT are test environments (`test`); DR stands alone (`dr`).
//! - An IP cell may hold several addresses, joined by any separator: the first valid one is
//!   `ip_address`, the others `additional_ip_addresses` (dependencies resolve by every one), and
//!   the cell as written is kept as `ip_address_raw` when it said more than the first.
//! - A dependency cell is split on `;` `,` `|` and newlines only: `+`, `/` and phrases are cut by
//!   dependency_mapping, which knows the assets and so can keep a name holding them whole.
//! - `issues` holds problems only (unknown environment, invalid IP, a unit guessed, a value that could
//!   not be read). A conversion with an explicit unit (`4096 MB`) is clean and only counted in the
//!   reasoning.
//! - Sizes are GB. A unit in the value wins (`4096 MB`, `1 TB`), then a non-GB unit in the source
//!   column name (`Memory (MB)`, `ram_mb`, `memoryMB`); otherwise, for memory only, a bare number over
//!   1024 is taken as MB with an issue (ServiceNow's `ram`), even under a `(GB)` header. Storage over
//!   1024 GB is common, so storage has no such guess.

mod values;

use std::collections::HashMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::agents::tech_debt_analysis::lifecycle_analysis::normalize::standard_platform_name;
use crate::agents::types::{
    Agent, AgentError, AgentOutput, CANONICAL_ATTRIBUTES, CleanRecord, FieldMapping, SourceRecord,
};
use crate::agents::vocabulary::addresses::{ADDITIONAL_IPS, first_label, host_text, ip_list};
use crate::agents::vocabulary::environments::standardize_environment;
use crate::agents::vocabulary::operating_systems::{os_family, os_version_from};
use crate::agents::vocabulary::text::round3;
use crate::domain::PhaseName;
use values::{
    Unit, dependency_list, is_missing, keep_attribute, parse_cores, parse_quantity, scalar_text, unit_in_name,
};

/// What `data_standardization` works on: the approved mappings and the imported rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StandardizeInput {
    pub mappings: Vec<FieldMapping>,
    pub records: Vec<SourceRecord>,
}

/// Maps and standardises every source row into one `CleanRecord`, in order.
#[derive(Debug, Clone, Copy, Default)]
pub struct DataStandardization;

impl Agent for DataStandardization {
    type Input = StandardizeInput;
    type Output = Vec<CleanRecord>;
    const NAME: &'static str = "data_standardization";
    const PHASE: PhaseName = PhaseName::DataCleansing;

    fn run(&self, input: &StandardizeInput) -> Result<AgentOutput<Vec<CleanRecord>>, AgentError> {
        let targets = Targets::new(&input.mappings);
        let mut stats = Stats::default();
        let records: Vec<CleanRecord> = input
            .records
            .iter()
            .map(|row| standardize_record(row, &targets, &mut stats))
            .collect();
        let with_issues = records.iter().filter(|r| !r.issues.is_empty()).count();
        // Every problem is a value we had to drop or guess: the more of them, the less sure we are.
        let confidence = if stats.values == 0 {
            1.0
        } else {
            round3(1.0 - stats.problems as f64 / stats.values as f64).max(0.5)
        };
        let reasoning = format!(
            "Standardised {} records ({} mapped values). Environment values renamed to the standard set: {}; \
             sizes converted to GB: {}; problems noted: {} (on {} records).",
            records.len(),
            stats.values,
            stats.environments_renamed,
            stats.units_converted,
            stats.problems,
            with_issues
        );
        Ok(AgentOutput::new(records, confidence, reasoning))
    }
}

#[derive(Debug, Default)]
struct Stats {
    values: usize,
    environments_renamed: usize,
    units_converted: usize,
    problems: usize,
}

/// Where each source field goes: `Some(attribute)`, or `None` to keep it under its own name.
struct Targets<'a> {
    exact: HashMap<&'a str, Option<&'static str>>,
    /// Trimmed and lower-cased names, for a mapping whose spelling drifted from the import's.
    folded: HashMap<String, Option<&'static str>>,
}

impl<'a> Targets<'a> {
    fn new(mappings: &'a [FieldMapping]) -> Self {
        let mut exact = HashMap::new();
        let mut folded = HashMap::new();
        for mapping in mappings {
            let target = mapping.target_attribute.as_deref().and_then(canonical_attribute);
            exact.entry(mapping.source_field.as_str()).or_insert(target);
            folded
                .entry(mapping.source_field.trim().to_lowercase())
                .or_insert(target);
        }
        Targets { exact, folded }
    }

    fn get(&self, field: &str) -> Option<&'static str> {
        match self.exact.get(field) {
            Some(target) => *target,
            None => self.folded.get(&field.trim().to_lowercase()).copied().flatten(),
        }
    }
}

/// A mapping target that is not a canonical attribute is treated as no mapping (kept as attribute).
fn canonical_attribute(name: &str) -> Option<&'static str> {
    let name = name.trim();
    CANONICAL_ATTRIBUTES
        .iter()
        .copied()
        .find(|c| c.eq_ignore_ascii_case(name))
}

fn standardize_record(row: &SourceRecord, targets: &Targets<'_>, stats: &mut Stats) -> CleanRecord {
    let mut attributes = Map::new();
    let mut issues: Vec<String> = Vec::new();
    // The first usable value for each canonical attribute, with the source field it came from.
    let mut mapped: HashMap<&'static str, (&str, &Value)> = HashMap::new();
    for (field, value) in &row.fields {
        match targets.get(field) {
            Some(target) => {
                if is_missing(value) {
                    continue;
                }
                if mapped.contains_key(target) {
                    keep_attribute(&mut attributes, field, value);
                } else {
                    mapped.insert(target, (field.as_str(), value));
                }
            }
            None => keep_attribute(&mut attributes, field, value),
        }
    }
    stats.values += mapped.len();
    let text = |attribute: &str| mapped.get(attribute).and_then(|(_, value)| scalar_text(value));

    let mut ip_address = None;
    if let Some((_, value)) = mapped.get("ip_address") {
        let (first, extra, invalid) = parse_ips(value);
        // The cell as written, when it said more than the one address kept as `ip_address`.
        if let Some(raw) = scalar_text(value).filter(|raw| Some(raw) != first.as_ref()) {
            attributes.insert("ip_address_raw".into(), Value::from(raw));
        }
        ip_address = first;
        if !extra.is_empty() {
            attributes.insert(ADDITIONAL_IPS.into(), Value::from(extra));
        }
        for bad in invalid {
            issues.push(format!("invalid IP address `{bad}` dropped"));
        }
    }

    let mut hostname = text("hostname").map(|h| host_text(&h)).filter(|h| !h.is_empty());
    let mut fqdn = text("fqdn").map(|f| host_text(&f)).filter(|f| !f.is_empty());
    move_ip_out_of_host_field(&mut hostname, &mut ip_address, "hostname", &mut issues);
    move_ip_out_of_host_field(&mut fqdn, &mut ip_address, "FQDN", &mut issues);
    // A hostname written as an FQDN gives both.
    if let Some(h) = hostname.as_deref()
        && let Some((label, _)) = h.split_once('.')
    {
        if fqdn.is_none() {
            fqdn = Some(h.to_string());
        }
        hostname = (!label.is_empty()).then(|| label.to_string());
    }
    if hostname.is_none() {
        hostname = fqdn.as_deref().and_then(first_label).map(str::to_string);
    }

    let environment = text("environment").map(|raw| match standardize_environment(&raw) {
        Some(env) => {
            if raw != env {
                stats.environments_renamed += 1;
                // As written (`Préproduction`, `QS`), beside the standard name.
                attributes.insert("environment_raw".into(), Value::from(raw.clone()));
            }
            env.to_string()
        }
        None => {
            let kept = raw.to_lowercase();
            issues.push(format!("unrecognised environment `{raw}` kept as `{kept}`"));
            kept
        }
    });

    let memory_gb = mapped
        .get("memory_gb")
        .and_then(|(field, value)| to_gb(field, value, SizeKind::Memory, &mut issues, stats));
    let storage_gb = mapped
        .get("storage_gb")
        .and_then(|(field, value)| to_gb(field, value, SizeKind::Storage, &mut issues, stats));
    let cpu_cores = text("cpu_cores").and_then(|raw| {
        let cores = parse_cores(&raw);
        if cores.is_none() {
            issues.push(format!("unreadable CPU cores `{raw}` dropped"));
        }
        cores
    });

    let mut operating_system = text("operating_system");
    // Stored under its normalised name (`rhel-6.10` → `Red Hat Enterprise Linux 6.10`), raw kept beside.
    if let Some(raw) = operating_system.as_deref()
        && let Some(name) = standard_platform_name(raw, text("os_version").as_deref())
    {
        attributes.insert("operating_system_raw".into(), Value::from(raw));
        operating_system = Some(name);
    }
    let os_version = text("os_version").or_else(|| operating_system.as_deref().and_then(os_version_from));
    if let Some(os) = operating_system.as_deref() {
        attributes.insert("os_family".into(), Value::from(os_family(os)));
    }

    let depends_on = mapped
        .get("depends_on")
        .map(|(_, value)| dependency_list(value))
        .unwrap_or_default();

    // A name that came from a host field is lower-case like the host field; a mapped name keeps its case.
    let name = text("name")
        .or_else(|| hostname.clone())
        .or_else(|| fqdn.clone())
        .or_else(|| ip_address.clone())
        .unwrap_or_else(|| format!("row-{}", row.row_number));
    let key = name.trim().to_lowercase();

    stats.problems += issues.len();
    CleanRecord {
        key,
        source_rows: vec![row.row_number],
        name,
        hostname,
        fqdn,
        ip_address,
        asset_type: text("asset_type"),
        operating_system,
        os_version,
        environment,
        application: text("application"),
        cpu_cores,
        memory_gb,
        storage_gb,
        owner: text("owner"),
        depends_on,
        business_criticality: text("business_criticality"),
        location: text("location"),
        attributes,
        quality_score: 0.0,
        issues,
    }
}

/// Exports often put the IP in the host column; it is an address, not a name.
fn move_ip_out_of_host_field(
    host: &mut Option<String>,
    ip_address: &mut Option<String>,
    field: &str,
    issues: &mut Vec<String>,
) {
    let Some(ip) = host.as_deref().and_then(|h| h.parse::<IpAddr>().ok()) else {
        return;
    };
    if ip_address.is_none() && !ip.is_unspecified() {
        *ip_address = Some(ip.to_string());
    }
    issues.push(format!("{field} `{ip}` is an IP address, not a name"));
    *host = None;
}

/// The first valid address, the other valid ones, and the unreadable ones.
fn parse_ips(value: &Value) -> (Option<String>, Vec<String>, Vec<String>) {
    let Some(text) = scalar_text(value) else {
        return (None, Vec::new(), Vec::new());
    };
    let (valid, invalid) = ip_list(&text);
    let mut valid = valid.into_iter();
    (valid.next(), valid.collect(), invalid)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SizeKind {
    Memory,
    Storage,
}

fn to_gb(field: &str, value: &Value, kind: SizeKind, issues: &mut Vec<String>, stats: &mut Stats) -> Option<f64> {
    let label = match kind {
        SizeKind::Memory => "memory",
        SizeKind::Storage => "storage",
    };
    let raw = scalar_text(value)?;
    let Some((amount, unit)) = parse_quantity(&raw) else {
        issues.push(format!("unreadable {label} `{raw}` dropped"));
        return None;
    };
    // GB is the default, so a column that says GB adds nothing; any other declared unit counts.
    let declared = unit.or_else(|| unit_in_name(field).filter(|u| *u != Unit::Gb));
    let gb = match declared {
        Some(unit) => {
            if unit != Unit::Gb {
                stats.units_converted += 1;
            }
            amount * unit.gb_factor()
        }
        // ServiceNow's `ram` is in MB and carries no unit, and "GB" headers are often filled from
        // tools that report MB; a server with over 1 TB of RAM is the rarer case.
        None if kind == SizeKind::Memory && amount > 1024.0 => {
            stats.units_converted += 1;
            let gb = amount / 1024.0;
            issues.push(format!(
                "memory `{raw}` has no unit and is over 1024: taken as MB ({} GB)",
                round3(gb)
            ));
            gb
        }
        None => amount,
    };
    let gb = round3(gb);
    if gb <= 0.0 {
        issues.push(format!("{label} `{raw}` is not a positive size, dropped"));
        return None;
    }
    Some(gb)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::agents::data_cleansing::data_quality::DataQuality;
    use crate::agents::data_cleansing::deduplication::Deduplication;
    use crate::agents::test_fixtures::{mapping, source_record as row};

    fn standardize(mappings: Vec<FieldMapping>, records: Vec<SourceRecord>) -> Vec<CleanRecord> {
        DataStandardization
            .run(&StandardizeInput { mappings, records })
            .unwrap()
            .value
    }

    fn one(mappings: Vec<FieldMapping>, fields: Value) -> CleanRecord {
        standardize(mappings, vec![row(1, fields)]).remove(0)
    }

    #[test]
    fn environments_in_other_languages_are_standardised_and_kept_as_written() {
        let env = || vec![mapping("env", Some("environment"), 1.0)];
        for (raw, want) in [
            ("Préproduction", "staging"),
            ("QS", "qa"),
            ("Produktion", "production"),
            ("Recette", "staging"),
        ] {
            let r = one(env(), json!({ "env": raw }));
            assert_eq!(r.environment.as_deref(), Some(want), "{raw}");
            assert_eq!(r.attributes.get("environment_raw"), Some(&json!(raw)));
            assert!(r.issues.is_empty(), "{:?}", r.issues);
        }
        let r = one(env(), json!({"env": "production"}));
        assert_eq!(r.attributes.get("environment_raw"), None, "nothing to keep");
    }

    #[test]
    fn unrecognised_environments_are_kept_lower_case() {
        let r = one(
            vec![mapping("env", Some("environment"), 1.0)],
            json!({"env": "Sandbox"}),
        );
        assert_eq!(r.environment.as_deref(), Some("sandbox"));
        assert_eq!(r.issues.len(), 1);
    }

    #[test]
    fn mappings_apply_and_unmapped_fields_become_attributes() {
        let r = one(
            vec![
                mapping("Server Name", Some("name"), 1.0),
                mapping("Rack", None, 1.0),
                mapping("Alt Name", Some("name"), 1.0),
                mapping("bogus", Some("not_canonical"), 1.0),
            ],
            json!({"Server Name": "  Web01  ", "Rack": " R12 ", "Empty": "", "Nothing": null, "Alt Name": "web-01",
                   "bogus": "x", "Unmapped": 3}),
        );
        assert_eq!(r.name, "Web01");
        assert_eq!(r.key, "web01");
        assert_eq!(r.source_rows, vec![1]);
        assert_eq!(r.attributes.get("Rack"), Some(&json!("R12")));
        assert_eq!(r.attributes.get("Alt Name"), Some(&json!("web-01")));
        assert_eq!(r.attributes.get("bogus"), Some(&json!("x")));
        assert_eq!(r.attributes.get("Unmapped"), Some(&json!(3)));
        assert!(!r.attributes.contains_key("Empty") && !r.attributes.contains_key("Nothing"));
    }

    #[test]
    fn host_names_and_name_fallbacks() {
        let maps = || {
            vec![
                mapping("host", Some("hostname"), 1.0),
                mapping("fqdn", Some("fqdn"), 1.0),
                mapping("ip", Some("ip_address"), 1.0),
            ]
        };
        let r = one(
            maps(),
            json!({"host": "", "fqdn": "WEB01.Corp.Example.COM.", "ip": "10.0.0.1"}),
        );
        assert_eq!(r.fqdn.as_deref(), Some("web01.corp.example.com"));
        assert_eq!(r.hostname.as_deref(), Some("web01"));
        assert_eq!(r.name, "web01");
        let r = one(maps(), json!({"host": "DB02.corp.example.com"}));
        assert_eq!(
            (r.hostname.as_deref(), r.fqdn.as_deref()),
            (Some("db02"), Some("db02.corp.example.com"))
        );
        let r = one(maps(), json!({"ip": "10.0.0.9"}));
        assert_eq!(r.name, "10.0.0.9");
        let r = one(maps(), json!({"host": "N/A"}));
        assert_eq!(r.name, "row-1");
        let r = one(maps(), json!({"host": "10.1.1.1"}));
        assert_eq!((r.hostname, r.ip_address.as_deref()), (None, Some("10.1.1.1")));
    }

    #[test]
    fn ip_addresses_are_validated() {
        let m = || vec![mapping("ip", Some("ip_address"), 1.0)];
        assert_eq!(
            one(m(), json!({"ip": " 10.1.2.3 "})).ip_address.as_deref(),
            Some("10.1.2.3")
        );
        assert_eq!(
            one(m(), json!({"ip": "2001:DB8::1"})).ip_address.as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            one(m(), json!({"ip": "10.1.2.3/24"})).ip_address.as_deref(),
            Some("10.1.2.3")
        );
        let r = one(m(), json!({"ip": "10.1.2.300"}));
        assert_eq!(r.ip_address, None);
        assert_eq!(r.issues, vec!["invalid IP address `10.1.2.300` dropped".to_string()]);
        let r = one(m(), json!({"ip": ["10.0.0.1", "10.0.0.2"]}));
        assert_eq!(r.ip_address.as_deref(), Some("10.0.0.1"));
        assert_eq!(r.attributes.get("additional_ip_addresses"), Some(&json!(["10.0.0.2"])));
        assert_eq!(
            one(m(), json!({"ip": "10.1.2.3"})).attributes.get("ip_address_raw"),
            None
        );
    }

    #[test]
    fn a_cell_of_several_addresses_keeps_the_first_as_primary_and_the_cell_as_written() {
        let m = || vec![mapping("ip", Some("ip_address"), 1.0)];
        for cell in [
            "10.14.105.138, 192.168.187.213",
            "10.14.105.138 192.168.187.213",
            "10.14.105.138; 192.168.187.213",
            "10.14.105.138\n192.168.187.213",
            "10.14.105.138/24 / 192.168.187.213/16",
            "10.14.105.138 | 192.168.187.213 | 10.14.105.138",
        ] {
            let r = one(m(), json!({ "ip": cell }));
            assert_eq!(r.ip_address.as_deref(), Some("10.14.105.138"), "{cell:?}");
            assert_eq!(
                r.attributes.get("additional_ip_addresses"),
                Some(&json!(["192.168.187.213"])),
                "{cell:?}"
            );
            assert_eq!(r.attributes.get("ip_address_raw"), Some(&json!(cell)), "{cell:?}");
            assert!(r.issues.is_empty(), "{cell:?}: {:?}", r.issues);
        }
    }

    #[test]
    fn memory_and_storage_become_gb() {
        let mem = |field: &str, value: Value| {
            let r = one(vec![mapping(field, Some("memory_gb"), 1.0)], json!({ field: value }));
            (r.memory_gb, r.issues.len())
        };
        assert_eq!(mem("Memory (GB)", json!("4096 MB")), (Some(4.0), 0));
        assert_eq!(mem("Memory (GB)", json!("16GB")), (Some(16.0), 0));
        assert_eq!(mem("Memory (GB)", json!("16 GB")), (Some(16.0), 0));
        assert_eq!(mem("Memory (GB)", json!("16")), (Some(16.0), 0));
        assert_eq!(mem("Memory (GB)", json!("1 TB")), (Some(1024.0), 0));
        assert_eq!(mem("Memory (GB)", json!("4096")), (Some(4.0), 1));
        assert_eq!(mem("Memory (GB)", json!("1024")), (Some(1024.0), 0));
        assert_eq!(mem("ram", json!("8192")), (Some(8.0), 1));
        assert_eq!(mem("ram", json!(8192)), (Some(8.0), 1));
        assert_eq!(mem("ram_mb", json!("2048")), (Some(2.0), 0));
        assert_eq!(mem("Memory (MB)", json!("512")), (Some(0.5), 0));
        assert_eq!(mem("memoryMB", json!("1,024")), (Some(1.0), 0));
        assert_eq!(mem("ram", json!("lots")), (None, 1));
        assert_eq!(mem("ram", json!("0")), (None, 1));
        let disk =
            |value: &str| one(vec![mapping("disk", Some("storage_gb"), 1.0)], json!({ "disk": value })).storage_gb;
        assert_eq!(disk("2000"), Some(2000.0));
        assert_eq!(disk("2 TB"), Some(2048.0));
        assert_eq!(disk("512 MB"), Some(0.5));
        assert_eq!(disk("1,5 GB"), Some(1.5));
    }

    #[test]
    fn cpu_cores_are_integers() {
        assert_eq!(parse_cores("4"), Some(4));
        assert_eq!(parse_cores("4 vCPU"), Some(4));
        assert_eq!(parse_cores("2 x 4"), Some(8));
        assert_eq!(parse_cores("4.0"), Some(4));
        assert_eq!(parse_cores("2.5"), None);
        assert_eq!(parse_cores("0"), None);
        assert_eq!(parse_cores("many"), None);
        let r = one(vec![mapping("cores", Some("cpu_cores"), 1.0)], json!({"cores": 16}));
        assert_eq!(r.cpu_cores, Some(16));
    }

    #[test]
    fn os_version_and_family_come_from_the_os_field() {
        let maps = vec![
            mapping("os", Some("operating_system"), 1.0),
            mapping("ver", Some("os_version"), 1.0),
        ];
        let r = one(maps.clone(), json!({"os": " Ubuntu 14.04.6 LTS ", "ver": ""}));
        // Stored normalised, the raw text beside it.
        assert_eq!(r.operating_system.as_deref(), Some("Ubuntu 14.04.6"));
        assert_eq!(
            r.attributes.get("operating_system_raw"),
            Some(&json!("Ubuntu 14.04.6 LTS"))
        );
        assert_eq!(r.os_version.as_deref(), Some("14.04"));
        assert_eq!(r.attributes.get("os_family"), Some(&json!("linux")));
        let r = one(maps, json!({"os": "AIX 7.1", "ver": "7.1 TL5"}));
        assert_eq!(r.os_version.as_deref(), Some("7.1 TL5"));
    }

    #[test]
    fn dependencies_are_split() {
        let m = || vec![mapping("deps", Some("depends_on"), 1.0)];
        let r = one(m(), json!({"deps": "a; b,c | d\ne;;A "}));
        assert_eq!(r.depends_on, vec!["a", "b", "c", "d", "e"]);
        let r = one(m(), json!({"deps": [" x ", "", "y,z", null]}));
        assert_eq!(r.depends_on, vec!["x", "y,z"]);
        let r = one(m(), json!({"deps": []}));
        assert!(r.depends_on.is_empty());
    }

    #[test]
    fn standardization_survives_odd_values() {
        let maps: Vec<FieldMapping> = CANONICAL_ATTRIBUTES.iter().map(|a| mapping(a, Some(a), 1.0)).collect();
        let odd = [
            json!(null),
            json!(""),
            json!({"a": 1}),
            json!([[1, [2]]]),
            json!(-1),
            json!(1e308),
            json!("é∞"),
            json!(true),
            json!("9".repeat(400)),
            json!(",,,"),
            json!("."),
            json!("x×"),
        ];
        for value in odd {
            let fields: Map<String, Value> = CANONICAL_ATTRIBUTES
                .iter()
                .map(|a| (a.to_string(), value.clone()))
                .collect();
            let out = standardize(
                maps.clone(),
                vec![SourceRecord {
                    row_number: 7,
                    line_number: 8,
                    fields,
                }],
            );
            assert_eq!(out.len(), 1);
            assert!(!out[0].key.is_empty());
            DataQuality.run(&out).unwrap();
            Deduplication.run(&out).unwrap();
        }
        let empty = DataStandardization.run(&StandardizeInput::default()).unwrap();
        assert!(empty.value.is_empty());
    }
}
