//! inventory: classify each cleansed record (asset_classification), judge its business
//! criticality (criticality_assessment) and build the asset rows (asset_inventory), upserted by
//! source key so a re-run keeps ids and validations.

use chrono::Utc;
use serde_json::{Value, json};
use sqlx::types::Json;

use super::{Tally, supervise};
use crate::agents::flow_supervisor::SupervisorInput;
use crate::agents::inventory::{
    AssetClassification, AssetInventory, CriticalityAssessment, CriticalityInput, InventoryInput,
};
use crate::agents::types::{AssetDraft, CleanRecord};
use crate::domain::PhaseName;
use crate::phases::input::{BATCH_ROWS, PhaseInput};
use crate::phases::outcome::{PhaseFailure, PhaseSuccess, new_id, share};
use crate::store::{AssetRecord, PhaseOutput};

pub async fn run(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let total = input.flow.flow_state.0["dataCleansing"]["recordsOut"]
        .as_u64()
        .map(|n| n as usize);
    let run = new_id();
    // Cleansing merged every key's records into one, so batches never share a key; an asset is
    // upserted by its key, and the assets of an earlier run that this one no longer has are
    // swept when the phase completes.
    let (mut after, mut assets, mut other) = (-1, 0usize, 0usize);
    let (mut by_type, mut by_criticality) = (Tally::default(), Tally::default());
    loop {
        let page = input
            .store
            .cleansed_page(input.scope, input.flow.id, after, BATCH_ROWS as i64)
            .await
            .map_err(PhaseFailure::internal)?;
        if page.is_empty() && after >= 0 {
            break;
        }
        if page.is_empty() {
            return Err(PhaseFailure::user("no cleansed records: run data_cleansing first"));
        }
        let last_page = page.len() < BATCH_ROWS;
        after = page.last().map_or(after, |r| r.position);
        let owner = (input.flow.id, input.flow.client_account_id, input.flow.engagement_id);
        let drafts = input
            .compute_batch(move |log| {
                let records = page
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
                Ok(drafts.into_iter().map(|d| asset_row(owner, run, d)).collect::<Vec<_>>())
            })
            .await?;
        for asset in &drafts {
            by_type.add(&asset.asset_type);
            by_criticality.add(asset.business_criticality.as_deref().unwrap_or_default());
            other += usize::from(asset.asset_type == "other");
        }
        assets += drafts.len();
        let progress = total.map(|total| share(assets, total));
        let message = format!("{assets} assets built");
        input
            .write_batch(PhaseOutput::Assets(drafts), progress, message)
            .await?;
        if last_page {
            break;
        }
    }
    input
        .compute(move |log| {
            let anomalies = supervise(
                log,
                SupervisorInput::new(PhaseName::Inventory)
                    .with("assets", assets as f64)
                    .with("other", other as f64),
            )?;
            let summary = json!({
                "assets": assets,
                "byType": by_type.to_json(),
                "byCriticality": by_criticality.to_json(),
                "supervisor": anomalies,
            });
            Ok(PhaseSuccess::new(
                "inventory",
                summary,
                PhaseOutput::SweepAssets { inventory_run: run },
                assets,
            ))
        })
        .await
}

/// An asset row of the flow `(id, client account, engagement)`.
fn asset_row(
    (flow_id, client_account_id, engagement_id): (uuid::Uuid, uuid::Uuid, uuid::Uuid),
    inventory_run: uuid::Uuid,
    draft: AssetDraft,
) -> AssetRecord {
    let now = Utc::now();
    let r = draft.record;
    AssetRecord {
        id: new_id(),
        flow_id,
        client_account_id,
        engagement_id,
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
