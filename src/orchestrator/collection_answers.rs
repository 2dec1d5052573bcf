//! Answers to a collection flow's questionnaire: each is validated, written to its asset (in the
//! master discovery flow) with an audit event, and the last one completes the waiting
//! data_validation phase, all in one transaction.

use std::collections::HashMap;

use chrono::Utc;
use serde_json::{Value, json};
use sqlx::types::Json;
use uuid::Uuid;

use super::master::{MasterFlowOrchestrator, audit, next, scope};
use super::state_machine::latest_runs;
use crate::agents::collection_rules::{Answer, Question, validate};
use crate::auth::RequestContext;
use crate::domain::{FlowStatus, FlowType, PhaseName, PhaseStatus};
use crate::error::{AppError, AppResult};
use crate::store::{AssetAnswer, EventPayload, FlowChange, FlowRecord, FlowResultRecord, PhaseOutput};

#[derive(Debug, Clone)]
pub struct CollectionResponse {
    pub question_id: String,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub struct Submission {
    pub accepted: usize,
    /// (question id, why), for the answers refused; they change nothing.
    pub rejected: Vec<(String, String)>,
    pub open_questions: usize,
    pub flow: FlowRecord,
}

fn set(answer: &mut AssetAnswer, attribute: &str, value: Answer) {
    let text = |v: &Answer| match v {
        Answer::Text(t) => t.clone(),
        Answer::Integer(i) => i.to_string(),
        Answer::Number(n) => n.to_string(),
    };
    match (attribute, &value) {
        ("cpu_cores", Answer::Integer(i)) => answer.cpu_cores = Some(*i),
        ("memory_gb", Answer::Number(n)) => answer.memory_gb = Some(*n),
        ("storage_gb", Answer::Number(n)) => answer.storage_gb = Some(*n),
        ("hostname", v) => answer.hostname = Some(text(v)),
        ("fqdn", v) => answer.fqdn = Some(text(v)),
        ("ip_address", v) => answer.ip_address = Some(text(v)),
        ("operating_system", v) => answer.operating_system = Some(text(v)),
        ("os_version", v) => answer.os_version = Some(text(v)),
        ("environment", v) => answer.environment = Some(text(v)),
        ("application", v) => answer.application = Some(text(v)),
        ("business_criticality", v) => answer.business_criticality = Some(text(v)),
        ("location", v) => answer.location = Some(text(v)),
        (_, v) => answer.owner = Some(text(v)),
    }
}

impl MasterFlowOrchestrator {
    pub async fn submit_collection_responses(
        &self,
        ctx: &RequestContext,
        flow_id: Uuid,
        responses: Vec<CollectionResponse>,
    ) -> AppResult<Submission> {
        ctx.require_write()?;
        let flow = self.get_flow(ctx, flow_id).await?;
        if flow.flow_type != FlowType::Collection {
            return Err(AppError::bad_input("answers go to a collection flow"));
        }
        if flow.status.is_terminal() {
            return Err(AppError::conflict(format!(
                "the flow is {}: it takes no more answers",
                flow.status
            )));
        }
        let rows = self.store.flow_results(&scope(ctx), &[flow.id], "question").await?;
        if rows.is_empty() {
            return Err(AppError::conflict(
                "the flow has no questionnaire yet: run questionnaire_generation first",
            ));
        }
        let mut questions: Vec<(FlowResultRecord, Question)> = rows
            .into_iter()
            .filter_map(|r| Some((r.clone(), serde_json::from_value(r.data.0).ok()?)))
            .collect();

        let mut answers: HashMap<Uuid, AssetAnswer> = HashMap::new();
        let (mut accepted, mut rejected, mut audits, mut changed) = (0, Vec::new(), Vec::new(), Vec::new());
        for response in responses {
            let Some((row, question)) = questions.iter_mut().find(|(_, q)| q.id == response.question_id) else {
                rejected.push((response.question_id, "no such question in this flow".to_string()));
                continue;
            };
            let Ok(asset_id) = question.asset_id.parse::<Uuid>() else {
                rejected.push((response.question_id, "the question names no asset".to_string()));
                continue;
            };
            match validate(&question.attribute, &response.value) {
                Err(why) => rejected.push((response.question_id, why)),
                Ok(value) => {
                    let stored = match &value {
                        Answer::Text(t) => json!(t),
                        Answer::Integer(i) => json!(i),
                        Answer::Number(n) => json!(n),
                    };
                    let entry = answers.entry(asset_id).or_insert_with(|| AssetAnswer {
                        asset_id,
                        ..Default::default()
                    });
                    set(entry, &question.attribute, value);
                    question.answered = true;
                    question.answer = Some(stored.clone());
                    row.data = Json(serde_json::to_value(&*question).unwrap_or_default());
                    changed.push(row.clone());
                    audits.push(audit(
                        ctx,
                        &flow,
                        "collection_answer_applied",
                        json!({ "questionId": question.id, "assetId": asset_id, "attribute": question.attribute, "value": stored }),
                    ));
                    accepted += 1;
                }
            }
        }
        let open_questions = questions.iter().filter(|(_, q)| !q.answered).count();
        if accepted == 0 {
            return Ok(Submission {
                accepted,
                rejected,
                open_questions,
                flow,
            });
        }

        // The last answer completes a waiting data_validation (and with it the flow).
        let runs = self.store.phase_runs(&scope(ctx), &[flow.id]).await?;
        let waiting = latest_runs(&runs)
            .into_iter()
            .find(|r| r.phase == PhaseName::DataValidation && r.status == PhaseStatus::WaitingForApproval)
            .cloned();
        let mut updated = next(&flow);
        let mut events = Vec::new();
        let run = match (waiting, open_questions) {
            (Some(mut run), 0) => {
                run.status = PhaseStatus::Completed;
                run.completed_at = Some(Utc::now());
                run.result = Some(Json(
                    json!({ "questions": questions.len(), "answered": questions.len(), "open": 0 }),
                ));
                updated.phases_completed.0.push(PhaseName::DataValidation);
                updated.progress_percentage = 100;
                updated.current_phase = None;
                updated.status = FlowStatus::Completed;
                updated.completed_at = Some(updated.updated_at);
                events.push(EventPayload::of_run(&run, Some("every question answered".into())));
                events.push(EventPayload::of_flow(&updated));
                Some(run)
            }
            _ => None,
        };
        let output = PhaseOutput::Answers {
            questions: changed,
            assets: answers.into_values().collect(),
        };
        let (first, rest) = audits.split_first().map_or((None, &[][..]), |(f, r)| (Some(f), r));
        self.write(&FlowChange {
            run: run.as_ref(),
            output: Some(&output),
            audit: first,
            more_audits: rest,
            events: &events,
            ..FlowChange::new(&updated)
        })
        .await?;
        Ok(Submission {
            accepted,
            rejected,
            open_questions,
            flow: updated,
        })
    }
}
