//! Mapping: the old spellings and columns to the new vocabulary and records.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::types::Json;
use uuid::Uuid;

use super::checksum::fnv1a64;
use crate::domain::{FlowStatus, FlowType, PhaseName, PhaseStatus};
use crate::store::legacy::{LegacyFlowRow, LegacyWrite};
use crate::store::{AuditRecord, FlowRecord, PhaseRunRecord};

/// The audit action recorded on every migrated flow.
pub const MIGRATED_ACTION: &str = "flow_migrated_from_legacy";

/// Lower case, trimmed, `-` and spaces as `_`.
fn normalize(name: &str) -> String {
    name.trim().to_lowercase().replace(['-', ' '], "_")
}

/// An old flow status (discovery_flows.status, else crewai_flow_state_extensions.flow_status).
pub fn map_status(old: &str) -> Option<FlowStatus> {
    Some(match normalize(old).as_str() {
        "initialized" | "initializing" | "pending" | "created" | "new" | "not_started" => FlowStatus::Initialized,
        "active" | "running" | "in_progress" | "processing" | "started" => FlowStatus::Running,
        "waiting_for_approval" | "awaiting_approval" | "waiting_for_user_approval" | "pending_approval" => {
            FlowStatus::WaitingForApproval
        }
        "paused" | "suspended" => FlowStatus::Paused,
        "completed" | "complete" | "finished" | "done" | "succeeded" => FlowStatus::Completed,
        "failed" | "error" | "errored" => FlowStatus::Failed,
        "cancelled" | "canceled" | "aborted" | "terminated" => FlowStatus::Cancelled,
        _ => return None,
    })
}

/// An old phase name (discovery_flows.current_phase, phase_execution_times keys): `Some(None)`
/// for the names the old services used once every phase was done.
pub fn map_phase(old: &str) -> Option<Option<PhaseName>> {
    Some(Some(match normalize(old).as_str() {
        "data_import" | "import" | "data_import_validation" => PhaseName::DataImport,
        "attribute_mapping" | "field_mapping" => PhaseName::AttributeMapping,
        "data_cleansing" | "cleansing" => PhaseName::DataCleansing,
        "inventory" | "asset_inventory" => PhaseName::Inventory,
        "dependencies" | "dependency_analysis" => PhaseName::DependencyAnalysis,
        "tech_debt" | "tech_debt_analysis" | "tech_debt_assessment" | "technical_debt" => PhaseName::TechDebtAnalysis,
        "" | "completed" | "complete" | "finalization" | "finalized" => return Some(None),
        _ => return None,
    }))
}

/// The six discovery_flows flags, in phase order.
fn completed_phases(row: &LegacyFlowRow) -> Vec<PhaseName> {
    let flags = [
        (row.data_import_completed, PhaseName::DataImport),
        (row.attribute_mapping_completed, PhaseName::AttributeMapping),
        (row.data_cleansing_completed, PhaseName::DataCleansing),
        (row.inventory_completed, PhaseName::Inventory),
        (row.dependencies_completed, PhaseName::DependencyAnalysis),
        (row.tech_debt_completed, PhaseName::TechDebtAnalysis),
    ];
    flags
        .iter()
        .filter(|(done, _)| *done)
        .map(|(_, phase)| *phase)
        .collect()
}

/// A JSON column that must hold an object: SQL NULL or JSON null is `None`; a JSON string is
/// parsed once more (some old code paths stored the JSON text as a string).
fn json_object(column: &str, value: Option<&Json<Value>>) -> Result<Option<Value>, String> {
    match value.map(|v| &v.0) {
        None | Some(Value::Null) => Ok(None),
        Some(object @ Value::Object(_)) => Ok(Some(object.clone())),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(object @ Value::Object(_)) => Ok(Some(object)),
            Ok(other) => Err(format!(
                "{column} holds a string of JSON {}, not an object",
                kind(&other)
            )),
            Err(err) => Err(format!("{column} is a string that is not JSON ({err})")),
        },
        Some(other) => Err(format!("{column} is a JSON {}, not an object", kind(other))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A stable UUID for an old user id that is not a UUID (`demo_user`, an e-mail address): the
/// same text always gives the same id (version 8, from two FNV-1a 64 hashes).
pub fn legacy_user_uuid(text: &str) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&fnv1a64(format!("flowgraph-legacy-user/a/{text}").as_bytes()).to_be_bytes());
    bytes[8..].copy_from_slice(&fnv1a64(format!("flowgraph-legacy-user/b/{text}").as_bytes()).to_be_bytes());
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The id of the run a migrated phase gets: stable, so a migration into a fresh database gives
/// the same rows.
fn legacy_run_uuid(flow: Uuid, phase: PhaseName) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&fnv1a64(format!("flowgraph-legacy-run/a/{flow}/{phase}").as_bytes()).to_be_bytes());
    bytes[8..].copy_from_slice(&fnv1a64(format!("flowgraph-legacy-run/b/{flow}/{phase}").as_bytes()).to_be_bytes());
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// `phase_execution_times[old or new phase name].started_at / completed_at`, when present and RFC 3339.
fn phase_times(times: Option<&Value>, phase: PhaseName) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let Some(Value::Object(times)) = times else {
        return (None, None);
    };
    let entry = times
        .iter()
        .find(|(key, _)| map_phase(key) == Some(Some(phase)))
        .map(|(_, entry)| entry);
    let at = |field: &str| {
        entry
            .and_then(|e| e.get(field))
            .and_then(Value::as_str)
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    (at("started_at"), at("completed_at"))
}

/// Maps one old row to the rows the target gets, or the reasons it cannot be migrated (all of
/// them, so one report shows everything to fix).
pub fn map_row(row: &LegacyFlowRow, now: DateTime<Utc>) -> Result<LegacyWrite, Vec<String>> {
    let mut problems = Vec::new();
    let flow_id = row.flow_id.as_deref().map(str::trim).filter(|f| !f.is_empty());
    if flow_id.is_none() {
        problems.push("flow_id is NULL or empty".to_string());
    }
    if row.client_account_id.is_none() {
        problems.push("client_account_id is NULL".to_string());
    }
    if row.engagement_id.is_none() {
        problems.push("engagement_id is NULL".to_string());
    }
    for (column, ours, theirs) in [
        ("client_account_id", row.client_account_id, row.ext_client_account_id),
        ("engagement_id", row.engagement_id, row.ext_engagement_id),
    ] {
        if let (Some(ours), Some(theirs)) = (ours, theirs)
            && ours != theirs
        {
            problems.push(format!(
                "{column} differs between discovery_flows ({ours}) and crewai_flow_state_extensions ({theirs})"
            ));
        }
    }
    if let Some(flow_type) = &row.ext_flow_type
        && !matches!(normalize(flow_type).as_str(), "discovery" | "unified_discovery")
    {
        problems.push(format!(
            "crewai_flow_state_extensions.flow_type is `{flow_type}`, not discovery"
        ));
    }
    let old_status = row.status.as_deref().or(row.ext_flow_status.as_deref());
    let status = match old_status {
        None => {
            problems.push("status is NULL in both tables".to_string());
            None
        }
        Some(old) => {
            let status = map_status(old);
            if status.is_none() {
                problems.push(format!("unknown status `{old}`"));
            }
            status
        }
    };
    let old_phase = row.current_phase.as_deref().map(map_phase);
    if let Some(None) = old_phase {
        problems.push(format!(
            "unknown current_phase `{}`",
            row.current_phase.as_deref().unwrap_or_default()
        ));
    }
    let progress = match row.progress_percentage {
        Some(p) if !p.is_finite() || !(0.0..=100.0).contains(&p) => {
            problems.push(format!("progress_percentage {p} is outside 0..100"));
            None
        }
        p => p,
    };
    let created_at = row.created_at.or(row.ext_created_at);
    if created_at.is_none() {
        problems.push("created_at is NULL in both tables".to_string());
    }
    let state = json_object("discovery_flows.crewai_state_data", row.crewai_state_data.as_ref());
    let persistence = json_object(
        "crewai_flow_state_extensions.flow_persistence_data",
        row.flow_persistence_data.as_ref(),
    );
    let configuration = json_object(
        "crewai_flow_state_extensions.flow_configuration",
        row.flow_configuration.as_ref(),
    );
    let times = json_object(
        "crewai_flow_state_extensions.phase_execution_times",
        row.phase_execution_times.as_ref(),
    );
    for result in [&state, &persistence, &configuration, &times] {
        if let Err(problem) = result {
            problems.push(problem.clone());
        }
    }
    let (Some(flow_id), Some(client_account_id), Some(engagement_id), Some(status), Some(created_at), true) = (
        flow_id,
        row.client_account_id,
        row.engagement_id,
        status,
        created_at,
        problems.is_empty(),
    ) else {
        return Err(problems);
    };
    let (state, persistence, configuration, times) = (
        state.unwrap_or_default(),
        persistence.unwrap_or_default(),
        configuration.unwrap_or_default(),
        times.unwrap_or_default(),
    );

    let phases = FlowType::Discovery.phases();
    let done = completed_phases(row);
    let old_user = row.user_id.as_deref().or(row.ext_user_id.as_deref()).map(str::trim);
    let user_id = match old_user {
        None | Some("") => Uuid::nil(),
        Some(text) => text.parse().unwrap_or_else(|_| legacy_user_uuid(text)),
    };
    let updated_at = row
        .updated_at
        .or(row.ext_updated_at)
        .unwrap_or(created_at)
        .max(created_at);
    let current_phase = match old_phase.flatten().flatten() {
        Some(phase) => Some(phase),
        None => phases.iter().find(|p| !done.contains(p)).copied(),
    };
    let completed_at = row
        .completed_at
        .or((status == FlowStatus::Completed).then_some(updated_at));
    let name = row
        .flow_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map_or_else(|| format!("Discovery flow {flow_id}"), str::to_string);
    let flow = FlowRecord {
        id: row.id,
        flow_id: flow_id.to_string(),
        flow_type: FlowType::Discovery,
        master_flow_id: None,
        client_account_id,
        engagement_id,
        user_id,
        name,
        status,
        current_phase,
        flow_configuration: Json(configuration.unwrap_or_else(|| json!({}))),
        // Everything the old services kept about the flow's state, verbatim, under one key.
        flow_state: Json(json!({
            "legacy": {
                "source": "discovery_flows + crewai_flow_state_extensions",
                "status": row.status,
                "extensionStatus": row.ext_flow_status,
                "currentPhase": row.current_phase,
                "userId": old_user,
                "progressPercentage": row.progress_percentage,
                "crewaiStateData": state,
                "flowPersistenceData": persistence,
                "phaseExecutionTimes": times,
            }
        })),
        phases_completed: Json(done.clone()),
        progress_percentage: progress.map_or((done.len() * 100 / phases.len()) as i32, |p| p.round() as i32),
        data_import_id: row.data_import_id,
        performance_metrics: Json(json!({})),
        quality_scores: Json(json!({})),
        auto_advance: false,
        version: 1,
        created_at,
        updated_at,
        completed_at,
        deleted_at: None,
    };
    let runs = done
        .iter()
        .map(|&phase| {
            let (started_at, finished_at) = phase_times(times.as_ref(), phase);
            let completed_at = finished_at.unwrap_or(updated_at);
            PhaseRunRecord {
                id: legacy_run_uuid(flow.id, phase),
                flow_id: flow.id,
                client_account_id,
                engagement_id,
                phase,
                status: PhaseStatus::Completed,
                attempt: 1,
                progress: 100,
                requested_by: user_id,
                created_at: started_at.unwrap_or(completed_at),
                started_at,
                completed_at: Some(completed_at),
                result: Some(Json(json!({ "migratedFromLegacy": true }))),
                error: None,
            }
        })
        .collect();
    let audit = AuditRecord {
        id: Uuid::now_v7(),
        flow_id: flow.id,
        client_account_id,
        engagement_id,
        user_id,
        action: MIGRATED_ACTION.to_string(),
        details: Json(json!({
            "legacyFlowId": flow.flow_id,
            "legacyStatus": old_status,
            "legacyCurrentPhase": row.current_phase,
            "phasesCompleted": flow.phases_completed.0,
        })),
        created_at: now,
    };
    Ok(LegacyWrite { flow, runs, audit })
}
