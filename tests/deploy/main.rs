//! The deployment files under `deploy/` (Dockerfile, docker-compose.yml, Kubernetes manifests) are
//! read, not run: no container engine is needed. They must parse, set only environment variables
//! the server reads (`flowgraph::cli::environment_variables()`), pass the server arguments its CLI
//! accepts and values it can parse, and wire up what a deployment needs: replicas on one database,
//! probes on /health and /ready, resources, ports, a shutdown budget above the server's grace.

mod helpers;

mod compose;
mod dockerfile;
mod kubernetes;

use helpers::{files_under, load};

// ---------------------------------------------------------------------------------------------
// Every YAML file

#[test]
fn every_yaml_file_under_deploy_parses() {
    let files: Vec<String> = files_under("deploy")
        .into_iter()
        .filter(|f| f.ends_with(".yml") || f.ends_with(".yaml"))
        .collect();
    assert!(
        files.len() >= 5,
        "expected the compose file and the Kubernetes manifests, found {files:?}"
    );
    for file in files {
        let docs = load(&file);
        assert!(!docs.is_empty(), "{file} is empty");
        for doc in &docs {
            assert!(doc.as_hash().is_some(), "{file}: a document is not a mapping: {doc:?}");
        }
    }
}
