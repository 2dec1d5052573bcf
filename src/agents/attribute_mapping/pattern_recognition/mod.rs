//! `pattern_recognition` (attribute_mapping): checks `field_mapping`'s mappings against a sample
//! of the values: confirms or doubts each mapped column, and gives an unmapped column whose values
//! are unmistakable an attribute no other column maps. The value checks are in `detectors.rs`.

mod corrections;
mod detectors;
mod evidence;
mod sizes;

use serde::{Deserialize, Serialize};

use crate::agents::types::{Agent, AgentError, AgentOutput, FieldMapping, SourceRecord};
use crate::agents::vocabulary::value_shapes::is_fqdn;
use crate::domain::PhaseName;
use detectors::{
    Detector, MIN_VALUES, detects, is_asset_type, is_core_count, is_criticality, is_environment, is_host_name,
    is_ip_list, is_name_list, is_os_name, is_size_or_number, is_version,
};
use evidence::ValueProfile;

/// The mappings to check and a sample of the records whose values they describe.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatternInput {
    pub mappings: Vec<FieldMapping>,
    pub records: Vec<SourceRecord>,
}

/// Confirms, doubts or corrects mappings from the values of a sample of records.
#[derive(Debug, Clone, Copy, Default)]
pub struct PatternRecognition;

const CONFIRM_SHARE: f64 = 0.8;
const CONTRADICT_SHARE: f64 = 0.2;

const DETECTORS: &[Detector] = &[
    detects("ip_address", "IP addresses", is_ip_list),
    detects("fqdn", "fully qualified domain names", is_fqdn),
    detects("hostname", "host names", is_host_name),
    detects("operating_system", "operating system or platform names", is_os_name),
    detects("os_version", "version strings", is_version),
    detects("memory_gb", "sizes or numbers", is_size_or_number),
    detects("storage_gb", "sizes or numbers", is_size_or_number),
    detects("cpu_cores", "core counts (small whole numbers)", is_core_count),
    detects("environment", "environment names", is_environment),
    detects("depends_on", "names or lists of names", is_name_list),
    detects("business_criticality", "criticality levels", is_criticality),
    detects("asset_type", "asset types", is_asset_type),
];

/// Attributes whose values are distinctive enough that a column holding them should be mapped.
const DISTINCTIVE: &[&str] = &["ip_address", "fqdn", "operating_system", "environment", "asset_type"];
/// Share of values at which a column "looks like" an attribute for the approval gate.
const LOOKS_LIKE_SHARE: f64 = 0.8;

/// The distinctive attribute a column's sampled values look like, with the share that fit and
/// examples, or `None`: what the approval gate asks of a column left unmapped.
pub fn distinctive_look(column: &str, records: &[SourceRecord]) -> Option<(&'static str, f64, String)> {
    let profile = ValueProfile::of(column, records, DETECTORS);
    if profile.values < MIN_VALUES {
        return None;
    }
    DETECTORS
        .iter()
        .enumerate()
        .filter(|(_, d)| DISTINCTIVE.contains(&d.attribute))
        .map(|(i, d)| (d.attribute, profile.share(i)))
        .filter(|(_, share)| *share >= LOOKS_LIKE_SHARE)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(attribute, share)| (attribute, share, profile.quoted_examples()))
}

fn detector(attribute: &str) -> Option<(usize, &'static Detector)> {
    DETECTORS.iter().enumerate().find(|(_, d)| d.attribute == attribute)
}

impl Agent for PatternRecognition {
    type Input = PatternInput;
    type Output = Vec<FieldMapping>;
    const NAME: &'static str = "pattern_recognition";
    const PHASE: PhaseName = PhaseName::AttributeMapping;

    fn run(&self, input: &PatternInput) -> Result<AgentOutput<Vec<FieldMapping>>, AgentError> {
        let mut mappings = input.mappings.clone();
        if mappings.is_empty() {
            return Ok(AgentOutput::new(mappings, 0.0, "No mappings to check."));
        }
        if input.records.is_empty() {
            let confidence = mean_confidence(&mappings);
            return Ok(AgentOutput::new(
                mappings,
                confidence,
                "No records to check values against; mappings unchanged.",
            ));
        }

        let profiles: Vec<ValueProfile> = mappings
            .iter()
            .map(|m| ValueProfile::of(&m.source_field, &input.records, DETECTORS))
            .collect();
        let (mut confirmed, mut contradicted, mut partial) = (0, 0, 0);
        let mut contradicts = vec![false; mappings.len()];

        for ((m, profile), contradicts) in mappings.iter_mut().zip(&profiles).zip(contradicts.iter_mut()) {
            let Some((index, d)) = m.target_attribute.as_deref().and_then(detector) else {
                continue;
            };
            let n = profile.values;
            let share = profile.share(index);
            let pct = share * 100.0;
            if n < MIN_VALUES {
                m.reasoning.push_str(&format!(
                    " Too few sampled values ({n}) to check against {}.",
                    d.attribute
                ));
            } else if share >= CONFIRM_SHARE {
                m.confidence = (m.confidence + 0.05).min(0.99);
                m.reasoning.push_str(&format!(
                    " Values confirm it: {pct:.0}% of {n} look like {}{}.",
                    d.looks_like,
                    profile.quoted_examples()
                ));
                confirmed += 1;
            } else if share <= CONTRADICT_SHARE {
                m.confidence = (m.confidence - 0.3).max(0.05);
                m.reasoning.push_str(&format!(
                    " Values contradict it: only {pct:.0}% of {n} look like {}{}.",
                    d.looks_like,
                    profile.quoted_examples()
                ));
                contradicted += 1;
                *contradicts = true;
            } else {
                m.reasoning.push_str(&format!(
                    " Values fit only partly: {pct:.0}% of {n} look like {}{}.",
                    d.looks_like,
                    profile.quoted_examples()
                ));
                partial += 1;
            }
        }

        let corrected = corrections::place_by_values(&mut mappings, &input.records, &contradicts, Self::NAME)
            + sizes::place_sizes(&mut mappings, &input.records, Self::NAME);

        let reasoning = format!(
            "Checked the values of {} column(s) in {} sampled record(s): {confirmed} confirmed, {contradicted} \
             contradicted, {partial} partly fitting, {corrected} corrected.",
            mappings.len(),
            input.records.len()
        );
        let confidence = mean_confidence(&mappings);
        Ok(AgentOutput::new(mappings, confidence, reasoning))
    }
}

fn mean_confidence(mappings: &[FieldMapping]) -> f64 {
    if mappings.is_empty() {
        return 0.0;
    }
    mappings.iter().map(|m| m.confidence).sum::<f64>() / mappings.len() as f64
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::agents::test_fixtures::{mapping, source_record};

    fn records(rows: Vec<Value>) -> Vec<SourceRecord> {
        rows.into_iter()
            .zip(1..)
            .map(|(v, row)| source_record(row, v))
            .collect()
    }

    fn recognise(mappings: Vec<FieldMapping>, rows: Vec<Value>) -> AgentOutput<Vec<FieldMapping>> {
        PatternRecognition
            .run(&PatternInput {
                mappings,
                records: records(rows),
            })
            .unwrap()
    }

    #[test]
    fn values_confirm_mappings() {
        let rows = vec![
            json!({"ip": "10.0.0.1", "fqdn": "a.corp.example.com", "os": "Red Hat Enterprise Linux 8.8", "env": "PRD",
                   "cores": 4, "mem": "16 GB", "deps": "a;b", "crit": "High"}),
            json!({"ip": "10.0.0.2", "fqdn": "b.corp.example.com", "os": "Microsoft SQL Server 2012", "env": "Dev",
                   "cores": "8", "mem": 4096, "deps": ["x", "y"], "crit": "1 - most critical"}),
            json!({"ip": "fe80::1", "fqdn": "c.corp.example.com", "os": "AIX 7.1", "env": "production",
                   "cores": "2", "mem": "8GB", "deps": "app0003", "crit": "Tier 2"}),
            json!({"ip": null, "fqdn": "", "os": "Oracle Database 19c", "env": "QA", "cores": null, "mem": null, "deps": [],
                   "crit": null}),
        ];
        let mappings = vec![
            mapping("ip", Some("ip_address"), 0.95),
            mapping("fqdn", Some("fqdn"), 0.97),
            mapping("os", Some("operating_system"), 0.95),
            mapping("env", Some("environment"), 0.95),
            mapping("cores", Some("cpu_cores"), 0.95),
            mapping("mem", Some("memory_gb"), 0.97),
            mapping("deps", Some("depends_on"), 0.95),
            mapping("crit", Some("business_criticality"), 0.96),
        ];
        let out = recognise(mappings.clone(), rows);
        for (before, after) in mappings.iter().zip(&out.value) {
            assert_eq!(after.target_attribute, before.target_attribute);
            assert_eq!(after.agent, "field_mapping");
            assert!(
                after.confidence > before.confidence && after.confidence <= 0.99,
                "{}",
                after.source_field
            );
            assert!(
                after.reasoning.starts_with("r. Values confirm it"),
                "{}",
                after.reasoning
            );
        }
        assert!(out.reasoning.contains("8 confirmed"), "{}", out.reasoning);
    }

    #[test]
    fn contradicting_values_lower_confidence() {
        let rows = vec![
            json!({"IP Address": "web01", "Cores": "Intel Xeon", "Env": "10.0.0.1", "Memory": "lots"}),
            json!({"IP Address": "web02", "Cores": "AMD EPYC", "Env": "10.0.0.2", "Memory": "n/a"}),
            json!({"IP Address": "web03", "Cores": "Intel Xeon", "Env": "10.0.0.3", "Memory": "16 GB"}),
            json!({"IP Address": "web04", "Cores": "Intel Xeon", "Env": "10.0.0.4", "Memory": "32"}),
        ];
        let mappings = vec![
            mapping("IP Address", Some("ip_address"), 0.97),
            mapping("Cores", Some("cpu_cores"), 0.95),
            mapping("Env", Some("environment"), 0.95),
            mapping("Memory", Some("memory_gb"), 0.95),
        ];
        let out = recognise(mappings, rows);
        let v = &out.value;
        assert!((v[0].confidence - 0.67).abs() < 1e-9);
        assert!(v[0].reasoning.contains("contradict"), "{}", v[0].reasoning);
        assert!((v[1].confidence - 0.65).abs() < 1e-9);
        assert_eq!(
            v[2].target_attribute.as_deref(),
            Some("environment"),
            "lowered, not retargeted"
        );
        assert!(
            (v[3].confidence - 0.95).abs() < 1e-9,
            "half fitting leaves confidence alone"
        );
        assert!(v[3].reasoning.contains("partly"), "{}", v[3].reasoning);
        assert!(out.reasoning.contains("3 contradicted"), "{}", out.reasoning);
    }

    #[test]
    fn unmapped_columns_with_unmistakable_values_are_corrected() {
        let rows: Vec<Value> = (1..=6)
            .map(|i| {
                json!({"col7": format!("10.0.0.{i}"), "x_dns": format!("h{i}.corp.example.com"), "Tier": "prod",
                       "other_ip": format!("192.168.0.{i}"), "free": "hello world"})
            })
            .collect();
        let mappings = vec![
            mapping("col7", None, 0.4),
            mapping("x_dns", None, 0.4),
            mapping("Tier", None, 0.6),
            mapping("other_ip", None, 0.4),
            mapping("free", None, 0.8),
        ];
        let out = recognise(mappings, rows);
        let v = &out.value;
        assert_eq!(v[0].target_attribute.as_deref(), Some("ip_address"));
        assert_eq!(v[0].agent, "pattern_recognition");
        assert!((v[0].confidence - 0.9).abs() < 1e-9);
        assert!(
            v[0].reasoning.contains("no other column maps ip_address"),
            "{}",
            v[0].reasoning
        );
        assert_eq!(v[1].target_attribute.as_deref(), Some("fqdn"));
        assert_eq!(v[2].target_attribute.as_deref(), Some("environment"));
        assert_eq!(v[3].target_attribute, None, "ip_address is taken by the earlier column");
        assert_eq!(v[3].agent, "field_mapping");
        assert_eq!(v[4].target_attribute, None);
        assert!(out.reasoning.contains("3 corrected"), "{}", out.reasoning);
    }

    #[test]
    fn corrections_need_distinctive_values() {
        let rows: Vec<Value> = ["Windows Server 2019", "RHEL 8", "Ubuntu 22.04", "AIX 7.1"]
            .iter()
            .map(|os| json!({"platform_x": os, "state": "Live", "vendor": "Oracle", "db": "MySQL 8.0"}))
            .collect();
        let mappings = vec![
            mapping("state", None, 0.9),
            mapping("vendor", None, 0.9),
            mapping("db", None, 0.5),
            mapping("platform_x", None, 0.5),
        ];
        let out = recognise(mappings, rows);
        let t: Vec<Option<&str>> = out.value.iter().map(|m| m.target_attribute.as_deref()).collect();
        assert_eq!(t, vec![None, None, None, Some("operating_system")]);
    }

    #[test]
    fn corrections_never_take_a_mapped_attribute() {
        let rows: Vec<Value> = (1..=5)
            .map(|i| json!({"IP": format!("web{i}"), "mystery": format!("10.1.1.{i}")}))
            .collect();
        let mappings = vec![mapping("IP", Some("ip_address"), 0.95), mapping("mystery", None, 0.5)];
        let out = recognise(mappings, rows);
        assert_eq!(out.value[0].target_attribute.as_deref(), Some("ip_address"));
        assert!(out.value[0].confidence < 0.7);
        assert_eq!(out.value[1].target_attribute, None);
        assert_eq!(out.value[1].reasoning, "r.");
    }

    #[test]
    fn few_or_no_values_change_nothing() {
        let mappings = vec![mapping("ip", Some("ip_address"), 0.9), mapping("x", None, 0.5)];
        let out = recognise(
            mappings.clone(),
            vec![json!({"ip": "10.0.0.1", "x": "10.0.0.2"}), json!({"ip": null})],
        );
        assert_eq!(out.value[0].confidence, 0.9);
        assert!(out.value[0].reasoning.contains("Too few"));
        assert_eq!(out.value[1], mappings[1]);
        let out = recognise(mappings.clone(), vec![]);
        assert_eq!(out.value, mappings);
        let out = recognise(vec![], vec![json!({"a": 1})]);
        assert!(out.value.is_empty());
    }

    #[test]
    fn unmapped_names_without_detectors_pass_through() {
        let rows: Vec<Value> = (1..=4)
            .map(|i| json!({"Owner": format!("user{i}"), "App": [i, {"k": "v"}], "odd": {}}))
            .collect();
        let mappings = vec![
            mapping("Owner", Some("owner"), 0.97),
            mapping("App", Some("application"), 0.95),
            mapping("odd", None, 0.5),
        ];
        let out = recognise(mappings.clone(), rows);
        assert_eq!(out.value, mappings);
    }

    #[test]
    fn columns_nobody_named_are_placed_by_their_values() {
        // A German team's export with headers in a language the vocabulary lacks.
        let classes = ["Server", "Virtuelle Maschine", "Datenbank", "Fachanwendung"];
        let environments = ["Produktion", "QS", "Abnahme", "Entwicklung"];
        let systems = ["Windows Server 2019", "RHEL 8.6", "SLES 15 SP4", "Oracle Database 19c"];
        let rows: Vec<Value> = (0..12)
            .map(|i| {
                let deps = if i % 4 == 3 {
                    format!("läuft auf hst{:03} / 10.1.0.{}", i - 1, i - 2)
                } else {
                    String::new()
                };
                let (cores, memory, disk) = (
                    [2, 4, 8, 16][i % 4],
                    [8, 16, 32, 64][i % 4],
                    [100, 250, 500, 1000][i % 4],
                );
                let owner = ["a.schmidt", "ops-team", "j.weber"][i % 3];
                json!({"a": format!("hst{i:03}"), "b": classes[i % 4], "c": format!("10.1.0.{i}"),
                       "d": systems[i % 4], "e": environments[i % 4], "f": cores,
                       "g": format!("{memory} GB"), "h": disk, "i": owner, "j": deps})
            })
            .collect();
        let columns = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        let mappings: Vec<FieldMapping> = columns.iter().map(|c| mapping(c, None, 0.5)).collect();
        let out = recognise(mappings, rows);
        let got: Vec<Option<&str>> = out.value.iter().map(|m| m.target_attribute.as_deref()).collect();
        assert_eq!(
            got,
            [
                "hostname",
                "asset_type",
                "ip_address",
                "operating_system",
                "environment",
                "cpu_cores",
                "memory_gb",
                "storage_gb",
                "owner",
                "depends_on"
            ]
            .map(Some)
        );
        let env = &out.value[4];
        assert!(env.reasoning.starts_with("Decided by its values"), "{}", env.reasoning);
        assert!(env.reasoning.contains("'Produktion'"), "{}", env.reasoning);
        assert!(env.confidence >= 0.85, "{}", env.confidence);
        assert!(out.value[5].confidence < 0.7, "sizes are weaker evidence");
    }
}
