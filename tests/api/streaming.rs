//! The discovery phases stream their input in batches: across batch boundaries they must find
//! exactly what a run over all rows at once finds, report progress while they run, and leave
//! nothing half-written when the database refuses a write midway.

use flowgraph::agents::data_cleansing::{DataQuality, DataStandardization, Deduplication, StandardizeInput};
use flowgraph::agents::types::{Agent, CleanRecord, FieldMapping, SourceRecord};
use flowgraph::domain::{PhaseName, PhaseStatus, Role};
use flowgraph::phases::BATCH_ROWS;
use flowgraph::store::{EventPayload, TenantScope};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Backend, Tenant, TestApp, spawn_app};
use crate::on_both_databases;

const EXECUTE_FLOW: &str = "mutation($id: ID!) { executeFlow(flowId: $id, wait: true) {
    status flowState assets { totalCount } } }";
const EXECUTE_PHASE: &str = "mutation($id: ID!, $phase: PhaseName) {
    executePhase(flowId: $id, phase: $phase, wait: true) { status result error } }";

/// The generated export (12,000 rows, three batches) with duplicates far from what they
/// duplicate: one spelled differently by key, and one that joins two records written in the
/// first batch into one group (its key is one's, its FQDN the other's).
fn export_with_distant_duplicates() -> (String, usize) {
    let rows = 12_000;
    let mut csv = flowgraph::fixtures::generated_cmdb(rows);
    csv.push_str("SRV0000001,Server,10.0.0.2,,Windows Server 2019 Standard,,Prod,App000000,4,16 GB,200,ops-0,\n");
    csv.push_str("srv0000002,Server,,srv0000003.corp.example.com,,,Prod,App000000,,,,ops-0,\n");
    (csv, rows + 2)
}

fn scope(tenant: Tenant) -> TenantScope {
    TenantScope {
        client_account_id: tenant.client_account_id,
        engagement_id: None,
    }
}

/// Cleansing as it ran before it streamed: every row standardised, scored and deduplicated at once.
async fn cleansed_at_once(app: &TestApp, scope: &TenantScope, flow: Uuid) -> Vec<CleanRecord> {
    let mappings: Vec<FieldMapping> = app
        .store
        .field_mappings(scope, &[flow])
        .await
        .unwrap()
        .into_iter()
        .map(|m| FieldMapping {
            source_field: m.source_field,
            target_attribute: m.target_attribute,
            confidence: m.confidence,
            agent: m.agent,
            reasoning: m.reasoning,
        })
        .collect();
    let records = app
        .store
        .import_records(scope, flow, None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| SourceRecord {
            row_number: r.row_number,
            line_number: r.line_number,
            fields: r.data.0.as_object().cloned().unwrap_or_default(),
        })
        .collect();
    let standardized = DataStandardization
        .run(&StandardizeInput { mappings, records })
        .unwrap()
        .value;
    let scored = DataQuality.run(&standardized[..]).unwrap().value.records;
    Deduplication.run(&scored[..]).unwrap().value.records
}

async fn batches_find_what_one_pass_finds(app: TestApp) {
    let tenant = Tenant::new();
    let token = app.token(tenant, Role::Analyst);
    let (csv, rows) = export_with_distant_duplicates();
    assert!(rows > 2 * BATCH_ROWS);
    let id = app.upload_flow(&token, "cmdb.csv", csv.into_bytes()).await;
    let done = app.data(&token, EXECUTE_FLOW, json!({ "id": id })).await["executeFlow"].clone();
    assert_eq!(done["status"], "COMPLETED", "{done:#}");
    let cleansing = &done["flowState"]["dataCleansing"];
    assert_eq!(cleansing["recordsIn"], rows);
    assert_eq!(cleansing["merged"], 2, "{cleansing:#}");
    // The second duplicate joins srv0000002 (by key) and srv0000003 (by FQDN): three rows, one asset.
    assert_eq!(cleansing["recordsOut"], rows - 3);
    assert_eq!(done["assets"]["totalCount"], rows - 3);

    let scope = scope(tenant);
    let flow: Uuid = id.parse().unwrap();
    let expected = cleansed_at_once(&app, &scope, flow).await;
    let stored = app.store.cleansed_records(&scope, flow).await.unwrap();
    let stored: Vec<CleanRecord> = stored
        .into_iter()
        .map(|r| serde_json::from_value(r.data.0).unwrap())
        .collect();
    assert_eq!(stored.len(), expected.len());
    for (stored, expected) in stored.iter().zip(&expected) {
        assert_eq!(stored, expected);
    }

    // Batches are written several at a time on PostgreSQL, yet they land in order: a dashboard's
    // progress bar never goes back within a phase (agents' reports included), and each streaming
    // phase's "n written" counts come in the order they were made.
    let events = app.store.events_after(flow, 0, 100_000).await.unwrap();
    assert!(events.windows(2).all(|w| w[0].sequence < w[1].sequence));
    // (progress, message) of a phase's running events, in order.
    let running = |phase: PhaseName| -> Vec<(i32, &str)> {
        events
            .iter()
            .filter_map(|e| match &e.payload {
                EventPayload::Phase {
                    phase: p,
                    status: PhaseStatus::Running,
                    progress,
                    message,
                    ..
                } if *p == phase => Some((*progress, message.as_deref().unwrap_or_default())),
                _ => None,
            })
            .collect()
    };
    for &phase in PhaseName::ALL {
        let progress: Vec<i32> = running(phase).into_iter().map(|(p, _)| p).collect();
        assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{phase}: {progress:?}");
    }
    let mut phases_with_batches = 0;
    for (phase, written) in PHASES_THAT_STREAM {
        // Each batch's message starts with what was written so far.
        let counts: Vec<usize> = running(phase)
            .into_iter()
            .filter(|(_, m)| m.ends_with(written))
            .filter_map(|(_, m)| m.split(' ').next()?.parse().ok())
            .collect();
        assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{phase} went back: {counts:?}");
        phases_with_batches += usize::from(counts.len() > 2);
    }
    assert!(
        phases_with_batches >= 4,
        "{phases_with_batches} phases reported three batches or more"
    );
    // dependency_analysis's agents report the first half of its progress, and the writing of
    // its edges (12,000 here, three batches) the second: the bar moves while edges are written.
    let dependencies = running(PhaseName::DependencyAnalysis);
    let (edges, agents): (Vec<_>, Vec<_>) = dependencies.iter().partition(|(_, m)| m.ends_with("edges written"));
    assert!(agents.iter().all(|&&(p, _)| p <= 50), "{dependencies:?}");
    let edge_progress: Vec<i32> = edges.iter().map(|&&(p, _)| p).collect();
    assert_eq!(edge_progress.len(), 3, "{dependencies:?}");
    assert!(
        edge_progress[0] > 50 && edge_progress[0] < edge_progress[2],
        "{dependencies:?}"
    );
}

/// The phases that write their output a batch at a time, and how each batch's progress message
/// ends (after the count so far).
const PHASES_THAT_STREAM: [(PhaseName, &str); 5] = [
    (PhaseName::DataImport, "rows imported"),
    (PhaseName::DataCleansing, "records cleansed"),
    (PhaseName::Inventory, "assets built"),
    (PhaseName::DependencyAnalysis, "edges written"),
    (PhaseName::TechDebtAnalysis, "assets assessed"),
];

/// A write the database refuses in the middle of data_import (a full disk, say; here a check
/// constraint) fails the phase with a clear error, takes back the batches already written, and
/// a run after the fault imports everything. Progress was reported batch by batch meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_write_mid_phase_leaves_nothing_half_written() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        eprintln!("TEST_DATABASE_URL is not set: the refused-write run needs PostgreSQL");
        return;
    };
    let tenant = Tenant::new();
    let token = app.token(tenant, Role::Analyst);
    let rows = 3 * BATCH_ROWS;
    let csv = flowgraph::fixtures::generated_cmdb(rows);
    let id = app.upload_flow(&token, "cmdb.csv", csv.into_bytes()).await;
    let flow: Uuid = id.parse().unwrap();

    app.raw_sql(&format!(
        "ALTER TABLE raw_import_records ADD CONSTRAINT refuse_late_rows CHECK (row_number <= {}) NOT VALID",
        BATCH_ROWS + BATCH_ROWS / 2
    ))
    .await;
    let failed = app.data(&token, EXECUTE_PHASE, json!({ "id": id })).await["executePhase"].clone();
    assert_eq!(failed["status"], "FAILED", "{failed:#}");
    // The client learns the phase failed, not the database's internals.
    assert_eq!(failed["error"], "internal error while running the phase");
    let scope = scope(tenant);
    let left = app.store.import_records(&scope, flow, None).await.unwrap();
    assert!(left.is_empty(), "{} rows left behind", left.len());

    app.raw_sql("ALTER TABLE raw_import_records DROP CONSTRAINT refuse_late_rows")
        .await;
    let done = app.data(&token, EXECUTE_PHASE, json!({ "id": id })).await["executePhase"].clone();
    assert_eq!(done["status"], "COMPLETED", "{done:#}");
    assert_eq!(done["result"]["rows"], rows);
    assert_eq!(app.store.import_records(&scope, flow, None).await.unwrap().len(), rows);

    let events = app.store.events_after(flow, 0, 10_000).await.unwrap();
    let progress: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.payload {
            EventPayload::Phase { message: Some(m), .. } if m.ends_with("rows imported") => Some(m.clone()),
            _ => None,
        })
        .collect();
    assert!(
        progress.iter().any(|m| m == &format!("{BATCH_ROWS} rows imported")),
        "{progress:?}"
    );
    assert!(
        progress.iter().any(|m| m == &format!("{rows} rows imported")),
        "{progress:?}"
    );
}

on_both_databases!(batches_find_what_one_pass_finds);
