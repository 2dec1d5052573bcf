//! The agent registry: seventeen agents, each serving one phase (the supervisor serves all).
//! Agents are pure and deterministic; the phase handlers in `discovery/` load their input and
//! write their output.

pub mod assessment;
pub mod asset_table;
pub mod cleansing;
pub mod collection;
pub mod dependencies;
pub mod health;
pub mod import_checks;
pub mod inventory;
pub mod lifecycle;
pub mod mapping;
pub mod strategy;
pub mod supervisor;
pub mod types;

use crate::domain::PhaseName;

/// What the registry knows of an agent.
#[derive(Debug, Clone, Copy)]
pub struct AgentSpec {
    pub name: &'static str,
    pub role: &'static str,
    /// The phases it serves: one, or every phase for the flow supervisor.
    pub phases: &'static [PhaseName],
}

impl AgentSpec {
    /// The phase it serves (the first, for the supervisor).
    pub fn phase(&self) -> PhaseName {
        self.phases[0]
    }
}

const fn agent(name: &'static str, role: &'static str, phases: &'static [PhaseName]) -> AgentSpec {
    AgentSpec { name, role, phases }
}

use PhaseName::*;

pub const REGISTRY: &[AgentSpec] = &[
    agent(
        "data_validation",
        "Row-level checks: empty and ragged rows, encodings, exact duplicates",
        &[DataImport],
    ),
    agent(
        "format_detection",
        "Format, delimiter, header row and column profile",
        &[DataImport],
    ),
    agent(
        "field_mapping",
        "Maps source fields to canonical attributes by name, synonym and similarity",
        &[AttributeMapping],
    ),
    agent(
        "pattern_recognition",
        "Confirms or corrects mappings from the values",
        &[AttributeMapping],
    ),
    agent(
        "data_standardization",
        "Standardises environments, units, host case, OS family and version",
        &[DataCleansing],
    ),
    agent(
        "data_quality",
        "Scores completeness and validity per record, field and flow",
        &[DataCleansing],
    ),
    agent(
        "deduplication",
        "Merges the same asset under another spelling",
        &[DataCleansing],
    ),
    agent(
        "asset_classification",
        "Classifies servers, databases, applications, network devices, storage",
        &[Inventory],
    ),
    agent(
        "asset_inventory",
        "Builds the asset records, upserted by source key",
        &[Inventory],
    ),
    agent(
        "criticality_assessment",
        "Business criticality from environment, application and tags",
        &[Inventory],
    ),
    agent(
        "dependency_mapping",
        "Dependency edges from explicit dependency fields",
        &[DependencyAnalysis],
    ),
    agent(
        "application_grouping",
        "Which servers and databases make up each application",
        &[DependencyAnalysis],
    ),
    agent(
        "network_topology",
        "Subnets, shared hosts, unresolved references and cycles",
        &[DependencyAnalysis],
    ),
    agent(
        "lifecycle_analysis",
        "End-of-life of OS, database and runtime versions",
        &[TechDebtAnalysis],
    ),
    agent(
        "security_risk",
        "Risk score from end-of-life, exposure and criticality",
        &[TechDebtAnalysis],
    ),
    agent(
        "modernization_strategy",
        "6R recommendation per asset with its rationale",
        &[TechDebtAnalysis],
    ),
    agent(
        "flow_supervisor",
        "Checks each phase's output before the next starts; flags anomalies",
        PhaseName::ALL,
    ),
];
