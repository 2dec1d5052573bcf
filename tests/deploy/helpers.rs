//! What the deployment tests share: the repository's files read as text or YAML, and the checks
//! every deployment file's server settings go through (variables the server reads, arguments its
//! CLI accepts, values it can parse).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use flowgraph::cli::Cli;
use yaml_rust2::{Yaml, YamlLoader};

pub const PORT: i64 = 8000;
/// Where the image puts the binary; compose `command` and Kubernetes `args` go after it.
pub const IMAGE_BINARY: &str = "/usr/local/bin/flowgraph";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).unwrap_or_else(|e| panic!("reading {relative}: {e}"))
}

pub fn load(relative: &str) -> Vec<Yaml> {
    let docs = YamlLoader::load_from_str(&read(relative)).unwrap_or_else(|e| panic!("{relative} is not YAML: {e}"));
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

/// Every file under `dir`, recursively, relative to the repository root.
pub fn files_under(dir: &str) -> Vec<String> {
    fn walk(path: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(path).unwrap_or_else(|e| panic!("listing {}: {e}", path.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join(dir), &mut out);
    let mut names: Vec<String> = out
        .iter()
        .map(|p| p.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/"))
        .collect();
    names.sort();
    names
}

fn server_variables() -> BTreeSet<String> {
    flowgraph::cli::environment_variables().into_iter().collect()
}

pub fn assert_server_reads(origin: &str, keys: impl IntoIterator<Item = String>) {
    let known = server_variables();
    let keys: Vec<String> = keys.into_iter().collect();
    assert!(!keys.is_empty(), "{origin}: no environment variables found");
    for key in keys {
        assert!(
            known.contains(&key),
            "{origin} sets {key}, which the server never reads (it reads {known:?})"
        );
    }
}

/// `args` are what the container passes after the binary: the CLI must accept them.
pub fn assert_cli_accepts(origin: &str, args: &[String]) {
    let argv = std::iter::once("flowgraph".to_string()).chain(args.iter().cloned());
    if let Err(e) = Cli::try_parse_from(argv) {
        panic!("{origin}: `flowgraph {}` is refused by the CLI: {e}", args.join(" "));
    }
    assert!(
        args.is_empty() || args[0] == "serve",
        "{origin}: the container should serve, not run `{}`",
        args.join(" ")
    );
}

/// The binary must accept these variables' values (numbers where it wants numbers...): clap reads
/// the server's flags from the environment for every subcommand, so `schema` parses them all
/// without opening a database.
pub fn assert_values_parse(origin: &str, env: &BTreeMap<String, String>) {
    let output = Command::new(env!("CARGO_BIN_EXE_flowgraph"))
        .arg("schema")
        .env_clear()
        .envs(env)
        .output()
        .expect("running flowgraph");
    assert!(
        output.status.success(),
        "{origin}: the server refuses these values {env:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A scalar as a string (YAML `20` and `"20"` alike).
pub fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

pub fn string_list(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(items) => items.iter().map(|i| scalar(i).expect("a list of scalars")).collect(),
        Yaml::String(s) => s.split_whitespace().map(str::to_string).collect(),
        Yaml::BadValue | Yaml::Null => vec![],
        other => panic!("expected a list of strings, got {other:?}"),
    }
}

pub fn map_entries(y: &Yaml) -> BTreeMap<String, Yaml> {
    match y {
        Yaml::Hash(h) => h
            .iter()
            .map(|(k, v)| (scalar(k).expect("a scalar key"), v.clone()))
            .collect(),
        Yaml::BadValue | Yaml::Null => BTreeMap::new(),
        other => panic!("expected a mapping, got {other:?}"),
    }
}

pub fn labels_match(selector: &Yaml, labels: &Yaml) -> bool {
    let selector = map_entries(selector);
    let labels = map_entries(labels);
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}
