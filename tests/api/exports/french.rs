//! The shared French export (`tests/fixtures/cmdb_fr.csv`) against its truth.

use flowgraph::domain::Role;

use super::run::discover;
use super::score::{Truth, score};
use crate::helpers::{Tenant, TestApp};
use crate::on_both_databases;

const CSV: &[u8] = include_bytes!("../../fixtures/cmdb_fr.csv");
const TRUTH: &str = include_str!("../../fixtures/cmdb_fr.truth.json");

async fn french_export_matches_its_truth(app: TestApp) {
    let truth = Truth::from_json(&serde_json::from_str(TRUTH).unwrap());
    let token = app.token(Tenant::new(), Role::Analyst);
    let assets = discover(&app, &token, "cmdb_fr.csv", CSV.to_vec()).await;
    score(&truth, &assets).assert_holds("fr (fixture)");
}

on_both_databases!(french_export_matches_its_truth);
