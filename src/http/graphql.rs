//! POST /graphql: JSON or multipart (the GraphQL multipart request spec), size-limited, with the
//! caller's authentication attached to the request.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::http::{MultipartOptions, receive_batch_body};
use async_graphql::parser::types::{ExecutableDocument, OperationDefinition, OperationType, Selection};
use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_axum::GraphQLResponse;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, TryStreamExt};
use tracing::{Instrument, Span};
use uuid::Uuid;

use super::AppState;
use crate::auth::Authentication;
use crate::error::error_body;
use crate::graphql::{LoadQueue, check_breadth, chosen_operation, drive, loaders, tag_uncoded_errors};
use crate::metrics::{ANONYMOUS_OPERATION, sanitize_operation};

/// The operation a request runs (the one it names, else the first written), read from the
/// document `check_breadth` parsed anyway: its type, and its name, else its first root field. The
/// name is the `operation` label of the request metrics; both name its span.
fn operation(
    request: &async_graphql::Request,
    document: Option<&ExecutableDocument>,
) -> (Option<OperationType>, String) {
    let chosen = document.and_then(|d| chosen_operation(d, request.operation_name.as_deref()));
    let root_field = |operation: &OperationDefinition| {
        operation
            .selection_set
            .node
            .items
            .iter()
            .find_map(|item| match &item.node {
                Selection::Field(field) => Some(field.node.name.node.to_string()),
                _ => None,
            })
    };
    let name = request.operation_name.clone().or_else(|| match chosen? {
        (Some(name), _) => Some(name.to_string()),
        (None, operation) => root_field(&operation.node),
    });
    (
        chosen.map(|(_, operation)| operation.node.ty),
        name.unwrap_or_else(|| ANONYMOUS_OPERATION.into()),
    )
}

/// One span per operation, carrying the tenant and, when the operation names one in its
/// `flowId` (or `id`) variable, the flow, linked to the flow's trace (see
/// [`crate::telemetry::join_flow_trace`]).
/// Named as OpenTelemetry's GraphQL conventions say: `{type} {name}` (`mutation createFlow`).
fn operation_span(
    request: &async_graphql::Request,
    kind: Option<OperationType>,
    name: &str,
    tenant: Option<Uuid>,
) -> Span {
    let kind = kind.map_or_else(|| "graphql".to_string(), |kind| kind.to_string());
    let span = tracing::info_span!(
        "graphql_operation",
        otel.name = %format_args!("{kind} {name}"),
        graphql.operation.name = %name,
        graphql.operation.type = %kind,
        client_account_id = tracing::field::Empty,
        flow_id = tracing::field::Empty,
        graphql.outcome = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    if let Some(tenant) = tenant {
        span.record("client_account_id", tracing::field::display(tenant));
    }
    let variable = ["flowId", "id"]
        .into_iter()
        .find_map(|name| request.variables.get(name));
    if let Some(async_graphql::Value::String(id)) = variable
        && let Ok(flow) = id.parse()
    {
        record_flow(&span, flow);
    }
    span
}

fn record_flow(span: &Span, flow: Uuid) {
    span.record("flow_id", tracing::field::display(flow));
    crate::telemetry::link_flow_trace(span, flow);
}

/// The id `createFlow` answered with: the flow a trace search should find this request under.
fn created_flow(response: &async_graphql::Response) -> Option<Uuid> {
    let async_graphql::Value::Object(data) = &response.data else {
        return None;
    };
    let async_graphql::Value::Object(flow) = data.get("createFlow")? else {
        return None;
    };
    match flow.get("id")? {
        async_graphql::Value::String(id) => id.parse().ok(),
        _ => None,
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(error_body(message, "BAD_USER_INPUT"))).into_response()
}

pub async fn execute(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    // A JSON body is parsed in memory; a multipart upload's file streams to disk.
    let multipart = content_type.is_some_and(|t| t.starts_with("multipart/"));
    let limit = if multipart {
        state.max_upload_bytes
    } else {
        state.max_body_bytes
    };
    // The rest of the body stays unread, so the connection cannot carry another request:
    // `Connection: close` tells the client not to reuse it.
    let too_large = || {
        let mut response = refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body is larger than {limit} bytes"),
        );
        response
            .headers_mut()
            .insert(header::CONNECTION, header::HeaderValue::from_static("close"));
        response
    };
    // Refuse on the declared length before reading a byte; the stream below stops at the limit.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return too_large();
    }
    // The body streams into the parser: a multipart upload's file goes to a temporary file
    // as it arrives instead of sitting whole in memory. Past the limit the stream fails.
    let over = Arc::new(AtomicBool::new(false));
    let body = {
        let (over, mut read) = (over.clone(), 0usize);
        body.into_data_stream()
            .map(move |chunk| {
                let chunk = chunk.map_err(std::io::Error::other)?;
                read += chunk.len();
                if read > limit {
                    over.store(true, Ordering::Relaxed);
                    return Err(std::io::Error::other("the request body is too large"));
                }
                Ok(chunk)
            })
            .into_async_read()
    };
    let options = MultipartOptions::default().max_file_size(limit).max_num_files(1);
    let batch = match receive_batch_body(content_type, body, options).await {
        Ok(batch) => batch,
        Err(_) if over.load(Ordering::Relaxed) => return too_large(),
        Err(err) => return refuse(StatusCode::BAD_REQUEST, &format!("unreadable GraphQL request: {err}")),
    };
    let mut batch = batch;
    let requests: Vec<&mut async_graphql::Request> = match &mut batch {
        BatchRequest::Single(one) => vec![one],
        BatchRequest::Batch(all) => all.iter_mut().collect(),
    };
    if requests.len() > state.limits.max_root_fields {
        return refuse(StatusCode::BAD_REQUEST, "too many operations in one batch");
    }
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let authentication = state.keys.authenticate(authorization);
    let tenant = match &authentication {
        Authentication::Authenticated(ctx) => Some(ctx.client_account_id),
        _ => None,
    };
    let mut operations = Vec::with_capacity(requests.len());
    let mut kinds = Vec::with_capacity(requests.len());
    let mut spans = Vec::with_capacity(requests.len());
    for request in requests {
        // A document that does not parse is left to the executor's error.
        let document = async_graphql::parser::parse_query(&request.query).ok();
        if let Some(Err(why)) = document.as_ref().map(|d| check_breadth(d, &state.limits)) {
            return refuse(StatusCode::BAD_REQUEST, &why);
        }
        let (kind, name) = operation(request, document.as_ref());
        // Client-supplied: bounded once, for the metric label and the span name alike.
        let name = sanitize_operation(&name).into_owned();
        spans.push(operation_span(request, kind, &name, tenant));
        operations.push(name);
        kinds.push(kind);
        // Parsed once: the executor takes this document instead of parsing the text again.
        if let Some(document) = document {
            request.set_parsed_query(document);
        }
    }
    let queue = LoadQueue::default();
    let batch = match &authentication {
        // Loaders are per request and per caller: nothing is cached across users or tenants.
        Authentication::Authenticated(ctx) => batch.data(loaders(state.orchestrator.clone(), ctx.clone(), &queue)),
        _ => batch,
    };
    let batch = batch.data(authentication);
    // The request's duration includes its wait for a turn: that is what the client waited.
    let clock = std::time::Instant::now();
    let _turn = state.queries.admit(&kinds).await;
    // What `execute_batch` does, with each operation in its own span.
    let execute = |request| drive(&queue, state.schema.execute(request));
    let mut response = match batch {
        BatchRequest::Single(one) => BatchResponse::Single(execute(one).instrument(spans[0].clone()).await),
        BatchRequest::Batch(all) => {
            let mut responses = Vec::with_capacity(all.len());
            for (request, span) in all.into_iter().zip(&spans) {
                responses.push(execute(request).instrument(span.clone()).await);
            }
            BatchResponse::Batch(responses)
        }
    };
    let seconds = clock.elapsed().as_secs_f64();
    let responses: Vec<&mut async_graphql::Response> = match &mut response {
        BatchResponse::Single(single) => vec![single],
        BatchResponse::Batch(all) => all.iter_mut().collect(),
    };
    for ((response, operation), span) in responses.into_iter().zip(&operations).zip(&spans) {
        tag_uncoded_errors(response);
        if let Some(created) = created_flow(response) {
            record_flow(span, created);
        }
        let outcome = response
            .errors
            .first()
            .and_then(|e| e.extensions.as_ref()?.get("code").cloned());
        let outcome = match outcome {
            None => "ok".to_string(),
            Some(async_graphql::Value::String(code)) => code.to_lowercase(),
            Some(_) => "error".to_string(),
        };
        state.metrics.observe_request(operation, &outcome, seconds);
        // The same outcome on the span; a failed operation shows as an error in trace views.
        span.record("graphql.outcome", outcome.as_str());
        if outcome != "ok" {
            span.record("otel.status_code", "ERROR");
        }
    }
    GraphQLResponse::from(response).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(query: &str, name: Option<&str>) -> String {
        let mut request = async_graphql::Request::new(query);
        request.operation_name = name.map(str::to_string);
        let document = async_graphql::parser::parse_query(query).ok();
        match operation(&request, document.as_ref()) {
            (Some(kind), name) => format!("{kind} {name}"),
            (None, name) => name,
        }
    }

    #[test]
    fn operations_come_from_the_parsed_document() {
        let two = "query A { flows { totalCount } } mutation B { deleteFlow(flowId: 1) }";
        assert_eq!(label(two, Some("B")), "mutation B");
        assert_eq!(label(two, None), "query A");
        assert_eq!(
            label("mutation Run($id: ID!) { executeFlow(flowId: $id) { status } }", None),
            "mutation Run"
        );
        assert_eq!(
            label("# Flow\nquery Listing { flows { totalCount } }", None),
            "query Listing"
        );
        assert_eq!(
            label("fragment F on Flow { id } query Q { flow(id: 1) { ...F } }", None),
            "query Q"
        );
        assert_eq!(
            label("{ mine: flows { totalCount } agents { name } }", None),
            "query flows"
        );
        assert_eq!(
            label("subscription { flowUpdates { flowId } }", None),
            "subscription flowUpdates"
        );
        assert_eq!(label("query { flows( {", None), ANONYMOUS_OPERATION);
        assert_eq!(label("query { flows( {", Some("Mine")), "Mine");
    }
}
