//! Mapping and checksums of the legacy migration, without a database.

use serde_json::Value;
use uuid::Uuid;

use super::checksum::canonical_json;
use super::*;
use crate::domain::{FlowStatus, PhaseName};

#[test]
fn fnv1a64_matches_the_reference_vectors() {
    assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
    assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
    assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
}

#[test]
fn old_names_map_to_new_ones() {
    assert_eq!(map_status("active"), Some(FlowStatus::Running));
    assert_eq!(map_status(" In-Progress "), Some(FlowStatus::Running));
    assert_eq!(map_status("pending"), Some(FlowStatus::Initialized));
    assert_eq!(map_status("zombie"), None);
    assert_eq!(map_phase("dependencies"), Some(Some(PhaseName::DependencyAnalysis)));
    assert_eq!(map_phase("tech_debt"), Some(Some(PhaseName::TechDebtAnalysis)));
    assert_eq!(map_phase("field_mapping"), Some(Some(PhaseName::AttributeMapping)));
    assert_eq!(map_phase("completed"), Some(None));
    assert_eq!(map_phase("asset_enrichment"), None);
}

#[test]
fn canonical_json_sorts_keys_at_every_level() {
    let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": null}}"#).unwrap();
    let b: Value = serde_json::from_str(r#"{"a": {"c": null, "d": [{"y": 2, "z": 1}]}, "b": 1}"#).unwrap();
    assert_eq!(canonical_json(&a).to_string(), canonical_json(&b).to_string());
    assert_eq!(
        canonical_json(&a).to_string(),
        r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#
    );
}

#[test]
fn legacy_user_ids_are_stable_and_distinct() {
    assert_eq!(legacy_user_uuid("demo_user"), legacy_user_uuid("demo_user"));
    assert_ne!(legacy_user_uuid("demo_user"), legacy_user_uuid("demo_user2"));
    assert_eq!(legacy_user_uuid("demo_user").get_version_num(), 8);
}

#[test]
fn checksum_ignores_input_order() {
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    assert_eq!(checksum(&[(a, 1), (b, 2)]), checksum(&[(b, 2), (a, 1)]));
    assert_ne!(checksum(&[(a, 1), (b, 2)]), checksum(&[(a, 1), (b, 3)]));
}
