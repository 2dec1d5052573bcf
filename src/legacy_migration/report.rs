//! What a migration did, per tenant, and as the table the command prints.

use std::fmt::Write as _;

use serde::Serialize;
use uuid::Uuid;

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
