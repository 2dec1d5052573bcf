use async_graphql::{Context, ID, InputObject, Json, Object, Result, Upload};
use serde_json::Value;

use super::context::{caller, orchestrator, parse_id};
use super::enums::{FlowType, PhaseName, ValidationStatus};
use super::objects::{Asset, Flow, Phase};
use super::objects::{CollectionResponseInput, CollectionSubmission, RejectedResponse};
use crate::error::AppError;
use crate::orchestrator::{CollectionResponse, MappingOverride, NewFlow, RawInput};

pub struct MutationRoot;

/// A new flow. A discovery flow takes its raw CMDB export as exactly one of `csv` (text),
/// `records` (a JSON array of objects) or `file` (a multipart upload of CSV or JSON).
#[derive(InputObject)]
pub struct CreateFlowInput {
    pub flow_type: FlowType,
    pub name: String,
    /// Required unless the token is restricted to one engagement.
    pub engagement_id: Option<ID>,
    pub csv: Option<String>,
    pub records: Option<Json<Value>>,
    pub file: Option<Upload>,
    pub configuration: Option<Json<Value>>,
    pub master_flow_id: Option<ID>,
}

/// A person's choice for one source field at the approval gate.
#[derive(InputObject)]
pub struct FieldMappingInput {
    pub source_field: String,
    /// A canonical attribute, or null to keep the field as an extra attribute.
    pub target_attribute: Option<String>,
}

#[Object]
impl MutationRoot {
    async fn create_flow(&self, ctx: &Context<'_>, input: CreateFlowInput) -> Result<Flow> {
        let who = caller(ctx)?;
        let raw = match (input.csv, input.records, input.file) {
            (None, None, None) => None,
            (Some(csv), None, None) => Some(RawInput::Csv(csv)),
            (None, Some(records), None) => Some(RawInput::Records(records.0)),
            (None, None, Some(upload)) => {
                let file = upload
                    .value(ctx)
                    .map_err(|_| AppError::bad_input("the uploaded file could not be read"))?;
                Some(RawInput::File {
                    filename: file.filename,
                    file: file.content,
                })
            }
            _ => return Err(AppError::bad_input("give only one of csv, records and file").into()),
        };
        let new_flow = NewFlow {
            flow_type: input.flow_type.into(),
            name: input.name,
            engagement_id: input.engagement_id.as_ref().map(parse_id).transpose()?,
            raw,
            configuration: input.configuration.map(|c| c.0),
            master_flow_id: input.master_flow_id.as_ref().map(parse_id).transpose()?,
        };
        Ok(Flow::from(orchestrator(ctx).create_flow(who, new_flow).await?))
    }

    /// Starts `phase`, or the next phase when omitted; with `wait: true`, answers when it has stopped.
    async fn execute_phase(
        &self,
        ctx: &Context<'_>,
        flow_id: ID,
        phase: Option<PhaseName>,
        #[graphql(default = false)] wait: bool,
    ) -> Result<Phase> {
        let view = orchestrator(ctx)
            .execute_phase(caller(ctx)?, parse_id(&flow_id)?, phase.map(Into::into), wait)
            .await?;
        Ok(Phase(view))
    }

    /// Runs every remaining phase in order; stops at the approval gate, a pause or a failure.
    async fn execute_flow(
        &self,
        ctx: &Context<'_>,
        flow_id: ID,
        #[graphql(default = false)] wait: bool,
    ) -> Result<Flow> {
        Ok(Flow::from(
            orchestrator(ctx)
                .execute_flow(caller(ctx)?, parse_id(&flow_id)?, wait)
                .await?,
        ))
    }

    /// Approves every field mapping (with `overrides` applied) and resumes the flow.
    async fn approve_field_mappings(
        &self,
        ctx: &Context<'_>,
        flow_id: ID,
        overrides: Option<Vec<FieldMappingInput>>,
    ) -> Result<Flow> {
        let overrides = overrides
            .unwrap_or_default()
            .into_iter()
            .map(|o| MappingOverride {
                source_field: o.source_field,
                target_attribute: o.target_attribute,
            })
            .collect();
        let flow = orchestrator(ctx)
            .approve_field_mappings(caller(ctx)?, parse_id(&flow_id)?, overrides)
            .await?;
        Ok(Flow::from(flow))
    }

    /// A person's verdict on an asset, recorded in its flow's audit trail.
    async fn validate_asset(
        &self,
        ctx: &Context<'_>,
        asset_id: ID,
        status: ValidationStatus,
        note: Option<String>,
    ) -> Result<Asset> {
        let asset = orchestrator(ctx)
            .validate_asset(caller(ctx)?, parse_id(&asset_id)?, status.as_str(), note)
            .await?;
        Ok(Asset(asset.into()))
    }

    /// Answers to a collection flow's questions: each is validated and written to its asset
    /// (with an audit event); the last one completes the waiting data_validation phase.
    async fn submit_collection_responses(
        &self,
        ctx: &Context<'_>,
        flow_id: ID,
        responses: Vec<CollectionResponseInput>,
    ) -> Result<CollectionSubmission> {
        let responses = responses
            .into_iter()
            .map(|r| CollectionResponse {
                question_id: r.question_id.0,
                value: r.value.0,
            })
            .collect();
        let done = orchestrator(ctx)
            .submit_collection_responses(caller(ctx)?, parse_id(&flow_id)?, responses)
            .await?;
        Ok(CollectionSubmission {
            accepted: done.accepted as i32,
            rejected: done
                .rejected
                .into_iter()
                .map(|(question_id, message)| RejectedResponse {
                    question_id: ID(question_id),
                    message,
                })
                .collect(),
            open_questions: done.open_questions as i32,
            flow: Flow::from(done.flow),
        })
    }

    async fn pause_flow(&self, ctx: &Context<'_>, flow_id: ID) -> Result<Flow> {
        Ok(Flow::from(
            orchestrator(ctx).pause_flow(caller(ctx)?, parse_id(&flow_id)?).await?,
        ))
    }

    async fn resume_flow(&self, ctx: &Context<'_>, flow_id: ID) -> Result<Flow> {
        Ok(Flow::from(
            orchestrator(ctx).resume_flow(caller(ctx)?, parse_id(&flow_id)?).await?,
        ))
    }

    async fn complete_flow(&self, ctx: &Context<'_>, flow_id: ID) -> Result<Flow> {
        Ok(Flow::from(
            orchestrator(ctx)
                .complete_flow(caller(ctx)?, parse_id(&flow_id)?)
                .await?,
        ))
    }

    /// Soft delete (admin only): hidden from every query, its audit trail kept.
    async fn delete_flow(
        &self,
        ctx: &Context<'_>,
        flow_id: ID,
        #[graphql(default = false)] cascade: bool,
    ) -> Result<bool> {
        orchestrator(ctx)
            .delete_flow(caller(ctx)?, parse_id(&flow_id)?, cascade)
            .await?;
        Ok(true)
    }
}
