//! The migration's run: reads the old flows in batches, maps and writes each batch in one
//! transaction (or only counts, in a dry run), then reads every flow back and compares.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Utc;
use uuid::Uuid;

use super::checksum::{checksum, row_digest};
use super::mapping::map_row;
use super::report::{Report, SkippedRow, TenantLine};
use crate::domain::PhaseName;
use crate::store::FlowRecord;
use crate::store::legacy::{LegacyFlowRow, LegacySource, LegacyTarget, LegacyWrite, WriteOutcome, open_target};

pub const DEFAULT_BATCH_SIZE: usize = 100;
/// Ids per read-back query when checking the target.
const READ_BACK_CHUNK: usize = 500;

#[derive(Debug, Clone)]
pub struct MigrateOptions {
    /// The old services' PostgreSQL database.
    pub source_url: String,
    /// The server's database (PostgreSQL or SQLite).
    pub target_url: String,
    /// Read, validate and report; write nothing (no migrations, no SQLite file created).
    pub dry_run: bool,
    /// Source rows per batch; each batch is written in one transaction.
    pub batch_size: usize,
}

/// A (client account, engagement) pair as the old table has it: either may be NULL there.
type Tenant = (Option<Uuid>, Option<Uuid>);

/// A flow that should be in the target, with the digest of its carried fields.
struct Expected {
    id: Uuid,
    tenant: Tenant,
    digest: u64,
}

/// Migrates (or, dry run, judges) every row, then checks the target. `Err` only when a database
/// cannot be opened or read; a failed batch is in `Report::failure` (and fails the integrity).
pub async fn migrate(options: &MigrateOptions) -> anyhow::Result<Report> {
    let batch_size = options.batch_size.max(1);
    let mut source = LegacySource::open(&options.source_url).await?;
    let target = open_target(&options.target_url, options.dry_run).await?;
    let counts = source.tenant_counts().await?;

    let mut report = Report {
        dry_run: options.dry_run,
        source: crate::config::redact(&options.source_url),
        target: crate::config::redact(&options.target_url),
        target_backend: if options.target_url.starts_with("sqlite:") {
            "sqlite"
        } else {
            "postgres"
        },
        batch_size,
        batches_committed: 0,
        source_rows: counts.iter().map(|c| c.rows as u64).sum(),
        rows_read: 0,
        inserted: 0,
        would_insert: 0,
        already_present: 0,
        skipped: 0,
        phase_runs_inserted: 0,
        would_insert_phase_runs: 0,
        tenants: Vec::new(),
        total: TenantLine::default(),
        missing_ids: Vec::new(),
        differing_ids: Vec::new(),
        skipped_rows: Vec::new(),
        failure: None,
        integrity_ok: false,
    };
    let mut expected: Vec<Expected> = Vec::new();
    // flow_id → the discovery_flows row that claimed it first in this run.
    let mut flow_ids: HashMap<String, Uuid> = HashMap::new();
    let now = Utc::now();
    let mut after = None;
    let mut batch_number = 0;
    loop {
        let rows = source.page(after, batch_size as i64).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id);
        batch_number += 1;
        report.rows_read += rows.len() as u64;
        let mut writes = Vec::with_capacity(rows.len());
        for row in &rows {
            let mapped = map_row(row, now).and_then(|write| match flow_ids.get(&write.flow.flow_id) {
                Some(first) => Err(vec![format!(
                    "flow_id `{}` is also used by discovery_flows row {first}, migrated instead",
                    write.flow.flow_id
                )]),
                None => Ok(write),
            });
            match mapped {
                Ok(write) => {
                    flow_ids.insert(write.flow.flow_id.clone(), write.flow.id);
                    writes.push(write);
                }
                Err(reasons) => report.skipped_rows.push(skipped(row, reasons.join("; "))),
            }
        }
        let outcomes = match &target {
            None => vec![None; writes.len()],
            Some(target) if options.dry_run => dry_outcomes(target.as_ref(), &writes).await?,
            Some(target) => match target.write_batch(&writes).await {
                Ok(outcomes) => {
                    report.batches_committed += 1;
                    outcomes.into_iter().map(Some).collect()
                }
                Err(err) => {
                    let (first, last) = (rows[0].id, rows[rows.len() - 1].id);
                    report.failure = Some(format!(
                        "batch {batch_number} (discovery_flows ids {first} … {last}) failed and was rolled back: {err}"
                    ));
                    expected.extend(writes.iter().map(expect));
                    break;
                }
            },
        };
        for (write, outcome) in writes.iter().zip(outcomes) {
            match outcome {
                None => {
                    report.would_insert += 1;
                    report.would_insert_phase_runs += write.runs.len() as u64;
                }
                Some(WriteOutcome::Inserted { runs }) => {
                    report.inserted += 1;
                    report.phase_runs_inserted += runs;
                }
                Some(WriteOutcome::AlreadyPresent) => report.already_present += 1,
                Some(WriteOutcome::FlowIdTaken { by }) => {
                    let flow = &write.flow;
                    report.skipped_rows.push(SkippedRow {
                        table: "discovery_flows",
                        id: Some(flow.id),
                        flow_id: Some(flow.flow_id.clone()),
                        client_account_id: Some(flow.client_account_id),
                        engagement_id: Some(flow.engagement_id),
                        reason: format!("flow_id `{}` is already used in the target by flow {by}", flow.flow_id),
                    });
                    continue;
                }
            }
            expected.push(expect(write));
        }
    }
    report.skipped = report.skipped_rows.len() as u64;
    for orphan in source.extension_only().await? {
        report.skipped_rows.push(SkippedRow {
            table: "crewai_flow_state_extensions",
            id: None,
            reason: format!(
                "no discovery_flows row points at this flow (flow_type `{}`, status `{}`): only discovery flows \
                 are migrated",
                orphan.flow_type.as_deref().unwrap_or("NULL"),
                orphan.flow_status.as_deref().unwrap_or("NULL")
            ),
            flow_id: Some(orphan.flow_id),
            client_account_id: orphan.client_account_id,
            engagement_id: orphan.engagement_id,
        });
    }
    source.close().await?;

    // Per tenant: the source database's own count, what was skipped, what should be in the target.
    let mut tenants: BTreeMap<Tenant, Tally> = BTreeMap::new();
    for count in &counts {
        tenants
            .entry((count.client_account_id, count.engagement_id))
            .or_default()
            .source_rows += count.rows as u64;
    }
    for row in report.skipped_rows.iter().filter(|r| r.table == "discovery_flows") {
        tenants
            .entry((row.client_account_id, row.engagement_id))
            .or_default()
            .skipped += 1;
    }
    expected.sort_by_key(|e| e.id);
    for e in &expected {
        tenants.entry(e.tenant).or_default().expected.push((e.id, e.digest));
    }

    // Read the target back and compare, row by row.
    if let Some(target) = &target {
        for chunk in expected.chunks(READ_BACK_CHUNK) {
            let ids: Vec<Uuid> = chunk.iter().map(|e| e.id).collect();
            let (flows, runs) = target.read_back(&ids).await?;
            let mut completed: HashMap<Uuid, Vec<PhaseName>> = HashMap::new();
            for (flow, phase) in runs {
                completed.entry(flow).or_default().push(phase);
            }
            let flows: HashMap<Uuid, FlowRecord> = flows.into_iter().map(|f| (f.id, f)).collect();
            for e in chunk {
                match flows.get(&e.id) {
                    Some(flow) => {
                        let digest = row_digest(flow, completed.get(&flow.id).map_or(&[], Vec::as_slice));
                        if digest != e.digest {
                            report.differing_ids.push(e.id);
                        }
                        tenants
                            .entry((Some(flow.client_account_id), Some(flow.engagement_id)))
                            .or_default()
                            .target
                            .push((flow.id, digest));
                    }
                    None if !options.dry_run => report.missing_ids.push(e.id),
                    None => {}
                }
            }
        }
    }

    let mut total = Tally::default();
    for (tenant, tally) in tenants {
        total.source_rows += tally.source_rows;
        total.skipped += tally.skipped;
        total.expected.extend(tally.expected.iter().copied());
        total.target.extend(tally.target.iter().copied());
        report.tenants.push(tally.line(tenant, options.dry_run));
    }
    total.expected.sort_by_key(|(id, _)| *id);
    total.target.sort_by_key(|(id, _)| *id);
    report.total = total.line((None, None), options.dry_run);
    report.integrity_ok = report.failure.is_none()
        && report.differing_ids.is_empty()
        && (options.dry_run
            || (report.missing_ids.is_empty()
                && report.rows_read == report.source_rows
                && report.tenants.iter().all(|t| t.ok)
                && report.total.ok));
    Ok(report)
}

/// Dry run: what a write would do, judged from what the target holds now.
async fn dry_outcomes(target: &dyn LegacyTarget, writes: &[LegacyWrite]) -> anyhow::Result<Vec<Option<WriteOutcome>>> {
    let ids: Vec<Uuid> = writes.iter().map(|w| w.flow.id).collect();
    let flow_ids: Vec<String> = writes.iter().map(|w| w.flow.flow_id.clone()).collect();
    let existing = target.existing(&ids, &flow_ids).await?;
    let present: HashSet<Uuid> = existing.iter().map(|(id, _)| *id).collect();
    let holders: HashMap<&str, Uuid> = existing.iter().map(|(id, flow_id)| (flow_id.as_str(), *id)).collect();
    Ok(writes
        .iter()
        .map(|w| {
            if present.contains(&w.flow.id) {
                Some(WriteOutcome::AlreadyPresent)
            } else {
                holders
                    .get(w.flow.flow_id.as_str())
                    .map(|by| WriteOutcome::FlowIdTaken { by: *by })
            }
        })
        .collect())
}

#[derive(Default)]
struct Tally {
    source_rows: u64,
    skipped: u64,
    expected: Vec<(Uuid, u64)>,
    target: Vec<(Uuid, u64)>,
}

impl Tally {
    fn line(&self, (client_account_id, engagement_id): Tenant, dry_run: bool) -> TenantLine {
        let source_checksum = checksum(&self.expected);
        let target_checksum = (!dry_run).then(|| checksum(&self.target));
        let ok = if dry_run {
            // Rows already there must match; the rest is still to come.
            let expected: HashSet<&(Uuid, u64)> = self.expected.iter().collect();
            self.target.iter().all(|t| expected.contains(t))
        } else {
            self.expected.len() == self.target.len()
                && target_checksum.as_deref() == Some(source_checksum.as_str())
                && self.source_rows == self.skipped + self.expected.len() as u64
        };
        TenantLine {
            client_account_id,
            engagement_id,
            source_rows: self.source_rows,
            skipped: self.skipped,
            expected: self.expected.len() as u64,
            target_rows: self.target.len() as u64,
            source_checksum,
            target_checksum,
            ok,
        }
    }
}

fn expect(write: &LegacyWrite) -> Expected {
    let phases: Vec<PhaseName> = write.runs.iter().map(|r| r.phase).collect();
    Expected {
        id: write.flow.id,
        tenant: (Some(write.flow.client_account_id), Some(write.flow.engagement_id)),
        digest: row_digest(&write.flow, &phases),
    }
}

fn skipped(row: &LegacyFlowRow, reason: String) -> SkippedRow {
    SkippedRow {
        table: "discovery_flows",
        id: Some(row.id),
        flow_id: row.flow_id.clone(),
        client_account_id: row.client_account_id,
        engagement_id: row.engagement_id,
        reason,
    }
}
