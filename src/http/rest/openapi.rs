//! The OpenAPI 3.0 document of the REST routes, built from the route table ([`super::ROUTES`])
//! and the schemas of the JSON in `views.rs`. Enumerations come from the domain's own lists.

use serde_json::{Map, Value, json};

use super::{Body, ParamType, ROUTES, RestRoute};
use crate::domain::{FlowStatus, FlowType, PhaseName, PhaseStatus};

pub const OPENAPI_VERSION: &str = "3.0.3";

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let item = paths.entry(route.path).or_insert_with(|| json!({}));
        item[route.verb.as_str()] = operation(route);
    }
    json!({
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "flowgraph REST compatibility API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "JSON routes for the clients of the three services flowgraph replaces. They call the \
                same orchestrator as the GraphQL API at /graphql, with the same bearer tokens, tenancy and roles \
                (viewer reads; analyst and admin also create and execute). Another tenant's flow answers 404, \
                exactly as a missing one. Deprecated routes answer as their successor does, with the headers \
                `Deprecation: true` and `Link: <successor>; rel=\"successor-version\"`.",
        },
        "tags": [
            { "name": "flows", "description": "Flows, their phases, assets and agents" },
            { "name": "legacy", "description": "The old services' routes, kept for their clients" },
            { "name": "meta", "description": "This document" },
        ],
        "security": [{ "bearerAuth": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "HS256 JWT with sub, client_account_id, optional engagement_id, \
                        role (viewer | analyst | admin) and exp; `flowgraph token` prints one.",
                }
            },
            "schemas": schemas(),
        },
    })
}

fn tag(route: &RestRoute) -> &'static str {
    if route.deprecated() {
        "legacy"
    } else if route.auth {
        "flows"
    } else {
        "meta"
    }
}

fn operation(route: &RestRoute) -> Value {
    let mut parameters: Vec<Value> = Vec::new();
    for segment in route.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            parameters.push(json!({
                "name": name, "in": "path", "required": true,
                "description": "the flow's id", "schema": uuid(),
            }));
        }
    }
    for param in route.query {
        let schema = match param.kind {
            ParamType::Integer { min, max, default } => {
                json!({ "type": "integer", "minimum": min, "maximum": max, "default": default })
            }
            ParamType::String => json!({ "type": "string" }),
            ParamType::Boolean => json!({ "type": "boolean" }),
            ParamType::OneOf(values) => json!({ "type": "string", "enum": values }),
        };
        parameters.push(json!({
            "name": param.name, "in": "query", "required": false,
            "description": param.description, "schema": schema,
        }));
    }

    let successor = route.successor_route();
    let headers = successor.map(|s| {
        json!({
            "Deprecation": { "description": "always `true`", "schema": { "type": "string", "enum": ["true"] } },
            "Link": {
                "description": format!(
                    "`<{}>; rel=\"successor-version\"`, with the flow id filled in",
                    s.path
                ),
                "schema": { "type": "string" },
            },
        })
    });
    let with_headers = |mut response: Value| {
        if let Some(headers) = &headers {
            response["headers"] = headers.clone();
        }
        response
    };

    let body_schema = match route.response {
        Body::Schema(name) => reference(name),
        Body::OneOf(names) => json!({ "oneOf": names.iter().map(|n| reference(n)).collect::<Vec<_>>() }),
        Body::AnyObject => json!({ "type": "object" }),
    };
    let mut responses = Map::new();
    for (status, description) in route.ok {
        responses.insert(
            status.to_string(),
            with_headers(json!({
                "description": description,
                "content": { "application/json": { "schema": body_schema } },
            })),
        );
    }
    for status in route.errors.iter().chain([&500]) {
        responses.insert(
            status.to_string(),
            with_headers(json!({
                "description": error_description(*status),
                "content": { "application/json": { "schema": reference("Error") } },
            })),
        );
    }

    let mut description = route.description.to_string();
    if let Some(s) = successor {
        description = format!(
            "Deprecated: use `{} {}`. {description}",
            s.verb.as_str().to_uppercase(),
            s.path
        );
    }
    let mut operation = json!({
        "operationId": route.operation_id,
        "summary": route.summary,
        "description": description,
        "tags": [tag(route)],
        "deprecated": route.deprecated(),
        "parameters": parameters,
        "responses": responses,
    });
    if let Some((schema, required)) = route.request {
        operation["requestBody"] = json!({
            "required": required,
            "content": { "application/json": { "schema": reference(schema) } },
        });
    }
    if !route.auth {
        operation["security"] = json!([]);
    }
    operation
}

fn error_description(status: u16) -> &'static str {
    match status {
        400 => "malformed JSON, an id that is not a UUID, an unknown flow type or phase, or an invalid value",
        401 => "no bearer token, or an invalid or expired one",
        403 => "the token's role may not do this (a viewer only reads), or it is restricted to another engagement",
        404 => "no such flow for this tenant (another tenant's flow answers exactly the same)",
        409 => {
            "the flow's state does not allow this now (a phase is running, the flow is paused, waiting for \
                approval or completed, an earlier phase has not completed), or a concurrent write won"
        }
        413 => "the request body is larger than the server's limit",
        _ => "internal error (details only in the server's log)",
    }
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn uuid() -> Value {
    json!({ "type": "string", "format": "uuid" })
}

fn nullable(mut schema: Value) -> Value {
    schema["nullable"] = json!(true);
    schema
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn integer() -> Value {
    json!({ "type": "integer" })
}

fn number() -> Value {
    json!({ "type": "number" })
}

fn boolean() -> Value {
    json!({ "type": "boolean" })
}

fn date_time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn object() -> Value {
    json!({ "type": "object", "additionalProperties": true })
}

fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

fn names<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> Value {
    json!({ "type": "string", "enum": all.iter().map(|v| as_str(*v)).collect::<Vec<_>>() })
}

/// An object schema; `required: None` makes every property required (responses always carry
/// every field, `null` when unset).
fn object_of(description: &str, required: Option<&[&str]>, properties: Vec<(&str, Value)>) -> Value {
    let required: Vec<&str> = match required {
        Some(names) => names.to_vec(),
        None => properties.iter().map(|(name, _)| *name).collect(),
    };
    let properties: Map<String, Value> = properties.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut schema = json!({ "type": "object", "description": description, "properties": properties });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

fn schemas() -> Value {
    let flow_type = || names(FlowType::ALL, FlowType::as_str);
    let phase_name = || names(PhaseName::ALL, PhaseName::as_str);
    let raw_data = array(object());
    json!({
        "Error": object_of("Every refusal", None, vec![(
            "error",
            object_of("", None, vec![
                ("code", json!({ "type": "string", "enum":
                    ["BAD_USER_INPUT", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "INTERNAL"] })),
                ("message", string()),
            ]),
        )]),
        "CreateFlowRequest": object_of(
            "A new flow. camelCase spellings are accepted too: flowType, engagementId, rawData, masterFlowId.",
            Some(&["name"]),
            vec![
                ("flow_type", { let mut t = flow_type(); t["default"] = json!("discovery"); t }),
                ("name", json!({ "type": "string", "minLength": 1, "maxLength": 200 })),
                ("engagement_id", uuid()),
                ("csv", json!({ "type": "string", "description":
                    "a CSV export: header row, `,` `;` or tab separated (give csv or raw_data, not both)" })),
                ("raw_data", { let mut r = raw_data; r["description"] =
                    json!("the export as a JSON array of objects; nested objects become dotted keys"); r }),
                ("configuration", { let mut c = object(); c["description"] = json!(
                    "requireMappingApproval (bool), mappingConfidenceThreshold (0-1), lifecycleAsOf (YYYY-MM-DD)"); c }),
                ("master_flow_id", uuid()),
            ],
        ),
        "ExecuteRequest": object_of("What to run; an empty body runs the next phase", Some(&[]), vec![
            ("phase", phase_name()),
            ("wait", json!({ "type": "boolean", "default": false })),
            ("all", json!({ "type": "boolean", "default": false,
                "description": "run every remaining phase in order; answers the flow" })),
        ]),
        "LegacyExecuteRequest": object_of("One phase of a flow (`flowId` accepted too)", Some(&["flow_id"]), vec![
            ("flow_id", uuid()),
            ("phase", phase_name()),
            ("wait", json!({ "type": "boolean", "default": false })),
        ]),
        "LegacyStartRequest": object_of("A whole flow (`flowId` accepted too)", Some(&["flow_id"]), vec![
            ("flow_id", uuid()),
            ("wait", json!({ "type": "boolean", "default": false })),
        ]),
        "Phase": object_of("A phase's latest run, or pending before the first", None, vec![
            ("flow_id", uuid()),
            ("phase", phase_name()),
            ("status", names(PhaseStatus::ALL, PhaseStatus::as_str)),
            ("attempt", json!({ "type": "integer", "description": "0 before the first run; each retry adds one" })),
            ("progress", json!({ "type": "integer", "minimum": 0, "maximum": 100 })),
            ("started_at", nullable(date_time())),
            ("completed_at", nullable(date_time())),
            ("duration_ms", nullable(integer())),
            ("result", nullable(object())),
            ("error", nullable(string())),
        ]),
        "Flow": object_of("A flow with every phase of its type", None, vec![
            ("id", uuid()),
            ("flow_id", json!({ "type": "string", "description": "the id, as the old services named it" })),
            ("flow_type", flow_type()),
            ("name", string()),
            ("status", names(FlowStatus::ALL, FlowStatus::as_str)),
            ("current_phase", nullable(phase_name())),
            ("progress_percentage", json!({ "type": "integer", "minimum": 0, "maximum": 100 })),
            ("phases", array(reference("Phase"))),
            ("phases_completed", array(phase_name())),
            ("client_account_id", uuid()),
            ("engagement_id", uuid()),
            ("user_id", uuid()),
            ("master_flow_id", nullable(uuid())),
            ("configuration", object()),
            ("flow_state", { let mut s = object(); s["description"] =
                json!("each phase's summary, under its name (dataImport, attributeMapping, ...)"); s }),
            ("quality_scores", object()),
            ("performance_metrics", object()),
            ("version", json!({ "type": "integer", "description": "bumped by every write" })),
            ("created_at", date_time()),
            ("updated_at", date_time()),
            ("completed_at", nullable(date_time())),
        ]),
        "Asset": object_of("An asset of the inventory", None, vec![
            ("id", uuid()),
            ("flow_id", uuid()),
            ("source_key", string()),
            ("name", string()),
            ("asset_type", string()),
            ("hostname", nullable(string())),
            ("fqdn", nullable(string())),
            ("ip_address", nullable(string())),
            ("operating_system", nullable(string())),
            ("os_version", nullable(string())),
            ("environment", nullable(string())),
            ("application", nullable(string())),
            ("cpu_cores", nullable(integer())),
            ("memory_gb", nullable(number())),
            ("storage_gb", nullable(number())),
            ("owner", nullable(string())),
            ("business_criticality", nullable(string())),
            ("location", nullable(string())),
            ("depends_on", array(string())),
            ("attributes", object()),
            ("source_rows", array(integer())),
            ("quality_score", nullable(number())),
            ("validation_status", names(crate::orchestrator::VALIDATION_STATUSES, |s| s)),
            ("validation_note", nullable(string())),
            ("six_r_strategy", nullable(string())),
            ("six_r_rationale", nullable(string())),
            ("risk_score", nullable(integer())),
            ("created_at", date_time()),
            ("updated_at", date_time()),
        ]),
        "AssetPage": object_of("A page of assets", None, vec![
            ("assets", array(reference("Asset"))),
            ("total", json!({ "type": "integer", "description": "assets matching the filters, over every page" })),
            ("next_cursor", json!({ "type": "string", "nullable": true,
                "description": "pass as `after` for the next page; null on the last" })),
        ]),
        "AgentHealth": object_of("Health over the flow's tasks of the last day and a self-test", None, vec![
            ("status", json!({ "type": "string", "enum": ["healthy", "degraded", "unhealthy"] })),
            ("probe_ok", boolean()),
            ("last_active_at", nullable(date_time())),
            ("tasks_completed", integer()),
            ("failures", integer()),
            ("success_rate", number()),
            ("avg_response_ms", number()),
            ("p95_response_ms", number()),
            ("reasons", array(string())),
        ]),
        "Agent": object_of("An agent serving the flow, with its tasks on the flow", None, vec![
            ("name", string()),
            ("role", string()),
            ("phases", array(phase_name())),
            ("tasks_completed", integer()),
            ("success_rate", json!({ "type": "number", "minimum": 0, "maximum": 1 })),
            ("avg_response_ms", number()),
            ("health", reference("AgentHealth")),
        ]),
        "FlowAgents": object_of("The agents serving a flow", None, vec![
            ("flow_id", uuid()),
            ("agents", array(reference("Agent"))),
        ]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.push(target);
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves() {
        let document = document();
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert!(!found.is_empty());
        for target in found {
            let name = target.strip_prefix("#/components/schemas/").expect(target);
            assert!(document["components"]["schemas"][name].is_object(), "{target}");
        }
    }
}
