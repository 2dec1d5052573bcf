//! POST /graphql: JSON or multipart (the GraphQL multipart request spec), size-limited, with the
//! caller's authentication attached to the request.

use async_graphql::http::{MultipartOptions, receive_batch_body};
use async_graphql_axum::GraphQLResponse;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::auth::Authentication;
use crate::error::error_body;
use crate::graphql::{loaders, tag_uncoded_errors};

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
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return too_large();
    };

    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let options = MultipartOptions::default().max_file_size(limit).max_num_files(1);
    let batch = match receive_batch_body(content_type, &bytes[..], options).await {
        Ok(batch) => batch,
        Err(err) => return refuse(StatusCode::BAD_REQUEST, &format!("unreadable GraphQL request: {err}")),
    };
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let authentication = state.keys.authenticate(authorization);
    let batch = match &authentication {
        // Loaders are per request and per caller: nothing is cached across users or tenants.
        Authentication::Authenticated(ctx) => batch.data(loaders(state.orchestrator.clone(), ctx.clone())),
        _ => batch,
    };
    let batch = batch.data(authentication);
    let mut response = state.schema.execute_batch(batch).await;
    match &mut response {
        async_graphql::BatchResponse::Single(single) => tag_uncoded_errors(single),
        async_graphql::BatchResponse::Batch(all) => all.iter_mut().for_each(tag_uncoded_errors),
    }
    GraphQLResponse::from(response).into_response()
}
