//! REST compatibility for the clients of the three old services (flow CRUD and assets, agent
//! coordination, execution engine): JSON in and out, the same Bearer tokens, the same
//! orchestrator calls as GraphQL.
//!
//! [`ROUTES`] is the one route table: [`router`] builds the axum routes from it and
//! [`openapi::document`] the OpenAPI document, so the two cannot drift. A deprecated route names
//! its successor; its answers carry `Deprecation: true` and a `Link` to the successor.

mod extract;
mod handlers;
pub mod openapi;
mod views;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, any, on};

use crate::http::AppState;
use extract::ApiError;
use handlers::SuccessorFlowId;

pub const PREFIX: &str = "/api/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    Get,
    Post,
}

impl Verb {
    /// As OpenAPI spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
        }
    }

    pub fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
        }
    }
}

/// A JSON body, by its schema's name in `components.schemas`.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    Schema(&'static str),
    /// One of several schemas, by what the request asked for.
    OneOf(&'static [&'static str]),
    /// Any JSON object (the OpenAPI document itself).
    AnyObject,
}

#[derive(Debug, Clone, Copy)]
pub enum ParamType {
    Integer { min: i64, max: i64, default: i64 },
    String,
    Boolean,
    OneOf(&'static [&'static str]),
}

/// A query-string parameter.
#[derive(Debug, Clone, Copy)]
pub struct QueryParam {
    pub name: &'static str,
    pub kind: ParamType,
    pub description: &'static str,
}

/// One REST route: how it is served and how it is documented.
pub struct RestRoute {
    pub verb: Verb,
    /// axum and OpenAPI spell path parameters alike: `{flow_id}` (always a flow's UUID).
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    /// Needs `Authorization: Bearer <token>`.
    pub auth: bool,
    pub query: &'static [QueryParam],
    /// The request body's schema and whether the body is required.
    pub request: Option<(&'static str, bool)>,
    /// The success statuses, with what each means.
    pub ok: &'static [(u16, &'static str)],
    pub response: Body,
    /// The error statuses the route can answer (500 is documented on every route).
    pub errors: &'static [u16],
    /// Deprecated: the `operation_id` of the route that replaces it.
    pub successor: Option<&'static str>,
    pub handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

impl RestRoute {
    pub fn deprecated(&self) -> bool {
        self.successor.is_some()
    }

    /// The route that replaces this one.
    pub fn successor_route(&self) -> Option<&'static RestRoute> {
        let successor = self.successor?;
        Some(
            ROUTES
                .iter()
                .find(|r| r.operation_id == successor)
                .unwrap_or_else(|| panic!("{}: successor {successor} is not in the route table", self.operation_id)),
        )
    }
}

const FLOW_ERRORS: &[u16] = &[400, 401, 404];
const CREATE_ERRORS: &[u16] = &[400, 401, 403, 404, 413];
const EXECUTE_ERRORS: &[u16] = &[400, 401, 403, 404, 409, 413];
const CREATED: &[(u16, &str)] = &[(201, "the new flow, every phase pending")];
const EXECUTED_PHASE: &[(u16, &str)] = &[
    (202, "queued: the phase run as it stands now"),
    (200, "with `wait`: the phase run once it has stopped"),
];
const EXECUTED_FLOW: &[(u16, &str)] = &[
    (202, "the first phase is queued: the flow as it stands now"),
    (
        200,
        "with `wait`: the flow once it has stopped (completed, failed, or at the approval gate)",
    ),
];

/// Every REST route, new and old.
pub static ROUTES: &[RestRoute] = &[
    RestRoute {
        verb: Verb::Post,
        path: "/api/v1/flows/create",
        operation_id: "createFlow",
        summary: "Create a flow",
        description: "A discovery flow takes its raw CMDB export as `csv` (text) or `raw_data` (a JSON array \
                      of objects). `engagement_id` is required unless the token is restricted to one engagement.",
        auth: true,
        query: &[],
        request: Some(("CreateFlowRequest", true)),
        ok: CREATED,
        response: Body::Schema("Flow"),
        errors: CREATE_ERRORS,
        successor: None,
        handler: |m| on(m, handlers::create_flow),
    },
    RestRoute {
        verb: Verb::Post,
        path: "/api/v1/flows/{flow_id}/execute",
        operation_id: "executeFlow",
        summary: "Run one phase, or the rest of the flow",
        description: "Without a body, runs the next phase. `phase` runs that phase (phases run in order; a completed \
                      or failed one may run again). `all: true` runs every remaining phase in order and answers \
                      the flow instead of the phase. Answers 202 once queued, or 200 with `wait: true` once stopped.",
        auth: true,
        query: &[],
        request: Some(("ExecuteRequest", false)),
        ok: &[
            (202, "queued: the phase run (or, with `all`, the flow) as it stands now"),
            (
                200,
                "with `wait`: the phase run (or, with `all`, the flow) once it has stopped",
            ),
        ],
        response: Body::OneOf(&["Phase", "Flow"]),
        errors: EXECUTE_ERRORS,
        successor: None,
        handler: |m| on(m, handlers::execute_flow),
    },
    RestRoute {
        verb: Verb::Get,
        path: "/api/v1/flows/{flow_id}/status",
        operation_id: "getFlowStatus",
        summary: "A flow with its phases",
        description: "Status, current phase, progress, each phase's latest run (status, attempt, progress, \
                      started/completed, error) and `flow_state`, each phase's summary under its name.",
        auth: true,
        query: &[],
        request: None,
        ok: &[(200, "the flow")],
        response: Body::Schema("Flow"),
        errors: FLOW_ERRORS,
        successor: None,
        handler: |m| on(m, handlers::flow_status),
    },
    RestRoute {
        verb: Verb::Get,
        path: "/api/v1/flows/{flow_id}/assets",
        operation_id: "listFlowAssets",
        summary: "A page of the flow's assets",
        description: "The assets built by the inventory phase, ordered by source key. Pass `next_cursor` as \
                      `after` for the next page.",
        auth: true,
        query: &[
            QueryParam {
                name: "limit",
                kind: ParamType::Integer {
                    min: 1,
                    max: views::MAX_ASSET_LIMIT,
                    default: views::DEFAULT_ASSET_LIMIT,
                },
                description: "assets per page",
            },
            QueryParam {
                name: "after",
                kind: ParamType::String,
                description: "the `next_cursor` of the previous page",
            },
            QueryParam {
                name: "asset_type",
                kind: ParamType::String,
                description: "server, database, application, network_device, storage or other",
            },
            QueryParam {
                name: "environment",
                kind: ParamType::String,
                description: "production, staging, qa, test, development or dr",
            },
            QueryParam {
                name: "validation_status",
                kind: ParamType::OneOf(crate::orchestrator::VALIDATION_STATUSES),
                description: "a person's verdict on the asset",
            },
            QueryParam {
                name: "end_of_life",
                kind: ParamType::Boolean,
                description: "true: only assets past end of support; false: only the others",
            },
            QueryParam {
                name: "search",
                kind: ParamType::String,
                description: "case-insensitive part of the name, hostname, FQDN or IP address",
            },
        ],
        request: None,
        ok: &[(200, "a page of assets")],
        response: Body::Schema("AssetPage"),
        errors: FLOW_ERRORS,
        successor: None,
        handler: |m| on(m, handlers::flow_assets),
    },
    RestRoute {
        verb: Verb::Get,
        path: "/api/v1/flows/{flow_id}/agents",
        operation_id: "listFlowAgents",
        summary: "The agents serving the flow, with their task figures and health",
        description: "Every agent that serves a phase of the flow's type: its tasks on this flow, and its health \
                      judged on the flow's tasks of the last day and a self-test.",
        auth: true,
        query: &[],
        request: None,
        ok: &[(200, "the flow's agents")],
        response: Body::Schema("FlowAgents"),
        errors: FLOW_ERRORS,
        successor: None,
        handler: |m| on(m, handlers::flow_agents),
    },
    RestRoute {
        verb: Verb::Get,
        path: "/api/v1/openapi.json",
        operation_id: "getOpenApiDocument",
        summary: "This document",
        description: "Generated from the server's route table.",
        auth: false,
        query: &[],
        request: None,
        ok: &[(200, "the OpenAPI 3.0 document")],
        response: Body::AnyObject,
        errors: &[],
        successor: None,
        handler: |m| on(m, handlers::openapi),
    },
    RestRoute {
        verb: Verb::Post,
        path: "/api/v1/discovery/flows/create",
        operation_id: "legacyDiscoveryCreateFlow",
        summary: "Create a discovery flow (the old flow service)",
        description: "As `POST /api/v1/flows/create` with `flow_type` forced to `discovery`.",
        auth: true,
        query: &[],
        request: Some(("CreateFlowRequest", true)),
        ok: CREATED,
        response: Body::Schema("Flow"),
        errors: CREATE_ERRORS,
        successor: Some("createFlow"),
        handler: |m| on(m, handlers::legacy_discovery_create),
    },
    RestRoute {
        verb: Verb::Post,
        path: "/api/v1/crewai/flows/execute",
        operation_id: "legacyCrewaiExecuteFlow",
        summary: "Run one phase of a flow (the old agent-coordination service)",
        description: "As `POST /api/v1/flows/{flow_id}/execute` with the flow id in the body.",
        auth: true,
        query: &[],
        request: Some(("LegacyExecuteRequest", true)),
        ok: EXECUTED_PHASE,
        response: Body::Schema("Phase"),
        errors: EXECUTE_ERRORS,
        successor: Some("executeFlow"),
        handler: |m| on(m, handlers::legacy_crewai_execute),
    },
    RestRoute {
        verb: Verb::Post,
        path: "/api/v1/orchestration/flows/start",
        operation_id: "legacyOrchestrationStartFlow",
        summary: "Run a whole flow (the old execution engine)",
        description: "As `POST /api/v1/flows/{flow_id}/execute` with `{\"all\": true}` and the flow id in the body.",
        auth: true,
        query: &[],
        request: Some(("LegacyStartRequest", true)),
        ok: EXECUTED_FLOW,
        response: Body::Schema("Flow"),
        errors: EXECUTE_ERRORS,
        successor: Some("executeFlow"),
        handler: |m| on(m, handlers::legacy_orchestration_start),
    },
];

/// Adds the deprecation headers to a legacy route's answers. The `Link` names the successor's
/// path, with `{flow_id}` filled in from the request (left out when the body had no flow id).
fn deprecate(mut response: Response, successor: &'static str) -> Response {
    let headers = response.headers_mut();
    headers.insert("deprecation", HeaderValue::from_static("true"));
    let path = if successor.contains("{flow_id}") {
        response
            .extensions()
            .get::<SuccessorFlowId>()
            .map(|SuccessorFlowId(id)| successor.replace("{flow_id}", &id.to_string()))
    } else {
        Some(successor.to_string())
    };
    if let Some(link) = path.and_then(|p| HeaderValue::try_from(format!("<{p}>; rel=\"successor-version\"")).ok()) {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

/// The table's routes (methods of one path merged), a JSON 405 for another method on a known
/// path and a JSON 404 for an unknown path under `/api/v1`.
pub fn router() -> Router<AppState> {
    let mut router = Router::new();
    let mut paths: Vec<&'static str> = Vec::new();
    for route in ROUTES {
        if !paths.contains(&route.path) {
            paths.push(route.path);
        }
    }
    for path in paths {
        let here: Vec<&RestRoute> = ROUTES.iter().filter(|r| r.path == path).collect();
        let allow = here
            .iter()
            .map(|r| r.verb.method().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let mut methods = MethodRouter::new();
        for route in here {
            let mut one = (route.handler)(route.verb.filter());
            if let Some(successor) = route.successor_route() {
                let target = successor.path;
                one = one.layer(axum::middleware::map_response(move |response: Response| async move {
                    deprecate(response, target)
                }));
            }
            methods = methods.merge(one);
        }
        let methods = methods.fallback(move || async move {
            let error = ApiError {
                status: axum::http::StatusCode::METHOD_NOT_ALLOWED,
                code: "BAD_USER_INPUT",
                message: format!("{path} answers {allow} only"),
            };
            let mut response = error.into_response();
            if let Ok(value) = HeaderValue::try_from(allow.as_str()) {
                response.headers_mut().insert(header::ALLOW, value);
            }
            response
        });
        router = router.route(path, methods);
    }
    router.route(
        &format!("{PREFIX}/{{*rest}}"),
        any(|| async {
            ApiError {
                status: axum::http::StatusCode::NOT_FOUND,
                code: "NOT_FOUND",
                message: "no such route: see /api/v1/openapi.json".into(),
            }
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_consistent() {
        let mut seen = std::collections::HashSet::new();
        for route in ROUTES {
            assert!(route.path.starts_with(PREFIX), "{}", route.path);
            assert!(seen.insert((route.verb, route.path)), "{} twice", route.path);
            assert_eq!(
                ROUTES.iter().filter(|r| r.operation_id == route.operation_id).count(),
                1,
                "{}",
                route.operation_id
            );
            // Handlers read path parameters with `FlowId`: `{flow_id}` is the only one there is.
            let params = route.path.matches('{').count();
            assert_eq!(params, route.path.matches("{flow_id}").count(), "{}", route.path);
            if let Some(successor) = route.successor_route() {
                assert!(!successor.deprecated(), "{} succeeds to a deprecated route", route.path);
            }
        }
    }

    #[test]
    fn the_router_builds() {
        let _ = router();
    }
}
