//! `UnitedDiscoveryFlow`: runs one phase run of any flow type. A handler reads its input from the
//! store, calls its agents (off the async workers: agent work is CPU work) and returns its
//! output; the orchestrator writes that output with the phase run, the agent tasks and the
//! flow's new state in one transaction, so a phase run twice gives the same result.

use std::sync::Arc;

use uuid::Uuid;

use crate::domain::PhaseName;
use crate::phases::assessment;
use crate::phases::collection;
use crate::phases::discovery;
use crate::phases::input::PhaseInput;
use crate::phases::outcome::PhaseReport;
use crate::store::{FlowRecord, PhaseOutput, PhaseRunRecord, Store, TenantScope};

pub struct UnitedDiscoveryFlow {
    store: Arc<dyn Store>,
}

impl UnitedDiscoveryFlow {
    pub fn new(store: Arc<dyn Store>) -> Self {
        UnitedDiscoveryFlow { store }
    }

    pub async fn run(
        &self,
        scope: &TenantScope,
        flow: &FlowRecord,
        run: &PhaseRunRecord,
        lease_owner: &str,
        wake: Arc<dyn Fn(Uuid) + Send + Sync>,
    ) -> PhaseReport {
        let mut input = PhaseInput {
            store: self.store.clone(),
            scope,
            flow,
            run,
            lease_owner,
            wake,
            writer: None,
            progress: None,
            tasks: Vec::new(),
            batches: Default::default(),
            wrote_batch: false,
        };
        let outcome = match run.phase {
            PhaseName::DataImport => discovery::data_import::run(&mut input).await,
            PhaseName::AttributeMapping => discovery::attribute_mapping::run(&mut input).await,
            PhaseName::DataCleansing => discovery::data_cleansing::run(&mut input).await,
            PhaseName::Inventory => discovery::inventory::run(&mut input).await,
            PhaseName::DependencyAnalysis => discovery::dependency_analysis::run(&mut input).await,
            PhaseName::TechDebtAnalysis => discovery::tech_debt_analysis::run(&mut input).await,
            PhaseName::ReadinessAssessment => assessment::readiness(&mut input).await,
            PhaseName::SixRStrategy => assessment::six_r(&mut input).await,
            PhaseName::WavePlanning => assessment::waves(&mut input).await,
            PhaseName::GapAnalysis => collection::gap_analysis(&mut input).await,
            PhaseName::QuestionnaireGeneration => collection::questionnaire(&mut input).await,
            PhaseName::DataValidation => collection::data_validation(&mut input).await,
        };
        // A phase is done when its last batch is written.
        let flushed = input.flush_writes().await;
        let outcome = outcome.and_then(|success| flushed.map(|()| success));
        if outcome.is_ok()
            && let Some(table) = bulk_table(run.phase)
            && let Err(err) = self.store.analyze(table).await
        {
            // Slower plans for the next phase, not a wrong result.
            tracing::warn!(error = %err, table, "refreshing statistics after a bulk load failed");
        }
        if outcome.is_err()
            && input.wrote_batch
            && let Some(empty) = partial_output(run.phase)
        {
            // Nothing half-written: a streaming phase that fails (a full disk, a lost database)
            // takes back the batches it wrote, if the database still answers.
            let message = "the phase failed: its partial output was removed".to_string();
            input.wrote_batch = false;
            let cleared = match input.write_batch(empty, None, message).await {
                Ok(()) => input.flush_writes().await,
                Err(err) => Err(err),
            };
            if let Err(err) = cleared {
                tracing::warn!(error = ?err.internal, flow = %flow.id, "removing a failed phase's partial output failed");
            }
        }
        PhaseReport {
            outcome,
            tasks: input.into_tasks(),
        }
    }
}

/// The table a streaming phase bulk-loads: its statistics are refreshed when the phase ends,
/// so the next phase's page reads are planned for its real size.
fn bulk_table(phase: PhaseName) -> Option<&'static str> {
    match phase {
        PhaseName::DataImport => Some("raw_import_records"),
        PhaseName::DataCleansing => Some("cleansed_records"),
        PhaseName::Inventory => Some("assets"),
        PhaseName::DependencyAnalysis => Some("asset_dependencies"),
        PhaseName::TechDebtAnalysis => Some("tech_debt_items"),
        _ => None,
    }
}

/// An empty output that, written as a phase's first batch, removes what the phase wrote.
/// Inventory upserts assets in place (keeping their ids), so a failed inventory leaves them.
fn partial_output(phase: PhaseName) -> Option<PhaseOutput> {
    match phase {
        PhaseName::DataImport => Some(PhaseOutput::ImportRecords(Vec::new())),
        PhaseName::DataCleansing => Some(PhaseOutput::CleansedRecords(Vec::new())),
        PhaseName::DependencyAnalysis => Some(PhaseOutput::Dependencies(Vec::new())),
        PhaseName::TechDebtAnalysis => Some(PhaseOutput::TechDebt {
            items: Vec::new(),
            strategies: Vec::new(),
        }),
        _ => None,
    }
}
