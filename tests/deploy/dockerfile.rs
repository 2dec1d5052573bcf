//! deploy/Dockerfile (and .dockerignore): built on Rust, copying everything the build reads, and
//! running the binary alone as a non-root user.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::helpers::{
    IMAGE_BINARY, PORT, assert_cli_accepts, assert_server_reads, assert_values_parse, files_under, read, root,
};

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
