//! Identification and status on every operating-system and database cell of the French team's
//! export (`tests/fixtures/cmdb_fr.csv`), against its truth file, read the way the lifecycle agent
//! reads an asset: the product text alone, no column mapping involved.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{LifecycleAnalysis, LifecycleInput, sample_today};
use crate::agents::test_fixtures::asset;
use crate::agents::types::{Agent, LifecycleStatus};

/// Read at run time: test fixtures are not inputs of the build (the image's builder has no tests/).
fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A minimal reader for this file: comma-separated, double quotes around cells with commas.
fn cells(line: &str) -> Vec<String> {
    let (mut out, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    out.push(cell);
    out
}

#[test]
fn every_product_cell_of_the_french_export_gets_the_truths_status() {
    let csv = fixture("cmdb_fr.csv");
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let header = cells(lines.next().unwrap());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (host, os, version) = (col("Nom d'hôte"), col("Système d'exploitation"), col("Version"));
    let mut assets = Vec::new();
    let mut products = 0;
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let row = cells(line);
        let mut a = asset(&row[host].to_lowercase(), "server");
        if !row[os].trim().is_empty() {
            products += 1;
            a.operating_system = Some(row[os].clone());
            a.os_version = Some(row[version].clone()).filter(|v| !v.trim().is_empty());
        }
        assets.push(a);
    }
    assert!(products >= 70, "{products}");
    let out = LifecycleAnalysis
        .run(&LifecycleInput {
            assets: assets.clone(),
            today: sample_today(),
        })
        .unwrap();
    // Every product cell is identified.
    let unidentified: Vec<&str> = assets
        .iter()
        .filter(|a| a.operating_system.is_some() && super::identify::identify_asset(a).is_none())
        .filter_map(|a| a.operating_system.as_deref())
        .collect();
    assert!(unidentified.is_empty(), "{unidentified:?}");

    let truth: Value = serde_json::from_str(&fixture("cmdb_fr.truth.json")).unwrap();
    let set = |k: &str| -> BTreeSet<String> {
        truth[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let (eol, arguable) = (set("eol_assets"), set("eol_arguable"));
    let flagged: BTreeSet<String> = out
        .value
        .iter()
        .filter(|f| f.lifecycle_status == Some(LifecycleStatus::EolExpired))
        .map(|f| f.asset_key.clone())
        .collect();
    let judged: BTreeSet<&String> = flagged.difference(&arguable).collect();
    let true_pos = judged.iter().filter(|k| eol.contains(**k)).count();
    let precision = true_pos as f64 / judged.len().max(1) as f64;
    let recall = true_pos as f64 / eol.len() as f64;
    let missed: Vec<&String> = eol.difference(&flagged).collect();
    let wrong: Vec<&&String> = judged.iter().filter(|k| !eol.contains(**k)).collect();
    assert!(
        precision >= 0.95 && recall >= 0.95,
        "precision {precision:.3}, recall {recall:.3}; missed {missed:?}, wrongly flagged {wrong:?}"
    );
    // Every arguable asset still gets a finding (it is on paid or ending support).
    let with_finding: BTreeMap<&str, &str> = out
        .value
        .iter()
        .map(|f| (f.asset_key.as_str(), f.severity.as_str()))
        .collect();
    for k in &arguable {
        assert!(with_finding.contains_key(k.as_str()), "{k}");
    }
    // The snapshot is named in the reasoning.
    assert!(out.reasoning.contains("endoflife.date snapshot"), "{}", out.reasoning);
}
