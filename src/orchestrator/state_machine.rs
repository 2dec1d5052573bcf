//! Which lifecycle moves are allowed, as pure functions of the flow and its phase runs. An
//! invalid move is a `CONFLICT` and the caller writes nothing.

use crate::domain::{FlowStatus, PhaseName, PhaseStatus};
use crate::error::{AppError, AppResult};
use crate::store::{FlowRecord, PhaseRunRecord};

/// The latest run of each phase, by attempt.
pub fn latest_runs(runs: &[PhaseRunRecord]) -> Vec<&PhaseRunRecord> {
    let mut latest: Vec<&PhaseRunRecord> = Vec::new();
    for run in runs {
        match latest
            .iter_mut()
            .find(|r| r.phase == run.phase && r.flow_id == run.flow_id)
        {
            Some(slot) if slot.attempt < run.attempt => *slot = run,
            Some(_) => {}
            None => latest.push(run),
        }
    }
    latest
}

pub fn phase_status(runs: &[&PhaseRunRecord], phase: PhaseName) -> PhaseStatus {
    runs.iter()
        .find(|r| r.phase == phase)
        .map_or(PhaseStatus::Pending, |r| r.status)
}

/// Decides which phase an `executePhase` runs: the requested one, or the first not done.
/// Phases run in order; a completed or failed phase may run again (phases are idempotent).
pub fn check_execute(flow: &FlowRecord, runs: &[PhaseRunRecord], requested: Option<PhaseName>) -> AppResult<PhaseName> {
    let phases = flow.flow_type.phases();
    if let Some(phase) = requested
        && !phases.contains(&phase)
    {
        return Err(AppError::bad_input(format!(
            "{phase} is not a phase of a {} flow",
            flow.flow_type
        )));
    }
    match flow.status {
        FlowStatus::Initialized | FlowStatus::Running | FlowStatus::Failed => {}
        FlowStatus::Paused => return Err(AppError::conflict("the flow is paused: resume it first")),
        FlowStatus::WaitingForApproval => {
            return Err(AppError::conflict(
                "the flow is waiting for approval of its field mappings",
            ));
        }
        status @ (FlowStatus::Completed | FlowStatus::Cancelled) => {
            return Err(AppError::conflict(format!(
                "the flow is {status}: it runs no more phases"
            )));
        }
    }
    let latest = latest_runs(runs);
    if let Some(active) = latest.iter().find(|r| r.status.is_active()) {
        return Err(AppError::conflict(format!(
            "phase {} is already {}",
            active.phase, active.status
        )));
    }
    let phase = match requested {
        Some(phase) => phase,
        None => *phases
            .iter()
            .find(|p| !phase_status(&latest, **p).is_done())
            .ok_or_else(|| AppError::conflict("every phase of the flow has completed"))?,
    };
    if let Some(missing) = phases
        .iter()
        .take_while(|p| **p != phase)
        .find(|p| !phase_status(&latest, **p).is_done())
    {
        return Err(AppError::conflict(format!(
            "phase {phase} cannot run before {missing} has completed"
        )));
    }
    Ok(phase)
}

pub fn check_pause(flow: &FlowRecord) -> AppResult<()> {
    match flow.status {
        FlowStatus::Running => Ok(()),
        status => Err(AppError::conflict(format!(
            "only a running flow can be paused; this one is {status}"
        ))),
    }
}

pub fn check_resume(flow: &FlowRecord) -> AppResult<()> {
    match flow.status {
        FlowStatus::Paused => Ok(()),
        status => Err(AppError::conflict(format!(
            "only a paused flow can be resumed; this one is {status}"
        ))),
    }
}

/// A flow is completed by hand from running or paused, when no phase is in flight.
pub fn check_complete(flow: &FlowRecord, runs: &[PhaseRunRecord]) -> AppResult<()> {
    match flow.status {
        FlowStatus::Running | FlowStatus::Paused => {}
        status => {
            return Err(AppError::conflict(format!(
                "only a running or paused flow can be completed; this one is {status}"
            )));
        }
    }
    if let Some(active) = latest_runs(runs).iter().find(|r| r.status.is_active()) {
        return Err(AppError::conflict(format!(
            "phase {} is still {}: wait for it before completing the flow",
            active.phase, active.status
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FlowType;
    use chrono::Utc;
    use sqlx::types::Json;
    use uuid::Uuid;

    fn flow(status: FlowStatus) -> FlowRecord {
        let now = Utc::now();
        FlowRecord {
            id: Uuid::now_v7(),
            flow_id: "f".into(),
            flow_type: FlowType::Discovery,
            master_flow_id: None,
            client_account_id: Uuid::nil(),
            engagement_id: Uuid::nil(),
            user_id: Uuid::nil(),
            name: "n".into(),
            status,
            current_phase: None,
            flow_configuration: Json(serde_json::json!({})),
            flow_state: Json(serde_json::json!({})),
            phases_completed: Json(vec![]),
            progress_percentage: 0,
            data_import_id: None,
            performance_metrics: Json(serde_json::json!({})),
            quality_scores: Json(serde_json::json!({})),
            auto_advance: false,
            version: 1,
            created_at: now,
            updated_at: now,
            completed_at: None,
            deleted_at: None,
        }
    }

    fn run(flow: &FlowRecord, phase: PhaseName, status: PhaseStatus, attempt: i32) -> PhaseRunRecord {
        PhaseRunRecord {
            id: Uuid::now_v7(),
            flow_id: flow.id,
            client_account_id: flow.client_account_id,
            engagement_id: flow.engagement_id,
            phase,
            status,
            attempt,
            progress: 0,
            requested_by: Uuid::nil(),
            created_at: Utc::now(),
            started_at: None,
            completed_at: None,
            result: None,
            error: None,
        }
    }

    fn code(result: AppResult<impl std::fmt::Debug>) -> &'static str {
        result.unwrap_err().code()
    }

    #[test]
    fn next_phase_is_the_first_not_done() {
        let f = flow(FlowStatus::Initialized);
        assert_eq!(check_execute(&f, &[], None).unwrap(), PhaseName::DataImport);
        let runs = [run(&f, PhaseName::DataImport, PhaseStatus::Completed, 1)];
        assert_eq!(check_execute(&f, &runs, None).unwrap(), PhaseName::AttributeMapping);
    }

    #[test]
    fn phases_run_in_order_and_one_at_a_time() {
        let f = flow(FlowStatus::Running);
        assert_eq!(code(check_execute(&f, &[], Some(PhaseName::Inventory))), "CONFLICT");
        let running = [run(&f, PhaseName::DataImport, PhaseStatus::Running, 1)];
        assert_eq!(
            code(check_execute(&f, &running, Some(PhaseName::DataImport))),
            "CONFLICT"
        );
        assert_eq!(
            code(check_execute(&f, &[], Some(PhaseName::WavePlanning))),
            "BAD_USER_INPUT"
        );
    }

    #[test]
    fn failed_phases_may_run_again_and_the_latest_attempt_counts() {
        let f = flow(FlowStatus::Failed);
        let runs = [
            run(&f, PhaseName::DataImport, PhaseStatus::Completed, 1),
            run(&f, PhaseName::DataImport, PhaseStatus::Failed, 2),
        ];
        assert_eq!(check_execute(&f, &runs, None).unwrap(), PhaseName::DataImport);
        assert_eq!(
            code(check_execute(&f, &runs, Some(PhaseName::AttributeMapping))),
            "CONFLICT"
        );
    }

    #[test]
    fn status_gates() {
        for status in [
            FlowStatus::Paused,
            FlowStatus::Completed,
            FlowStatus::Cancelled,
            FlowStatus::WaitingForApproval,
        ] {
            assert_eq!(code(check_execute(&flow(status), &[], None)), "CONFLICT", "{status}");
        }
        assert!(check_pause(&flow(FlowStatus::Running)).is_ok());
        for status in [FlowStatus::Initialized, FlowStatus::Paused, FlowStatus::Completed] {
            assert_eq!(code(check_pause(&flow(status))), "CONFLICT");
        }
        assert!(check_resume(&flow(FlowStatus::Paused)).is_ok());
        assert_eq!(code(check_resume(&flow(FlowStatus::Running))), "CONFLICT");
        assert_eq!(code(check_complete(&flow(FlowStatus::Initialized), &[])), "CONFLICT");
        let f = flow(FlowStatus::Running);
        let running = [run(&f, PhaseName::DataImport, PhaseStatus::Running, 1)];
        assert_eq!(code(check_complete(&f, &running)), "CONFLICT");
        assert!(check_complete(&f, &[]).is_ok());
    }
}
