//! The collection flow's phases, over the assets of its master discovery flow: gap_analysis,
//! questionnaire_generation, and data_validation, which waits until every question is answered
//! (answers arrive through `submitCollectionResponses`, validated and written to the assets).

use serde_json::json;
use sqlx::types::Json;

use crate::agents::collection_rules::{Gap, GapAsset, Question, find_gaps, questions_for};
use crate::phases::input::PhaseInput;
use crate::phases::outcome::{PhaseFailure, PhaseSuccess};
use crate::store::{AssetRecord, FlowResultRecord, PhaseOutput};

fn gap_asset(a: &AssetRecord) -> GapAsset {
    let text = |v: &Option<String>| v.clone();
    let number = |v: Option<f64>| v.map(|n| n.to_string());
    GapAsset {
        asset_id: a.id.to_string(),
        name: a.name.clone(),
        asset_type: a.asset_type.clone(),
        owner: a.owner.clone(),
        values: vec![
            ("operating_system".into(), text(&a.operating_system)),
            ("environment".into(), text(&a.environment)),
            ("owner".into(), text(&a.owner)),
            ("ip_address".into(), text(&a.ip_address)),
            ("cpu_cores".into(), a.cpu_cores.map(|c| c.to_string())),
            ("memory_gb".into(), number(a.memory_gb)),
            ("storage_gb".into(), number(a.storage_gb)),
            ("business_criticality".into(), text(&a.business_criticality)),
        ],
    }
}

fn rows<T: serde::Serialize>(
    flow: uuid::Uuid,
    kind: &str,
    items: &[T],
    key: impl Fn(&T) -> String,
) -> Vec<FlowResultRecord> {
    items
        .iter()
        .enumerate()
        .map(|(position, item)| FlowResultRecord {
            flow_id: flow,
            kind: kind.into(),
            key: key(item),
            position: position as i32,
            data: Json(serde_json::to_value(item).unwrap_or_default()),
        })
        .collect()
}

pub async fn gap_analysis(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let master = input
        .flow
        .master_flow_id
        .ok_or_else(|| PhaseFailure::user("a collection needs its master discovery flow"))?;
    let assets = input
        .store
        .flow_assets(input.scope, master)
        .await
        .map_err(PhaseFailure::internal)?;
    let flow = input.flow.id;
    input
        .compute(move |_| {
            let gaps = find_gaps(&assets.iter().map(gap_asset).collect::<Vec<_>>());
            let summary = json!({
                "assets": assets.len(),
                "gaps": gaps.len(),
                "assetsWithGaps": gaps.iter().map(|g| &g.asset_id).collect::<std::collections::HashSet<_>>().len(),
            });
            let rows = rows(flow, "gap", &gaps, |g| format!("{}:{}", g.asset_id, g.attribute));
            Ok(PhaseSuccess::new(
                "gapAnalysis",
                summary,
                PhaseOutput::Results { kind: "gap", rows },
                assets.len(),
            ))
        })
        .await
}

pub async fn questionnaire(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let scope = input.scope;
    let gaps: Vec<Gap> = input
        .store
        .flow_results(scope, &[input.flow.id], "gap")
        .await
        .map_err(PhaseFailure::internal)?
        .into_iter()
        .filter_map(|r| serde_json::from_value(r.data.0).ok())
        .collect();
    // Answers already given survive a re-run.
    let answered: Vec<Question> = input
        .store
        .flow_results(scope, &[input.flow.id], "question")
        .await
        .map_err(PhaseFailure::internal)?
        .into_iter()
        .filter_map(|r| serde_json::from_value::<Question>(r.data.0).ok())
        .filter(|q| q.answered)
        .collect();
    let flow = input.flow.id;
    input
        .compute(move |_| {
            let mut questions = questions_for(&gaps);
            for q in &mut questions {
                if let Some(done) = answered.iter().find(|a| a.id == q.id) {
                    q.answered = true;
                    q.answer = done.answer.clone();
                }
            }
            let mut owners = std::collections::BTreeMap::<&str, usize>::new();
            for q in &questions {
                *owners.entry(q.owner.as_str()).or_default() += 1;
            }
            let summary = json!({ "questions": questions.len(), "byOwner": owners });
            let rows = rows(flow, "question", &questions, |q| q.id.clone());
            let count = questions.len();
            Ok(PhaseSuccess::new(
                "questionnaireGeneration",
                summary,
                PhaseOutput::Results { kind: "question", rows },
                count,
            ))
        })
        .await
}

/// Completes once every question has an answer; until then the phase waits.
pub async fn data_validation(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let questions: Vec<Question> = input
        .store
        .flow_results(input.scope, &[input.flow.id], "question")
        .await
        .map_err(PhaseFailure::internal)?
        .into_iter()
        .filter_map(|r| serde_json::from_value(r.data.0).ok())
        .collect();
    let open = questions.iter().filter(|q| !q.answered).count();
    let summary = json!({ "questions": questions.len(), "answered": questions.len() - open, "open": open });
    // No output: the answers were written as they arrived.
    Ok(PhaseSuccess {
        state_key: "dataValidation",
        result: summary,
        output: None,
        awaiting_approval: open > 0,
        quality_scores: None,
        items: questions.len(),
    })
}
