//! OpenTelemetry traces: a discovery flow run through the real server (SQLite) with the layer
//! `telemetry` installs, exporting to the SDK's in-memory exporter. Its own test binary, because
//! the subscriber is process-global.

use flowgraph::app::Application;
use flowgraph::auth::{Claims, JwtKeys};
use flowgraph::config::{Secret, Settings};
use flowgraph::domain::{FlowType, Role};
use opentelemetry::trace::{SpanId, Status, TraceId};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::json;
use uuid::Uuid;

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv: &&KeyValue| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn carries(span: &SpanData, flow: Uuid, tenant: Uuid) -> bool {
    attribute(span, "flow_id") == Some(&Value::from(flow.to_string()))
        && attribute(span, "client_account_id") == Some(&Value::from(tenant.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_flow_is_one_trace_of_phases_and_agent_tasks_linked_from_its_operations() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let telemetry = flowgraph::telemetry::init_with(Some(provider));

    let path = std::env::temp_dir().join(format!("flowgraph-traces-{}.db", Uuid::new_v4().simple()));
    let mut settings = Settings::new(format!("sqlite://{}", path.display()));
    settings.addr = "127.0.0.1:0".into();
    let secret = JwtKeys::generate_secret();
    settings.jwt_secret = Some(Secret::new(secret.clone()));
    let app = Application::build(&settings).await.expect("the app builds");
    let url = format!("http://{}/graphql", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));

    let tenant = Uuid::new_v4();
    let claims = Claims {
        sub: Uuid::new_v4(),
        client_account_id: tenant,
        engagement_id: Some(Uuid::new_v4()),
        role: Role::Analyst,
        exp: chrono::Utc::now().timestamp() + 600,
    };
    let token = JwtKeys::new(secret.as_bytes()).issue(&claims).unwrap();
    let http = reqwest::Client::new();
    let gql = |query: &'static str, variables: serde_json::Value| {
        let request = http
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({ "query": query, "variables": variables }));
        async move {
            let response: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
            response
        }
    };
    let csv = include_str!("fixtures/cmdb_sample.csv");
    let created = gql(
        "mutation Create($csv: String!) { createFlow(input: { flowType: DISCOVERY, name: \"traced\", csv: $csv }) { id } }",
        json!({ "csv": csv }),
    )
    .await;
    let flow: Uuid = created["data"]["createFlow"]["id"].as_str().unwrap().parse().unwrap();
    let done = gql(
        "mutation Run($flowId: ID!) { executeFlow(flowId: $flowId, wait: true) { status } }",
        json!({ "flowId": flow }),
    )
    .await;
    assert_eq!(done["data"]["executeFlow"]["status"], "COMPLETED", "{done:#}");
    let refused = gql(
        "mutation Pause($flowId: ID!) { pauseFlow(flowId: $flowId) { status } }",
        json!({ "flowId": flow }),
    )
    .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "CONFLICT", "{refused:#}");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    let _ = std::fs::remove_file(&path);
    // Before the provider shuts down: the in-memory exporter forgets everything then.
    let spans = exporter.get_finished_spans().unwrap();
    drop(telemetry);
    let named = |name: &str| -> Vec<&SpanData> { spans.iter().filter(|s| s.name == name).collect() };
    let flow_trace = TraceId::from_bytes(*flow.as_bytes());

    // The operations: in their requests' traces, carrying the flow and tenant, linked to the flow's trace.
    for operation in ["mutation Create", "mutation Run"] {
        let found = named(operation);
        assert_eq!(
            found.len(),
            1,
            "{operation}: {:#?}",
            spans.iter().map(|s| &s.name).collect::<Vec<_>>()
        );
        let span = found[0];
        assert!(carries(span, flow, tenant), "{span:#?}");
        assert_eq!(attribute(span, "graphql.outcome"), Some(&Value::from("ok")));
        assert_ne!(span.span_context.trace_id(), flow_trace);
        assert!(
            span.links.iter().any(|l| l.span_context.trace_id() == flow_trace),
            "{span:#?}"
        );
    }

    // A refused operation is an error span, with the same outcome as its metric.
    let pause = named("mutation Pause");
    assert_eq!(attribute(pause[0], "graphql.outcome"), Some(&Value::from("conflict")));
    assert!(matches!(pause[0].status, Status::Error { .. }), "{:#?}", pause[0]);

    // Every phase run: in the flow's trace, carrying the flow and tenant.
    let mut phase_spans: Vec<SpanId> = Vec::new();
    for phase in FlowType::Discovery.phases() {
        let found = named(&format!("phase {}", phase.as_str()));
        assert_eq!(found.len(), 1, "phase {phase:?}");
        assert_eq!(found[0].span_context.trace_id(), flow_trace);
        assert!(carries(found[0], flow, tenant), "{:#?}", found[0]);
        assert_eq!(attribute(found[0], "outcome"), Some(&Value::from("completed")));
        phase_spans.push(found[0].span_context.span_id());
    }

    // Every agent task: under its phase's span, carrying the flow and tenant.
    let agents: Vec<&SpanData> = spans.iter().filter(|s| s.name.starts_with("agent ")).collect();
    assert!(agents.len() >= 6 * 2, "{} agent task spans", agents.len());
    for span in agents {
        assert_eq!(span.span_context.trace_id(), flow_trace, "{span:#?}");
        assert!(phase_spans.contains(&span.parent_span_id), "{span:#?}");
        assert!(carries(span, flow, tenant), "{span:#?}");
    }
}
