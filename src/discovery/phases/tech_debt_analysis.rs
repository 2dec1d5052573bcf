//! tech_debt_analysis: end-of-life findings from the lifecycle catalogue (lifecycle_analysis),
//! a risk score per asset (security_risk), and a 6R recommendation per asset
//! (modernization_strategy).

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use serde_json::{Value, json};

use super::{asset_facts, supervise, tally};
use crate::agents::lifecycle::{LifecycleAnalysis, LifecycleInput, RiskInput, SecurityRisk, security_findings};
use crate::agents::strategy::{ModernizationStrategy, StrategyInput};
use crate::agents::supervisor::SupervisorInput;
use crate::agents::types::{AssetFacts, TechDebtFinding};
use crate::discovery::{PhaseFailure, PhaseInput, PhaseSuccess, new_id};
use crate::domain::PhaseName;
use crate::store::{AssetStrategy, Direction, PhaseOutput, TechDebtRecord};

/// Serialises an agent enum the way it is stored (`EOL_EXPIRED`, `REHOST`, ...).
fn stored<T: serde::Serialize>(value: T) -> Option<String> {
    serde_json::to_value(value).ok()?.as_str().map(str::to_string)
}

pub async fn run(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let assets = input
        .store
        .flow_assets(input.scope, input.flow.id)
        .await
        .map_err(PhaseFailure::internal)?;
    if assets.is_empty() {
        return Err(PhaseFailure::user("no assets: run inventory first"));
    }
    let asset_ids: Vec<uuid::Uuid> = assets.iter().map(|a| a.id).collect();
    let edges = input
        .store
        .dependencies(input.scope, &asset_ids, Direction::Incoming)
        .await
        .map_err(PhaseFailure::internal)?;
    // Judged against today unless the flow pins a date (`lifecycleAsOf`, for reproducible reports).
    let today = match input.config("lifecycleAsOf").and_then(Value::as_str) {
        Some(date) => NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| PhaseFailure::user("configuration lifecycleAsOf must be a date, YYYY-MM-DD"))?,
        None => Utc::now().date_naive(),
    };
    let ids: HashMap<String, uuid::Uuid> = assets.iter().map(|a| (a.source_key.clone(), a.id)).collect();
    let keys: HashMap<uuid::Uuid, String> = assets.iter().map(|a| (a.id, a.source_key.clone())).collect();
    let mut dependents: HashMap<String, usize> = HashMap::new();
    for edge in &edges {
        if let Some(key) = keys.get(&edge.target_asset_id) {
            *dependents.entry(key.clone()).or_default() += 1;
        }
    }
    let facts: Vec<AssetFacts> = assets.iter().map(asset_facts).collect();

    input
        .compute(move |log| {
            let lifecycle = LifecycleInput { assets: facts, today };
            let findings = log.run(&LifecycleAnalysis, &lifecycle)?.value;
            let risk_input = RiskInput {
                assets: lifecycle.assets,
                findings,
            };
            let risks = log.run(&SecurityRisk, &risk_input)?.value;
            let RiskInput { assets, findings } = risk_input;
            let strategy_input = StrategyInput {
                assets,
                findings,
                risks,
                dependents,
            };
            let decisions = log.run(&ModernizationStrategy, &strategy_input)?.value;
            let anomalies = supervise(
                log,
                SupervisorInput::new(PhaseName::TechDebtAnalysis)
                    .with("assets", strategy_input.assets.len() as f64)
                    .with("strategies", decisions.len() as f64),
            )?;
            let mut all_findings: Vec<TechDebtFinding> = strategy_input.findings;
            all_findings.extend(security_findings(&strategy_input.risks));
            let items: Vec<TechDebtRecord> = all_findings
                .iter()
                .filter_map(|f| {
                    Some(TechDebtRecord {
                        id: new_id(),
                        asset_id: *ids.get(&f.asset_key)?,
                        category: f.category.clone(),
                        severity: f.severity.clone(),
                        description: f.description.clone(),
                        end_of_life: f.end_of_life,
                        lifecycle_status: f.lifecycle_status.and_then(stored),
                        support_level: f.support_level.and_then(stored),
                    })
                })
                .collect();
            let risk_by_key: HashMap<&str, i64> = strategy_input
                .risks
                .iter()
                .map(|r| (r.asset_key.as_str(), i64::from(r.score)))
                .collect();
            let strategies: Vec<AssetStrategy> = decisions
                .iter()
                .filter_map(|d| {
                    Some(AssetStrategy {
                        asset_id: *ids.get(&d.asset_key)?,
                        six_r_strategy: stored(d.strategy)?,
                        six_r_rationale: d.rationale.clone(),
                        risk_score: risk_by_key.get(d.asset_key.as_str()).copied().unwrap_or(0),
                    })
                })
                .collect();
            let statuses: Vec<String> = all_findings
                .iter()
                .filter_map(|f| f.lifecycle_status.and_then(stored))
                .collect();
            let summary = json!({
                "asOf": today,
                "findings": items.len(),
                "lifecycle": tally(statuses.iter().map(String::as_str)),
                "bySeverity": tally(all_findings.iter().map(|f| f.severity.as_str())),
                "sixR": tally(strategies.iter().map(|s| s.six_r_strategy.as_str())),
                "supervisor": anomalies,
            });
            let assets = strategy_input.assets.len();
            Ok(PhaseSuccess::new(
                "techDebtAnalysis",
                summary,
                PhaseOutput::TechDebt { items, strategies },
                assets,
            ))
        })
        .await
}
