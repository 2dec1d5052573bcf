//! data_import: parse the raw export into numbered rows (bad rows reported, not fatal), then
//! data_validation and format_detection look at what was read.

use serde_json::{Value, json};
use sqlx::types::Json;

use super::{source_record, supervise};
use crate::agents::import_checks::{DataValidation, FormatDetection, ImportBatch};
use crate::agents::supervisor::SupervisorInput;
use crate::discovery::{PhaseFailure, PhaseInput, PhaseSuccess, import};
use crate::domain::PhaseName;
use crate::store::{ImportRecord, PhaseOutput};

/// Most bad rows listed in the import summary; all of them are counted.
const BAD_ROWS_LISTED: usize = 100;

pub async fn run(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let raw = input
        .store
        .raw_data(input.scope, input.flow.id)
        .await
        .map_err(PhaseFailure::internal)?
        .ok_or_else(|| PhaseFailure::user("the flow has no raw data to import"))?;
    input
        .compute(move |log| {
            let (outcome, file_encoding) = match raw.get("source").and_then(Value::as_str) {
                Some("records") => (import::parse_records(&raw["records"]), None),
                _ => {
                    let text = raw.get("text").and_then(Value::as_str).unwrap_or_default();
                    (
                        import::parse_text(text),
                        raw.get("encoding").and_then(Value::as_str).map(str::to_string),
                    )
                }
            };
            let outcome = outcome.map_err(|e| PhaseFailure::user(e.to_string()))?;
            let records: Vec<ImportRecord> = outcome
                .rows
                .into_iter()
                .map(|row| ImportRecord {
                    row_number: row.row_number,
                    line_number: row.line_number,
                    data: Json(Value::Object(row.data)),
                })
                .collect();
            let batch = ImportBatch {
                columns: outcome.columns.clone(),
                records: records.iter().cloned().map(source_record).collect(),
            };
            let validation = log.run(&DataValidation, &batch)?.value;
            let profile = log.run(&FormatDetection, &batch)?.value;
            let anomalies = supervise(
                log,
                SupervisorInput::new(PhaseName::DataImport)
                    .with("rows", records.len() as f64)
                    .with("bad_rows", outcome.bad_rows.len() as f64)
                    .with("duplicates", validation.exact_duplicates.len() as f64),
            )?;
            let bad_rows: Vec<Value> = outcome
                .bad_rows
                .iter()
                .take(BAD_ROWS_LISTED)
                .map(|bad| json!({ "line": bad.line_number, "reason": bad.reason, "raw": bad.raw }))
                .collect();
            let summary = json!({
                "format": outcome.format,
                "delimiter": outcome.delimiter,
                "encoding": file_encoding.as_deref().unwrap_or(outcome.encoding),
                "rows": records.len(),
                "columns": outcome.columns,
                "columnCount": outcome.columns.len(),
                "badRows": outcome.bad_rows.len(),
                "badRowDetails": bad_rows,
                "blankLines": outcome.blank_lines,
                "validation": validation,
                "columnProfile": profile,
                "supervisor": anomalies,
            });
            let items = records.len();
            Ok(PhaseSuccess::new(
                "dataImport",
                summary,
                PhaseOutput::ImportRecords(records),
                items,
            ))
        })
        .await
}
