//! data_cleansing: apply the approved mappings and standardise the values
//! (data_standardization), score them (data_quality), and merge the same asset under other
//! spellings (deduplication).

use serde_json::json;
use sqlx::types::Json;

use super::{source_record, supervise};
use crate::agents::cleansing::{DataQuality, DataStandardization, Deduplication, StandardizeInput};
use crate::agents::supervisor::SupervisorInput;
use crate::agents::types::FieldMapping;
use crate::discovery::{PhaseFailure, PhaseInput, PhaseSuccess};
use crate::domain::PhaseName;
use crate::store::{CleansedRecord, PhaseOutput};

/// Merges listed in the summary; all are counted.
const MERGES_LISTED: usize = 50;

pub async fn run(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let mappings: Vec<FieldMapping> = input
        .store
        .field_mappings(input.scope, &[input.flow.id])
        .await
        .map_err(PhaseFailure::internal)?
        .into_iter()
        .map(|m| FieldMapping {
            source_field: m.source_field,
            target_attribute: m.target_attribute,
            confidence: m.confidence,
            agent: m.agent,
            reasoning: m.reasoning,
        })
        .collect();
    if mappings.is_empty() {
        return Err(PhaseFailure::user("no field mappings: run attribute_mapping first"));
    }
    let records = input
        .store
        .import_records(input.scope, input.flow.id, None)
        .await
        .map_err(PhaseFailure::internal)?;

    input
        .compute(move |log| {
            let records_in = records.len();
            let records = records.into_iter().map(source_record).collect();
            let standardized = log
                .run(&DataStandardization, &StandardizeInput { mappings, records })?
                .value;
            let quality = log.run(&DataQuality, &standardized[..])?.value;
            let dedup = log.run(&Deduplication, &quality.records[..])?.value;
            let average = if dedup.records.is_empty() {
                0.0
            } else {
                dedup.records.iter().map(|r| r.quality_score).sum::<f64>() / dedup.records.len() as f64
            };
            let anomalies = supervise(
                log,
                SupervisorInput::new(PhaseName::DataCleansing)
                    .with("records_in", records_in as f64)
                    .with("records_out", dedup.records.len() as f64)
                    .with("quality", average),
            )?;
            let quality_scores =
                json!({ "overall": quality.overall, "average": average, "perField": quality.per_field });
            let summary = json!({
                "recordsIn": records_in,
                "recordsOut": dedup.records.len(),
                "merged": dedup.merges.len(),
                "merges": dedup.merges.iter().take(MERGES_LISTED).collect::<Vec<_>>(),
                "issues": dedup.records.iter().map(|r| r.issues.len()).sum::<usize>(),
                "quality": quality_scores,
                "supervisor": anomalies,
            });
            let cleansed = dedup
                .records
                .into_iter()
                .enumerate()
                .map(|(position, record)| {
                    let data = serde_json::to_value(&record).map_err(PhaseFailure::internal)?;
                    Ok(CleansedRecord {
                        position: position as i32,
                        record_key: record.key,
                        data: Json(data),
                    })
                })
                .collect::<Result<Vec<_>, PhaseFailure>>()?;
            let mut success = PhaseSuccess::new(
                "dataCleansing",
                summary,
                PhaseOutput::CleansedRecords(cleansed),
                records_in,
            );
            success.quality_scores = Some(quality_scores);
            Ok(success)
        })
        .await
}
