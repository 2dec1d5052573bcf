//! The tech_debt_analysis phase's agents: `lifecycle_analysis` finds operating systems, databases
//! and runtimes past or near the end of their support, `security_risk` scores each asset's risk,
//! `modernization_strategy` recommends a 6R strategy per asset from both and the dependencies.
//! Everything here is pure: the date is an input, the lifecycle catalogue is compiled in.

pub mod lifecycle_analysis;
pub mod modernization_strategy;
pub mod security_risk;

pub use lifecycle_analysis::catalogue::{LifecycleEntry, SupportEnd, catalogue, lookup};
pub use lifecycle_analysis::identify::{identify, identify_asset, identify_runtime};
pub use lifecycle_analysis::{LifecycleAnalysis, LifecycleAssessment, LifecycleInput, assess, finding_for, status_on};
pub use modernization_strategy::{ModernizationStrategy, StrategyInput, decide};
pub use security_risk::{RiskInput, RiskScore, SecurityRisk, score_asset, security_findings};
