//! The Kubernetes manifests under deploy/: well formed, configured with server variables only,
//! probed, limited, non-root replicas, and a kustomization that lists them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use yaml_rust2::Yaml;

use crate::helpers::{
    IMAGE_BINARY, PORT, assert_cli_accepts, assert_server_reads, assert_values_parse, files_under, labels_match, load,
    map_entries, root, scalar, string_list,
};

struct Manifests {
    /// (file, document)
    docs: Vec<(String, Yaml)>,
}

impl Manifests {
    fn load() -> Self {
        let docs = files_under("deploy/k8s")
            .into_iter()
            .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
            .flat_map(|file| load(&file).into_iter().map(move |d| (file.clone(), d)))
            .collect();
        Manifests { docs }
    }
    fn of_kind(&self, kind: &str) -> Vec<&Yaml> {
        self.docs
            .iter()
            .filter(|(_, d)| d["kind"].as_str() == Some(kind))
            .map(|(_, d)| d)
            .collect()
    }
    fn one(&self, kind: &str) -> &Yaml {
        let docs = self.of_kind(kind);
        assert_eq!(docs.len(), 1, "expected one {kind}");
        docs[0]
    }
}

/// A port (number or container port name) as a number.
fn resolve_port(port: &Yaml, container: &Yaml) -> i64 {
    match port {
        Yaml::Integer(n) => *n,
        Yaml::String(name) => container["ports"]
            .as_vec()
            .unwrap()
            .iter()
            .find(|p| p["name"].as_str() == Some(name))
            .and_then(|p| p["containerPort"].as_i64())
            .unwrap_or_else(|| panic!("no container port named {name}")),
        other => panic!("a port, got {other:?}"),
    }
}

#[test]
fn kubernetes_manifests_are_well_formed() {
    let manifests = Manifests::load();
    for (file, doc) in &manifests.docs {
        assert!(doc["apiVersion"].as_str().is_some(), "{file}: no apiVersion");
        let kind = doc["kind"].as_str().unwrap_or_else(|| panic!("{file}: no kind"));
        if kind != "Kustomization" {
            assert!(doc["metadata"]["name"].as_str().is_some(), "{file}: no metadata.name");
        }
    }
    for kind in ["ConfigMap", "Secret", "Deployment", "Service"] {
        manifests.one(kind);
    }
}

#[test]
fn kubernetes_configuration_holds_only_server_variables() {
    let manifests = Manifests::load();
    let config = map_entries(&manifests.one("ConfigMap")["data"]);
    for (key, value) in &config {
        assert!(
            value.as_str().is_some(),
            "ConfigMap {key}: values must be strings (quote numbers)"
        );
    }
    assert_server_reads("ConfigMap data", config.keys().cloned());

    let secret = manifests.one("Secret");
    let string_data = map_entries(&secret["stringData"]);
    let data = map_entries(&secret["data"]);
    assert_server_reads("Secret", string_data.keys().chain(data.keys()).cloned());
    for key in ["FLOWGRAPH_JWT_SECRET", "DATABASE_URL"] {
        assert!(
            string_data.contains_key(key) || data.contains_key(key),
            "the Secret holds {key}"
        );
    }
    for (key, value) in &string_data {
        assert!(
            value.as_str().is_some_and(|v| v.contains("REPLACE_ME")),
            "Secret {key}: only placeholders (REPLACE_ME) are committed"
        );
    }

    // The server accepts the values the pods get.
    let mut env: BTreeMap<String, String> = config.iter().map(|(k, v)| (k.clone(), scalar(v).unwrap())).collect();
    env.extend(string_data.iter().map(|(k, v)| (k.clone(), scalar(v).unwrap())));
    assert_values_parse("ConfigMap + Secret", &env);
    let addr = &env["FLOWGRAPH_ADDR"];
    assert!(
        addr.starts_with("0.0.0.0:") && addr.ends_with(&format!(":{PORT}")),
        "FLOWGRAPH_ADDR {addr}: listen on every interface, on {PORT}"
    );
}

#[test]
fn kubernetes_deployment_runs_three_probed_limited_non_root_replicas() {
    let manifests = Manifests::load();
    let deployment = manifests.one("Deployment");
    let spec = &deployment["spec"];
    assert_eq!(spec["replicas"].as_i64(), Some(3));
    let pod = &spec["template"]["spec"];
    let pod_labels = &spec["template"]["metadata"]["labels"];
    assert!(labels_match(&spec["selector"]["matchLabels"], pod_labels));

    let containers = pod["containers"].as_vec().expect("containers");
    assert_eq!(containers.len(), 1);
    let container = &containers[0];
    let origin = "the Deployment's container";

    // Arguments after the image's entrypoint (or a command that is the binary itself).
    let command = string_list(&container["command"]);
    if !command.is_empty() {
        assert!(
            command[0] == IMAGE_BINARY || command[0] == "flowgraph",
            "{origin}: command {command:?} is not the binary"
        );
    }
    let mut args: Vec<String> = command.into_iter().skip(1).collect();
    args.extend(string_list(&container["args"]));
    assert_cli_accepts(origin, &args);

    // Configuration: the ConfigMap and the Secret of this directory, plus server variables only.
    let refs: BTreeSet<(String, String)> = container["envFrom"]
        .as_vec()
        .expect("envFrom")
        .iter()
        .flat_map(|source| {
            [("ConfigMap", "configMapRef"), ("Secret", "secretRef")]
                .into_iter()
                .filter_map(|(kind, key)| source[key]["name"].as_str().map(|n| (kind.to_string(), n.to_string())))
        })
        .collect();
    for kind in ["ConfigMap", "Secret"] {
        let name = manifests.one(kind)["metadata"]["name"].as_str().unwrap().to_string();
        assert!(
            refs.contains(&(kind.to_string(), name.clone())),
            "{origin}: envFrom the {kind} {name}"
        );
    }
    if let Some(env) = container["env"].as_vec() {
        assert_server_reads(
            &format!("{origin} env"),
            env.iter().map(|e| e["name"].as_str().unwrap().to_string()),
        );
    }

    // Port and probes.
    let ports: Vec<i64> = container["ports"]
        .as_vec()
        .expect("ports")
        .iter()
        .filter_map(|p| p["containerPort"].as_i64())
        .collect();
    assert!(ports.contains(&PORT), "{origin}: containerPort {PORT}");
    for (probe, path) in [("livenessProbe", "/health"), ("readinessProbe", "/ready")] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["path"].as_str(), Some(path), "{probe} path");
        assert_eq!(resolve_port(&get["port"], container), PORT, "{probe} port");
    }
    if !container["startupProbe"].is_badvalue() {
        assert_eq!(
            resolve_port(&container["startupProbe"]["httpGet"]["port"], container),
            PORT
        );
    }

    // Resources.
    for bound in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                scalar(&container["resources"][bound][resource]).is_some(),
                "{origin}: resources.{bound}.{resource}"
            );
        }
    }

    // Shutdown: the kubelet waits longer than the preStop pause plus the server's grace.
    let config = &manifests.one("ConfigMap")["data"];
    let server_grace: i64 = config["FLOWGRAPH_SHUTDOWN_GRACE_SECONDS"]
        .as_str()
        .expect("the ConfigMap sets FLOWGRAPH_SHUTDOWN_GRACE_SECONDS")
        .parse()
        .unwrap();
    let pre_stop: i64 = match string_list(&container["lifecycle"]["preStop"]["exec"]["command"]).as_slice() {
        [] => container["lifecycle"]["preStop"]["sleep"]["seconds"]
            .as_i64()
            .unwrap_or(0),
        [sleep, n] if sleep == "sleep" => n.parse().unwrap(),
        other => panic!("an unexpected preStop {other:?}"),
    };
    let termination = pod["terminationGracePeriodSeconds"]
        .as_i64()
        .expect("terminationGracePeriodSeconds");
    assert!(
        termination > pre_stop + server_grace,
        "terminationGracePeriodSeconds {termination} must exceed preStop {pre_stop} + FLOWGRAPH_SHUTDOWN_GRACE_SECONDS {server_grace}"
    );

    // Security.
    let non_root = [pod, container]
        .iter()
        .any(|level| level["securityContext"]["runAsNonRoot"].as_bool() == Some(true));
    assert!(non_root, "runAsNonRoot");
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(security["allowPrivilegeEscalation"].as_bool(), Some(false));

    // The Service sends port 80 to the pods' 8000.
    let service = manifests.one("Service");
    assert!(labels_match(&service["spec"]["selector"], pod_labels));
    let service_ports = service["spec"]["ports"].as_vec().expect("Service ports");
    assert!(
        service_ports
            .iter()
            .any(|p| p["port"].as_i64() == Some(80) && resolve_port(&p["targetPort"], container) == PORT),
        "the Service maps port 80 to {PORT}"
    );
    for budget in manifests.of_kind("PodDisruptionBudget") {
        assert!(labels_match(&budget["spec"]["selector"]["matchLabels"], pod_labels));
    }
}

#[test]
fn kustomization_lists_every_manifest_but_the_placeholder_secret() {
    let manifests = Manifests::load();
    let Some((file, kustomization)) = manifests
        .docs
        .iter()
        .find(|(_, d)| d["kind"].as_str() == Some("Kustomization"))
    else {
        return; // optional
    };
    let dir = Path::new(file).parent().unwrap().to_string_lossy().into_owned();
    let listed: BTreeSet<String> = string_list(&kustomization["resources"])
        .into_iter()
        .map(|r| format!("{dir}/{r}"))
        .collect();
    for resource in &listed {
        assert!(
            root().join(resource).exists(),
            "kustomization lists {resource}, which is missing"
        );
    }
    for (file, doc) in &manifests.docs {
        match doc["kind"].as_str() {
            Some("Kustomization") => {}
            Some("Secret") => assert!(
                !listed.contains(file),
                "{file} holds placeholders: applying it would overwrite the real Secret"
            ),
            _ => assert!(listed.contains(file), "kustomization does not list {file}"),
        }
    }
}
