//! The vocabulary every layer shares: flow types, statuses, phases, roles.
//! Stored as lower-case snake_case text; the GraphQL layer mirrors them as enums.

use std::fmt;
use std::str::FromStr;

/// Declares a closed set of names with their stored spelling, `as_str`, `ALL`, `FromStr`, `Display`.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownName { kind: stringify!($name), value: s.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A stored name that none of the variants spells.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownName {
    pub kind: &'static str,
    pub value: String,
}

named_enum!(FlowType {
    Discovery => "discovery",
    Assessment => "assessment",
    Collection => "collection",
});

named_enum!(FlowStatus {
    Initialized => "initialized",
    Running => "running",
    WaitingForApproval => "waiting_for_approval",
    Paused => "paused",
    Completed => "completed",
    Failed => "failed",
    Cancelled => "cancelled",
});

named_enum!(PhaseName {
    DataImport => "data_import",
    AttributeMapping => "attribute_mapping",
    DataCleansing => "data_cleansing",
    Inventory => "inventory",
    DependencyAnalysis => "dependency_analysis",
    TechDebtAnalysis => "tech_debt_analysis",
    ReadinessAssessment => "readiness_assessment",
    SixRStrategy => "six_r_strategy",
    WavePlanning => "wave_planning",
    GapAnalysis => "gap_analysis",
    QuestionnaireGeneration => "questionnaire_generation",
    DataValidation => "data_validation",
});

named_enum!(PhaseStatus {
    Pending => "pending",
    Queued => "queued",
    Running => "running",
    WaitingForApproval => "waiting_for_approval",
    Completed => "completed",
    Failed => "failed",
    Skipped => "skipped",
});

named_enum!(
    /// What a token may do: viewer reads; analyst also changes flows; admin also deletes.
    Role {
        Viewer => "viewer",
        Analyst => "analyst",
        Admin => "admin",
    }
);

impl FlowType {
    /// The phases of this flow type, in the order they run (docs/DESIGN.md, "Phases").
    pub fn phases(self) -> &'static [PhaseName] {
        use PhaseName::*;
        match self {
            FlowType::Discovery => &[
                DataImport,
                AttributeMapping,
                DataCleansing,
                Inventory,
                DependencyAnalysis,
                TechDebtAnalysis,
            ],
            FlowType::Assessment => &[ReadinessAssessment, SixRStrategy, WavePlanning],
            FlowType::Collection => &[GapAnalysis, QuestionnaireGeneration, DataValidation],
        }
    }
}

impl FlowStatus {
    /// Completed, failed-for-good and cancelled flows accept no more work.
    pub fn is_terminal(self) -> bool {
        matches!(self, FlowStatus::Completed | FlowStatus::Cancelled)
    }
}

impl PhaseStatus {
    /// A run in one of these states holds the flow: no other phase may start.
    pub fn is_active(self) -> bool {
        matches!(self, PhaseStatus::Queued | PhaseStatus::Running)
    }

    pub fn is_done(self) -> bool {
        matches!(self, PhaseStatus::Completed | PhaseStatus::Skipped)
    }
}

impl Role {
    pub fn can_write(self) -> bool {
        matches!(self, Role::Analyst | Role::Admin)
    }

    pub fn can_delete(self) -> bool {
        matches!(self, Role::Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for phase in PhaseName::ALL {
            assert_eq!(phase.as_str().parse::<PhaseName>().unwrap(), *phase);
        }
        for status in FlowStatus::ALL {
            assert_eq!(status.to_string().parse::<FlowStatus>().unwrap(), *status);
        }
        assert!("bogus".parse::<PhaseStatus>().is_err());
    }

    #[test]
    fn every_phase_belongs_to_exactly_one_flow_type() {
        for phase in PhaseName::ALL {
            let owners = FlowType::ALL.iter().filter(|t| t.phases().contains(phase)).count();
            assert_eq!(owners, 1, "{phase}");
        }
    }
}
