//! The data_import phase's agents: `data_validation` checks the imported rows, `format_detection`
//! profiles their columns. Both read an [`ImportBatch`](crate::agents::types::ImportBatch) at
//! once, or its rows batch by batch through their `...State` types.

pub mod data_validation;
pub mod format_detection;

pub use data_validation::{DataValidation, DuplicateRow, ValidationReport, ValidationState, looks_mis_encoded};
pub use format_detection::{ColumnProfile, ColumnStats, FormatDetection, ProfileState};

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::agents::test_fixtures::source_record as record;
    use crate::agents::types::{Agent, ImportBatch, SourceRecord};

    #[test]
    fn empty_batch_is_fine() {
        let out = DataValidation.run(&ImportBatch::default()).unwrap();
        assert_eq!(out.value.rows_checked, 0);
        assert_eq!(out.confidence, 1.0);
        let out = FormatDetection.run(&ImportBatch::default()).unwrap();
        assert!(out.value.columns.is_empty());
        let batch = ImportBatch {
            columns: vec!["a".into()],
            records: vec![],
        };
        let out = FormatDetection.run(&batch).unwrap();
        assert_eq!(out.value.columns[0].inferred_type, "empty");
        assert_eq!(out.value.columns[0].fill_rate, 0.0);
    }

    #[test]
    fn large_batches_are_linear() {
        let columns: Vec<String> = (0..3).map(|i| format!("c{i}")).collect();
        let records: Vec<SourceRecord> = (0..100_000)
            .map(|i| {
                let mut fields = Map::new();
                for (j, c) in columns.iter().enumerate() {
                    fields.insert(c.clone(), Value::String(format!("v{}", (i * (j + 1)) % 5000)));
                }
                SourceRecord {
                    row_number: i as i64 + 1,
                    line_number: i as i64 + 2,
                    fields,
                }
            })
            .collect();
        let batch = ImportBatch { columns, records };
        let out = FormatDetection.run(&batch).unwrap();
        assert_eq!(out.value.columns.len(), 3);
        assert_eq!(out.value.columns[0].distinct, 5000);
        let out = DataValidation.run(&batch).unwrap();
        assert_eq!(out.value.rows_checked, 100_000);
    }

    #[test]
    fn weird_input_does_not_panic() {
        let batch = ImportBatch {
            columns: vec!["".into(), "\u{0}".into(), "ñ".into()],
            records: vec![
                record(1, json!({"": "\u{FFFD}\u{FFFD}", "\u{0}": "-", "ñ": "..."})),
                record(2, json!({"": "١٢٣", "\u{0}": "+", "ñ": "1.2.3.4/"})),
                record(3, json!({"": "e", "\u{0}": "Ã", "ñ": "â€"})),
            ],
        };
        assert!(FormatDetection.run(&batch).is_ok());
        assert!(DataValidation.run(&batch).is_ok());
    }
}
