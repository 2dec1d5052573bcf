//! The discovery flow's six phases, a module each, and what they share: the flow supervisor's
//! check, the records and assets as the agents see them, paged asset reads and tallies.

pub mod attribute_mapping;
pub mod data_cleansing;
pub mod data_import;
pub mod dependency_analysis;
pub mod inventory;
pub mod tech_debt_analysis;

use serde_json::Value;

use crate::agents::flow_supervisor::{Anomaly, FlowSupervisor, SupervisorInput};
use crate::agents::types::{AssetFacts, SourceRecord};
use crate::phases::input::{BATCH_ROWS, PhaseInput};
use crate::phases::outcome::PhaseFailure;
use crate::phases::task_log::TaskLog;
use crate::store::{AssetRecord, ImportRecord};

/// The flow supervisor's check of a phase's output: fatal anomalies fail the phase, warnings
/// are returned for the phase's result.
fn supervise(log: &mut TaskLog, input: SupervisorInput) -> Result<Vec<Anomaly>, PhaseFailure> {
    let anomalies = log.run(&FlowSupervisor, &input)?.value;
    if let Some(fatal) = anomalies.iter().find(|a| a.fatal) {
        return Err(PhaseFailure::user(format!(
            "flow_supervisor stopped the phase: {}",
            fatal.message
        )));
    }
    Ok(anomalies)
}

fn source_record(record: ImportRecord) -> SourceRecord {
    let fields = match record.data.0 {
        Value::Object(map) => map,
        other => [("value".to_string(), other)].into_iter().collect(),
    };
    SourceRecord {
        row_number: record.row_number,
        line_number: record.line_number,
        fields,
    }
}

fn asset_facts(asset: &AssetRecord) -> AssetFacts {
    let attributes = match &asset.attributes.0 {
        Value::Object(map) => map.clone(),
        _ => Default::default(),
    };
    AssetFacts {
        key: asset.source_key.clone(),
        name: asset.name.clone(),
        asset_type: asset.asset_type.clone(),
        hostname: asset.hostname.clone(),
        fqdn: asset.fqdn.clone(),
        ip_address: asset.ip_address.clone(),
        operating_system: asset.operating_system.clone(),
        os_version: asset.os_version.clone(),
        environment: asset.environment.clone(),
        application: asset.application.clone(),
        business_criticality: asset.business_criticality.clone(),
        depends_on: asset.depends_on.0.clone(),
        attributes,
    }
}

/// The flow's assets a page of `BATCH_ROWS` at a time, in source-key order (keyset pages).
#[derive(Default)]
struct AssetPages {
    after: Option<String>,
    done: bool,
}

impl AssetPages {
    /// The next page; `None` after the last.
    async fn next(&mut self, input: &PhaseInput<'_>) -> Result<Option<Vec<AssetRecord>>, PhaseFailure> {
        if self.done {
            return Ok(None);
        }
        let page = input
            .store
            .asset_page(input.scope, input.flow.id, self.after.as_deref(), BATCH_ROWS as i64)
            .await
            .map_err(PhaseFailure::internal)?;
        self.done = page.len() < BATCH_ROWS;
        self.after = page.last().map(|a| a.source_key.clone());
        Ok((!page.is_empty()).then_some(page))
    }
}

/// Counts of each value across a phase's batches, for its summary.
#[derive(Debug, Default)]
struct Tally(std::collections::BTreeMap<String, u64>);

impl Tally {
    fn add(&mut self, value: &str) {
        match self.0.get_mut(value) {
            Some(count) => *count += 1,
            None => {
                self.0.insert(value.to_string(), 1);
            }
        }
    }

    fn to_json(&self) -> Value {
        serde_json::to_value(&self.0).unwrap_or_default()
    }
}
