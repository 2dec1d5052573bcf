//! Logs and traces. Logs: `RUST_LOG` filters (default `info,sqlx=warn`), `FLOWGRAPH_LOG_FORMAT=json`
//! for machine-read logs. Traces: only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (for example
//! `http://localhost:4318`), spans are also exported over OTLP/HTTP with protobuf; the exporter
//! reads the other standard `OTEL_EXPORTER_OTLP_*` variables, and `OTEL_SERVICE_NAME` overrides the
//! service name `flowgraph`. `RUST_LOG` does not filter traces: they get every `info` span, as the
//! operator who switched them on expects, without sqlx's per-statement events.

use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider as _,
};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Level;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, Layer};
use uuid::Uuid;

/// Holds the trace exporter, if any: keep it alive while the process works; dropping it sends
/// the spans still buffered (the global subscriber's tracer alone would never let it go).
pub struct Telemetry(Option<SdkTracerProvider>);

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.0.take()
            && let Err(err) = provider.shutdown()
        {
            eprintln!("flushing traces at shutdown failed: {err}");
        }
    }
}

/// Installs the global subscriber: logs to stderr, and OTLP trace export when configured.
pub fn init() -> Telemetry {
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_ok_and(|e| !e.is_empty());
    let exporter = endpoint.then(|| opentelemetry_otlp::SpanExporter::builder().with_http().build());
    let provider = match exporter {
        Some(Ok(exporter)) => Some(
            SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(resource())
                .build(),
        ),
        Some(Err(err)) => {
            eprintln!("OTEL_EXPORTER_OTLP_ENDPOINT is set but the OTLP exporter failed: {err}; traces are off");
            None
        }
        None => None,
    };
    init_with(provider)
}

/// [`init`] with a tracer provider of the caller's (tests export to memory).
pub fn init_with(provider: Option<SdkTracerProvider>) -> Telemetry {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs = if std::env::var("FLOWGRAPH_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().boxed()
    } else {
        logs.boxed()
    };
    let traces = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("flowgraph"))
            .with_filter(
                Targets::new()
                    .with_default(Level::INFO)
                    .with_target("sqlx", Level::WARN),
            )
    });
    // try_init: tests start many servers in one process.
    let _ = tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .with(traces)
        .try_init();
    Telemetry(provider)
}

/// `service.name` is `flowgraph` unless `OTEL_SERVICE_NAME` says otherwise (the SDK's default
/// resource reads it and `OTEL_RESOURCE_ATTRIBUTES`).
fn resource() -> Resource {
    let builder = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_some() {
        builder.build()
    } else {
        builder.with_service_name("flowgraph").build()
    }
}

/// The span context standing for a whole flow: its trace id is the flow's UUID, so an operator
/// opens one flow's trace by pasting its id (without dashes) into Jaeger or Tempo, and the span id
/// is derived from it too, so every phase run of the flow, on any replica, has the same parent.
/// That parent is never exported itself; trace views show the phase runs as its children.
fn flow_trace(flow_id: Uuid) -> SpanContext {
    let bytes = flow_id.as_bytes();
    let mut span_id = [0; 8];
    span_id.copy_from_slice(&bytes[8..]);
    SpanContext::new(
        TraceId::from_bytes(*bytes),
        SpanId::from_bytes(span_id),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    )
}

/// Puts `span` (a phase run's) in the flow's trace; a no-op when traces are off.
pub fn join_flow_trace(span: &tracing::Span, flow_id: Uuid) {
    let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(flow_trace(flow_id)));
}

/// Links `span` (a GraphQL operation's, in the request's own trace) to the flow's trace.
pub fn link_flow_trace(span: &tracing::Span, flow_id: Uuid) {
    span.add_link(flow_trace(flow_id));
}
