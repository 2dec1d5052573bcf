//! POST /graphql: JSON or multipart (the GraphQL multipart request spec), size-limited, with the
//! caller's authentication attached to the request.

use async_graphql::http::{MultipartOptions, receive_batch_body};
use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_axum::GraphQLResponse;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, TryStreamExt};

use super::AppState;
use crate::auth::Authentication;
use crate::error::error_body;
use crate::graphql::{check_breadth, loaders, tag_uncoded_errors};

/// The operation's name (given, or written after `query`/`mutation`), else the first root field
/// of an anonymous operation: the `operation` label of the request metrics.
fn operation_name(request: &async_graphql::Request) -> String {
    if let Some(name) = &request.operation_name {
        return name.clone();
    }
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (head, body) = request.query.split_once('{').unwrap_or((&request.query, ""));
    let head = words(head.split('(').next().unwrap_or_default());
    match head.as_slice() {
        [kind, name, ..] if ["query", "mutation", "subscription"].contains(&kind.as_str()) => name.clone(),
        _ => words(body).into_iter().next().unwrap_or_else(|| "anonymous".into()),
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(error_body(message, "BAD_USER_INPUT"))).into_response()
}

pub async fn execute(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let limit = state.max_body_bytes;
    let too_large = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body is larger than {limit} bytes"),
        )
    };
    // Refuse on the declared length before reading a byte; `to_bytes` also stops at the limit.
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
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let options = MultipartOptions::default().max_file_size(limit).max_num_files(1);
    let batch = match receive_batch_body(content_type, body, options).await {
        Ok(batch) => batch,
        Err(_) if over.load(Ordering::Relaxed) => return too_large(),
        Err(err) => return refuse(StatusCode::BAD_REQUEST, &format!("unreadable GraphQL request: {err}")),
    };
    let requests: Vec<&async_graphql::Request> = match &batch {
        BatchRequest::Single(one) => vec![one],
        BatchRequest::Batch(all) => all.iter().collect(),
    };
    if requests.len() > state.limits.max_root_fields {
        return refuse(StatusCode::BAD_REQUEST, "too many operations in one batch");
    }
    if let Some(why) = requests
        .iter()
        .find_map(|r| check_breadth(&r.query, &state.limits).err())
    {
        return refuse(StatusCode::BAD_REQUEST, &why);
    }
    let operations: Vec<String> = requests.iter().map(|r| operation_name(r)).collect();
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let authentication = state.keys.authenticate(authorization);
    let batch = match &authentication {
        // Loaders are per request and per caller: nothing is cached across users or tenants.
        Authentication::Authenticated(ctx) => batch.data(loaders(state.orchestrator.clone(), ctx.clone())),
        _ => batch,
    };
    let batch = batch.data(authentication);
    let clock = std::time::Instant::now();
    let mut response = state.schema.execute_batch(batch).await;
    let seconds = clock.elapsed().as_secs_f64();
    let responses: Vec<&mut async_graphql::Response> = match &mut response {
        BatchResponse::Single(single) => vec![single],
        BatchResponse::Batch(all) => all.iter_mut().collect(),
    };
    for (response, operation) in responses.into_iter().zip(&operations) {
        tag_uncoded_errors(response);
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
    }
    GraphQLResponse::from(response).into_response()
}
