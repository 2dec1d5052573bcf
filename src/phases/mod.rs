//! The phases of every flow type, and what runs them. `UnitedDiscoveryFlow` (runner.rs) takes one
//! phase run and calls its handler: the discovery flow's six phases in `discovery/`, the
//! assessment flow's in `assessment.rs`, the collection flow's in `collection.rs`. A handler gets
//! a [`PhaseInput`] (input.rs), runs its agents through a [`TaskLog`] (task_log.rs), writes
//! streamed output through the batch writer (batch_writer.rs), and returns a [`PhaseSuccess`] or
//! a [`PhaseFailure`] (outcome.rs).

mod assessment;
mod batch_writer;
mod collection;
mod discovery;
mod input;
mod outcome;
mod runner;
mod task_log;

pub use input::{BATCH_ROWS, PhaseInput};
pub use outcome::{PhaseFailure, PhaseReport, PhaseSuccess};
pub use runner::UnitedDiscoveryFlow;
pub use task_log::TaskLog;
