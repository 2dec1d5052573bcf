//! GraphQL mirrors of the domain's names (`remote` derives the conversions both ways).

use async_graphql::Enum;

use crate::domain;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::FlowType")]
pub enum FlowType {
    Discovery,
    Assessment,
    Collection,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::FlowStatus")]
pub enum FlowStatus {
    Initialized,
    Running,
    WaitingForApproval,
    Paused,
    Completed,
    Failed,
    Cancelled,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::PhaseName")]
pub enum PhaseName {
    DataImport,
    AttributeMapping,
    DataCleansing,
    Inventory,
    DependencyAnalysis,
    TechDebtAnalysis,
    ReadinessAssessment,
    SixRStrategy,
    WavePlanning,
    GapAnalysis,
    QuestionnaireGeneration,
    DataValidation,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::PhaseStatus")]
pub enum PhaseStatus {
    Pending,
    Queued,
    Running,
    WaitingForApproval,
    Completed,
    Failed,
    Skipped,
}
