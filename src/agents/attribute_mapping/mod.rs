//! The attribute_mapping phase's agents: `field_mapping` maps source columns onto canonical
//! attributes by their names, then `pattern_recognition` checks (and corrects) those mappings
//! against the values.

pub mod field_mapping;
pub mod pattern_recognition;
pub mod templates;

pub use field_mapping::{FieldMappingAgent, MappingInput, normalize_field_name, similarity};
pub use pattern_recognition::{PatternInput, PatternRecognition};
