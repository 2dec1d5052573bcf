//! deploy/docker-compose.yml: two replicas of the server on one PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};

use yaml_rust2::Yaml;

use crate::helpers::{
    PORT, assert_cli_accepts, assert_server_reads, assert_values_parse, load, map_entries, read, scalar, string_list,
};

/// `environment:` as a map, from either the mapping or the `- KEY=VALUE` list form.
fn compose_environment(service: &Yaml) -> BTreeMap<String, String> {
    match &service["environment"] {
        Yaml::Array(items) => items
            .iter()
            .map(|i| {
                let item = scalar(i).unwrap();
                let (k, v) = item.split_once('=').unwrap_or((&item, ""));
                (k.to_string(), v.to_string())
            })
            .collect(),
        other => map_entries(other)
            .into_iter()
            .map(|(k, v)| (k, scalar(&v).unwrap_or_default()))
            .collect(),
    }
}

/// Compose `${VAR}`, `${VAR:?message}`...: (name, what follows the name).
fn interpolations(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let inner = &rest[start + 2..];
        let end = inner.find('}').expect("an unclosed ${");
        let expression = &inner[..end];
        let name_end = expression
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(expression.len());
        out.push((expression[..name_end].to_string(), expression[name_end..].to_string()));
        rest = &inner[end + 1..];
    }
    out
}

/// What the variables would hold once compose has filled in `${...}`.
fn interpolate(value: &str) -> String {
    let mut out = value.to_string();
    while let Some(start) = out.find("${") {
        let end = start + out[start..].find('}').unwrap();
        out.replace_range(start..=end, "x");
    }
    out
}

fn seconds(duration: &str) -> u64 {
    let number = duration.trim_end_matches('s');
    number
        .parse()
        .unwrap_or_else(|_| panic!("expected a duration in seconds like 30s, got {duration}"))
}

#[test]
fn compose_runs_two_replicas_on_one_postgres() {
    let text = read("deploy/docker-compose.yml");
    let docs = load("deploy/docker-compose.yml");
    assert_eq!(docs.len(), 1);
    let compose = &docs[0];
    let services = map_entries(&compose["services"]);

    // PostgreSQL 15, with a healthcheck and its data on a named volume.
    let (postgres_name, postgres) = services
        .iter()
        .find(|(_, s)| scalar(&s["image"]).is_some_and(|i| i.starts_with("postgres:15")))
        .expect("a postgres:15 service");
    assert!(
        !string_list(&postgres["healthcheck"]["test"]).is_empty(),
        "postgres needs a healthcheck"
    );
    let volumes = map_entries(&compose["volumes"]);
    let data_volume = string_list(&postgres["volumes"])
        .into_iter()
        .find(|v| v.split(':').nth(1) == Some("/var/lib/postgresql/data"))
        .expect("postgres keeps /var/lib/postgresql/data on a volume");
    let volume_name = data_volume.split(':').next().unwrap();
    assert!(
        volumes.contains_key(volume_name),
        "volume {volume_name} is declared under volumes:"
    );

    // The flowgraph services: built from deploy/Dockerfile.
    let flowgraph: Vec<(&String, &Yaml)> = services
        .iter()
        .filter(|(_, s)| {
            scalar(&s["build"]["dockerfile"]).is_some_and(|d| d.ends_with("deploy/Dockerfile"))
                || scalar(&s["image"]).is_some_and(|i| i.starts_with("flowgraph"))
        })
        .collect();
    assert!(
        flowgraph.len() >= 2,
        "two flowgraph replicas, found {:?}",
        flowgraph.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );

    // Replicas of one thing: the same definition but for the published port.
    let without_ports = |service: &Yaml| {
        let mut service = service.as_hash().unwrap().clone();
        service.remove(&Yaml::String("ports".into()));
        service.remove(&Yaml::String("container_name".into()));
        service
    };
    let (first_name, first) = flowgraph[0];
    for (name, service) in &flowgraph[1..] {
        assert_eq!(
            without_ports(service),
            without_ports(first),
            "{name} and {first_name} should differ only in their published port"
        );
    }
    let mut host_ports = BTreeSet::new();
    let mut database_urls = BTreeSet::new();
    for (name, service) in &flowgraph {
        let origin = format!("compose service {name}");
        let env = compose_environment(service);
        assert_server_reads(&origin, env.keys().cloned());
        let url = env
            .get("DATABASE_URL")
            .unwrap_or_else(|| panic!("{origin} sets no DATABASE_URL"));
        assert!(
            url.starts_with("postgres://") && url.contains(&format!("@{postgres_name}:")),
            "{origin}: DATABASE_URL {url} should point at the {postgres_name} service"
        );
        // The user, password and database the postgres service creates.
        let postgres_env = compose_environment(postgres);
        let user = postgres_env.get("POSTGRES_USER").map_or("postgres", String::as_str);
        let database = postgres_env.get("POSTGRES_DB").map_or(user, String::as_str);
        let (credentials, location) = url["postgres://".len()..].rsplit_once('@').unwrap();
        let (url_user, url_password) = credentials.split_once(':').unwrap_or((credentials, ""));
        assert_eq!(url_user, user, "{origin}: DATABASE_URL's user is POSTGRES_USER");
        assert_eq!(
            location.split_once('/').map(|(_, db)| db.split('?').next().unwrap()),
            Some(database),
            "{origin}: DATABASE_URL's database is POSTGRES_DB"
        );
        let password_names = |value: &str| interpolations(value).into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(
            password_names(url_password),
            password_names(postgres_env.get("POSTGRES_PASSWORD").expect("POSTGRES_PASSWORD")),
            "{origin}: DATABASE_URL's password is the postgres service's, from the environment"
        );
        database_urls.insert(url.clone());
        let secret = env.get("FLOWGRAPH_JWT_SECRET").expect("FLOWGRAPH_JWT_SECRET is set");
        let refs = interpolations(secret);
        assert!(
            secret.starts_with("${") && refs.len() == 1 && refs[0].0 == "FLOWGRAPH_JWT_SECRET",
            "{origin}: FLOWGRAPH_JWT_SECRET comes from the environment, got {secret}"
        );
        let interpolated: BTreeMap<String, String> = env.iter().map(|(k, v)| (k.clone(), interpolate(v))).collect();
        assert_values_parse(&origin, &interpolated);

        assert_eq!(
            scalar(&service["depends_on"][postgres_name.as_str()]["condition"]).as_deref(),
            Some("service_healthy"),
            "{origin} waits for a healthy database"
        );
        let restart = scalar(&service["restart"]).unwrap_or_default();
        assert!(
            ["always", "unless-stopped", "on-failure"].contains(&restart.as_str())
                || restart.starts_with("on-failure:"),
            "{origin}: restart policy {restart:?}"
        );
        let mut command = string_list(&service["command"]);
        if command.is_empty() {
            command = vec!["serve".to_string()];
        }
        assert_cli_accepts(&origin, &command);

        let ports = string_list(&service["ports"]);
        assert!(!ports.is_empty(), "{origin} publishes its port");
        for port in ports {
            let parts: Vec<&str> = port.split(':').collect();
            assert_eq!(
                parts.last().unwrap().trim_end_matches("/tcp"),
                PORT.to_string(),
                "{origin}: {port} should publish the container's {PORT}"
            );
            assert!(
                host_ports.insert(parts[..parts.len() - 1].join(":")),
                "{port} is published twice"
            );
        }
        if let Some(grace) = scalar(&service["stop_grace_period"]) {
            let server_grace: u64 = env
                .get("FLOWGRAPH_SHUTDOWN_GRACE_SECONDS")
                .map_or(20, |g| g.parse().unwrap());
            assert!(
                seconds(&grace) > server_grace,
                "{origin}: stop_grace_period {grace} is not above the server's grace"
            );
        }
    }
    assert_eq!(database_urls.len(), 1, "every replica on the same database");

    // No secret has a default committed: `${SECRET:-value}` would be one.
    for (name, rest) in interpolations(&text) {
        if name.contains("SECRET") || name.contains("PASSWORD") {
            assert!(
                rest.is_empty() || rest.starts_with(":?") || rest.starts_with('?'),
                "${{{name}{rest}}} gives a secret a default"
            );
        }
    }
}
