use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, Result};

use super::context::{caller, orchestrator, parse_id};
use super::enums::{FlowStatus, FlowType};
use super::objects::{Agent, Asset, Flow, FlowConnection, FlowConnectionFields};
use super::subscription::AgentHealth;
use crate::agents::REGISTRY;
use crate::error::AppError;
use crate::store::{FlowFilter as StoreFlowFilter, PageRequest};

pub const DEFAULT_PAGE_SIZE: i32 = 20;

pub struct QueryRoot;

#[derive(InputObject, Default)]
pub struct FlowFilter {
    pub flow_type: Option<FlowType>,
    pub status: Option<FlowStatus>,
    pub engagement_id: Option<ID>,
}

#[Object]
impl QueryRoot {
    /// One flow of the caller's tenant; another tenant's flow is NOT_FOUND, exactly as a missing one.
    async fn flow(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Flow>> {
        let flow = orchestrator(ctx).get_flow(caller(ctx)?, parse_id(&id)?).await?;
        Ok(Some(Flow::from(flow)))
    }

    /// The caller's flows, newest first. `first` is at most 100; `after` is an edge's cursor.
    async fn flows(
        &self,
        ctx: &Context<'_>,
        filter: Option<FlowFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<FlowConnection> {
        let filter = filter.unwrap_or_default();
        let store_filter = StoreFlowFilter {
            flow_type: filter.flow_type.map(Into::into),
            status: filter.status.map(Into::into),
            engagement_id: filter.engagement_id.as_ref().map(parse_id).transpose()?,
        };
        let after = after
            .map(|cursor| {
                uuid::Uuid::parse_str(&cursor)
                    .map_err(|_| AppError::bad_input("`after` is not a cursor of this listing"))
            })
            .transpose()?;
        let page = PageRequest {
            after,
            limit: first.unwrap_or(DEFAULT_PAGE_SIZE).into(),
        };
        let result = orchestrator(ctx).list_flows(caller(ctx)?, &store_filter, &page).await?;
        let mut connection = Connection::with_additional_fields(
            after.is_some(),
            result.has_next_page,
            FlowConnectionFields {
                total_count: result.total_count,
            },
        );
        connection.edges.extend(
            result
                .flows
                .into_iter()
                .map(|flow| Edge::with_additional_fields(flow.id.to_string(), Flow::from(flow), EmptyFields)),
        );
        Ok(connection)
    }

    /// One asset of the caller's tenant; another tenant's asset is NOT_FOUND.
    async fn asset(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Asset>> {
        let asset = orchestrator(ctx).asset(caller(ctx)?, parse_id(&id)?).await?;
        Ok(Some(Asset(asset.into())))
    }

    /// Each agent's health over the caller's flows (or one flow): recent task outcomes and
    /// latency against its budget, and its self-test probe.
    async fn agent_health(&self, ctx: &Context<'_>, flow_id: Option<ID>) -> Result<Vec<AgentHealth>> {
        let flow = flow_id.as_ref().map(parse_id).transpose()?;
        let reports = orchestrator(ctx)
            .agent_health(caller(ctx)?, flow, &Default::default())
            .await?;
        Ok(reports.into_iter().map(AgentHealth).collect())
    }

    /// The agent registry, with each agent's tasks over the caller's flows.
    async fn agents(&self, ctx: &Context<'_>) -> Result<Vec<Agent>> {
        let stats = orchestrator(ctx).agent_stats(caller(ctx)?, None).await?;
        Ok(REGISTRY.iter().map(|a| Agent::with_stats(*a, &stats)).collect())
    }
}
