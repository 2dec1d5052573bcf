//! PostgreSQL's row-level security, the second wall behind every query's tenant filter: read and
//! written through a raw connection as the server's role with another tenant's setting, no row of
//! the first tenant is visible or writable, even by statements with no tenant filter at all.

use flowgraph::domain::Role;
use serde_json::json;
use sqlx::{Connection, PgConnection, Row};
use uuid::Uuid;

use crate::helpers::{Backend, Tenant, TestApp, spawn_app};

/// A completed discovery and assessment for the tenant: a row in every tenant-owned table.
async fn populate(app: &TestApp, tenant: Tenant) {
    let token = app.token(tenant, Role::Admin);
    // Uploaded, so the file's chunks are stored too.
    let csv = crate::helpers::SAMPLE_CSV.as_bytes().to_vec();
    let discovery = app.upload_flow(&token, "cmdb.csv", csv).await;
    assert_eq!(app.run_flow(&token, &discovery).await, "COMPLETED");
    let assessment = app
        .create_flow(
            &token,
            json!({ "flowType": "ASSESSMENT", "name": "child", "masterFlowId": discovery }),
        )
        .await;
    let id = assessment["id"].as_str().unwrap();
    assert_eq!(app.run_flow(&token, id).await, "COMPLETED");
}

/// Every table with a `client_account_id` column, from the catalogue: a table added later without
/// a policy fails this test instead of slipping past it.
async fn tenant_tables(conn: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_name = 'client_account_id' ORDER BY 1",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// The rows of `table` the connection sees: all of them, or only `tenant`'s.
async fn rows(conn: &mut PgConnection, table: &str, tenant: Option<Uuid>) -> i64 {
    let filter = tenant
        .map(|t| format!(" WHERE client_account_id = '{t}'"))
        .unwrap_or_default();
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}{filter}")))
        .fetch_one(conn)
        .await
        .unwrap()
}

/// Runs a statement: the rows it touched, or the SQLSTATE it failed with.
async fn execute(conn: &mut PgConnection, sql: String) -> Result<u64, String> {
    match sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(conn).await {
        Ok(done) => Ok(done.rows_affected()),
        Err(err) => Err(err
            .as_database_error()
            .and_then(|e| e.code())
            .unwrap_or_default()
            .into_owned()),
    }
}

/// Opens a transaction as the server's role with `setting` (as the store does for a unit of work).
async fn begin_as(conn: &mut PgConnection, setting: Option<Uuid>) {
    sqlx::raw_sql("BEGIN; SET LOCAL ROLE flowgraph_app")
        .execute(&mut *conn)
        .await
        .unwrap();
    if let Some(tenant) = setting {
        sqlx::query("SELECT set_config('flowgraph.client_account_id', $1, true)")
            .bind(tenant.to_string())
            .execute(&mut *conn)
            .await
            .unwrap();
    }
}

async fn rollback(conn: &mut PgConnection) {
    sqlx::raw_sql("ROLLBACK").execute(conn).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_setting_sees_and_writes_nothing() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        eprintln!("TEST_DATABASE_URL is not set: row-level security needs PostgreSQL");
        return;
    };
    // The server's own connections are held by the policies, not exempt as a superuser.
    let ready = app.get_json("/ready").await;
    assert_eq!(ready["rowLevelSecurity"], true, "{ready}");

    let (owner, intruder) = (Tenant::new(), Tenant::new());
    populate(&app, owner).await;
    populate(&app, intruder).await;
    let (a, b) = (owner.client_account_id, intruder.client_account_id);

    // The test's own connection is a superuser: it sees everything, as the truth to compare with.
    let mut conn = PgConnection::connect(&app.settings.database_url).await.unwrap();
    let tables = tenant_tables(&mut conn).await;
    assert_eq!(tables.len(), 13, "{tables:?}");
    let mut before = Vec::new();
    for table in &tables {
        let protected = sqlx::query(
            "SELECT c.relrowsecurity, c.relforcerowsecurity, \
             (SELECT COUNT(*) FROM pg_policies p WHERE p.tablename = c.relname) AS policies \
             FROM pg_class c WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace",
        )
        .bind(table)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert!(
            protected.get::<bool, _>(0) && protected.get::<bool, _>(1),
            "{table} has no forced row security"
        );
        assert!(protected.get::<i64, _>(2) > 0, "{table} has no policy");
        let owned = rows(&mut conn, table, Some(a)).await;
        let theirs = rows(&mut conn, table, Some(b)).await;
        assert!(
            owned > 0 && theirs > 0,
            "{table}: the run left no rows to protect ({owned}, {theirs})"
        );
        before.push((table, owned, theirs));
    }

    for &(table, owned, theirs) in &before {
        // No setting at all: nothing.
        begin_as(&mut conn, None).await;
        assert_eq!(rows(&mut conn, table, None).await, 0, "{table}");
        rollback(&mut conn).await;

        // The intruder's setting: a statement that forgot its tenant filter sees only the
        // intruder's rows, and one that names the owner sees none.
        begin_as(&mut conn, Some(b)).await;
        assert_eq!(rows(&mut conn, table, None).await, theirs, "{table}");
        assert_eq!(rows(&mut conn, table, Some(a)).await, 0, "{table}");
        let updated =
            format!("UPDATE {table} SET client_account_id = client_account_id WHERE client_account_id = '{a}'");
        assert_eq!(execute(&mut conn, updated).await, Ok(0), "{table}");
        let deleted = format!("DELETE FROM {table} WHERE client_account_id = '{a}'");
        assert_eq!(execute(&mut conn, deleted).await, Ok(0), "{table}");
        // Nor may it hand its own rows to the owner.
        let moved = format!("UPDATE {table} SET client_account_id = '{a}'");
        assert_eq!(execute(&mut conn, moved).await, Err("42501".into()), "{table}");
        rollback(&mut conn).await;

        // The owner's setting sees exactly the owner's rows.
        begin_as(&mut conn, Some(a)).await;
        assert_eq!(rows(&mut conn, table, None).await, owned, "{table}");
        rollback(&mut conn).await;
    }

    // Writing a row for the owner under the intruder's setting is refused too.
    begin_as(&mut conn, Some(b)).await;
    let flow: Uuid = sqlx::query_scalar("SELECT id FROM unified_flow_states LIMIT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let planted = sqlx::query(
        "INSERT INTO audit_events (id, flow_id, client_account_id, engagement_id, user_id, action, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'planted', now())",
    )
    .bind(Uuid::now_v7())
    .bind(flow)
    .bind(a)
    .bind(owner.engagement_id)
    .bind(Uuid::new_v4())
    .execute(&mut conn)
    .await
    .expect_err("inserting into another tenant is refused");
    assert_eq!(
        planted.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("42501"),
        "{planted}"
    );
    rollback(&mut conn).await;

    // The owner's rows are all still there.
    for &(table, owned, _) in &before {
        assert_eq!(rows(&mut conn, table, Some(a)).await, owned, "{table}");
    }
}
