//! `UnitedDiscoveryFlow`: one handler per phase. A handler reads its input from the store, does
//! its work, and returns its output; the orchestrator writes that output with the phase run and
//! the flow's new state in one transaction, so a phase run twice gives the same result.

pub mod import;

use std::sync::Arc;

use serde_json::{Value, json};
use sqlx::types::Json;

use crate::domain::PhaseName;
use crate::store::{FlowRecord, ImportRecord, PhaseOutput, Store, TenantScope};

/// What a phase produced: a summary (the run's `result`, also kept in the flow state under
/// `state_key`) and the rows it writes.
#[derive(Debug)]
pub struct PhaseSuccess {
    pub state_key: &'static str,
    pub result: Value,
    pub output: Option<PhaseOutput>,
}

/// Why a phase failed: a message for the client, and the internal cause for the log.
#[derive(Debug)]
pub struct PhaseFailure {
    pub message: String,
    pub internal: Option<anyhow::Error>,
}

impl PhaseFailure {
    pub fn user(message: impl Into<String>) -> Self {
        PhaseFailure {
            message: message.into(),
            internal: None,
        }
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        PhaseFailure {
            message: "internal error while running the phase".into(),
            internal: Some(source.into()),
        }
    }
}

/// Most bad rows listed in the import summary; all of them are counted.
const BAD_ROWS_LISTED: usize = 100;

pub struct UnitedDiscoveryFlow {
    store: Arc<dyn Store>,
}

impl UnitedDiscoveryFlow {
    pub fn new(store: Arc<dyn Store>) -> Self {
        UnitedDiscoveryFlow { store }
    }

    /// Whether this version of flowgraph can run `phase`.
    pub fn handles(&self, phase: PhaseName) -> bool {
        matches!(phase, PhaseName::DataImport)
    }

    pub async fn run(
        &self,
        scope: &TenantScope,
        flow: &FlowRecord,
        phase: PhaseName,
    ) -> Result<PhaseSuccess, PhaseFailure> {
        match phase {
            PhaseName::DataImport => self.data_import(scope, flow).await,
            other => Err(PhaseFailure::user(format!(
                "phase {other} has no handler in this version of flowgraph"
            ))),
        }
    }

    /// Parses the flow's raw data into numbered rows; bad rows are reported, not fatal.
    async fn data_import(&self, scope: &TenantScope, flow: &FlowRecord) -> Result<PhaseSuccess, PhaseFailure> {
        let raw = self
            .store
            .raw_data(scope, flow.id)
            .await
            .map_err(PhaseFailure::internal)?
            .ok_or_else(|| PhaseFailure::user("the flow has no raw data to import"))?;
        // Parsing a large export is CPU work: keep it off the async workers.
        let parsed = tokio::task::spawn_blocking(move || match raw.get("source").and_then(Value::as_str) {
            Some("records") => import::parse_records(&raw["records"]).map(|outcome| (outcome, None)),
            _ => {
                let text = raw.get("text").and_then(Value::as_str).unwrap_or_default();
                let encoding = raw.get("encoding").and_then(Value::as_str).map(str::to_string);
                import::parse_text(text).map(|outcome| (outcome, encoding))
            }
        })
        .await
        .map_err(PhaseFailure::internal)?;
        let (outcome, file_encoding) = parsed.map_err(|e| PhaseFailure::user(e.to_string()))?;

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
            "rows": outcome.rows.len(),
            "columns": outcome.columns,
            "columnCount": outcome.columns.len(),
            "badRows": outcome.bad_rows.len(),
            "badRowDetails": bad_rows,
            "blankLines": outcome.blank_lines,
        });
        let records = outcome
            .rows
            .into_iter()
            .map(|row| ImportRecord {
                row_number: row.row_number,
                line_number: row.line_number,
                data: Json(Value::Object(row.data)),
            })
            .collect();
        Ok(PhaseSuccess {
            state_key: "dataImport",
            result: summary,
            output: Some(PhaseOutput::ImportRecords(records)),
        })
    }
}
