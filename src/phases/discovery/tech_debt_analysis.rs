//! tech_debt_analysis: end-of-life findings from the lifecycle catalogue (lifecycle_analysis),
//! a risk score per asset (security_risk), and a 6R recommendation per asset
//! (modernization_strategy).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use serde_json::{Value, json};

use super::{AssetPages, Tally, asset_facts, supervise};
use crate::agents::flow_supervisor::SupervisorInput;
use crate::agents::tech_debt_analysis::{
    LifecycleAnalysis, LifecycleInput, ModernizationStrategy, RiskInput, SecurityRisk, StrategyInput, security_findings,
};
use crate::agents::types::{AssetFacts, TechDebtFinding};
use crate::domain::PhaseName;
use crate::phases::input::PhaseInput;
use crate::phases::outcome::{PhaseFailure, PhaseSuccess, new_id, share};
use crate::store::{AssetRecord, AssetStrategy, PhaseOutput, TechDebtRecord};

/// Serialises an agent enum the way it is stored (`EOL_EXPIRED`, `REHOST`, ...).
fn stored<T: serde::Serialize>(value: T) -> Option<String> {
    serde_json::to_value(value).ok()?.as_str().map(str::to_string)
}

pub async fn run(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    // Judged against today unless the flow pins a date (`lifecycleAsOf`, for reproducible reports).
    let today = match input.config("lifecycleAsOf").and_then(Value::as_str) {
        Some(date) => NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| PhaseFailure::user("configuration lifecycleAsOf must be a date, YYYY-MM-DD"))?,
        None => Utc::now().date_naive(),
    };
    // How many edges point at each asset: the one thing a batch needs from the others.
    let dependents: Arc<HashMap<uuid::Uuid, usize>> = Arc::new(
        input
            .store
            .dependent_counts(input.scope, input.flow.id)
            .await
            .map_err(PhaseFailure::internal)?
            .into_iter()
            .map(|(id, n)| (id, n as usize))
            .collect(),
    );
    let total = input.flow.flow_state.0["inventory"]["assets"]
        .as_u64()
        .map(|n| n as usize);
    let (mut pages, mut assets, mut findings) = (AssetPages::default(), 0usize, 0usize);
    let (mut lifecycle, mut severity, mut six_r) = (Tally::default(), Tally::default(), Tally::default());
    while let Some(page) = pages.next(input).await? {
        assets += page.len();
        let dependents = dependents.clone();
        let batch = input
            .compute_batch(move |log| batch(log, page, today, &dependents))
            .await?;
        findings += batch.items.len();
        for status in &batch.statuses {
            lifecycle.add(status);
        }
        for level in &batch.severities {
            severity.add(level);
        }
        for strategy in &batch.strategies {
            six_r.add(&strategy.six_r_strategy);
        }
        let progress = total.map(|total| share(assets, total));
        let message = format!("{assets} assets assessed");
        let output = PhaseOutput::TechDebt {
            items: batch.items,
            strategies: batch.strategies,
        };
        input.write_batch(output, progress, message).await?;
    }
    if assets == 0 {
        return Err(PhaseFailure::user("no assets: run inventory first"));
    }
    input
        .compute(move |log| {
            let anomalies = supervise(
                log,
                SupervisorInput::new(PhaseName::TechDebtAnalysis)
                    .with("assets", assets as f64)
                    .with("strategies", six_r.0.values().sum::<u64>() as f64),
            )?;
            let summary = json!({
                "asOf": today,
                "findings": findings,
                "lifecycle": lifecycle.to_json(),
                "bySeverity": severity.to_json(),
                "sixR": six_r.to_json(),
                "supervisor": anomalies,
            });
            Ok(PhaseSuccess::streamed("techDebtAnalysis", summary, assets))
        })
        .await
}

/// One batch's findings and strategies, with what the summary counts of them.
struct Batch {
    items: Vec<TechDebtRecord>,
    strategies: Vec<AssetStrategy>,
    statuses: Vec<String>,
    severities: Vec<String>,
}

fn batch(
    log: &mut crate::phases::task_log::TaskLog,
    page: Vec<AssetRecord>,
    today: NaiveDate,
    dependents_by_id: &HashMap<uuid::Uuid, usize>,
) -> Result<Batch, PhaseFailure> {
    let ids: HashMap<String, uuid::Uuid> = page.iter().map(|a| (a.source_key.clone(), a.id)).collect();
    let dependents: HashMap<String, usize> = page
        .iter()
        .filter_map(|a| Some((a.source_key.clone(), *dependents_by_id.get(&a.id)?)))
        .collect();
    let facts: Vec<AssetFacts> = page.iter().map(asset_facts).collect();
    drop(page);
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
    Ok(Batch {
        items,
        strategies,
        statuses: all_findings
            .iter()
            .filter_map(|f| f.lifecycle_status.and_then(stored))
            .collect(),
        severities: all_findings.iter().map(|f| f.severity.clone()).collect(),
    })
}
