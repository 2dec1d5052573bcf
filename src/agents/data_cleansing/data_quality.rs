//! `data_quality` (data_cleansing): scores each record's completeness, for the kind of asset it
//! is, and its validity; reports the share of records with a valid value per canonical
//! attribute. Merge notes (issues starting with `merge`) are bookkeeping and do not lower quality.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::agents::inventory::asset_classification::classify_record;
use crate::agents::types::{Agent, AgentError, AgentOutput, CANONICAL_ATTRIBUTES, CleanRecord};
use crate::agents::vocabulary::addresses::parse_ip;
use crate::agents::vocabulary::environments::ENVIRONMENTS;
use crate::agents::vocabulary::text::{filled, round3};
use crate::domain::PhaseName;

/// The records with their `quality_score`, the share of records with a valid value per canonical
/// attribute, and the mean record score.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    pub records: Vec<CleanRecord>,
    pub per_field: BTreeMap<String, f64>,
    pub overall: f64,
}

/// Scores each record's completeness (for its kind) and validity.
#[derive(Debug, Clone, Copy, Default)]
pub struct DataQuality;

impl Agent for DataQuality {
    type Input = [CleanRecord];
    type Output = QualityReport;
    const NAME: &'static str = "data_quality";
    const PHASE: PhaseName = PhaseName::DataCleansing;

    fn run(&self, input: &[CleanRecord]) -> Result<AgentOutput<QualityReport>, AgentError> {
        let mut explicit = 0usize;
        let records: Vec<CleanRecord> = input
            .iter()
            .map(|record| {
                let class = classify_record(record);
                explicit += usize::from(class.explicit);
                let mut record = record.clone();
                record.quality_score = score_for_kind(&record, class.asset_type);
                record
            })
            .collect();
        let n = records.len();
        let share = |count: usize| if n == 0 { 0.0 } else { round3(count as f64 / n as f64) };
        let per_field: BTreeMap<String, f64> = CANONICAL_ATTRIBUTES
            .iter()
            .map(|field| {
                (
                    field.to_string(),
                    share(records.iter().filter(|r| has_valid_value(r, field)).count()),
                )
            })
            .collect();
        let overall = if n == 0 {
            0.0
        } else {
            round3(records.iter().map(|r| r.quality_score).sum::<f64>() / n as f64)
        };
        let below = records.iter().filter(|r| r.quality_score < 0.7).count();
        let weakest = per_field
            .iter()
            .filter(|(_, s)| **s < 0.5)
            .map(|(f, _)| f.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let reasoning = format!(
            "Scored {n} records: overall quality {overall}; {below} records under 0.7; fields filled in under \
             half the records: {}.",
            if weakest.is_empty() { "none" } else { &weakest }
        );
        // The scores are exact; what is uncertain is the record kind guessed without a source type.
        let confidence = if n == 0 {
            1.0
        } else {
            round3(0.8 + 0.2 * explicit as f64 / n as f64)
        };
        Ok(AgentOutput::new(
            QualityReport {
                records,
                per_field,
                overall,
            },
            confidence,
            reasoning,
        ))
    }
}

/// The fields that make a record of this kind useful for migration planning.
pub fn important_fields(asset_type: &str) -> &'static [&'static str] {
    match asset_type {
        "server" => &[
            "hostname",
            "ip_address",
            "operating_system",
            "environment",
            "cpu_cores",
            "memory_gb",
        ],
        "database" => &[
            "name",
            "operating_system",
            "os_version",
            "environment",
            "application",
            "owner",
        ],
        "application" => &["name", "environment", "owner", "depends_on"],
        "network_device" => &["hostname", "ip_address", "location", "owner"],
        "storage" => &["name", "storage_gb", "location", "owner"],
        _ => &["name", "asset_type", "environment", "owner"],
    }
}

/// Merge notes are bookkeeping, not data problems.
fn is_merge_note(issue: &str) -> bool {
    issue.starts_with("merge")
}

/// 0.8 × completeness of the kind's important fields + 0.2 × validity (each problem costs a quarter).
pub fn quality_score(record: &CleanRecord) -> f64 {
    score_for_kind(record, classify_record(record).asset_type)
}

fn score_for_kind(record: &CleanRecord, asset_type: &str) -> f64 {
    let fields = important_fields(asset_type);
    let present = fields.iter().filter(|f| has_valid_value(record, f)).count();
    let completeness = present as f64 / fields.len().max(1) as f64;
    let problems = record.issues.iter().filter(|i| !is_merge_note(i)).count();
    let validity = (1.0 - 0.25 * problems as f64).max(0.0);
    round3(0.8 * completeness + 0.2 * validity).clamp(0.0, 1.0)
}

/// Whether the record has a usable value for a canonical attribute.
pub fn has_valid_value(record: &CleanRecord, field: &str) -> bool {
    fn positive(value: Option<f64>) -> bool {
        value.is_some_and(|v| v.is_finite() && v > 0.0)
    }
    match field {
        "name" => !record.name.trim().is_empty(),
        "hostname" => filled(&record.hostname),
        "fqdn" => filled(&record.fqdn),
        "ip_address" => record.ip_address.as_deref().is_some_and(|ip| parse_ip(ip).is_some()),
        "asset_type" => filled(&record.asset_type),
        "operating_system" => filled(&record.operating_system),
        "os_version" => filled(&record.os_version),
        "environment" => record.environment.as_deref().is_some_and(|e| ENVIRONMENTS.contains(&e)),
        "application" => filled(&record.application),
        "cpu_cores" => record.cpu_cores.is_some_and(|c| c > 0),
        "memory_gb" => positive(record.memory_gb),
        "storage_gb" => positive(record.storage_gb),
        "owner" => filled(&record.owner),
        "depends_on" => record.depends_on.iter().any(|d| !d.trim().is_empty()),
        "business_criticality" => filled(&record.business_criticality),
        "location" => filled(&record.location),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::test_fixtures::clean_record as record;

    #[test]
    fn quality_weighs_completeness_and_issues() {
        let full = CleanRecord {
            hostname: Some("web01".into()),
            ip_address: Some("10.0.0.1".into()),
            asset_type: Some("Server".into()),
            operating_system: Some("AIX 7.1".into()),
            environment: Some("production".into()),
            cpu_cores: Some(4),
            memory_gb: Some(16.0),
            ..record("web01")
        };
        let half = CleanRecord {
            cpu_cores: None,
            memory_gb: None,
            operating_system: None,
            ..full.clone()
        };
        let flawed = CleanRecord {
            issues: vec!["invalid IP address `x` dropped".into()],
            ..full.clone()
        };
        let merged_note = CleanRecord {
            issues: vec!["merged row(s) 2 (`X`) into `web01`: same key".into()],
            ..full.clone()
        };
        let report = DataQuality.run(&[full, half, flawed, merged_note]).unwrap().value;
        let scores: Vec<f64> = report.records.iter().map(|r| r.quality_score).collect();
        assert_eq!(scores, vec![1.0, 0.6, 0.95, 1.0]);
        assert_eq!(report.per_field["hostname"], 1.0);
        assert_eq!(report.per_field["cpu_cores"], 0.75);
        assert_eq!(report.per_field["location"], 0.0);
        assert!((report.overall - 0.8875).abs() < 0.001, "{}", report.overall);
        let empty = DataQuality.run(&[]).unwrap().value;
        assert_eq!(empty.overall, 0.0);
    }
}
