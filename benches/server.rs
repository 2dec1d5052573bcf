//! The server under test: the real server in this process on a free port, on a fresh SQLite file
//! or PostgreSQL database of its own, and a client with an admin token for it.

use flowgraph::app::Application;
use flowgraph::auth::{Claims, JwtKeys};
use flowgraph::config::{Secret, Settings};
use flowgraph::domain::Role;
use serde_json::{Value, json};
use sqlx::Connection;
use uuid::Uuid;

pub struct Server {
    pub base: String,
    pub token: String,
    pub store: std::sync::Arc<dyn flowgraph::store::Store>,
    pub http: reqwest::Client,
    cleanup: Option<(String, String)>,
    _stop: tokio::sync::oneshot::Sender<()>,
    pub label: &'static str,
    pub url: String,
    /// The token's tenant, for the plain-axum ceiling that calls the store directly.
    pub scope: flowgraph::store::TenantScope,
    /// The JWT secret, for a server process on the same database.
    pub secret: String,
}

impl Server {
    pub async fn start(label: &'static str) -> Option<Server> {
        let (url, cleanup) = fresh_database(label).await?;
        let secret = JwtKeys::generate_secret();
        let mut settings = Settings::new(url.clone());
        settings.addr = "127.0.0.1:0".into();
        settings.jwt_secret = Some(Secret::new(secret.clone()));
        settings.max_body_bytes = 256 * 1024 * 1024;
        let app = Application::build(&settings).await.expect("the server starts");
        let base = format!("http://{}", app.local_addr());
        let store = app.store();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        let claims = Claims {
            sub: Uuid::new_v4(),
            client_account_id: Uuid::new_v4(),
            engagement_id: Some(Uuid::new_v4()),
            role: Role::Admin,
            exp: chrono::Utc::now().timestamp() + 86_400,
        };
        let token = JwtKeys::new(secret.as_bytes()).issue(&claims).unwrap();
        let scope = flowgraph::store::TenantScope {
            client_account_id: claims.client_account_id,
            engagement_id: claims.engagement_id,
        };
        Some(Server {
            base,
            token,
            store,
            http: reqwest::Client::new(),
            cleanup,
            _stop: stop,
            label,
            url,
            scope,
            secret,
        })
    }

    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_at(&self.base, query, variables).await
    }

    /// A GraphQL request with this server's token to the server at `base`: its data.
    pub async fn gql_at(&self, base: &str, query: &str, variables: Value) -> Value {
        let response: Value = self
            .http
            .post(format!("{base}/graphql"))
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(response.get("errors").is_none(), "{response}");
        response["data"].clone()
    }

    pub async fn create(&self, csv: &str) -> String {
        let data = self
            .gql("mutation($csv: String) { createFlow(input: { flowType: DISCOVERY, name: \"bench\", csv: $csv }) { id } }", json!({ "csv": csv }))
            .await;
        data["createFlow"]["id"].as_str().unwrap().to_string()
    }

    pub async fn drop_database(self) {
        drop_database(&self.url, self.cleanup.as_ref()).await;
    }
}

/// A new SQLite file or PostgreSQL database for `label`: its URL, and (PostgreSQL) the admin
/// URL and name to drop it with.
pub async fn fresh_database(label: &str) -> Option<(String, Option<(String, String)>)> {
    if label == "sqlite" {
        let path = std::env::temp_dir().join(format!("fg-bench-{}.db", Uuid::new_v4().simple()));
        return Some((format!("sqlite://{}", path.display()), None));
    }
    let admin = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok()?;
    let name = format!("flowgraph_bench_{}", Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .ok()?;
    let (server, _) = admin.rsplit_once('/')?;
    Some((format!("{server}/{name}"), Some((admin.clone(), name))))
}

pub async fn drop_database(url: &str, cleanup: Option<&(String, String)>) {
    if let Some((admin, name)) = cleanup
        && let Ok(mut conn) = sqlx::PgConnection::connect(admin).await
    {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
}
