//! The attribute_mapping phase's agents: `field_mapping` maps source columns onto canonical
//! attributes by their names, then `pattern_recognition` checks (and corrects) those mappings
//! against the values. `approval_gate` decides whether the result may be approved without a person.

pub mod approval_gate;
pub mod field_mapping;
pub mod pattern_recognition;
pub mod templates;

pub use field_mapping::{FieldMappingAgent, MappingInput, normalize_field_name, similarity};
pub use pattern_recognition::{PatternInput, PatternRecognition};
