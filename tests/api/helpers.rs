//! `spawn_app`: the real server on a free port, on a fresh SQLite file or a fresh PostgreSQL
//! database (when `TEST_DATABASE_URL` is set), dropped when the test ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use flowgraph::app::Application;
use flowgraph::auth::{Claims, JwtKeys};
use flowgraph::config::{Secret, Settings};
use flowgraph::domain::Role;
use flowgraph::store::Store;
use serde_json::{Value, json};
use uuid::Uuid;

// Its own submodule: tests/browser includes this file too.
#[path = "../common/scratch_db.rs"]
mod scratch_db;
use scratch_db::ScratchDb;

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn name(app: TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use $crate::helpers::{spawn_app, Backend};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = spawn_app(Backend::Sqlite).await.expect("SQLite needs no set-up");
                super::$name(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match spawn_app(Backend::Postgres).await {
                    Some(app) => super::$name(app).await,
                    None => eprintln!("TEST_DATABASE_URL is not set: PostgreSQL run skipped"),
                }
            }
        }
    )+};
}

/// A client account and, optionally, the one engagement a token is restricted to.
#[derive(Debug, Clone, Copy)]
pub struct Tenant {
    pub client_account_id: Uuid,
    pub engagement_id: Uuid,
}

impl Tenant {
    pub fn new() -> Self {
        Tenant {
            client_account_id: Uuid::new_v4(),
            engagement_id: Uuid::new_v4(),
        }
    }
}

pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub http: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub settings: Settings,
    keys: JwtKeys,
    /// Shuts the server down when sent on (or dropped).
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// Dropped after the server is told to stop (fields drop in order).
    db: ScratchDb,
}

pub const SAMPLE_CSV: &str = include_str!("../fixtures/cmdb_sample.csv");
pub const SAMPLE_JSON: &str = include_str!("../fixtures/cmdb_sample.json");

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    // The servers' logs only with TEST_LOG set: tests that pass say nothing.
    if std::env::var_os("TEST_LOG").is_some() {
        flowgraph::telemetry::init();
    }
    let db = match backend {
        Backend::Sqlite => ScratchDb::sqlite("flowgraph-test"),
        Backend::Postgres => ScratchDb::postgres("flowgraph_test").await?,
    };
    let secret = JwtKeys::generate_secret();
    let mut settings = Settings::new(db.url().to_string());
    settings.addr = "127.0.0.1:0".into();
    settings.jwt_secret = Some(Secret::new(secret.clone()));
    adjust(&mut settings);
    let (base, store, stop) = start(&settings).await;
    Some(TestApp {
        backend,
        base,
        http: reqwest::Client::new(),
        store,
        keys: JwtKeys::new(secret.as_bytes()),
        settings,
        stop: Some(stop),
        db,
    })
}

/// Starts a server; dropping (or sending on) the returned sender shuts it down gracefully.
async fn start(settings: &Settings) -> (String, Arc<dyn Store>, tokio::sync::oneshot::Sender<()>) {
    let app = Application::build(settings).await.expect("the app builds");
    let base = format!("http://{}", app.local_addr());
    let store = app.store();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    (base, store, stop)
}

/// Another server process's worth of state on the same database: its own pool, bus, workers.
pub struct Replica {
    pub base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    /// A second server on the same database (PostgreSQL: another replica).
    pub async fn replica(&self, adjust: impl FnOnce(&mut Settings)) -> Replica {
        let mut settings = self.settings.clone();
        adjust(&mut settings);
        let (base, _, stop) = start(&settings).await;
        Replica { base, _stop: stop }
    }

    /// `id` as a literal for `raw_sql` (PostgreSQL stores uuids, SQLite 16-byte blobs).
    pub fn uuid_sql(&self, id: impl std::fmt::Display) -> String {
        let id = id.to_string();
        match self.backend {
            Backend::Postgres => format!("'{id}'::uuid"),
            Backend::Sqlite => format!("x'{}'", id.replace('-', "")),
        }
    }

    /// SQL on a connection of the test's own, for what no API may do (expire a lease, say).
    pub async fn raw_sql(&self, sql: &str) {
        self.db.execute(sql).await;
    }

    pub fn token(&self, tenant: Tenant, role: Role) -> String {
        self.token_for(tenant.client_account_id, Some(tenant.engagement_id), role)
    }

    pub fn token_for(&self, client_account_id: Uuid, engagement_id: Option<Uuid>, role: Role) -> String {
        let claims = Claims {
            sub: Uuid::new_v4(),
            client_account_id,
            engagement_id,
            role,
            exp: chrono::Utc::now().timestamp() + 3600,
        };
        self.keys.issue(&claims).unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GETs a JSON endpoint (`/ready`, say) without a token.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.http.get(self.url(path)).send().await.expect("the server answers");
        response.json().await.expect("a JSON response")
    }

    /// The websocket endpoint's URL.
    pub fn ws_url(&self) -> String {
        format!("{}/graphql/ws", self.base.replacen("http://", "ws://", 1))
    }

    /// One sample of `/metrics`, when it is there.
    pub async fn metric(&self, name: &str) -> Option<f64> {
        self.metrics_text()
            .await
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics_text(&self) -> String {
        let response = self
            .http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("the server answers");
        response.text().await.expect("a text response")
    }

    /// POSTs a GraphQL request; returns the whole JSON response.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_at(&self.base, token, query, variables).await
    }

    /// `gql` to the server at `base` (a replica's, say).
    pub async fn gql_at(&self, base: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(format!("{base}/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("a JSON response")
    }

    /// Like `gql`, but panics on errors and returns `data`.
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
        let response = self.gql(Some(token), query, variables).await;
        assert!(response.get("errors").is_none(), "unexpected errors: {response:#}");
        response["data"].clone()
    }

    /// executeFlow without waiting: the flow is RUNNING when it answers.
    pub async fn start_flow(&self, token: &str, id: &str) {
        let started = self
            .data(
                token,
                "mutation($id: ID!) { executeFlow(flowId: $id) { status } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(started["executeFlow"]["status"], "RUNNING", "{started}");
    }

    /// executeFlow with `wait`: the flow's status once the run stops (COMPLETED, or
    /// WAITING_FOR_APPROVAL, say).
    pub async fn run_flow(&self, token: &str, id: &str) -> Value {
        self.data(
            token,
            "mutation($id: ID!) { executeFlow(flowId: $id, wait: true) { status } }",
            json!({ "id": id }),
        )
        .await["executeFlow"]["status"]
            .clone()
    }

    /// Reads the flow's status until it is `status`; panics if it is not within `within`.
    pub async fn wait_for_status(&self, token: &str, id: &str, status: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let now = self
                .data(
                    token,
                    "query($id: ID!) { flow(id: $id) { status } }",
                    json!({ "id": id }),
                )
                .await["flow"]["status"]
                .clone();
            if now == status {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the flow is {now} after {within:?}, not {status}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn create_flow(&self, token: &str, input: Value) -> Value {
        self.data(
            token,
            "mutation($input: CreateFlowInput!) { createFlow(input: $input) { id flowId name status currentPhase version } }",
            json!({ "input": input }),
        )
        .await["createFlow"]
            .clone()
    }

    /// A discovery flow of the sample CSV.
    /// createFlow with a file uploaded as the GraphQL multipart request spec has it
    /// (operations, map, then the file part); the server's answer.
    pub async fn upload(&self, token: &str, file_name: &str, bytes: Vec<u8>) -> reqwest::Result<reqwest::Response> {
        let operations = json!({
            "query": "mutation($file: Upload!) { createFlow(input: { flowType: DISCOVERY, name: \"upload\", file: $file }) { id } }",
            "variables": { "file": null }
        });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()),
            );
        self.http
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
    }

    /// A discovery flow created from an uploaded file; its id.
    pub async fn upload_flow(&self, token: &str, file_name: &str, bytes: Vec<u8>) -> String {
        let response: Value = self
            .upload(token, file_name, bytes)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        response["data"]["createFlow"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{response:#}"))
            .to_string()
    }

    pub async fn sample_flow(&self, token: &str) -> String {
        let flow = self
            .create_flow(
                token,
                json!({ "flowType": "DISCOVERY", "name": "sample", "csv": SAMPLE_CSV }),
            )
            .await;
        flow["id"].as_str().unwrap().to_string()
    }
}

/// The `extensions.code` of the first error, or a panic that shows the response.
/// The nodes of a connection (`{ edges { node { … } } }`).
pub fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// A text value in lower case, as truths name assets.
pub fn lower(value: &Value) -> String {
    value.as_str().unwrap().to_lowercase()
}

/// Every (asset, dependency target) pair of asset nodes that carry `name` and
/// `dependencies { target { name } }`, in lower case.
pub fn dependency_edges(assets: &[Value]) -> std::collections::BTreeSet<(String, String)> {
    assets
        .iter()
        .flat_map(|a| {
            a["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| (lower(&a["name"]), lower(&d["target"]["name"])))
        })
        .collect()
}

pub fn error_code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error: {response:#}"))
}
