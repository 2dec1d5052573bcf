//! `criticality_assessment` (inventory): critical / high / medium / low for every record.
//!
//! An explicit source value is kept (standardised); otherwise production → high,
//! staging/qa/test/dr → medium, development → low, unknown environment → medium (no evidence
//! either way, so neither understated nor inflated). Then one level up, once, for databases (data
//! is what everything else depends on) and for applications whose name, application or attribute
//! values mention customer-facing, payments, billing, checkout, PCI, CRM or ERP.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agents::types::{Agent, AgentError, AgentOutput, CleanRecord};
use crate::agents::vocabulary::business_criticality::standardize_criticality;
use crate::agents::vocabulary::text::{filled, round3, words};
use crate::domain::PhaseName;

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
        let words: Vec<&str> = words(&lower).collect();
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

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;
    use crate::agents::test_fixtures::clean_record as record;

    #[test]
    fn criticality_rules() {
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
}
