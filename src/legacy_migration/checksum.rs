//! Checksums: the same functions over the mapped source rows and the rows read back.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::domain::PhaseName;
use crate::store::FlowRecord;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_continue(FNV_OFFSET, bytes)
}

fn fnv1a64_continue(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// JSON with every object's keys sorted (PostgreSQL's JSONB reorders keys; SQLite's TEXT doesn't).
pub(super) fn canonical_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical_json(&map[k])))
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical_json).collect()),
        other => other.clone(),
    }
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The carried fields of a flow, as one line: a JSON array in a fixed order with canonical JSON
/// inside and timestamps in UTC to the microsecond. Server-owned columns (version, auto_advance,
/// event_sequence, quality_scores) are left out; the completed runs are in.
pub fn canonical_row(flow: &FlowRecord, completed_runs: &[PhaseName]) -> String {
    let mut runs = completed_runs.to_vec();
    runs.sort();
    runs.dedup();
    json!([
        flow.id,
        flow.flow_id,
        flow.flow_type,
        flow.master_flow_id,
        flow.client_account_id,
        flow.engagement_id,
        flow.user_id,
        flow.name,
        flow.status,
        flow.current_phase,
        flow.phases_completed.0,
        flow.progress_percentage,
        flow.data_import_id,
        canonical_json(&flow.flow_configuration.0),
        canonical_json(&flow.flow_state.0),
        canonical_json(&flow.performance_metrics.0),
        timestamp(flow.created_at),
        timestamp(flow.updated_at),
        flow.completed_at.map(timestamp),
        flow.deleted_at.map(timestamp),
        runs,
    ])
    .to_string()
}

pub fn row_digest(flow: &FlowRecord, completed_runs: &[PhaseName]) -> u64 {
    fnv1a64(canonical_row(flow, completed_runs).as_bytes())
}

/// FNV-1a 64 over `"<id> <row digest>\n"` lines sorted by id, as 16 hex digits.
pub fn checksum(rows: &[(Uuid, u64)]) -> String {
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|(id, _)| *id);
    let hash = sorted.iter().fold(FNV_OFFSET, |hash, (id, digest)| {
        fnv1a64_continue(hash, format!("{id} {digest:016x}\n").as_bytes())
    });
    format!("{hash:016x}")
}
