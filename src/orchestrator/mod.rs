//! `MasterFlowOrchestrator`: the single source of truth for every flow's lifecycle. It checks
//! the caller's tenant and role, applies the state machine, writes audit events, and hands phases
//! to `UnitedDiscoveryFlow`.
//!
//! master.rs holds the orchestrator and the lifecycle moves (create, pause, resume, complete,
//! delete); execution.rs queues and finishes phase runs; reads.rs serves the DataLoaders;
//! collection_answers.rs takes questionnaire answers; streams.rs and events.rs feed subscriptions;
//! worker.rs claims queued runs; state_machine.rs says which moves are allowed.

mod collection_answers;
pub mod events;
mod execution;
mod flow_input;
mod master;
mod phase_view;
mod reads;
pub mod state_machine;
mod streams;
pub mod worker;

pub use collection_answers::{CollectionResponse, Submission};
pub use events::EventBus;
pub use execution::MappingOverride;
pub use flow_input::{NewFlow, RawInput};
pub use master::{MAX_PAGE_SIZE, MasterFlowOrchestrator, scope};
pub use phase_view::{PhaseView, phase_views};
pub use reads::VALIDATION_STATUSES;
