//! flow_supervisor: checks each phase's output before the next phase starts. A fatal anomaly
//! fails the phase (the next would only compound it); a warning is reported with the result.

use serde::Serialize;

use crate::agents::types::{Agent, AgentError, AgentOutput};
use crate::domain::PhaseName;

/// Figures a phase reports about its output; the names are the phase's own.
#[derive(Debug, Clone, Default)]
pub struct SupervisorInput {
    pub phase: Option<PhaseName>,
    pub figures: Vec<(&'static str, f64)>,
}

impl SupervisorInput {
    pub fn new(phase: PhaseName) -> Self {
        SupervisorInput {
            phase: Some(phase),
            figures: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<f64>) -> Self {
        self.figures.push((name, value.into()));
        self
    }

    fn get(&self, name: &str) -> f64 {
        self.figures.iter().find(|(n, _)| *n == name).map_or(0.0, |(_, v)| *v)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anomaly {
    pub fatal: bool,
    pub message: String,
}

pub struct FlowSupervisor;

fn fatal(message: impl Into<String>) -> Anomaly {
    Anomaly {
        fatal: true,
        message: message.into(),
    }
}

fn warning(message: impl Into<String>) -> Anomaly {
    Anomaly {
        fatal: false,
        message: message.into(),
    }
}

impl Agent for FlowSupervisor {
    type Input = SupervisorInput;
    type Output = Vec<Anomaly>;
    const NAME: &'static str = "flow_supervisor";
    const PHASE: PhaseName = PhaseName::DataImport;

    fn run(&self, input: &SupervisorInput) -> Result<AgentOutput<Vec<Anomaly>>, AgentError> {
        let phase = input.phase.ok_or_else(|| AgentError("no phase to supervise".into()))?;
        let mut found = Vec::new();
        match phase {
            PhaseName::DataImport => {
                let (rows, bad) = (input.get("rows"), input.get("bad_rows"));
                if rows == 0.0 {
                    found.push(fatal("the import produced no rows"));
                } else if bad / (rows + bad) > 0.2 {
                    found.push(warning(format!("{bad} of {} rows were unreadable", rows + bad)));
                }
                if input.get("duplicates") > 0.0 {
                    found.push(warning(format!(
                        "{} rows are exact duplicates of earlier rows",
                        input.get("duplicates")
                    )));
                }
            }
            PhaseName::AttributeMapping => {
                if input.get("identity_mapped") == 0.0 {
                    found.push(fatal(
                        "no field maps to name, hostname, FQDN or IP address: assets could not be identified",
                    ));
                }
                if input.get("mapped") < 3.0 {
                    found.push(warning(format!(
                        "only {} fields mapped to canonical attributes",
                        input.get("mapped")
                    )));
                }
            }
            PhaseName::DataCleansing => {
                let (records_in, records_out) = (input.get("records_in"), input.get("records_out"));
                if records_out == 0.0 {
                    found.push(fatal("cleansing produced no records"));
                } else if records_out / records_in < 0.5 {
                    found.push(warning(format!(
                        "deduplication merged {records_in} records into {records_out}"
                    )));
                }
                if input.get("quality") < 0.5 {
                    found.push(warning(format!(
                        "average data quality is low ({:.2})",
                        input.get("quality")
                    )));
                }
            }
            PhaseName::Inventory => {
                let assets = input.get("assets");
                if assets == 0.0 {
                    found.push(fatal("the inventory is empty"));
                } else if input.get("other") / assets > 0.5 {
                    found.push(warning("more than half of the assets could not be classified"));
                }
            }
            PhaseName::DependencyAnalysis => {
                let (references, unresolved) = (input.get("references"), input.get("unresolved"));
                if references > 0.0 && unresolved / references > 0.2 {
                    found.push(warning(format!(
                        "{unresolved} of {references} dependency references name no known asset"
                    )));
                }
                if input.get("cycles") > 0.0 {
                    found.push(warning(format!("{} dependency cycles", input.get("cycles"))));
                }
            }
            PhaseName::TechDebtAnalysis => {
                let missing = input.get("assets") - input.get("strategies");
                if missing > 0.0 {
                    found.push(fatal(format!("{missing} assets have no 6R recommendation")));
                }
            }
            _ => {}
        }
        let confidence = if found.iter().any(|a| a.fatal) {
            0.2
        } else {
            1.0 - 0.1 * found.len() as f64
        };
        let reasoning = match found.len() {
            0 => format!("{phase}: output looks sound"),
            n => format!("{phase}: {n} anomalies flagged"),
        };
        Ok(AgentOutput::new(found, confidence, reasoning))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: SupervisorInput) -> Vec<Anomaly> {
        FlowSupervisor.run(&input).unwrap().value
    }

    #[test]
    fn empty_outputs_are_fatal() {
        assert!(
            run(SupervisorInput::new(PhaseName::DataImport).with("rows", 0))
                .iter()
                .any(|a| a.fatal)
        );
        assert!(
            run(SupervisorInput::new(PhaseName::Inventory).with("assets", 0))
                .iter()
                .any(|a| a.fatal)
        );
        let unidentified = SupervisorInput::new(PhaseName::AttributeMapping)
            .with("mapped", 5)
            .with("identity_mapped", 0);
        assert!(run(unidentified).iter().any(|a| a.fatal));
    }

    #[test]
    fn sound_outputs_pass_and_doubtful_ones_warn() {
        let sound = SupervisorInput::new(PhaseName::DataImport)
            .with("rows", 31)
            .with("bad_rows", 0);
        assert!(run(sound).is_empty());
        let ragged = SupervisorInput::new(PhaseName::DataImport)
            .with("rows", 5)
            .with("bad_rows", 5);
        let found = run(ragged);
        assert_eq!(found.len(), 1);
        assert!(!found[0].fatal);
        let unresolved = SupervisorInput::new(PhaseName::DependencyAnalysis)
            .with("references", 10)
            .with("unresolved", 5);
        assert!(run(unresolved).iter().all(|a| !a.fatal));
        let strategies = SupervisorInput::new(PhaseName::TechDebtAnalysis)
            .with("assets", 30)
            .with("strategies", 29);
        assert!(run(strategies).iter().any(|a| a.fatal));
    }
}
