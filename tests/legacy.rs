//! `flowgraph migrate-legacy` against the fixture of the old layout (migrations/legacy/): the
//! source is always a throwaway PostgreSQL database (skipped without TEST_DATABASE_URL), the
//! target a throwaway PostgreSQL database or a temporary SQLite file.

use std::collections::{BTreeMap, HashSet};
use std::process::Command;

use flowgraph::domain::{FlowStatus, PhaseName, PhaseStatus};
use flowgraph::legacy_migration::{MigrateOptions, Report, checksum, legacy_user_uuid, migrate, row_digest};
use flowgraph::store::{FlowRecord, Store, TenantScope};
use scratch_db::{ScratchDb as Target, ScratchPg};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection};
use uuid::{Uuid, uuid};

#[path = "common/scratch_db.rs"]
mod scratch_db;

const FIXTURE: &str = include_str!("../migrations/legacy/fixture.sql");
const CORRUPTED: &str = include_str!("../migrations/legacy/fixture_corrupted.sql");

const ACME: Uuid = uuid!("a27d4e3b-7948-4a75-910c-bdc8f2c9a168");
const GLOBEX: Uuid = uuid!("cf38f746-fd97-4845-b18f-7e14f65ce9f1");
const INITECH: Uuid = uuid!("f0dcec62-0c30-495e-b9db-fd7231c19fcd");
const ACME_DC1: Uuid = uuid!("2f1b552c-2a9c-4fb8-8f11-8fa52396ac47");
const ACME_SAP: Uuid = uuid!("3cc6e229-7bb3-4c72-81da-eff72045e173");
const GLOBEX_AZURE: Uuid = uuid!("7d347381-505f-4155-9cd2-d1f06d6aad78");
const INITECH_MAINFRAME: Uuid = uuid!("9e7f525b-ce22-487b-acdf-6e8e591f8365");

/// The corrupted rows of fixture_corrupted.sql and a piece of the reason each must be given.
const CORRUPTED_ROWS: &[(Uuid, &str)] = &[
    (
        uuid!("cbc3de94-c1bc-4583-babe-23027b5e14f4"),
        "client_account_id is NULL",
    ),
    (uuid!("4d9778d5-87ff-46f2-bc8b-a72613bab6b3"), "unknown status `zombie`"),
    (
        uuid!("949a7bb7-b694-4681-a528-bca716236f78"),
        "crewai_state_data is a string that is not JSON",
    ),
    (
        uuid!("4cb7dab8-5740-4f9b-8c13-3a98f8c5a047"),
        "unknown current_phase `asset_enrichment`",
    ),
    (uuid!("848947d5-fdc5-4331-b8f7-e4be67b8a5fc"), "engagement_id differs"),
];
const EXTENSION_ONLY_FLOW_ID: &str = "02a37c33-f82d-4663-90a3-6cde52393882";

// ---------------------------------------------------------------------------------------------
// Throwaway databases.

fn admin_url() -> Option<String> {
    let url = scratch_db::admin_url();
    if url.is_none() {
        eprintln!("TEST_DATABASE_URL is not set: the legacy migration tests need PostgreSQL as the source; skipped");
    }
    url
}

/// The old services' database: fixture.sql, and fixture_corrupted.sql when asked.
async fn legacy_source(admin_url: &str, corrupted: bool) -> ScratchPg {
    let db = ScratchPg::create_on(admin_url, "flowgraph_legacy").await;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql(FIXTURE)
        .execute(&mut conn)
        .await
        .expect("fixture.sql loads");
    if corrupted {
        sqlx::raw_sql(CORRUPTED)
            .execute(&mut conn)
            .await
            .expect("fixture_corrupted.sql loads");
    }
    db
}

/// The source's discovery_flows ids, in id order.
async fn source_ids(source: &ScratchPg) -> Vec<Uuid> {
    let mut conn = sqlx::PgConnection::connect(&source.url).await.unwrap();
    sqlx::query_scalar("SELECT id FROM discovery_flows ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

/// The server's database, PostgreSQL or a SQLite file, gone when dropped: a `ScratchDb`, with
/// what these tests do to it (an inherent impl: scratch_db.rs is a module of this test crate).
impl Target {
    async fn new_postgres(admin_url: &str) -> Target {
        Target::Postgres(ScratchPg::create_on(admin_url, "flowgraph_legacy").await)
    }

    fn new_sqlite() -> Target {
        Target::sqlite("flowgraph-legacy")
    }

    /// Rows of a table, counted with a connection of the test's own.
    async fn count(&self, table: &str) -> i64 {
        let sql = AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
        match self {
            Target::Postgres(db) => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
            }
            Target::Sqlite(_) => {
                let mut conn = sqlx::SqliteConnection::connect(self.url()).await.unwrap();
                sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
            }
        }
    }

    /// Makes inserting the flow `id` fail (a trigger), as a fault in the middle of a batch.
    async fn fail_on_insert_of(&self, id: Uuid) {
        match self {
            Target::Postgres(_) => {
                self.execute(&format!(
                    "CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$; \
                     CREATE TRIGGER injected_fault BEFORE INSERT ON unified_flow_states FOR EACH ROW \
                     WHEN (NEW.id = '{id}'::uuid) EXECUTE FUNCTION injected_fault();"
                ))
                .await
            }
            Target::Sqlite(_) => {
                self.execute(&format!(
                    "CREATE TRIGGER injected_fault BEFORE INSERT ON unified_flow_states \
                     WHEN NEW.id = X'{}' BEGIN SELECT RAISE(ABORT, 'injected fault'); END;",
                    id.simple()
                ))
                .await
            }
        }
    }

    async fn remove_fault(&self) {
        match self {
            Target::Postgres(_) => self.execute("DROP TRIGGER injected_fault ON unified_flow_states").await,
            Target::Sqlite(_) => self.execute("DROP TRIGGER injected_fault").await,
        }
    }
}

async fn run(source: &ScratchPg, target: &Target, dry_run: bool, batch_size: usize) -> Report {
    migrate(&MigrateOptions {
        source_url: source.url.clone(),
        target_url: target.url().to_string(),
        dry_run,
        batch_size,
    })
    .await
    .expect("the migration runs")
}

// ---------------------------------------------------------------------------------------------
// Checks.

/// (source rows, skipped, expected) per (client account, engagement).
type TenantFigures = BTreeMap<(Option<Uuid>, Option<Uuid>), (u64, u64, u64)>;

/// The figures of the fixture with its corrupted rows.
fn fixture_tenants() -> TenantFigures {
    BTreeMap::from([
        ((Some(ACME), Some(ACME_DC1)), (9, 2, 7)),
        ((Some(ACME), Some(ACME_SAP)), (4, 0, 4)),
        ((Some(GLOBEX), Some(GLOBEX_AZURE)), (6, 1, 5)),
        ((Some(INITECH), Some(INITECH_MAINFRAME)), (5, 1, 4)),
        ((None, Some(GLOBEX_AZURE)), (1, 1, 0)),
    ])
}

/// The report's figures per tenant.
fn tenant_figures(report: &Report) -> TenantFigures {
    report
        .tenants
        .iter()
        .map(|t| {
            (
                (t.client_account_id, t.engagement_id),
                (t.source_rows, t.skipped, t.expected),
            )
        })
        .collect()
}

fn check_skipped(report: &Report) {
    assert_eq!(report.skipped, 5, "{}", report.to_table());
    assert_eq!(
        report.skipped_rows.len(),
        6,
        "five discovery_flows rows and one extension-only row"
    );
    for (id, reason) in CORRUPTED_ROWS {
        let row = report
            .skipped_rows
            .iter()
            .find(|r| r.id == Some(*id))
            .unwrap_or_else(|| panic!("{id} is not reported:\n{}", report.to_table()));
        assert_eq!(row.table, "discovery_flows");
        assert!(row.reason.contains(reason), "{id}: `{}` lacks `{reason}`", row.reason);
    }
    let orphan = report
        .skipped_rows
        .iter()
        .find(|r| r.flow_id.as_deref() == Some(EXTENSION_ONLY_FLOW_ID))
        .expect("the extension-only row is reported");
    assert_eq!(orphan.table, "crewai_flow_state_extensions");
    assert!(orphan.reason.contains("assessment"), "{}", orphan.reason);
    let table = report.to_table();
    for (id, _) in CORRUPTED_ROWS {
        assert!(table.contains(&id.to_string()), "{id} missing from the table:\n{table}");
    }
}

fn check_tenants_and_checksums(report: &Report) {
    let figures = tenant_figures(report);
    assert_eq!(figures, fixture_tenants(), "{}", report.to_table());
    for tenant in &report.tenants {
        assert!(tenant.ok, "{}", report.to_table());
        assert_eq!(tenant.target_rows, tenant.expected);
        assert_eq!(tenant.target_checksum.as_deref(), Some(tenant.source_checksum.as_str()));
    }
    assert_eq!(report.total.source_rows, 25);
    assert_eq!(report.total.expected, 20);
    assert_eq!(report.total.target_rows, 20);
    assert_eq!(
        report.total.target_checksum.as_deref(),
        Some(report.total.source_checksum.as_str())
    );
    assert!(report.missing_ids.is_empty() && report.differing_ids.is_empty());
    assert!(report.integrity_ok && report.failure.is_none());
}

/// The migrated flows as the server itself reads them (tenant-scoped, through the Store trait).
async fn server_view(store: &dyn Store, ids: &[Uuid]) -> (Vec<FlowRecord>, usize, usize, Vec<(Uuid, u64)>) {
    let mut flows = Vec::new();
    let (mut runs, mut audits) = (0, 0);
    let mut digests = Vec::new();
    for client in [ACME, GLOBEX, INITECH] {
        let scope = TenantScope {
            client_account_id: client,
            engagement_id: None,
        };
        let tenant_flows = store.get_flows(&scope, ids).await.unwrap();
        let flow_ids: Vec<Uuid> = tenant_flows.iter().map(|f| f.id).collect();
        let tenant_runs = store.phase_runs(&scope, &flow_ids).await.unwrap();
        assert!(
            tenant_runs
                .iter()
                .all(|r| r.status == PhaseStatus::Completed && r.attempt == 1)
        );
        for flow in &tenant_flows {
            let phases: Vec<PhaseName> = tenant_runs
                .iter()
                .filter(|r| r.flow_id == flow.id)
                .map(|r| r.phase)
                .collect();
            digests.push((flow.id, row_digest(flow, &phases)));
        }
        runs += tenant_runs.len();
        audits += store.audit_events(&scope, &flow_ids).await.unwrap().len();
        flows.extend(tenant_flows);
    }
    (flows, runs, audits, digests)
}

fn flow(flows: &[FlowRecord], id: Uuid) -> &FlowRecord {
    flows
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("{id} not migrated"))
}

/// Old names and values came across as the mapping says (migrations/legacy/README.md).
fn check_mapping(flows: &[FlowRecord]) {
    let statuses: BTreeMap<FlowStatus, usize> = flows.iter().fold(BTreeMap::new(), |mut m, f| {
        *m.entry(f.status).or_default() += 1;
        m
    });
    assert_eq!(
        statuses,
        BTreeMap::from([
            (FlowStatus::Initialized, 3),
            (FlowStatus::Running, 6),
            (FlowStatus::WaitingForApproval, 1),
            (FlowStatus::Paused, 2),
            (FlowStatus::Completed, 5),
            (FlowStatus::Failed, 2),
            (FlowStatus::Cancelled, 1),
        ])
    );
    // 'in_progress' at 'dependencies' with four flags.
    let middleware = flow(flows, uuid!("2ba0a3d6-e1b9-47d7-ac16-d08d66ada6bc"));
    assert_eq!(middleware.status, FlowStatus::Running);
    assert_eq!(middleware.current_phase, Some(PhaseName::DependencyAnalysis));
    assert_eq!(middleware.phases_completed.0.len(), 4);
    assert_eq!(middleware.progress_percentage, 67);
    assert_eq!(middleware.flow_id, "d2a0c2f6-794e-452a-9081-eec5ccfb3920");
    assert_eq!(middleware.name, "DC1 wave 2 - middleware");
    // 'running' at 'tech_debt'; its state was double-encoded.
    let interfaces = flow(flows, uuid!("7d07cc36-0ec3-4be0-88e1-808873ee5910"));
    assert_eq!(interfaces.current_phase, Some(PhaseName::TechDebtAnalysis));
    let state = &interfaces.flow_state.0["legacy"]["crewaiStateData"];
    assert_eq!(state["field_mappings"]["hostname"], Value::from("server_name"));
    assert_eq!(interfaces.flow_state.0["legacy"]["status"], Value::from("running"));
    assert_eq!(
        interfaces.flow_configuration.0["source_system"],
        Value::from("BMC Helix")
    );
    // 'pending', no progress, no current phase.
    let solman = flow(flows, uuid!("e4bae62f-200c-4d87-8fd4-ccb831bde9e7"));
    assert_eq!(solman.status, FlowStatus::Initialized);
    assert_eq!(solman.current_phase, Some(PhaseName::DataImport));
    assert_eq!(solman.progress_percentage, 0);
    // A user id that was not a UUID.
    let bw = flow(flows, uuid!("aad658d6-3e5a-40b7-9321-cda60828d4e4"));
    assert_eq!(bw.user_id, legacy_user_uuid("consultant@acme.example"));
    assert_eq!(
        bw.flow_state.0["legacy"]["userId"],
        Value::from("consultant@acme.example")
    );
    // Completed with current_phase NULL: every phase done, nothing current, completed_at kept.
    let databases = flow(flows, uuid!("42efa0f2-1664-418b-8c32-786b6a74e2d9"));
    assert_eq!(databases.status, FlowStatus::Completed);
    assert_eq!(databases.current_phase, None);
    assert_eq!(databases.phases_completed.0.len(), 6);
    assert!(databases.completed_at.is_some());
    assert_eq!(databases.created_at.to_rfc3339(), "2024-02-16T10:30:03.958+00:00");
    assert!(flows.iter().all(|f| f.version == 1 && f.deleted_at.is_none()));
}

/// The whole story on one target: migrate, prove, re-run, dry-run.
async fn migrate_and_prove(target: Target) {
    let Some(admin) = admin_url() else { return };
    let source = legacy_source(&admin, true).await;
    let valid: Vec<Uuid> = source_ids(&source)
        .await
        .into_iter()
        .filter(|id| !CORRUPTED_ROWS.iter().any(|(bad, _)| bad == id))
        .collect();
    assert_eq!(valid.len(), 20);

    // Batches of 7: four transactions for 25 rows.
    let first = run(&source, &target, false, 7).await;
    assert_eq!(
        (
            first.source_rows,
            first.rows_read,
            first.inserted,
            first.already_present
        ),
        (25, 25, 20, 0),
        "{}",
        first.to_table()
    );
    assert_eq!((first.phase_runs_inserted, first.batches_committed), (57, 4));
    check_skipped(&first);
    check_tenants_and_checksums(&first);

    // Every old id, as the server reads it, with its runs and one audit event each.
    let store = flowgraph::store::connect(target.url()).await.unwrap();
    let (flows, runs, audits, digests) = server_view(store.as_ref(), &valid).await;
    assert_eq!(flows.len(), 20);
    let migrated: HashSet<Uuid> = flows.iter().map(|f| f.id).collect();
    assert!(valid.iter().all(|id| migrated.contains(id)));
    assert_eq!((runs, audits), (57, 20));
    check_mapping(&flows);
    // The report's checksum, recomputed from the server's own reads.
    assert_eq!(checksum(&digests), first.total.source_checksum);
    assert_ne!(first.total.source_checksum, checksum(&[]));

    // Again: nothing migrates twice, the proof still holds.
    let second = run(&source, &target, false, 7).await;
    assert_eq!(
        (second.inserted, second.already_present, second.phase_runs_inserted),
        (0, 20, 0)
    );
    check_skipped(&second);
    check_tenants_and_checksums(&second);
    assert_eq!(second.total.source_checksum, first.total.source_checksum);
    assert_eq!(
        (
            target.count("unified_flow_states").await,
            target.count("flow_phase_runs").await,
            target.count("audit_events").await
        ),
        (20, 57, 20)
    );

    // A dry run now has nothing to do.
    let dry = run(&source, &target, true, 100).await;
    assert_eq!((dry.would_insert, dry.already_present, dry.inserted), (0, 20, 0));
    assert!(dry.integrity_ok && dry.differing_ids.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrates_into_postgres() {
    let Some(admin) = admin_url() else { return };
    migrate_and_prove(Target::new_postgres(&admin).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrates_into_sqlite() {
    migrate_and_prove(Target::new_sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_writes_nothing() {
    let Some(admin) = admin_url() else { return };
    let source = legacy_source(&admin, true).await;

    // A SQLite file that does not exist yet stays that way.
    let sqlite = Target::new_sqlite();
    let report = run(&source, &sqlite, true, 100).await;
    assert_eq!((report.would_insert, report.would_insert_phase_runs), (20, 57));
    assert_eq!(
        (report.inserted, report.already_present, report.batches_committed),
        (0, 0, 0)
    );
    check_skipped(&report);
    assert!(report.integrity_ok);
    assert!(report.to_table().contains("DRY RUN"));
    let Target::Sqlite(file) = &sqlite else { unreachable!() };
    assert!(!file.path.exists(), "a dry run created {}", file.path.display());

    // A PostgreSQL database without our schema gets none.
    let bare = Target::new_postgres(&admin).await;
    let report = run(&source, &bare, true, 100).await;
    assert_eq!(report.would_insert, 20);
    let Target::Postgres(db) = &bare else { unreachable!() };
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(tables, 0, "a dry run migrated the target");

    // A migrated, empty one stays empty; its per-tenant figures are the fixture's.
    let empty = Target::new_postgres(&admin).await;
    flowgraph::store::connect(empty.url()).await.unwrap();
    let report = run(&source, &empty, true, 5).await;
    assert_eq!((report.would_insert, report.already_present), (20, 0));
    let figures = tenant_figures(&report);
    assert_eq!(figures, fixture_tenants());
    assert!(
        report
            .tenants
            .iter()
            .all(|t| t.target_rows == 0 && t.target_checksum.is_none())
    );
    for table in ["unified_flow_states", "flow_phase_runs", "audit_events"] {
        assert_eq!(empty.count(table).await, 0, "{table}");
    }
}

/// The second batch fails half-way: the first stays committed, the second leaves nothing, and a
/// re-run after the fault is gone completes the job.
async fn failed_batch_rolls_back(target: Target) {
    let Some(admin) = admin_url() else { return };
    let source = legacy_source(&admin, false).await;
    let ids = source_ids(&source).await;
    assert_eq!(ids.len(), 20);
    flowgraph::store::connect(target.url()).await.unwrap();
    // Batches of 5: the fault hits the fourth flow of the second batch, after three were written.
    target.fail_on_insert_of(ids[8]).await;

    let report = run(&source, &target, false, 5).await;
    let failure = report.failure.clone().expect("the batch failed");
    assert!(
        failure.contains("batch 2") && failure.contains("injected fault"),
        "{failure}"
    );
    assert_eq!((report.batches_committed, report.inserted), (1, 5));
    assert!(!report.integrity_ok);
    assert!(report.to_table().contains("integrity: FAILED"));
    // The rows of the failed batch are reported missing.
    assert_eq!(report.missing_ids, ids[5..10].to_vec());

    let store = flowgraph::store::connect(target.url()).await.unwrap();
    let (flows, runs, audits, _) = server_view(store.as_ref(), &ids).await;
    let present: HashSet<Uuid> = flows.iter().map(|f| f.id).collect();
    assert_eq!(present, ids[..5].iter().copied().collect::<HashSet<_>>());
    assert_eq!(target.count("unified_flow_states").await, 5);
    assert_eq!(target.count("flow_phase_runs").await as usize, runs);
    assert_eq!((target.count("audit_events").await, audits), (5, 5));
    let first_batch_runs: usize = flows.iter().map(|f| f.phases_completed.0.len()).sum();
    assert_eq!(runs, first_batch_runs);

    target.remove_fault().await;
    let report = run(&source, &target, false, 5).await;
    assert_eq!(
        (report.inserted, report.already_present),
        (15, 5),
        "{}",
        report.to_table()
    );
    assert!(report.integrity_ok, "{}", report.to_table());
    assert_eq!(target.count("unified_flow_states").await, 20);
    assert_eq!(target.count("flow_phase_runs").await, 57);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_batch_rolls_back_on_postgres() {
    let Some(admin) = admin_url() else { return };
    failed_batch_rolls_back(Target::new_postgres(&admin).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_batch_rolls_back_on_sqlite() {
    failed_batch_rolls_back(Target::new_sqlite()).await;
}

fn cli(source: &ScratchPg, target: &Target, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flowgraph"))
        .args(["migrate-legacy", "--from", &source.url, "--database-url", target.url()])
        .args(extra)
        .env_remove("DATABASE_URL")
        .env_remove("FLOWGRAPH_LEGACY_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_reports_and_fails_on_a_broken_target() {
    let Some(admin) = admin_url() else { return };
    let source = legacy_source(&admin, true).await;
    let target = Target::new_sqlite();

    let output = cli(&source, &target, &["--json"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).expect("--json prints JSON");
    assert_eq!(report["inserted"], 20);
    assert_eq!(report["skipped"], 5);
    assert_eq!(report["phase_runs_inserted"], 57);
    assert_eq!(report["integrity_ok"], true);
    assert_eq!(report["total"]["source_checksum"], report["total"]["target_checksum"]);
    let skipped = report["skipped_rows"].as_array().unwrap();
    assert!(
        CORRUPTED_ROWS
            .iter()
            .all(|(id, _)| skipped.iter().any(|r| r["id"] == id.to_string()))
    );

    let output = cli(&source, &target, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("already present (earlier run)") && stdout.contains("integrity: OK"),
        "{stdout}"
    );

    // Someone changed a migrated flow: the proof fails, names the flow, and the exit code says so.
    let tampered = uuid!("42efa0f2-1664-418b-8c32-786b6a74e2d9");
    target
        .execute(&format!(
            "UPDATE unified_flow_states SET name = 'renamed' WHERE id = X'{}'",
            tampered.simple()
        ))
        .await;
    let output = cli(&source, &target, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("integrity: FAILED"), "{stdout}");
    assert!(
        stdout.contains(&format!("differ from the source: {tampered}")),
        "{stdout}"
    );
}
