//! `asset_classification` (inventory): each record's asset type. The source's own type text wins
//! over evidence; evidence (OS, IP, dependencies, name) only decides when the type is missing or
//! unknown. Confidence is the share of records typed explicitly. `data_quality` judges a record's
//! completeness by the type this gives it.

use crate::agents::types::{ASSET_TYPES, Agent, AgentError, AgentOutput, CleanRecord};
use crate::agents::vocabulary::asset_types::asset_type_from_text;
use crate::agents::vocabulary::operating_systems::os_family;
use crate::agents::vocabulary::text::{filled, round3};
use crate::domain::PhaseName;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::test_fixtures::clean_record as record;

    #[test]
    fn the_source_type_beats_the_evidence() {
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
}
