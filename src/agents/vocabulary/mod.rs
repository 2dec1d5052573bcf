//! The vocabulary the agents share: the words and value shapes a CMDB export is written in, read
//! one way everywhere. Agents of different phases import these files instead of each other.
//!
//! - [`text`]: words of a text, "filled in", rounding to three decimals.
//! - [`addresses`]: IP addresses and host names in canonical form.
//! - [`value_shapes`]: what a value looks like (integer, number, size, IP, FQDN, date, list).
//! - [`languages`]: the vocabulary kept as data, one file per language in `data/vocabulary/`.
//! - [`environments`]: the standard environment names and their synonyms.
//! - [`business_criticality`]: the four criticality levels and how sources spell them.
//! - [`asset_types`]: the asset types a source's type text names.
//! - [`operating_systems`]: the family and version inside an operating-system string.

pub mod addresses;
pub mod asset_types;
pub mod business_criticality;
pub mod environments;
pub mod languages;
pub mod operating_systems;
pub mod text;
pub mod value_shapes;
