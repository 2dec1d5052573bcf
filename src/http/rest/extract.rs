//! The REST layer's error body and extractors. Every refusal, axum's own rejections included,
//! answers `{ "error": { "code", "message" } }` with the status `AppError` gives.

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::error::AppError;
use crate::http::AppState;

/// An error as REST clients get it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        AppError::bad_input(message).into()
    }

    fn too_large(limit: usize) -> Self {
        ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "BAD_USER_INPUT",
            message: format!("the request body is larger than {limit} bytes"),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        if let AppError::Internal(source) = &err {
            // The client gets a generic message; the cause chain goes to the log.
            tracing::error!(error = ?source, "internal error");
        }
        ApiError {
            status: err.status(),
            code: err.code(),
            message: err.message().to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "error": { "code": self.code, "message": self.message } }));
        let mut response = (self.status, body).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The caller of a route that needs `Authorization: Bearer <token>`; 401 otherwise.
pub struct Caller(pub RequestContext);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let authentication = state.keys.authenticate(header);
        Ok(Caller(authentication.context()?.clone()))
    }
}

/// The `{flow_id}` of the path, a UUID; anything else is 400.
pub struct FlowId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for FlowId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::bad_input(rejection.body_text()))?;
        Uuid::parse_str(&raw)
            .map(FlowId)
            .map_err(|_| ApiError::bad_input(format!("`{raw}` is not a valid flow id (expected a UUID)")))
    }
}

/// The query string, deserialized; a value of the wrong type is 400.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Query::try_from_uri(&parts.uri)
            .map(|Query(value)| QueryParams(value))
            .map_err(|rejection| ApiError::bad_input(rejection.body_text()))
    }
}

/// A JSON body, read up to the server's body limit (413 past it). The content type is not
/// checked (the old clients did not all send one); an empty body reads as `{}`, so a route whose
/// fields are all optional takes no body at all.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.max_body_bytes;
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|len| len > limit) {
            return Err(ApiError::too_large(limit));
        }
        let bytes = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|_| ApiError::too_large(limit))?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(text)
            .map(JsonBody)
            .map_err(|err| ApiError::bad_input(format!("invalid request body: {err}")))
    }
}
