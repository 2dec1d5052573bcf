//! The SQL every part of the store shares, written once for both databases. PostgreSQL and
//! SQLite accept the same statements except for binding a list (`in_ids!`, `in_ints!`: always
//! parameter $1) and locking a claimed run (`claim_lock!`); each backend supplies its own `ids()`
//! and `ints()` bind values, `begin_read()`/`begin_write()` (which carry the tenant to
//! PostgreSQL's row-level security) and `run_migrations()`. Each role of the store (flows.rs,
//! imports.rs, assets.rs, queue.rs, events.rs) writes its impl once, as a macro of the backend's
//! store type and sqlx database, and `for_both_backends!` expands it for `PgStore` and `SqliteStore`.
//! Every statement runs inside a unit of work: a transaction begun for one tenant, or for the
//! system (workers and the event pump, which serve every tenant).

/// Expands `$role!(store type, sqlx database)` for each backend.
macro_rules! for_both_backends {
    ($role:ident) => {
        $role!(PgStore, Postgres);
        $role!(SqliteStore, Sqlite);
    };
}

/// `column IN (the list bound as $1)`, for a list of ids.
macro_rules! in_ids {
    (Postgres) => {
        "= ANY($1)"
    };
    (Sqlite) => {
        "IN (SELECT unhex(value) FROM json_each($1))"
    };
}

/// `column IN (the list bound as $1)`, for a list of numbers.
macro_rules! in_ints {
    (Postgres) => {
        "= ANY($1)"
    };
    (Sqlite) => {
        "IN (SELECT value FROM json_each($1))"
    };
}

/// Locks the run a worker claims, skipping runs other workers are claiming (PostgreSQL; SQLite's
/// one writer needs no lock).
macro_rules! claim_lock {
    (Postgres) => {
        " FOR UPDATE OF r SKIP LOCKED"
    };
    (Sqlite) => {
        ""
    };
}

/// One unit of reads: BEGIN with the unit bound for row-level security (`begin_read`), then
/// `$reads`, whose statements run on the transaction `$tx` (through `self.counted(&mut $tx)`,
/// which counts each for `read_statements`; the event pump's and the metrics' background reads
/// run on `&mut *$tx`, uncounted), then COMMIT. Evaluates to `Ok` of what `$reads` gave; an
/// error returns early and drops (rolls back) the transaction.
macro_rules! scoped_read {
    ($store:expr, $unit:expr, |$tx:ident| $reads:expr) => {{
        let mut $tx = $store.begin_read($unit).await?;
        let read = $reads;
        $tx.commit().await?;
        Ok(read)
    }};
}

/// A read unit of the tenant's rows (`scoped_read!`): `$query` with `$first` bound as $1 (a
/// flow's id, or a list in the store's `ids()` form), the tenant as $2 and $3 (`tenant_2_3!`)
/// and each of `$more` after them, fetched with `$fetch` (`fetch_all`, `fetch_optional`).
macro_rules! tenant_read {
    ($store:expr, $scope:expr, $fetch:ident($query:expr, $first:expr $(, $more:expr)* $(,)?)) => {
        scoped_read!($store, $scope.unit(), |tx| $query
            .bind($first)
            .bind($scope.client_account_id)
            .bind($scope.engagement_id)
            $(.bind($more))*
            .$fetch($store.counted(&mut tx))
            .await?)
    };
}

/// `tenant_read!` with `fetch_all` of the rows matching a list (`$ids`, bound as $1 in the
/// store's `ids()` form); an empty list returns no rows at once, without a unit of work.
macro_rules! tenant_read_ids {
    ($store:expr, $scope:expr, $ids:expr, $query:expr $(, $more:expr)* $(,)?) => {{
        if $ids.is_empty() {
            return Ok(Vec::new());
        }
        tenant_read!($store, $scope, fetch_all($query, Self::ids($ids) $(, $more)*))
    }};
}

/// Tenant filter on parameters $2 (client account) and $3 (optional engagement).
macro_rules! tenant_2_3 {
    () => {
        " client_account_id = $2 AND ($3 IS NULL OR engagement_id = $3) "
    };
}

macro_rules! flow_columns {
    () => {
        "id, flow_id, flow_type, master_flow_id, client_account_id, engagement_id, user_id, name, \
         status, current_phase, flow_configuration, flow_state, phases_completed, progress_percentage, \
         data_import_id, performance_metrics, quality_scores, auto_advance, version, created_at, updated_at, \
         completed_at, deleted_at"
    };
}

/// Binds a `FlowRecord`'s columns in `flow_columns!` order, as parameters $1 to $23.
macro_rules! bind_flow {
    ($query:expr, $flow:expr) => {{
        let flow = $flow;
        $query
            .bind(flow.id)
            .bind(&flow.flow_id)
            .bind(flow.flow_type)
            .bind(flow.master_flow_id)
            .bind(flow.client_account_id)
            .bind(flow.engagement_id)
            .bind(flow.user_id)
            .bind(&flow.name)
            .bind(flow.status)
            .bind(flow.current_phase)
            .bind(&flow.flow_configuration)
            .bind(&flow.flow_state)
            .bind(&flow.phases_completed)
            .bind(flow.progress_percentage)
            .bind(flow.data_import_id)
            .bind(&flow.performance_metrics)
            .bind(&flow.quality_scores)
            .bind(flow.auto_advance)
            .bind(flow.version)
            .bind(flow.created_at)
            .bind(flow.updated_at)
            .bind(flow.completed_at)
            .bind(flow.deleted_at)
    }};
}

macro_rules! run_columns {
    () => {
        "id, flow_id, client_account_id, engagement_id, phase, status, attempt, progress, requested_by, \
         created_at, started_at, completed_at, result, error"
    };
}

/// Inserts a `PhaseRunRecord` (`run_columns!`, parameters $1 to $14); `$on_conflict` ends the
/// statement.
macro_rules! insert_run {
    ($on_conflict:literal, $run:expr) => {{
        let run = $run;
        sqlx::query(concat!(
            "INSERT INTO flow_phase_runs (",
            run_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ",
            $on_conflict
        ))
        .bind(run.id)
        .bind(run.flow_id)
        .bind(run.client_account_id)
        .bind(run.engagement_id)
        .bind(run.phase)
        .bind(run.status)
        .bind(run.attempt)
        .bind(run.progress)
        .bind(run.requested_by)
        .bind(run.created_at)
        .bind(run.started_at)
        .bind(run.completed_at)
        .bind(&run.result)
        .bind(&run.error)
    }};
}

/// Every column of `assets`, once, in table order: its name (the `AssetRecord` field), its
/// PostgreSQL type (the bulk upsert unnests one array per column), how a row binds it
/// (`asset_value!`) and what a re-run's upsert does with a stored asset's value: `new` takes the
/// re-run's, `kept` keeps it (the asset's id, validation and analysis results).
///
/// `asset_columns!()` is the column list, for SELECT and INSERT; `asset_columns!(then!(args))`
/// expands `then!(args; rows)`.
macro_rules! asset_columns {
    () => {
        asset_columns!(asset_column_names!())
    };
    ($then:ident!($($args:tt)*)) => {
        $then!($($args)*;
            id uuid copy kept,
            flow_id uuid copy kept,
            client_account_id uuid copy kept,
            engagement_id uuid copy kept,
            source_key text str kept,
            name text str new,
            asset_type text str new,
            hostname text opt new,
            fqdn text opt new,
            ip_address text opt new,
            operating_system text opt new,
            os_version text opt new,
            environment text opt new,
            application text opt new,
            cpu_cores int8 copy new,
            memory_gb float8 copy new,
            storage_gb float8 copy new,
            owner text opt new,
            business_criticality text opt new,
            location text opt new,
            depends_on jsonb json new,
            attributes jsonb json new,
            source_rows jsonb json new,
            quality_score float8 copy new,
            validation_status text str kept,
            validation_note text opt kept,
            six_r_strategy text opt kept,
            six_r_rationale text opt kept,
            risk_score int8 copy kept,
            inventory_run uuid copy new,
            created_at timestamptz copy kept,
            updated_at timestamptz copy new
        )
    };
}

/// "id, flow_id, …": the names of `asset_columns!`.
macro_rules! asset_column_names {
    (; $first:ident $ty:ident $how:ident $rerun:ident $(, $col:ident $tys:ident $hows:ident $reruns:ident)*) => {
        concat!(stringify!($first) $(, ", ", stringify!($col))*)
    };
}

/// An asset's value as bound: `copy` as it is, `str` as `&str`, `opt` as `Option<&str>`, `json`
/// by reference.
macro_rules! asset_value {
    (copy $value:expr) => {
        $value
    };
    (str $value:expr) => {
        $value.as_str()
    };
    (opt $value:expr) => {
        $value.as_deref()
    };
    (json $value:expr) => {
        &$value
    };
}
