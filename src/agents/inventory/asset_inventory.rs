//! `asset_inventory` (inventory): builds the asset drafts, one per non-empty key, records sharing
//! a key merged. An unknown asset type becomes `other` and an unknown criticality `medium`
//! (counted in the reasoning) rather than failing the phase; only mismatched lengths are an error.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::agents::data_cleansing::deduplication::merge_records;
use crate::agents::types::{ASSET_TYPES, Agent, AgentError, AgentOutput, AssetDraft, CleanRecord};
use crate::agents::vocabulary::business_criticality::standardize_criticality;
use crate::agents::vocabulary::text::round3;
use crate::domain::PhaseName;

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
    use crate::agents::test_fixtures::clean_record as record;

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
}
