//! The judge judged: the generators are deterministic and their truths consistent, and the
//! scorer gives full marks to an inventory that is the truth and less to one that is not.

use serde_json::{Value, json};

use super::generator::generate;
use super::language::{DUTCH, ENGLISH, GERMAN, Language};
use super::romance::{ITALIAN, PORTUGUESE, SPANISH};
use super::score::{Truth, score};

const LANGUAGES: [&Language; 6] = [&GERMAN, &SPANISH, &ITALIAN, &PORTUGUESE, &DUTCH, &ENGLISH];

#[test]
fn generated_exports_are_deterministic_and_their_truths_consistent() {
    for language in LANGUAGES {
        let export = generate(language, 7);
        assert_eq!(export.bytes, generate(language, 7).bytes, "{}", language.code);
        assert_ne!(export.bytes, generate(language, 8).bytes, "{}", language.code);
        // Any seed (`EXPORTS_SEED`) makes an export worth judging.
        for seed in 0..40 {
            let truth = generate(language, seed).truth;
            let at = format!("{} seed {seed}", language.code);
            assert!((60..=150).contains(&truth.rows), "{at}: {} rows", truth.rows);
            assert_eq!(truth.rows, truth.unique_assets + truth.duplicate_rows, "{at}");
            assert_eq!(truth.by_type.values().sum::<usize>(), truth.unique_assets, "{at}");
            assert_eq!(truth.names().len(), truth.unique_assets, "{at}");
            assert!(truth.eol_assets.len() >= 10, "{at}: too few to judge end of life");
            assert!(truth.eol_assets.is_disjoint(&truth.eol_arguable), "{at}");
            assert!(truth.duplicate_rows >= 4, "{at}");
        }
    }
}

/// The inventory a perfect discovery of `truth` returns, in the `assets` query's shape.
fn perfect(truth: &Truth) -> Vec<Value> {
    let types = truth.types.as_ref().unwrap();
    types
        .iter()
        .map(|(name, kind)| {
            let expired = truth.eol_assets.contains(name);
            let targets: Vec<Value> = truth
                .dependencies
                .iter()
                .filter(|(from, _)| from == name)
                .map(|(_, to)| json!({ "target": { "name": to.to_uppercase() } }))
                .collect();
            json!({
                "name": name.to_uppercase(),
                "assetType": kind,
                "environment": truth.environments[name],
                "techDebt": if expired { json!([{ "lifecycleStatus": "EOL_EXPIRED" }]) } else { json!([]) },
                "dependencies": targets,
            })
        })
        .collect()
}

#[test]
fn the_scorer_gives_full_marks_to_the_truth_only() {
    let truth = generate(&GERMAN, 1).truth;
    let mut assets = perfect(&truth);
    let full = score(&truth, &assets);
    assert!(full.shortfalls().is_empty(), "{full}");
    assert_eq!(
        (full.asset_recall, full.types, full.eol_precision, full.eol_recall),
        (1.0, 1.0, 1.0, 1.0)
    );
    assert_eq!((full.dependency_recall, full.environments), (1.0, 1.0));

    // An arguable asset flagged counts neither way; a supported one flagged lowers precision.
    let arguable = truth.eol_arguable.iter().next().unwrap().to_uppercase();
    let supported = truth
        .names()
        .into_iter()
        .find(|n| !truth.eol_assets.contains(n) && !truth.eol_arguable.contains(n))
        .unwrap()
        .to_uppercase();
    for asset in assets.iter_mut() {
        if asset["name"] == arguable.as_str() || asset["name"] == supported.as_str() {
            asset["techDebt"] = json!([{ "lifecycleStatus": "EOL_EXPIRED" }]);
        }
        if asset["assetType"] == "application" {
            asset["dependencies"].as_array_mut().unwrap().pop();
            asset["environment"] = json!("Produktion");
        }
    }
    // A duplicate left unmerged.
    let mut duplicate = assets[0].clone();
    duplicate["name"] = json!(format!("{}-copy", duplicate["name"].as_str().unwrap()));
    assets.push(duplicate);
    assets.push(json!({ "name": "stray-row", "assetType": "other", "environment": null,
        "techDebt": [], "dependencies": [] }));
    let worse = score(&truth, &assets);
    assert!(worse.eol_precision < 1.0 && worse.eol_recall == 1.0, "{worse}");
    assert!(worse.dependency_recall < 1.0 && worse.environments < 1.0, "{worse}");
    assert!(worse.asset_precision < 1.0 && worse.asset_recall == 1.0, "{worse}");
    assert!(!worse.shortfalls().is_empty());
}

#[test]
fn the_scorer_reads_the_french_truth_by_type_counts() {
    let raw: Value = serde_json::from_str(include_str!("../../fixtures/cmdb_fr.truth.json")).unwrap();
    let truth = Truth::from_json(&raw);
    assert!(truth.types.is_none());
    assert_eq!(truth.names().len(), truth.unique_assets);
    let mut assets: Vec<Value> = truth
        .environments
        .iter()
        .map(|(name, env)| {
            json!({ "name": name, "environment": env, "assetType": "server",
            "techDebt": [], "dependencies": [] })
        })
        .collect();
    // Types by counts: every asset a server gets only the servers' share right.
    let servers = truth.by_type["server"] as f64 / truth.unique_assets as f64;
    assert_eq!(score(&truth, &assets).types, servers);
    let mut kinds = truth
        .by_type
        .iter()
        .flat_map(|(kind, n)| std::iter::repeat_n(kind.clone(), *n));
    for asset in &mut assets {
        asset["assetType"] = json!(kinds.next().unwrap());
    }
    assert_eq!(score(&truth, &assets).types, 1.0);
    assert_eq!(score(&truth, &assets).dependency_recall, 0.0);
}
