//! attribute_mapping: field_mapping proposes a canonical attribute per source column from the
//! names; pattern_recognition confirms or corrects from a sample of the values. The phase stops
//! at the approval gate when the flow asks for it or `approval_gate::review` finds a reason (a
//! mapping under the threshold, a key attribute unsure or missing, a telling column unmapped).

use serde_json::{Value, json};

use super::{source_record, supervise};
use crate::agents::attribute_mapping::{
    FieldMappingAgent, MappingInput, PatternInput, PatternRecognition, approval_gate,
};
use crate::agents::flow_supervisor::SupervisorInput;
use crate::domain::PhaseName;
use crate::phases::input::PhaseInput;
use crate::phases::outcome::{PhaseFailure, PhaseSuccess};
use crate::store::{FieldMappingRecord, PhaseOutput};

/// Rows pattern_recognition looks at: enough to see the shape of the values.
const SAMPLE_ROWS: i64 = 500;
/// A mapping below this confidence stops the flow for a person to approve (configurable with
/// `mappingConfidenceThreshold`).
pub const DEFAULT_THRESHOLD: f64 = 0.6;

pub async fn run(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let columns: Vec<String> = input.flow.flow_state.0["dataImport"]["columns"]
        .as_array()
        .ok_or_else(|| PhaseFailure::user("no imported columns: run data_import first"))?
        .iter()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    let sample = input
        .store
        .import_records(input.scope, input.flow.id, Some(SAMPLE_ROWS))
        .await
        .map_err(PhaseFailure::internal)?;
    let threshold = input
        .config("mappingConfidenceThreshold")
        .and_then(Value::as_f64)
        .unwrap_or(DEFAULT_THRESHOLD);
    let require_approval = input
        .config("requireMappingApproval")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let flow_id = input.flow.id;

    input
        .compute(move |log| {
            let proposed = log.run(&FieldMappingAgent, &MappingInput { columns })?.value;
            let records: Vec<_> = sample.into_iter().map(source_record).collect();
            let mut mappings = log
                .run(&PatternRecognition, &PatternInput { mappings: proposed, records: records.clone() })?
                .value;
            let review = approval_gate::review(&mappings, &records, threshold);
            for reason in &review {
                if let Some(m) = mappings.iter_mut().find(|m| Some(&m.source_field) == reason.column.as_ref()) {
                    m.reasoning.push_str(&format!(" Needs review: {}.", reason.reason));
                }
            }

            let mapped: Vec<&str> = mappings.iter().filter_map(|m| m.target_attribute.as_deref()).collect();
            let identity = ["name", "hostname", "fqdn", "ip_address"];
            let anomalies = supervise(
                log,
                SupervisorInput::new(PhaseName::AttributeMapping)
                    .with("mapped", mapped.len() as f64)
                    .with("identity_mapped", mapped.iter().filter(|m| identity.contains(m)).count() as f64),
            )?;
            let low: Vec<&str> = mappings
                .iter()
                .filter(|m| m.target_attribute.is_some() && m.confidence < threshold)
                .map(|m| m.source_field.as_str())
                .collect();
            let awaiting_approval = require_approval || !review.is_empty();
            let summary = json!({
                "mapped": mapped.len(),
                "unmapped": mappings.iter().filter(|m| m.target_attribute.is_none()).map(|m| &m.source_field).collect::<Vec<_>>(),
                "lowConfidence": low,
                "review": review,
                "threshold": threshold,
                "awaitingApproval": awaiting_approval,
                "supervisor": anomalies,
            });
            let status = if awaiting_approval { "suggested" } else { "approved" };
            let items = mappings.len();
            let records = mappings
                .into_iter()
                .enumerate()
                .map(|(position, m)| FieldMappingRecord {
                    flow_id,
                    position: position as i32,
                    source_field: m.source_field,
                    target_attribute: m.target_attribute,
                    confidence: m.confidence,
                    status: status.to_string(),
                    agent: m.agent,
                    reasoning: m.reasoning,
                })
                .collect();
            let mut success = PhaseSuccess::new("attributeMapping", summary, PhaseOutput::FieldMappings(records), items);
            success.awaiting_approval = awaiting_approval;
            Ok(success)
        })
        .await
}
