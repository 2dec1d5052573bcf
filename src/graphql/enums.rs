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

/// A person's verdict on an asset (stored lower-case).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ValidationStatus {
    Pending,
    Validated,
    Rejected,
}

impl ValidationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ValidationStatus::Pending => "pending",
            ValidationStatus::Validated => "validated",
            ValidationStatus::Rejected => "rejected",
        }
    }

    pub fn parse(stored: &str) -> Self {
        match stored {
            "validated" => ValidationStatus::Validated,
            "rejected" => ValidationStatus::Rejected,
            _ => ValidationStatus::Pending,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::agents::types::SixR")]
pub enum SixRStrategy {
    Rehost,
    Replatform,
    Refactor,
    Repurchase,
    Retire,
    Retain,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::agents::types::LifecycleStatus")]
pub enum LifecycleStatus {
    Active,
    EolSoon,
    EolExpired,
    Unknown,
}

/// Reads a stored SCREAMING_SNAKE name of an agent enum (`REHOST`, `EOL_EXPIRED`, ...).
pub fn from_stored<T: serde::de::DeserializeOwned>(stored: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(stored.to_string())).ok()
}
