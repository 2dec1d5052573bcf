//! `flowgraph migrate-legacy`: copies the old services' discovery flows (`discovery_flows` joined
//! with `crewai_flow_state_extensions`, PostgreSQL) into `unified_flow_states`, with a completed
//! `flow_phase_runs` row per phase the old flow had completed, in one transaction per batch; then
//! reads everything back and proves it: counts per tenant, every id present, and the same
//! checksum of the carried fields on both sides. Layout, mapping and report:
//! migrations/legacy/README.md. The SQL is in `store::legacy`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sqlx::types::Json;
use uuid::Uuid;

use crate::domain::{FlowStatus, FlowType, PhaseName, PhaseStatus};
use crate::store::legacy::{LegacyFlowRow, LegacySource, LegacyTarget, LegacyWrite, WriteOutcome, open_target};
use crate::store::{AuditRecord, FlowRecord, PhaseRunRecord};

pub const DEFAULT_BATCH_SIZE: usize = 100;
/// The audit action recorded on every migrated flow.
pub const MIGRATED_ACTION: &str = "flow_migrated_from_legacy";
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

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dry_run: bool,
    /// The two URLs without passwords.
    pub source: String,
    pub target: String,
    pub target_backend: &'static str,
    pub batch_size: usize,
    pub batches_committed: usize,
    /// `discovery_flows` rows, counted by the source database.
    pub source_rows: u64,
    /// `discovery_flows` rows the migration read and judged.
    pub rows_read: u64,
    /// Flows written by this run (0 in a dry run).
    pub inserted: u64,
    /// Dry run: flows a real run would write.
    pub would_insert: u64,
    /// Flows whose id was already in the target (an earlier run): not written again.
    pub already_present: u64,
    /// `discovery_flows` rows not migrated (listed in `skipped_rows` with the extension-only rows).
    pub skipped: u64,
    pub phase_runs_inserted: u64,
    /// Dry run: phase runs a real run would write.
    pub would_insert_phase_runs: u64,
    pub tenants: Vec<TenantLine>,
    pub total: TenantLine,
    /// Flows that should be in the target and are not (a real run only).
    pub missing_ids: Vec<Uuid>,
    /// Flows in the target whose carried fields differ from the source.
    pub differing_ids: Vec<Uuid>,
    pub skipped_rows: Vec<SkippedRow>,
    /// The batch that failed and was rolled back; the run stopped there.
    pub failure: Option<String>,
    pub integrity_ok: bool,
}

/// One tenant's figures. Checksums are FNV-1a 64 (hex) over the rows' digests in id order:
/// `source` over what the target should hold, `target` over what it holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TenantLine {
    pub client_account_id: Option<Uuid>,
    pub engagement_id: Option<Uuid>,
    pub source_rows: u64,
    pub skipped: u64,
    /// Rows that should be in the target: source rows minus skipped ones.
    pub expected: u64,
    pub target_rows: u64,
    pub source_checksum: String,
    /// `None` in a dry run (the target is not expected to hold the rows yet).
    pub target_checksum: Option<String>,
    pub ok: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SkippedRow {
    /// `discovery_flows`, or `crewai_flow_state_extensions` for a row no discovery flow points at.
    pub table: &'static str,
    /// The `discovery_flows.id` (`None` for an extension-only row).
    pub id: Option<Uuid>,
    pub flow_id: Option<String>,
    pub client_account_id: Option<Uuid>,
    pub engagement_id: Option<Uuid>,
    pub reason: String,
}

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
        source: crate::cli::redact(&options.source_url),
        target: crate::cli::redact(&options.target_url),
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

// ---------------------------------------------------------------------------------------------
// Mapping: old spellings to the new vocabulary.

/// Lower case, trimmed, `-` and spaces as `_`.
fn normalize(name: &str) -> String {
    name.trim().to_lowercase().replace(['-', ' '], "_")
}

/// An old flow status (discovery_flows.status, else crewai_flow_state_extensions.flow_status).
pub fn map_status(old: &str) -> Option<FlowStatus> {
    Some(match normalize(old).as_str() {
        "initialized" | "initializing" | "pending" | "created" | "new" | "not_started" => FlowStatus::Initialized,
        "active" | "running" | "in_progress" | "processing" | "started" => FlowStatus::Running,
        "waiting_for_approval" | "awaiting_approval" | "waiting_for_user_approval" | "pending_approval" => {
            FlowStatus::WaitingForApproval
        }
        "paused" | "suspended" => FlowStatus::Paused,
        "completed" | "complete" | "finished" | "done" | "succeeded" => FlowStatus::Completed,
        "failed" | "error" | "errored" => FlowStatus::Failed,
        "cancelled" | "canceled" | "aborted" | "terminated" => FlowStatus::Cancelled,
        _ => return None,
    })
}

/// An old phase name (discovery_flows.current_phase, phase_execution_times keys): `Some(None)`
/// for the names the old services used once every phase was done.
pub fn map_phase(old: &str) -> Option<Option<PhaseName>> {
    Some(Some(match normalize(old).as_str() {
        "data_import" | "import" | "data_import_validation" => PhaseName::DataImport,
        "attribute_mapping" | "field_mapping" => PhaseName::AttributeMapping,
        "data_cleansing" | "cleansing" => PhaseName::DataCleansing,
        "inventory" | "asset_inventory" => PhaseName::Inventory,
        "dependencies" | "dependency_analysis" => PhaseName::DependencyAnalysis,
        "tech_debt" | "tech_debt_analysis" | "tech_debt_assessment" | "technical_debt" => PhaseName::TechDebtAnalysis,
        "" | "completed" | "complete" | "finalization" | "finalized" => return Some(None),
        _ => return None,
    }))
}

/// The six discovery_flows flags, in phase order.
fn completed_phases(row: &LegacyFlowRow) -> Vec<PhaseName> {
    let flags = [
        (row.data_import_completed, PhaseName::DataImport),
        (row.attribute_mapping_completed, PhaseName::AttributeMapping),
        (row.data_cleansing_completed, PhaseName::DataCleansing),
        (row.inventory_completed, PhaseName::Inventory),
        (row.dependencies_completed, PhaseName::DependencyAnalysis),
        (row.tech_debt_completed, PhaseName::TechDebtAnalysis),
    ];
    flags
        .iter()
        .filter(|(done, _)| *done)
        .map(|(_, phase)| *phase)
        .collect()
}

/// A JSON column that must hold an object: SQL NULL or JSON null is `None`; a JSON string is
/// parsed once more (some old code paths stored the JSON text as a string).
fn json_object(column: &str, value: Option<&Json<Value>>) -> Result<Option<Value>, String> {
    match value.map(|v| &v.0) {
        None | Some(Value::Null) => Ok(None),
        Some(object @ Value::Object(_)) => Ok(Some(object.clone())),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(object @ Value::Object(_)) => Ok(Some(object)),
            Ok(other) => Err(format!(
                "{column} holds a string of JSON {}, not an object",
                kind(&other)
            )),
            Err(err) => Err(format!("{column} is a string that is not JSON ({err})")),
        },
        Some(other) => Err(format!("{column} is a JSON {}, not an object", kind(other))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A stable UUID for an old user id that is not a UUID (`demo_user`, an e-mail address): the
/// same text always gives the same id (version 8, from two FNV-1a 64 hashes).
pub fn legacy_user_uuid(text: &str) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&fnv1a64(format!("flowgraph-legacy-user/a/{text}").as_bytes()).to_be_bytes());
    bytes[8..].copy_from_slice(&fnv1a64(format!("flowgraph-legacy-user/b/{text}").as_bytes()).to_be_bytes());
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The id of the run a migrated phase gets: stable, so a migration into a fresh database gives
/// the same rows.
fn legacy_run_uuid(flow: Uuid, phase: PhaseName) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&fnv1a64(format!("flowgraph-legacy-run/a/{flow}/{phase}").as_bytes()).to_be_bytes());
    bytes[8..].copy_from_slice(&fnv1a64(format!("flowgraph-legacy-run/b/{flow}/{phase}").as_bytes()).to_be_bytes());
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// `phase_execution_times[old or new phase name].started_at / completed_at`, when present and RFC 3339.
fn phase_times(times: Option<&Value>, phase: PhaseName) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let Some(Value::Object(times)) = times else {
        return (None, None);
    };
    let entry = times
        .iter()
        .find(|(key, _)| map_phase(key) == Some(Some(phase)))
        .map(|(_, entry)| entry);
    let at = |field: &str| {
        entry
            .and_then(|e| e.get(field))
            .and_then(Value::as_str)
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    (at("started_at"), at("completed_at"))
}

/// Maps one old row to the rows the target gets, or the reasons it cannot be migrated (all of
/// them, so one report shows everything to fix).
pub fn map_row(row: &LegacyFlowRow, now: DateTime<Utc>) -> Result<LegacyWrite, Vec<String>> {
    let mut problems = Vec::new();
    let flow_id = row.flow_id.as_deref().map(str::trim).filter(|f| !f.is_empty());
    if flow_id.is_none() {
        problems.push("flow_id is NULL or empty".to_string());
    }
    if row.client_account_id.is_none() {
        problems.push("client_account_id is NULL".to_string());
    }
    if row.engagement_id.is_none() {
        problems.push("engagement_id is NULL".to_string());
    }
    for (column, ours, theirs) in [
        ("client_account_id", row.client_account_id, row.ext_client_account_id),
        ("engagement_id", row.engagement_id, row.ext_engagement_id),
    ] {
        if let (Some(ours), Some(theirs)) = (ours, theirs)
            && ours != theirs
        {
            problems.push(format!(
                "{column} differs between discovery_flows ({ours}) and crewai_flow_state_extensions ({theirs})"
            ));
        }
    }
    if let Some(flow_type) = &row.ext_flow_type
        && !matches!(normalize(flow_type).as_str(), "discovery" | "unified_discovery")
    {
        problems.push(format!(
            "crewai_flow_state_extensions.flow_type is `{flow_type}`, not discovery"
        ));
    }
    let old_status = row.status.as_deref().or(row.ext_flow_status.as_deref());
    let status = match old_status {
        None => {
            problems.push("status is NULL in both tables".to_string());
            None
        }
        Some(old) => {
            let status = map_status(old);
            if status.is_none() {
                problems.push(format!("unknown status `{old}`"));
            }
            status
        }
    };
    let old_phase = row.current_phase.as_deref().map(map_phase);
    if let Some(None) = old_phase {
        problems.push(format!(
            "unknown current_phase `{}`",
            row.current_phase.as_deref().unwrap_or_default()
        ));
    }
    let progress = match row.progress_percentage {
        Some(p) if !p.is_finite() || !(0.0..=100.0).contains(&p) => {
            problems.push(format!("progress_percentage {p} is outside 0..100"));
            None
        }
        p => p,
    };
    let created_at = row.created_at.or(row.ext_created_at);
    if created_at.is_none() {
        problems.push("created_at is NULL in both tables".to_string());
    }
    let state = json_object("discovery_flows.crewai_state_data", row.crewai_state_data.as_ref());
    let persistence = json_object(
        "crewai_flow_state_extensions.flow_persistence_data",
        row.flow_persistence_data.as_ref(),
    );
    let configuration = json_object(
        "crewai_flow_state_extensions.flow_configuration",
        row.flow_configuration.as_ref(),
    );
    let times = json_object(
        "crewai_flow_state_extensions.phase_execution_times",
        row.phase_execution_times.as_ref(),
    );
    for result in [&state, &persistence, &configuration, &times] {
        if let Err(problem) = result {
            problems.push(problem.clone());
        }
    }
    let (Some(flow_id), Some(client_account_id), Some(engagement_id), Some(status), Some(created_at), true) = (
        flow_id,
        row.client_account_id,
        row.engagement_id,
        status,
        created_at,
        problems.is_empty(),
    ) else {
        return Err(problems);
    };
    let (state, persistence, configuration, times) = (
        state.unwrap_or_default(),
        persistence.unwrap_or_default(),
        configuration.unwrap_or_default(),
        times.unwrap_or_default(),
    );

    let phases = FlowType::Discovery.phases();
    let done = completed_phases(row);
    let old_user = row.user_id.as_deref().or(row.ext_user_id.as_deref()).map(str::trim);
    let user_id = match old_user {
        None | Some("") => Uuid::nil(),
        Some(text) => text.parse().unwrap_or_else(|_| legacy_user_uuid(text)),
    };
    let updated_at = row
        .updated_at
        .or(row.ext_updated_at)
        .unwrap_or(created_at)
        .max(created_at);
    let current_phase = match old_phase.flatten().flatten() {
        Some(phase) => Some(phase),
        None => phases.iter().find(|p| !done.contains(p)).copied(),
    };
    let completed_at = row
        .completed_at
        .or((status == FlowStatus::Completed).then_some(updated_at));
    let name = row
        .flow_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map_or_else(|| format!("Discovery flow {flow_id}"), str::to_string);
    let flow = FlowRecord {
        id: row.id,
        flow_id: flow_id.to_string(),
        flow_type: FlowType::Discovery,
        master_flow_id: None,
        client_account_id,
        engagement_id,
        user_id,
        name,
        status,
        current_phase,
        flow_configuration: Json(configuration.unwrap_or_else(|| json!({}))),
        // Everything the old services kept about the flow's state, verbatim, under one key.
        flow_state: Json(json!({
            "legacy": {
                "source": "discovery_flows + crewai_flow_state_extensions",
                "status": row.status,
                "extensionStatus": row.ext_flow_status,
                "currentPhase": row.current_phase,
                "userId": old_user,
                "progressPercentage": row.progress_percentage,
                "crewaiStateData": state,
                "flowPersistenceData": persistence,
                "phaseExecutionTimes": times,
            }
        })),
        phases_completed: Json(done.clone()),
        progress_percentage: progress.map_or((done.len() * 100 / phases.len()) as i32, |p| p.round() as i32),
        data_import_id: row.data_import_id,
        performance_metrics: Json(json!({})),
        quality_scores: Json(json!({})),
        auto_advance: false,
        version: 1,
        created_at,
        updated_at,
        completed_at,
        deleted_at: None,
    };
    let runs = done
        .iter()
        .map(|&phase| {
            let (started_at, finished_at) = phase_times(times.as_ref(), phase);
            let completed_at = finished_at.unwrap_or(updated_at);
            PhaseRunRecord {
                id: legacy_run_uuid(flow.id, phase),
                flow_id: flow.id,
                client_account_id,
                engagement_id,
                phase,
                status: PhaseStatus::Completed,
                attempt: 1,
                progress: 100,
                requested_by: user_id,
                created_at: started_at.unwrap_or(completed_at),
                started_at,
                completed_at: Some(completed_at),
                result: Some(Json(json!({ "migratedFromLegacy": true }))),
                error: None,
            }
        })
        .collect();
    let audit = AuditRecord {
        id: Uuid::now_v7(),
        flow_id: flow.id,
        client_account_id,
        engagement_id,
        user_id,
        action: MIGRATED_ACTION.to_string(),
        details: Json(json!({
            "legacyFlowId": flow.flow_id,
            "legacyStatus": old_status,
            "legacyCurrentPhase": row.current_phase,
            "phasesCompleted": flow.phases_completed.0,
        })),
        created_at: now,
    };
    Ok(LegacyWrite { flow, runs, audit })
}

// ---------------------------------------------------------------------------------------------
// Checksums: the same functions over the mapped source rows and the rows read back.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_continue(FNV_OFFSET, bytes)
}

fn fnv1a64_continue(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// JSON with every object's keys sorted (PostgreSQL's JSONB reorders keys; SQLite's TEXT doesn't).
fn canonical_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical_json(&map[k])))
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical_json).collect()),
        other => other.clone(),
    }
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The carried fields of a flow, as one line: a JSON array in a fixed order with canonical JSON
/// inside and timestamps in UTC to the microsecond. Server-owned columns (version, auto_advance,
/// event_sequence, quality_scores) are left out; the completed runs are in.
pub fn canonical_row(flow: &FlowRecord, completed_runs: &[PhaseName]) -> String {
    let mut runs = completed_runs.to_vec();
    runs.sort();
    runs.dedup();
    json!([
        flow.id,
        flow.flow_id,
        flow.flow_type,
        flow.master_flow_id,
        flow.client_account_id,
        flow.engagement_id,
        flow.user_id,
        flow.name,
        flow.status,
        flow.current_phase,
        flow.phases_completed.0,
        flow.progress_percentage,
        flow.data_import_id,
        canonical_json(&flow.flow_configuration.0),
        canonical_json(&flow.flow_state.0),
        canonical_json(&flow.performance_metrics.0),
        timestamp(flow.created_at),
        timestamp(flow.updated_at),
        flow.completed_at.map(timestamp),
        flow.deleted_at.map(timestamp),
        runs,
    ])
    .to_string()
}

pub fn row_digest(flow: &FlowRecord, completed_runs: &[PhaseName]) -> u64 {
    fnv1a64(canonical_row(flow, completed_runs).as_bytes())
}

/// FNV-1a 64 over `"<id> <row digest>\n"` lines sorted by id, as 16 hex digits.
pub fn checksum(rows: &[(Uuid, u64)]) -> String {
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|(id, _)| *id);
    let hash = sorted.iter().fold(FNV_OFFSET, |hash, (id, digest)| {
        fnv1a64_continue(hash, format!("{id} {digest:016x}\n").as_bytes())
    });
    format!("{hash:016x}")
}

// ---------------------------------------------------------------------------------------------
// The report as a table.

impl Report {
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let mode = if self.dry_run {
            "DRY RUN: nothing written".to_string()
        } else {
            format!("batches of {} rows, one transaction each", self.batch_size)
        };
        let _ = writeln!(out, "flowgraph migrate-legacy ({mode})");
        let _ = writeln!(
            out,
            "  from {} (discovery_flows + crewai_flow_state_extensions)",
            self.source
        );
        let _ = writeln!(out, "  to   {} ({})", self.target, self.target_backend);
        let _ = writeln!(out);
        let figures: Vec<(&str, String)> = vec![
            ("discovery_flows rows in the source", self.source_rows.to_string()),
            ("rows read", self.rows_read.to_string()),
            (
                if self.dry_run {
                    "would be migrated"
                } else {
                    "migrated now"
                },
                if self.dry_run { self.would_insert } else { self.inserted }.to_string(),
            ),
            ("already present (earlier run)", self.already_present.to_string()),
            ("skipped (listed below)", self.skipped.to_string()),
            (
                if self.dry_run {
                    "phase runs that would be written"
                } else {
                    "phase runs written"
                },
                if self.dry_run {
                    self.would_insert_phase_runs
                } else {
                    self.phase_runs_inserted
                }
                .to_string(),
            ),
            ("batches committed", self.batches_committed.to_string()),
        ];
        for (label, value) in figures {
            let _ = writeln!(out, "  {label:<36} {value:>8}");
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  {:<36} {:<36} {:>6} {:>7} {:>8} {:>6}  {:<16}  {:<16}  ok",
            "client_account_id",
            "engagement_id",
            "source",
            "skipped",
            "expected",
            "target",
            "source checksum",
            "target checksum"
        );
        let id = |id: Option<Uuid>| id.map_or_else(|| "(NULL)".to_string(), |id| id.to_string());
        let line = |out: &mut String, client: String, engagement: String, t: &TenantLine| {
            let _ = writeln!(
                out,
                "  {:<36} {:<36} {:>6} {:>7} {:>8} {:>6}  {:<16}  {:<16}  {}",
                client,
                engagement,
                t.source_rows,
                t.skipped,
                t.expected,
                t.target_rows,
                t.source_checksum,
                t.target_checksum.as_deref().unwrap_or("-"),
                if t.ok { "yes" } else { "NO" }
            );
        };
        for t in &self.tenants {
            line(&mut out, id(t.client_account_id), id(t.engagement_id), t);
        }
        line(&mut out, "all tenants".into(), String::new(), &self.total);
        let _ = writeln!(out);
        if self.dry_run {
            let _ = writeln!(
                out,
                "  rows already in the target that differ from the source: {}",
                list(&self.differing_ids)
            );
        } else {
            let _ = writeln!(
                out,
                "  every migrated id present in the target: {} ({} of {} ids; missing: {})",
                if self.missing_ids.is_empty() { "yes" } else { "NO" },
                self.total.expected - self.missing_ids.len() as u64,
                self.total.expected,
                list(&self.missing_ids)
            );
            let _ = writeln!(
                out,
                "  rows whose carried fields differ from the source: {}",
                list(&self.differing_ids)
            );
        }
        let _ = writeln!(out);
        if self.skipped_rows.is_empty() {
            let _ = writeln!(out, "  skipped rows: none");
        } else {
            let _ = writeln!(out, "  skipped rows ({}):", self.skipped_rows.len());
            for row in &self.skipped_rows {
                let which = match (row.id, &row.flow_id) {
                    (Some(id), Some(flow_id)) => format!("{} {id} (flow_id {flow_id})", row.table),
                    (Some(id), None) => format!("{} {id} (no flow_id)", row.table),
                    (None, flow_id) => format!("{} flow_id {}", row.table, flow_id.as_deref().unwrap_or("?")),
                };
                let _ = writeln!(out, "    {which}: {}", row.reason);
            }
        }
        if let Some(failure) = &self.failure {
            let _ = writeln!(out);
            let _ = writeln!(out, "  FAILED: {failure}");
        }
        let _ = writeln!(out);
        let verdict = match (self.dry_run, self.integrity_ok) {
            (true, true) => "integrity: dry run, nothing written; rows already present match the source",
            (true, false) => "integrity: FAILED (rows already in the target differ from the source)",
            (false, true) => "integrity: OK",
            (false, false) => "integrity: FAILED",
        };
        let _ = writeln!(out, "{verdict}");
        out
    }
}

fn list(ids: &[Uuid]) -> String {
    if ids.is_empty() {
        "none".to_string()
    } else {
        ids.iter().map(Uuid::to_string).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn old_names_map_to_new_ones() {
        assert_eq!(map_status("active"), Some(FlowStatus::Running));
        assert_eq!(map_status(" In-Progress "), Some(FlowStatus::Running));
        assert_eq!(map_status("pending"), Some(FlowStatus::Initialized));
        assert_eq!(map_status("zombie"), None);
        assert_eq!(map_phase("dependencies"), Some(Some(PhaseName::DependencyAnalysis)));
        assert_eq!(map_phase("tech_debt"), Some(Some(PhaseName::TechDebtAnalysis)));
        assert_eq!(map_phase("field_mapping"), Some(Some(PhaseName::AttributeMapping)));
        assert_eq!(map_phase("completed"), Some(None));
        assert_eq!(map_phase("asset_enrichment"), None);
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": null}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a": {"c": null, "d": [{"y": 2, "z": 1}]}, "b": 1}"#).unwrap();
        assert_eq!(canonical_json(&a).to_string(), canonical_json(&b).to_string());
        assert_eq!(
            canonical_json(&a).to_string(),
            r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#
        );
    }

    #[test]
    fn legacy_user_ids_are_stable_and_distinct() {
        assert_eq!(legacy_user_uuid("demo_user"), legacy_user_uuid("demo_user"));
        assert_ne!(legacy_user_uuid("demo_user"), legacy_user_uuid("demo_user2"));
        assert_eq!(legacy_user_uuid("demo_user").get_version_num(), 8);
    }

    #[test]
    fn checksum_ignores_input_order() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(checksum(&[(a, 1), (b, 2)]), checksum(&[(b, 2), (a, 1)]));
        assert_ne!(checksum(&[(a, 1), (b, 2)]), checksum(&[(a, 1), (b, 3)]));
    }
}
