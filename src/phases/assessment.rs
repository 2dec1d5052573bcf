//! The assessment flow's phases, over the assets of its master discovery flow:
//! readiness_assessment and six_r_strategy per application, wave_planning over all assets.

use serde_json::{Value, json};
use sqlx::types::Json;

use crate::agents::assessment_rules::{AssessedAsset, assess_applications, plan_waves};
use crate::phases::input::PhaseInput;
use crate::phases::outcome::{PhaseFailure, PhaseSuccess};
use crate::store::{Direction, FlowResultRecord, PhaseOutput};

/// Assets per wave when the flow's configuration does not say (`maxWaveSize`).
pub const DEFAULT_MAX_WAVE_SIZE: usize = 10;

/// The master's assets, with their 6R and end-of-life, and the dependency edges between them.
async fn load(
    input: &PhaseInput<'_>,
) -> Result<(Vec<AssessedAsset>, Vec<(String, String)>, Vec<uuid::Uuid>), PhaseFailure> {
    let master = input
        .flow
        .master_flow_id
        .ok_or_else(|| PhaseFailure::user("an assessment needs its master discovery flow"))?;
    let store = &input.store;
    let assets = store
        .flow_assets(input.scope, master)
        .await
        .map_err(PhaseFailure::internal)?;
    if assets.is_empty() {
        return Err(PhaseFailure::user("the master discovery flow has no assets"));
    }
    let ids: Vec<uuid::Uuid> = assets.iter().map(|a| a.id).collect();
    let debt = store
        .tech_debt(input.scope, &ids)
        .await
        .map_err(PhaseFailure::internal)?;
    let edges = store
        .dependencies(input.scope, &ids, Direction::Outgoing)
        .await
        .map_err(PhaseFailure::internal)?;
    let key_of: std::collections::HashMap<uuid::Uuid, String> =
        assets.iter().map(|a| (a.id, a.source_key.clone())).collect();
    let assessed = assets
        .iter()
        .map(|a| AssessedAsset {
            key: a.source_key.clone(),
            name: a.name.clone(),
            asset_type: a.asset_type.clone(),
            application: a.application.clone(),
            quality: a.quality_score.unwrap_or(0.0),
            six_r: a.six_r_strategy.clone(),
            expired: debt
                .iter()
                .any(|t| t.asset_id == a.id && t.lifecycle_status.as_deref() == Some("EOL_EXPIRED")),
        })
        .collect();
    let edges = edges
        .iter()
        .filter_map(|e| {
            Some((
                key_of.get(&e.source_asset_id)?.clone(),
                key_of.get(&e.target_asset_id)?.clone(),
            ))
        })
        .collect();
    Ok((assessed, edges, ids))
}

fn rows(flow: uuid::Uuid, kind: &str, items: Vec<(String, Value)>) -> Vec<FlowResultRecord> {
    items
        .into_iter()
        .enumerate()
        .map(|(position, (key, data))| FlowResultRecord {
            flow_id: flow,
            kind: kind.into(),
            key,
            position: position as i32,
            data: Json(data),
        })
        .collect()
}

/// Per application: a readiness score (data completeness, tech debt, dependency complexity) with reasons.
pub async fn readiness(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let (assets, edges, _) = load(input).await?;
    let flow = input.flow.id;
    input
        .compute(move |_| {
            let apps = assess_applications(&assets, &edges);
            let average = apps.iter().map(|a| f64::from(a.readiness_score)).sum::<f64>() / apps.len().max(1) as f64;
            let items: Vec<(String, Value)> = apps
                .iter()
                .map(|a| {
                    let data = json!({ "name": a.name, "members": a.members, "readinessScore": a.readiness_score, "reasons": a.reasons });
                    (a.name.to_lowercase(), data)
                })
                .collect();
            let summary = json!({ "applications": apps.len(), "averageReadiness": average.round() });
            let count = items.len();
            Ok(PhaseSuccess::new("readinessAssessment", summary, PhaseOutput::Results { kind: "application", rows: rows(flow, "application", items) }, count))
        })
        .await
}

/// Per application: the 6R strategy rolled up from its assets, with rationale and effort class.
pub async fn six_r(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let (assets, edges, _) = load(input).await?;
    let flow = input.flow.id;
    input
        .compute(move |_| {
            let apps = assess_applications(&assets, &edges);
            let mut tally = std::collections::BTreeMap::<String, usize>::new();
            let items: Vec<(String, Value)> = apps
                .iter()
                .map(|a| {
                    *tally.entry(a.six_r_strategy.clone()).or_default() += 1;
                    (a.name.to_lowercase(), serde_json::to_value(a).unwrap_or_default())
                })
                .collect();
            let summary = json!({ "applications": apps.len(), "sixR": tally });
            let count = items.len();
            Ok(PhaseSuccess::new(
                "sixRStrategy",
                summary,
                PhaseOutput::Results {
                    kind: "application",
                    rows: rows(flow, "application", items),
                },
                count,
            ))
        })
        .await
}

/// Migration waves: dependency cycles together, dependencies first, at most `maxWaveSize` assets
/// a wave (a larger cycle gets a wave of its own), and the critical path.
pub async fn waves(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let (assets, edges, _) = load(input).await?;
    let max = input
        .config("maxWaveSize")
        .and_then(Value::as_u64)
        .map_or(DEFAULT_MAX_WAVE_SIZE, |m| m as usize);
    let flow = input.flow.id;
    input
        .compute(move |_| {
            let plan = plan_waves(&assets, &edges, max);
            let items: Vec<(String, Value)> = plan
                .waves
                .iter()
                .map(|w| (format!("{:05}", w.number), serde_json::to_value(w).unwrap_or_default()))
                .collect();
            let summary = json!({
                "waves": plan.waves.len(),
                "maxWaveSize": plan.max_wave_size,
                "criticalPath": plan.critical_path,
                "oversized": plan.waves.iter().filter(|w| w.oversized).count(),
            });
            let count = assets.len();
            Ok(PhaseSuccess::new(
                "wavePlanning",
                summary,
                PhaseOutput::Results {
                    kind: "wave",
                    rows: rows(flow, "wave", items),
                },
                count,
            ))
        })
        .await
}
