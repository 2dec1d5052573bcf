//! data_cleansing: apply the approved mappings and standardise the values
//! (data_standardization), score them (data_quality), and merge the same asset under other
//! spellings (deduplication).
//!
//! It streams: each page of imported rows is standardised, scored and written at once, while
//! deduplication keeps only an index of identities. A record that turns out to be the same
//! asset as an earlier one is held back; when every row has been read, each group of records
//! that are one asset is read back, merged, and replaces its members. The cleansed records end
//! up as `Deduplication::run` over all rows at once would have them, each at the position of its
//! group's first row.

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::types::Json;

use super::{source_record, supervise};
use crate::agents::data_cleansing::{
    DataQuality, DataStandardization, DedupIndex, Deduplication, Merge, StandardizeInput, has_valid_value,
    merge_records,
};
use crate::agents::flow_supervisor::SupervisorInput;
use crate::agents::types::{AgentOutput, CANONICAL_ATTRIBUTES, CleanRecord, FieldMapping};
use crate::domain::PhaseName;
use crate::phases::input::{BATCH_ROWS, PhaseInput};
use crate::phases::outcome::{PhaseFailure, PhaseSuccess, share};
use crate::store::{CleansedRecord, PhaseOutput};

/// Merges listed in the summary; all are counted.
const MERGES_LISTED: usize = 50;
/// Groups merged per write.
const MERGES_PER_WRITE: usize = 1_000;

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// What the phase has seen so far, moved to the blocking pool with each batch.
#[derive(Default)]
struct Cleansing {
    mappings: Vec<FieldMapping>,
    index: DedupIndex,
    /// Time deduplication spent indexing.
    dedup_time: Duration,
    /// Records that joined an earlier record's group when they arrived, by position.
    held: Vec<(usize, CleanRecord)>,
    records_in: usize,
    score_sum: f64,
    issues: usize,
    /// Records with a valid value, per canonical attribute.
    valid: Vec<usize>,
}

impl Cleansing {
    /// Standardises and scores one page, indexes it for deduplication, and returns the records
    /// to write now (those not already known to be another record's duplicate).
    fn batch(
        &mut self,
        log: &mut crate::phases::task_log::TaskLog,
        page: Vec<crate::store::ImportRecord>,
    ) -> Result<Vec<CleansedRecord>, PhaseFailure> {
        let records = page.into_iter().map(source_record).collect();
        let input = StandardizeInput {
            mappings: std::mem::take(&mut self.mappings),
            records,
        };
        let standardized = log.run(&DataStandardization, &input)?.value;
        self.mappings = input.mappings;
        let quality = log.run(&DataQuality, &standardized[..])?.value;
        let mut out = Vec::with_capacity(quality.records.len());
        for record in quality.records {
            self.records_in += 1;
            self.score_sum += record.quality_score;
            self.issues += record.issues.len();
            for (field, valid) in CANONICAL_ATTRIBUTES.iter().zip(self.valid.iter_mut()) {
                *valid += usize::from(has_valid_value(&record, field));
            }
            let clock = Instant::now();
            let i = self.index.add(&record);
            let joined = self.index.root(i) != i;
            self.dedup_time += clock.elapsed();
            if joined {
                self.held.push((i, record));
            } else {
                out.push(cleansed(i, &record)?);
            }
        }
        Ok(out)
    }
}

fn cleansed(position: usize, record: &CleanRecord) -> Result<CleansedRecord, PhaseFailure> {
    Ok(CleansedRecord {
        position: i32::try_from(position).map_err(PhaseFailure::internal)?,
        record_key: record.key.clone(),
        data: Json(serde_json::to_value(record).map_err(PhaseFailure::internal)?),
    })
}

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
    let total = input.flow.flow_state.0["dataImport"]["rows"]
        .as_u64()
        .map(|n| n as usize);
    let mut state = Cleansing {
        mappings,
        valid: vec![0; CANONICAL_ATTRIBUTES.len()],
        ..Default::default()
    };
    let mut after = 0i64;
    loop {
        let page = input
            .store
            .import_page(input.scope, input.flow.id, after, BATCH_ROWS as i64)
            .await
            .map_err(PhaseFailure::internal)?;
        let Some(last) = page.last() else { break };
        after = last.row_number;
        let full = page.len() == BATCH_ROWS;
        let (records, back) = input
            .compute_batch(move |log| {
                let records = state.batch(log, page)?;
                Ok((records, state))
            })
            .await?;
        state = back;
        let progress = total.map(|total| share(state.records_in, total));
        let message = format!("{} records cleansed", state.records_in);
        input
            .write_batch(PhaseOutput::CleansedRecords(records), progress, message)
            .await?;
        if !full {
            break;
        }
    }
    input
        .clear_if_unwritten(PhaseOutput::CleansedRecords(Vec::new()))
        .await?;
    // The merges read back records written above.
    input.flush_writes().await?;
    merge_groups(input, state).await
}

/// Merges each group of records that are one asset, then reports.
async fn merge_groups(input: &mut PhaseInput<'_>, mut state: Cleansing) -> Result<PhaseSuccess, PhaseFailure> {
    let clock = Instant::now();
    let groups = state.index.merged_groups();
    state.dedup_time += clock.elapsed();
    let mut held: std::collections::HashMap<usize, CleanRecord> = std::mem::take(&mut state.held).into_iter().collect();
    let (mut merges, mut merge_count, mut rows_folded) = (Vec::new(), 0usize, 0usize);
    let (mut members_score, mut merged_score, mut members_total) = (0.0, 0.0, 0usize);
    let (mut members_issues, mut merged_issues) = (0usize, 0usize);
    let mut weakest: f64 = 1.0;
    for chunk in groups.chunks(MERGES_PER_WRITE) {
        // The members written when they arrived (each was the first of its group then).
        let stored: Vec<i32> = chunk
            .iter()
            .flat_map(|(members, _)| members.iter().filter(|i| !held.contains_key(i)))
            .map(|&i| i as i32)
            .collect();
        let rows = input
            .store
            .cleansed_at(input.scope, input.flow.id, &stored)
            .await
            .map_err(PhaseFailure::internal)?;
        let clock = Instant::now();
        let mut found = std::collections::HashMap::new();
        for row in rows {
            let record: CleanRecord = serde_json::from_value(row.data.0).map_err(PhaseFailure::internal)?;
            found.insert(row.position as usize, record);
        }
        let mut records = Vec::with_capacity(chunk.len());
        for (members, reason) in chunk {
            let refs = members
                .iter()
                .map(|i| found.get(i).or_else(|| held.get(i)))
                .collect::<Option<Vec<&CleanRecord>>>()
                .ok_or_else(|| PhaseFailure::internal(anyhow::anyhow!("a record to merge is missing")))?;
            for reason in reason.split("; ") {
                weakest = weakest.min(crate::agents::data_cleansing::rule_confidence(reason));
            }
            members_total += refs.len();
            members_score += refs.iter().map(|r| r.quality_score).sum::<f64>();
            members_issues += refs.iter().map(|r| r.issues.len()).sum::<usize>();
            let Some(merged) = merge_records(&refs, reason) else {
                continue;
            };
            merged_score += merged.quality_score;
            merged_issues += merged.issues.len();
            let folded: Vec<i64> = refs[1..].iter().flat_map(|r| r.source_rows.iter().copied()).collect();
            rows_folded += folded.len();
            merge_count += 1;
            if merges.len() < MERGES_LISTED {
                merges.push(Merge {
                    kept_key: merged.key.clone(),
                    merged_rows: folded,
                    reason: reason.clone(),
                });
            }
            records.push(cleansed(members[0], &merged)?);
        }
        for (members, _) in chunk {
            for i in members {
                held.remove(i);
            }
        }
        state.dedup_time += clock.elapsed();
        let message = format!("{merge_count} duplicate groups merged");
        input
            .write_batch(
                PhaseOutput::CleansedMerges {
                    removed: stored,
                    records,
                },
                Some(99),
                message,
            )
            .await?;
    }

    let records_in = state.records_in;
    let records_out = records_in - members_total + merge_count;
    let n = records_in;
    let ratio = |count: usize| if n == 0 { 0.0 } else { round3(count as f64 / n as f64) };
    let per_field: std::collections::BTreeMap<String, f64> = CANONICAL_ATTRIBUTES
        .iter()
        .zip(&state.valid)
        .map(|(field, &count)| (field.to_string(), ratio(count)))
        .collect();
    let overall = if n == 0 {
        0.0
    } else {
        round3(state.score_sum / n as f64)
    };
    let average = if records_out == 0 {
        0.0
    } else {
        (state.score_sum - members_score + merged_score) / records_out as f64
    };
    let dedup_time = state.dedup_time;
    let issues = state.issues - members_issues + merged_issues;
    input
        .compute(move |log| {
            let reasoning = format!(
                "{records_in} records became {records_out} (merges: {merge_count}, rows folded in: {rows_folded}), \
                 matching on key, FQDN, host name, or IP address with a name in common."
            );
            log.run_streamed::<Deduplication, _>(dedup_time, || Ok(AgentOutput::new((), weakest, reasoning)))?;
            let anomalies = supervise(
                log,
                SupervisorInput::new(PhaseName::DataCleansing)
                    .with("records_in", records_in as f64)
                    .with("records_out", records_out as f64)
                    .with("quality", average),
            )?;
            let quality_scores = json!({ "overall": overall, "average": average, "perField": per_field });
            let summary = json!({
                "recordsIn": records_in,
                "recordsOut": records_out,
                "merged": merge_count,
                "merges": merges,
                "issues": issues,
                "quality": quality_scores,
                "supervisor": anomalies,
            });
            let mut success = PhaseSuccess::streamed("dataCleansing", summary, records_in);
            success.quality_scores = Some(quality_scores);
            Ok(success)
        })
        .await
}
