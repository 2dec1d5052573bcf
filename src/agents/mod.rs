//! The agent registry: seventeen agents, each serving one phase (the supervisor serves all).
//! Agents are pure and deterministic; the phase handlers in `phases/` load their input and
//! write their output.
//!
//! One folder per phase, one file (or folder) per agent, named as [`REGISTRY`] names it:
//!
//! - [`data_import`]: `data_validation`, `format_detection`
//! - [`attribute_mapping`]: `field_mapping`, `pattern_recognition`
//! - [`data_cleansing`]: `data_standardization`, `data_quality`, `deduplication`
//! - [`inventory`]: `asset_classification`, `asset_inventory`, `criticality_assessment`
//! - [`dependency_analysis`]: `dependency_mapping`, `application_grouping`, `network_topology`
//! - [`tech_debt_analysis`]: `lifecycle_analysis`, `security_risk`, `modernization_strategy`
//! - [`flow_supervisor`], for every phase
//!
//! What they share: [`types`] (what agents take and return, and the [`Agent`](types::Agent)
//! trait), [`vocabulary`] (the words and value shapes of a CMDB export, read one way everywhere),
//! [`asset_table`] (every asset of a flow, packed) and [`graph`] (a packed graph and its strongly
//! connected components). An agent's file imports these and, where it builds on another agent
//! (its output, its rules), that agent's file: never a file that imports it back.
//!
//! Beside the agents: [`agent_health`] judges each agent from its recent tasks and a self-test;
//! [`assessment_rules`] and [`collection_rules`] are the assessment and collection flows' pure
//! rules.

pub mod agent_health;
pub mod assessment_rules;
pub mod asset_table;
pub mod attribute_mapping;
pub mod collection_rules;
pub mod data_cleansing;
pub mod data_import;
pub mod dependency_analysis;
pub mod flow_supervisor;
pub mod graph;
pub mod inventory;
pub mod tech_debt_analysis;
#[cfg(test)]
pub(crate) mod test_fixtures;
pub mod types;
pub mod vocabulary;

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

#[cfg(test)]
mod tests {
    use super::attribute_mapping::field_mapping::FieldMappingAgent;
    use super::attribute_mapping::pattern_recognition::PatternRecognition;
    use super::data_cleansing::data_quality::DataQuality;
    use super::data_cleansing::data_standardization::DataStandardization;
    use super::data_cleansing::deduplication::Deduplication;
    use super::data_import::data_validation::DataValidation;
    use super::data_import::format_detection::FormatDetection;
    use super::dependency_analysis::application_grouping::ApplicationGrouping;
    use super::dependency_analysis::dependency_mapping::DependencyMapping;
    use super::dependency_analysis::network_topology::NetworkTopology;
    use super::flow_supervisor::FlowSupervisor;
    use super::inventory::asset_classification::AssetClassification;
    use super::inventory::asset_inventory::AssetInventory;
    use super::inventory::criticality_assessment::CriticalityAssessment;
    use super::tech_debt_analysis::lifecycle_analysis::LifecycleAnalysis;
    use super::tech_debt_analysis::modernization_strategy::ModernizationStrategy;
    use super::tech_debt_analysis::security_risk::SecurityRisk;
    use super::types::Agent;
    use super::*;

    /// The registry name and phase of an agent type.
    fn named<A: Agent>(_: A) -> (&'static str, PhaseName) {
        (A::NAME, A::PHASE)
    }

    #[test]
    fn every_agent_is_named_and_placed_as_the_registry_says() {
        let agents = [
            named(DataValidation),
            named(FormatDetection),
            named(FieldMappingAgent),
            named(PatternRecognition),
            named(DataStandardization),
            named(DataQuality),
            named(Deduplication),
            named(AssetClassification),
            named(AssetInventory),
            named(CriticalityAssessment),
            named(DependencyMapping),
            named(ApplicationGrouping),
            named(NetworkTopology),
            named(LifecycleAnalysis),
            named(SecurityRisk),
            named(ModernizationStrategy),
            named(FlowSupervisor),
        ];
        assert_eq!(agents.len(), REGISTRY.len());
        for ((name, phase), spec) in agents.into_iter().zip(REGISTRY) {
            assert_eq!(name, spec.name);
            assert_eq!(phase, spec.phase(), "{name}");
        }
    }
}
