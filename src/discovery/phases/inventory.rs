//! inventory: classify each cleansed record (asset_classification), judge its business
//! criticality (criticality_assessment) and build the asset rows (asset_inventory), upserted by
//! source key so a re-run keeps ids and validations.

use chrono::Utc;
use serde_json::{Value, json};
use sqlx::types::Json;

use super::{supervise, tally};
use crate::agents::inventory::{
    AssetClassification, AssetInventory, CriticalityAssessment, CriticalityInput, InventoryInput,
};
use crate::agents::supervisor::SupervisorInput;
use crate::agents::types::{AssetDraft, CleanRecord};
use crate::discovery::{PhaseFailure, PhaseInput, PhaseSuccess, new_id};
use crate::domain::PhaseName;
use crate::store::{AssetRecord, FlowRecord, PhaseOutput};

pub async fn run(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let cleansed = input
        .store
        .cleansed_records(input.scope, input.flow.id)
        .await
        .map_err(PhaseFailure::internal)?;
    if cleansed.is_empty() {
        return Err(PhaseFailure::user("no cleansed records: run data_cleansing first"));
    }
    let flow = input.flow.clone();
    input
        .compute(move |log| {
            let records = cleansed
                .into_iter()
                .map(|r| serde_json::from_value::<CleanRecord>(r.data.0).map_err(PhaseFailure::internal))
                .collect::<Result<Vec<_>, _>>()?;
            let asset_types = log.run(&AssetClassification, &records[..])?.value;
            let criticality_input = CriticalityInput { records, asset_types };
            let criticality = log.run(&CriticalityAssessment, &criticality_input)?.value;
            let CriticalityInput { records, asset_types } = criticality_input;
            let drafts = log
                .run(
                    &AssetInventory,
                    &InventoryInput {
                        records,
                        asset_types,
                        criticality,
                    },
                )?
                .value;
            let anomalies = supervise(
                log,
                SupervisorInput::new(PhaseName::Inventory)
                    .with("assets", drafts.len() as f64)
                    .with(
                        "other",
                        drafts.iter().filter(|d| d.asset_type == "other").count() as f64,
                    ),
            )?;
            let summary = json!({
                "assets": drafts.len(),
                "byType": tally(drafts.iter().map(|d| d.asset_type.as_str())),
                "byCriticality": tally(drafts.iter().map(|d| d.business_criticality.as_str())),
                "supervisor": anomalies,
            });
            let run = new_id();
            let assets: Vec<AssetRecord> = drafts.into_iter().map(|d| asset_row(&flow, run, d)).collect();
            let items = assets.len();
            Ok(PhaseSuccess::new(
                "inventory",
                summary,
                PhaseOutput::Assets(assets),
                items,
            ))
        })
        .await
}

fn asset_row(flow: &FlowRecord, inventory_run: uuid::Uuid, draft: AssetDraft) -> AssetRecord {
    let now = Utc::now();
    let r = draft.record;
    AssetRecord {
        id: new_id(),
        flow_id: flow.id,
        client_account_id: flow.client_account_id,
        engagement_id: flow.engagement_id,
        source_key: r.key,
        name: r.name,
        asset_type: draft.asset_type,
        hostname: r.hostname,
        fqdn: r.fqdn,
        ip_address: r.ip_address,
        operating_system: r.operating_system,
        os_version: r.os_version,
        environment: r.environment,
        application: r.application,
        cpu_cores: r.cpu_cores,
        memory_gb: r.memory_gb,
        storage_gb: r.storage_gb,
        owner: r.owner,
        business_criticality: Some(draft.business_criticality),
        location: r.location,
        depends_on: Json(r.depends_on),
        attributes: Json(Value::Object(r.attributes)),
        source_rows: Json(r.source_rows),
        quality_score: Some(r.quality_score),
        validation_status: "pending".into(),
        validation_note: None,
        six_r_strategy: None,
        six_r_rationale: None,
        risk_score: None,
        inventory_run,
        created_at: now,
        updated_at: now,
    }
}
