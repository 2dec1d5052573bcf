//! Hostile requests are refused up front: depth, breadth, aliases, subscriptions per socket;
//! production mode hides the schema and the playground; CORS only for configured origins.

use std::time::Duration;

use flowgraph::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{Backend, Tenant, TestApp, error_code, spawn_app_with};
use crate::on_both_databases;
use crate::ws_client::Received;

async fn hostile_queries_are_refused(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Viewer);
    // Deeper than the limit: asset → flow → asset pages, over and over.
    let mut deep = String::from("id");
    for _ in 0..12 {
        deep = format!("masterFlow {{ childFlows {{ {deep} }} }}");
    }
    let response = app
        .gql(
            Some(&token),
            &format!("{{ flows {{ edges {{ node {{ {deep} }} }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response:#}");

    let aliases: String = (0..60).map(|i| format!("a{i}: agents {{ name }} ")).collect();
    let flood = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": format!("{{ {aliases} }}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(flood.status(), 400);
    let body: Value = flood.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"].as_str().unwrap().contains("root fields"),
        "{body}"
    );

    let aliased: String = (0..60).map(|i| format!("n{i}: name ")).collect();
    let response = app
        .gql(Some(&token), &format!("{{ agents {{ {aliased} }} }}"), json!({}))
        .await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
    assert!(response["errors"][0]["message"].as_str().unwrap().contains("aliases"));

    // The real queries still pass.
    app.data(&token, "{ flows(first: 20) { edges { node { assets(first: 50) { edges { node { dependencies { target { name } } techDebt { severity } } } } } } } }", json!({})).await;
}

async fn subscriptions_per_socket_are_capped(app: TestApp) {
    let _ = app;
    let Some(app) = spawn_app_with(Backend::Sqlite, |s| s.limits.max_subscriptions_per_connection = 2).await else {
        return;
    };
    let token = app.token(Tenant::new(), Role::Viewer);
    let flows = "subscription { flowUpdates { flowId } }";
    let mut ws = app.subscribe(&token, "1", flows, json!({})).await;
    for id in ["2", "3"] {
        ws.subscribe(id, flows, json!({})).await;
    }
    loop {
        match ws.next(Duration::from_secs(10)).await {
            Received::Closed(code) => {
                assert_eq!(code, Some(4429));
                break;
            }
            Received::Nothing => panic!("the third subscription was not refused"),
            _ => continue,
        }
    }
}

on_both_databases!(hostile_queries_are_refused, subscriptions_per_socket_are_capped);

#[tokio::test]
async fn production_hides_the_schema_and_needs_a_secret() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.production = true;
        s.limits.introspection = false;
        s.limits.playground = false;
    })
    .await
    .unwrap();
    let token = app.token(Tenant::new(), Role::Viewer);
    let introspection = app
        .gql(Some(&token), "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(introspection["data"]["__schema"].is_null(), "{introspection}");
    assert_eq!(app.http.get(app.url("/playground")).send().await.unwrap().status(), 404);
    assert_eq!(app.http.get(app.url("/graphql")).send().await.unwrap().status(), 404);
    // The console stays: a static page that only calls the public API.
    assert_eq!(app.http.get(app.url("/console")).send().await.unwrap().status(), 200);
    assert_eq!(
        app.data(&token, "{ flows { totalCount } }", json!({})).await["flows"]["totalCount"],
        0
    );

    let mut settings = app.settings.clone();
    settings.jwt_secret = None;
    let refused = flowgraph::app::Application::build(&settings).await;
    assert!(refused.err().unwrap().to_string().contains("FLOWGRAPH_JWT_SECRET"));
}

/// Each page's switch turns off every URL of that page (its files too, hashed or not), and only
/// that page; GET /graphql goes with the playground.
#[tokio::test]
async fn the_page_switches_turn_off_their_pages_alone() {
    let console = [
        "/console",
        "/console/",
        "/console/index.html",
        "/console/assets/app.js",
        "/console/assets/cytoscape.min.js?v=0123456789abcdef",
    ];
    let playground = [
        "/playground",
        "/playground/index.html",
        "/playground/assets/app.js",
        "/playground/assets/graphiql.min.js?v=0123456789abcdef",
        "/graphql",
    ];
    for (off, on) in [(&console, &playground), (&playground, &console)] {
        let app = spawn_app_with(Backend::Sqlite, |s| {
            s.limits.console = off[0] != "/console";
            s.limits.playground = off[0] != "/playground";
        })
        .await
        .unwrap();
        for (paths, status) in [(off, 404), (on, 200)] {
            for path in paths {
                assert_eq!(
                    app.http.get(app.url(path)).send().await.unwrap().status(),
                    status,
                    "{path} with {} off",
                    off[0]
                );
            }
        }
    }
}

#[tokio::test]
async fn cors_admits_only_configured_origins() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.limits.cors_origins = vec!["https://dashboard.example.com".into()]
    })
    .await
    .unwrap();
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "authorization,content-type")
            .send()
    };
    let allowed = preflight("https://dashboard.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://dashboard.example.com"
    );
    let other = preflight("https://evil.example.com").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

/// With one turn for queries: a query that waits on the database holds the turn, the next queries
/// wait for it (over HTTP and over the websocket alike, counted on /metrics), and a mutation goes
/// straight past them. PostgreSQL only: a
/// table lock is how the test makes a read wait (SQLite's readers never wait for a writer).
#[tokio::test]
async fn queries_take_turns_and_mutations_go_straight_in() {
    use sqlx::Connection;

    let Some(app) = spawn_app_with(Backend::Postgres, |s| {
        s.limits.max_concurrent_queries = 1;
        s.workers.workers = 0;
    })
    .await
    else {
        return;
    };
    let token = app.token(Tenant::new(), Role::Analyst);
    let mut lock = sqlx::PgConnection::connect(&app.settings.database_url).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE assets IN ACCESS EXCLUSIVE MODE")
        .execute(&mut lock)
        .await
        .unwrap();
    let waiting = || async {
        app.metric("flowgraph_graphql_queries_waiting")
            .await
            .expect("the gauge is exported")
    };
    let waiting_reaches = |count: f64| async move {
        for _ in 0..250 {
            if waiting().await == count {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(waiting().await, count);
    };
    let first = app.gql(
        Some(&token),
        "query($id: ID!) { asset(id: $id) { name } }",
        json!({ "id": uuid::Uuid::new_v4() }),
    );
    let second = app.gql(Some(&token), "{ flows { totalCount } }", json!({}));
    let meanwhile = async {
        // The first query holds the turn once PostgreSQL has it waiting for the lock… (watched
        // from a connection of its own: in a transaction, pg_stat_activity is one snapshot)
        let mut watch = sqlx::PgConnection::connect(&app.settings.database_url).await.unwrap();
        let mut blocked = false;
        for _ in 0..500 {
            let locked: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&mut watch)
            .await
            .unwrap();
            if locked == 1 {
                blocked = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(blocked, "the first query never reached the locked table");
        // …so the second waits for its turn, and so does one sent over the websocket…
        waiting_reaches(1.0).await;
        let ws = app.subscribe(&token, "q", "{ flows { totalCount } }", json!({})).await;
        waiting_reaches(2.0).await;
        // …while a mutation does not.
        let created = app
            .data(
                &token,
                "mutation($csv: String) { createFlow(input: { flowType: DISCOVERY, name: \"meanwhile\", csv: $csv }) { id } }",
                json!({ "csv": "name,ip_address\nweb01,10.0.0.1\n" }),
            )
            .await;
        assert!(created["createFlow"]["id"].is_string());
        assert_eq!(waiting().await, 2.0);
        sqlx::raw_sql("COMMIT").execute(&mut lock).await.unwrap();
        ws
    };
    let (first, second, mut ws) = tokio::join!(
        first,
        async {
            // Sent once the first query holds the turn.
            tokio::time::sleep(Duration::from_millis(100)).await;
            second.await
        },
        meanwhile
    );
    // An unknown id: the answer the first query gets once it can read.
    assert_eq!(error_code(&first), "NOT_FOUND", "{first}");
    // The waiting queries ran after the mutation, which came after them.
    assert_eq!(second, json!({ "data": { "flows": { "totalCount": 1 } } }));
    assert_eq!(
        ws.until_complete("q", Duration::from_secs(10)).await,
        vec![json!({ "flows": { "totalCount": 1 } })]
    );
    assert_eq!(waiting().await, 0.0);
}
