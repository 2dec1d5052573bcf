//! The deployment files under `deploy/` (Dockerfile, docker-compose.yml, Kubernetes manifests) are
//! read, not run: no container engine is needed. They must parse, set only environment variables
//! the server reads (`flowgraph::cli::environment_variables()`), pass the server arguments its CLI
//! accepts and values it can parse, and wire up what a deployment needs: replicas on one database,
//! probes on /health and /ready, resources, ports, a shutdown budget above the server's grace.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use flowgraph::cli::Cli;
use yaml_rust2::{Yaml, YamlLoader};

const PORT: i64 = 8000;
/// Where the image puts the binary; compose `command` and Kubernetes `args` go after it.
const IMAGE_BINARY: &str = "/usr/local/bin/flowgraph";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).unwrap_or_else(|e| panic!("reading {relative}: {e}"))
}

fn load(relative: &str) -> Vec<Yaml> {
    let docs = YamlLoader::load_from_str(&read(relative)).unwrap_or_else(|e| panic!("{relative} is not YAML: {e}"));
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

/// Every file under `dir`, recursively, relative to the repository root.
fn files_under(dir: &str) -> Vec<String> {
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

fn assert_server_reads(origin: &str, keys: impl IntoIterator<Item = String>) {
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
fn assert_cli_accepts(origin: &str, args: &[String]) {
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
fn assert_values_parse(origin: &str, env: &BTreeMap<String, String>) {
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
fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_list(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(items) => items.iter().map(|i| scalar(i).expect("a list of scalars")).collect(),
        Yaml::String(s) => s.split_whitespace().map(str::to_string).collect(),
        Yaml::BadValue | Yaml::Null => vec![],
        other => panic!("expected a list of strings, got {other:?}"),
    }
}

fn map_entries(y: &Yaml) -> BTreeMap<String, Yaml> {
    match y {
        Yaml::Hash(h) => h
            .iter()
            .map(|(k, v)| (scalar(k).expect("a scalar key"), v.clone()))
            .collect(),
        Yaml::BadValue | Yaml::Null => BTreeMap::new(),
        other => panic!("expected a mapping, got {other:?}"),
    }
}

fn labels_match(selector: &Yaml, labels: &Yaml) -> bool {
    let selector = map_entries(selector);
    let labels = map_entries(labels);
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

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

// ---------------------------------------------------------------------------------------------
// Dockerfile

#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

/// Instructions, with `\` continuations joined and comments dropped.
fn dockerfile_instructions(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                pending.push_str(part);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                let (keyword, args) = pending.split_once(char::is_whitespace).unwrap_or((&pending, ""));
                out.push(Instruction {
                    keyword: keyword.to_ascii_uppercase(),
                    args: args.trim().to_string(),
                });
                pending.clear();
            }
        }
    }
    assert!(pending.is_empty(), "the Dockerfile ends inside a continued line");
    out
}

/// Words, keeping double-quoted ones whole (quotes dropped).
fn words(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in args.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `ENV K=V K2=V2` or the legacy `ENV K V`.
fn env_pairs(args: &str) -> Vec<(String, String)> {
    let words = words(args);
    if !words[0].contains('=') {
        return vec![(words[0].clone(), words[1..].join(" "))];
    }
    words
        .iter()
        .map(|w| {
            let (k, v) = w.split_once('=').expect("ENV KEY=VALUE");
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// `ARG NAME[=default]`.
fn arg_pair(args: &str) -> (String, Option<String>) {
    match args.split_once('=') {
        Some((k, v)) => (k.trim().to_string(), Some(v.trim().trim_matches('"').to_string())),
        None => (args.trim().to_string(), None),
    }
}

fn exec_form(origin: &str, args: &str) -> Vec<String> {
    serde_json::from_str(args).unwrap_or_else(|e| panic!("{origin} should use the JSON (exec) form: {args} ({e})"))
}

struct Stage {
    image: String,
    name: Option<String>,
    instructions: Vec<Instruction>,
}

struct Dockerfile {
    /// ARGs before the first FROM, with their defaults.
    global_args: BTreeMap<String, Option<String>>,
    stages: Vec<Stage>,
}

fn parse_dockerfile(text: &str) -> Dockerfile {
    let mut global_args: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in dockerfile_instructions(text) {
        if instruction.keyword == "FROM" {
            let parts: Vec<&str> = instruction
                .args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let mut image = parts[0].to_string();
            for (name, default) in &global_args {
                if let Some(default) = default {
                    image = image
                        .replace(&format!("${{{name}}}"), default)
                        .replace(&format!("${name}"), default);
                }
            }
            assert!(!image.contains('$'), "FROM {image}: an ARG without a default");
            let name = match parts.get(1) {
                Some(kw) if kw.eq_ignore_ascii_case("as") => Some(parts[2].to_string()),
                _ => None,
            };
            stages.push(Stage {
                image,
                name,
                instructions: vec![],
            });
        } else if let Some(stage) = stages.last_mut() {
            stage.instructions.push(instruction);
        } else {
            assert_eq!(instruction.keyword, "ARG", "only ARG may come before the first FROM");
            let (k, v) = arg_pair(&instruction.args);
            global_args.insert(k, v);
        }
    }
    Dockerfile { global_args, stages }
}

impl Stage {
    fn all<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a Instruction> + 'a {
        self.instructions.iter().filter(move |i| i.keyword == keyword)
    }
    fn last<'a>(&'a self, keyword: &'a str) -> Option<&'a Instruction> {
        self.all(keyword).last()
    }
    fn env(&self) -> Vec<(String, String)> {
        self.all("ENV").flat_map(|i| env_pairs(&i.args)).collect()
    }
}

/// `COPY [--flags] src... dest`: (flags, sources, dest).
fn copy_parts(args: &str) -> (Vec<String>, Vec<String>, String) {
    let words = if args.starts_with('[') {
        exec_form("COPY", args)
    } else {
        words(args)
    };
    let (flags, rest): (Vec<String>, Vec<String>) = words.into_iter().partition(|w| w.starts_with("--"));
    let (dest, sources) = rest.split_last().expect("COPY needs a source and a destination");
    (flags, sources.to_vec(), dest.clone())
}

fn version_tuple(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().expect("a numeric version")).collect()
}

/// The top folders of Cargo.toml's `path = "…"` dependencies and patches.
fn path_dependencies() -> BTreeSet<String> {
    read("Cargo.toml")
        .lines()
        .filter_map(|line| {
            // Dependencies are inline tables (`name = { path = "…" }`); targets' `path =` are not.
            let at = line.find("{ path = \"").map(|at| at + 2)?;
            let rest = &line[at + "path = \"".len()..];
            let path = &rest[..rest.find('"')?];
            Some(path.split('/').next()?.to_string())
        })
        .collect()
}

/// Paths the crate reads at compile time (include_str!, include_bytes!, sqlx::migrate!; build.rs
/// and the files it names), as their first component relative to the repository root: the image
/// build needs them copied.
fn compile_time_inputs() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if root().join("build.rs").is_file() {
        out.insert("build.rs".to_string());
        // Its string literals that are files of the repository (console/app.js, say).
        for piece in read("build.rs").split('"') {
            if !piece.is_empty() && !piece.contains(char::is_whitespace) && root().join(piece).is_file() {
                out.insert(piece.split('/').next().unwrap().to_string());
            }
        }
    }
    for file in files_under("src").into_iter().filter(|f| f.ends_with(".rs")) {
        let text = read(&file);
        for marker in ["include_str!(\"", "include_bytes!(\"", "migrate!(\""] {
            for (at, _) in text.match_indices(marker) {
                let rest = &text[at + marker.len()..];
                let literal = &rest[..rest.find('"').unwrap()];
                // include_* resolve against the file's directory, migrate! against the manifest's.
                let base = if marker.starts_with("migrate") {
                    PathBuf::new()
                } else {
                    Path::new(&file).parent().unwrap().to_path_buf()
                };
                let mut parts: Vec<String> = Vec::new();
                for component in base.join(literal).components() {
                    match component {
                        std::path::Component::ParentDir => {
                            parts.pop();
                        }
                        std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
                        _ => {}
                    }
                }
                out.insert(parts[0].clone());
            }
        }
    }
    out
}

/// Whether a .dockerignore pattern (the simple forms: `dir/`, `name`, `*.ext`, `**/name`) excludes `path`.
fn ignored(patterns: &[String], path: &str) -> bool {
    let path = path.trim_start_matches("./").trim_end_matches('/');
    patterns.iter().any(|pattern| {
        let pattern = pattern.trim_start_matches("**/").trim_end_matches('/');
        let first = path.split('/').next().unwrap();
        match pattern.strip_prefix('*') {
            Some(suffix) => path.ends_with(suffix),
            None => first == pattern || path == pattern,
        }
    })
}

#[test]
fn dockerfile_builds_on_rust_and_runs_the_binary_alone_as_a_non_root_user() {
    let file = parse_dockerfile(&read("deploy/Dockerfile"));
    assert!(file.stages.len() >= 2, "a multi-stage build: a builder and a runtime");
    let builder = &file.stages[0];
    let runtime = file.stages.last().unwrap();

    // Builder: the official rust image, at least the crate's rust-version, same Debian as runtime.
    let tag = builder
        .image
        .strip_prefix("rust:")
        .unwrap_or_else(|| panic!("the builder should be the official rust image, not {}", builder.image));
    let version = tag.split('-').next().unwrap();
    assert!(
        version_tuple(version) >= version_tuple(env!("CARGO_PKG_RUST_VERSION")),
        "rust:{version} is older than Cargo.toml's rust-version {}",
        env!("CARGO_PKG_RUST_VERSION")
    );
    assert!(
        runtime.image.starts_with("debian:") || runtime.image.starts_with("gcr.io/distroless/cc"),
        "runtime {} should be debian slim or distroless cc",
        runtime.image
    );
    if let Some(codename) = runtime
        .image
        .strip_prefix("debian:")
        .map(|t| t.trim_end_matches("-slim"))
    {
        assert!(
            tag.contains(codename),
            "builder rust:{tag} and runtime {} should be the same Debian release (glibc)",
            runtime.image
        );
    }

    // The build: a dependency layer from the manifests alone, then the crate.
    let build_command = "cargo build --release --locked --bin flowgraph";
    let builds: Vec<usize> = builder
        .instructions
        .iter()
        .enumerate()
        .filter(|(_, i)| i.keyword == "RUN" && i.args.contains(build_command))
        .map(|(n, _)| n)
        .collect();
    // Where the builder first copies a path of the build context.
    let copy_of = |path: &str| {
        builder
            .instructions
            .iter()
            .position(|i| i.keyword == "COPY" && copy_parts(&i.args).1.iter().any(|s| s.starts_with(path)))
    };
    let copies_src = copy_of("src").expect("the builder copies src/");
    assert!(
        builds.len() >= 2 && builds[0] < copies_src && *builds.last().unwrap() > copies_src,
        "expected `{build_command}` once before COPY src (the dependency cache layer) and once after"
    );
    // Path dependencies (vendor/, patched crates) are part of the dependency layer: copied before
    // its build, or that build fails.
    for dependency in path_dependencies() {
        assert!(
            copy_of(&dependency).is_some_and(|at| at < builds[0]),
            "the builder must COPY {dependency} (a path dependency in Cargo.toml) before the dependency build"
        );
    }
    let copied: BTreeSet<String> = builder
        .all("COPY")
        .flat_map(|i| copy_parts(&i.args).1)
        .map(|s| s.trim_end_matches('/').to_string())
        .collect();
    for needed in ["Cargo.toml", "Cargo.lock", "src"]
        .into_iter()
        .map(String::from)
        .chain(compile_time_inputs())
    {
        assert!(
            copied.contains(&needed),
            "the builder must COPY {needed} (copies {copied:?})"
        );
    }

    // The build context: every COPY source exists and .dockerignore keeps it.
    let ignore: Vec<String> = read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    for pattern in ["target", ".git", "*.db"] {
        assert!(
            ignore.iter().any(|p| p.trim_end_matches('/') == pattern),
            ".dockerignore should exclude {pattern}"
        );
    }
    for source in &copied {
        assert!(
            root().join(source).exists(),
            "COPY {source}: no such file in the repository"
        );
        assert!(
            !ignored(&ignore, source),
            "COPY {source}, but .dockerignore excludes it"
        );
    }

    // Runtime: certificates, the binary alone, a non-root user, the port, the address.
    assert!(
        runtime.all("RUN").any(|i| i.args.contains("ca-certificates")) || runtime.image.contains("distroless"),
        "the runtime image should install ca-certificates"
    );
    let from_builder: Vec<(Vec<String>, Vec<String>, String)> = runtime
        .all("COPY")
        .map(|i| copy_parts(&i.args))
        .filter(|(flags, _, _)| flags.iter().any(|f| f.starts_with("--from=")))
        .collect();
    assert_eq!(from_builder.len(), 1, "the runtime takes one thing from the builder");
    let (flags, sources, destination) = &from_builder[0];
    let builder_name = builder.name.as_deref().unwrap_or("0");
    assert!(
        flags.contains(&format!("--from={builder_name}")),
        "the runtime copies from the builder stage {builder_name}, not {flags:?}"
    );
    assert_eq!(sources, &vec!["/build/target/release/flowgraph".to_string()]);
    assert_eq!(destination, IMAGE_BINARY);
    assert!(
        runtime
            .all("COPY")
            .all(|i| copy_parts(&i.args).0.iter().any(|f| f.starts_with("--from="))),
        "the runtime copies nothing from the build context: the binary carries its assets"
    );

    let user = runtime.last("USER").expect("the runtime sets USER").args.clone();
    let uid = user.split(':').next().unwrap();
    assert!(!["", "0", "root"].contains(&uid), "USER {user} is root");
    assert!(
        uid.chars().all(|c| c.is_ascii_digit()),
        "USER {user}: numeric, so Kubernetes' runAsNonRoot can check it"
    );

    let exposed: Vec<String> = runtime.all("EXPOSE").flat_map(|i| words(&i.args)).collect();
    assert!(exposed.iter().any(|p| p.trim_end_matches("/tcp") == PORT.to_string()));

    let mut env = BTreeMap::new();
    for stage in &file.stages {
        for (k, v) in stage.env() {
            env.insert(k, v);
        }
    }
    assert_eq!(env.get("FLOWGRAPH_ADDR").map(String::as_str), Some("0.0.0.0:8000"));
    assert_server_reads("Dockerfile ENV", env.keys().cloned());
    assert_values_parse("Dockerfile ENV", &env);

    // ARGs are build-time only; the one the FROM lines use has a default.
    assert!(file.global_args.contains_key("RUST_VERSION"));

    // ENTRYPOINT + CMD = the binary, then arguments the CLI accepts.
    let mut command = exec_form("ENTRYPOINT", &runtime.last("ENTRYPOINT").expect("an ENTRYPOINT").args);
    if let Some(cmd) = runtime.last("CMD") {
        command.extend(exec_form("CMD", &cmd.args));
    }
    assert_eq!(command[0], IMAGE_BINARY, "the entrypoint is the binary");
    assert_cli_accepts("Dockerfile ENTRYPOINT/CMD", &command[1..]);
    assert_eq!(command[1..], ["serve".to_string()]);
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

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

// ---------------------------------------------------------------------------------------------
// Kubernetes

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
