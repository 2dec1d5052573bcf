//! The French team's export (`tests/fixtures/cmdb_fr.csv`) through import, standardisation,
//! deduplication and `dependency_mapping`, its columns assigned by hand (mapping French headers
//! is field mapping's work, judged elsewhere): dependency recall and precision against its truth
//! file. Its dependency cells join hosts, FQDNs and IP addresses with `;`, `|` or `+`, or say
//! `hébergée sur srv0036` and `serveur : web0048`; several hosts have two addresses in one cell.

use std::collections::BTreeSet;

use serde_json::Value;

use super::test_support::map;
use crate::agents::data_cleansing::{DataStandardization, Deduplication, StandardizeInput};
use crate::agents::test_fixtures::mapping;
use crate::agents::types::{Agent, AssetFacts, CleanRecord, SourceRecord};

/// A file of `tests/fixtures/`, read when the test runs: an `include_*` in `src/` would make the
/// fixtures an input of every build (and of the container image's).
fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The export's assets after cleansing, with its host-name column mapped to `name_column`.
fn assets(name_column: &str) -> Vec<AssetFacts> {
    let imported = crate::import::parse_bytes(&fixture("cmdb_fr.csv")).expect("the fixture imports");
    let records: Vec<SourceRecord> = imported
        .rows
        .into_iter()
        .map(|r| SourceRecord {
            row_number: r.row_number,
            line_number: r.line_number,
            fields: r.data,
        })
        .collect();
    let mappings = [
        ("Nom d'hôte", name_column),
        ("Type", "asset_type"),
        ("Adresse IP", "ip_address"),
        ("Nom DNS", "fqdn"),
        ("Application", "application"),
        ("Dépendances", "depends_on"),
    ]
    .into_iter()
    .map(|(source, target)| mapping(source, Some(target), 1.0))
    .collect();
    let input = StandardizeInput { mappings, records };
    let clean = DataStandardization.run(&input).expect("standardises").value;
    let merged = Deduplication.run(&clean).expect("deduplicates").value.records;
    merged.into_iter().map(facts).collect()
}

fn facts(r: CleanRecord) -> AssetFacts {
    AssetFacts {
        key: r.key,
        name: r.name,
        asset_type: r.asset_type.unwrap_or_default(),
        hostname: r.hostname,
        fqdn: r.fqdn,
        ip_address: r.ip_address,
        operating_system: r.operating_system,
        os_version: r.os_version,
        environment: r.environment,
        application: r.application,
        business_criticality: r.business_criticality,
        depends_on: r.depends_on,
        attributes: r.attributes,
    }
}

fn truth() -> BTreeSet<(String, String)> {
    let truth: Value = serde_json::from_slice(&fixture("cmdb_fr.truth.json")).expect("the truth is JSON");
    truth["dependencies"]
        .as_array()
        .expect("a list of pairs")
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap().to_string(),
                pair[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_french_export_resolves_its_dependencies() {
    let truth = truth();
    for name_column in ["name", "hostname"] {
        let assets = assets(name_column);
        assert_eq!(assets.len(), 80, "unique assets with names from `{name_column}`");
        let (t, m) = map(&assets);
        let got: BTreeSet<(String, String)> = m
            .edges
            .iter()
            .map(|e| (t.key(e.source).to_string(), t.key(e.target).to_string()))
            .collect();
        let hits = got.intersection(&truth).count();
        let (recall, precision) = (hits as f64 / truth.len() as f64, hits as f64 / got.len().max(1) as f64);
        let unresolved: Vec<String> = m.unresolved.iter().map(|u| u.text(&t).to_string()).collect();
        println!(
            "cmdb_fr, names from `{name_column}`: dependency recall {recall:.3}, precision {precision:.3} \
             ({hits} of {} truth edges, {} found); unresolved {unresolved:?}",
            truth.len(),
            got.len()
        );
        let missed: Vec<_> = truth.difference(&got).collect();
        let extra: Vec<_> = got.difference(&truth).collect();
        assert!(recall >= 0.95, "recall {recall}: missed {missed:?}");
        assert!(precision >= 0.95, "precision {precision}: extra {extra:?}");
        assert!(unresolved.is_empty(), "{unresolved:?}");
    }
}
