//! The data_cleansing phase's agents, run in this order: `data_standardization` turns mapped
//! source rows into `CleanRecord`s with standard values, `data_quality` scores them,
//! `deduplication` merges the same asset written twice. All three are pure functions of their input.

pub mod data_quality;
pub mod data_standardization;
pub mod deduplication;

pub use data_quality::{DataQuality, QualityReport, has_valid_value, important_fields, quality_score};
pub use data_standardization::{DataStandardization, StandardizeInput};
pub use deduplication::{DedupIndex, DedupResult, Deduplication, Merge, merge_records, rule_confidence};
