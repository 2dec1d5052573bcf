//! Exports nobody cleaned (issue 21): the shared French export and generated ones in other
//! languages and spellings, uploaded as files, their mappings approved as suggested, and
//! scored against their truths: unique assets and types, end of life, dependencies and
//! environments. Each prints a one-line score (`cargo test --test api exports -- --nocapture`).

mod catalogue;
mod checks;
mod french;
mod generated;
mod generator;
mod language;
mod layout;
mod rng;
mod romance;
mod run;
mod score;
