//! The data-cleansing agents: `data_standardization` turns mapped source rows into `CleanRecord`s
//! with standard values, `data_quality` scores them, `deduplication` merges the same asset written
//! twice. All three are pure functions of their input.
//!
//! Decisions worth knowing:
//! - A source field with no mapping at all is treated like one mapped to `None`: kept in
//!   `attributes`, so nothing the customer sent is lost.
//! - When several source fields map onto one attribute, the first non-blank (in the row's field
//!   order) wins; the others stay in `attributes` under their source name.
//! - Placeholders (`N/A`, `null`, `none`, `-`, `TBD`, `unknown`, ...) count as missing in canonical
//!   fields.
//! - UAT and SIT are test environments (`test`); DR stands alone (`dr`).
//! - `issues` holds problems only (unknown environment, invalid IP, a unit guessed, a value that could
//!   not be read). A conversion with an explicit unit (`4096 MB`) is clean and only counted in the
//!   reasoning. Merge notes start with `merge` and do not lower quality.
//! - Sizes are GB. A unit in the value wins (`4096 MB`, `1 TB`), then a non-GB unit in the source
//!   column name (`Memory (MB)`, `ram_mb`, `memoryMB`); otherwise, for memory only, a bare number over
//!   1024 is taken as MB with an issue (ServiceNow's `ram`), even under a `(GB)` header. Storage over
//!   1024 GB is common, so storage has no such guess.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::agents::inventory::{asset_type_from_text, classify_record};
use crate::agents::types::{
    ASSET_TYPES, Agent, AgentError, AgentOutput, CANONICAL_ATTRIBUTES, CleanRecord, FieldMapping, SourceRecord,
};
use crate::domain::PhaseName;

/// The environments standardisation produces (anything else is an unknown value kept lower-case).
pub const ENVIRONMENTS: &[&str] = &["production", "staging", "test", "qa", "development", "dr"];

/// The values of `attributes["os_family"]`.
pub const OS_FAMILIES: &[&str] = &["windows", "linux", "unix", "database", "other"];

/// Values that mean "nobody filled this in".
const PLACEHOLDERS: &[&str] = &["n/a", "#n/a", "null", "nil", "none", "-", "--", "?", "tbd", "unknown"];

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

// ------------------------------------------------------------------------------------------------
// data_standardization

/// What `data_standardization` works on: the approved mappings and the imported rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StandardizeInput {
    pub mappings: Vec<FieldMapping>,
    pub records: Vec<SourceRecord>,
}

/// Maps and standardises every source row into one `CleanRecord`, in order.
#[derive(Debug, Clone, Copy, Default)]
pub struct DataStandardization;

impl Agent for DataStandardization {
    type Input = StandardizeInput;
    type Output = Vec<CleanRecord>;
    const NAME: &'static str = "data_standardization";
    const PHASE: PhaseName = PhaseName::DataCleansing;

    fn run(&self, input: &StandardizeInput) -> Result<AgentOutput<Vec<CleanRecord>>, AgentError> {
        let targets = Targets::new(&input.mappings);
        let mut stats = Stats::default();
        let records: Vec<CleanRecord> = input
            .records
            .iter()
            .map(|row| standardize_record(row, &targets, &mut stats))
            .collect();
        let with_issues = records.iter().filter(|r| !r.issues.is_empty()).count();
        // Every problem is a value we had to drop or guess: the more of them, the less sure we are.
        let confidence = if stats.values == 0 {
            1.0
        } else {
            round3(1.0 - stats.problems as f64 / stats.values as f64).max(0.5)
        };
        let reasoning = format!(
            "Standardised {} records ({} mapped values). Environment values renamed to the standard set: {}; \
             sizes converted to GB: {}; problems noted: {} (on {} records).",
            records.len(),
            stats.values,
            stats.environments_renamed,
            stats.units_converted,
            stats.problems,
            with_issues
        );
        Ok(AgentOutput::new(records, confidence, reasoning))
    }
}

#[derive(Debug, Default)]
struct Stats {
    values: usize,
    environments_renamed: usize,
    units_converted: usize,
    problems: usize,
}

/// Where each source field goes: `Some(attribute)`, or `None` to keep it under its own name.
struct Targets<'a> {
    exact: HashMap<&'a str, Option<&'static str>>,
    /// Trimmed and lower-cased names, for a mapping whose spelling drifted from the import's.
    folded: HashMap<String, Option<&'static str>>,
}

impl<'a> Targets<'a> {
    fn new(mappings: &'a [FieldMapping]) -> Self {
        let mut exact = HashMap::new();
        let mut folded = HashMap::new();
        for mapping in mappings {
            let target = mapping.target_attribute.as_deref().and_then(canonical_attribute);
            exact.entry(mapping.source_field.as_str()).or_insert(target);
            folded
                .entry(mapping.source_field.trim().to_lowercase())
                .or_insert(target);
        }
        Targets { exact, folded }
    }

    fn get(&self, field: &str) -> Option<&'static str> {
        match self.exact.get(field) {
            Some(target) => *target,
            None => self.folded.get(&field.trim().to_lowercase()).copied().flatten(),
        }
    }
}

/// A mapping target that is not a canonical attribute is treated as no mapping (kept as attribute).
fn canonical_attribute(name: &str) -> Option<&'static str> {
    let name = name.trim();
    CANONICAL_ATTRIBUTES
        .iter()
        .copied()
        .find(|c| c.eq_ignore_ascii_case(name))
}

fn is_placeholder(text: &str) -> bool {
    let t = text.trim();
    PLACEHOLDERS.iter().any(|p| p.eq_ignore_ascii_case(t))
}

/// Null, blank text, an empty array: nothing worth keeping even as an attribute.
fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.iter().all(is_blank),
        Value::Object(map) => map.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

fn is_missing(value: &Value) -> bool {
    match value {
        Value::String(s) => s.trim().is_empty() || is_placeholder(s),
        Value::Array(items) => items.iter().all(is_missing),
        other => is_blank(other),
    }
}

/// A value as trimmed text (arrays joined with `, `); `None` when blank or a placeholder.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty() && !is_placeholder(t)).then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(scalar_text).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        Value::Object(_) => (!is_blank(value)).then(|| value.to_string()),
    }
}

fn keep_attribute(attributes: &mut Map<String, Value>, field: &str, value: &Value) {
    if is_blank(value) {
        return;
    }
    let value = match value {
        Value::String(s) => Value::String(s.trim().to_string()),
        other => other.clone(),
    };
    attributes.insert(field.to_string(), value);
}

fn standardize_record(row: &SourceRecord, targets: &Targets<'_>, stats: &mut Stats) -> CleanRecord {
    let mut attributes = Map::new();
    let mut issues: Vec<String> = Vec::new();
    // The first usable value for each canonical attribute, with the source field it came from.
    let mut mapped: HashMap<&'static str, (&str, &Value)> = HashMap::new();
    for (field, value) in &row.fields {
        match targets.get(field) {
            Some(target) => {
                if is_missing(value) {
                    continue;
                }
                if mapped.contains_key(target) {
                    keep_attribute(&mut attributes, field, value);
                } else {
                    mapped.insert(target, (field.as_str(), value));
                }
            }
            None => keep_attribute(&mut attributes, field, value),
        }
    }
    stats.values += mapped.len();
    let text = |attribute: &str| mapped.get(attribute).and_then(|(_, value)| scalar_text(value));

    let mut ip_address = None;
    if let Some((_, value)) = mapped.get("ip_address") {
        let (first, extra, invalid) = parse_ips(value);
        ip_address = first;
        if !extra.is_empty() {
            attributes.insert("additional_ip_addresses".into(), Value::from(extra));
        }
        for bad in invalid {
            issues.push(format!("invalid IP address `{bad}` dropped"));
        }
    }

    let mut hostname = text("hostname").map(|h| host_text(&h)).filter(|h| !h.is_empty());
    let mut fqdn = text("fqdn").map(|f| host_text(&f)).filter(|f| !f.is_empty());
    move_ip_out_of_host_field(&mut hostname, &mut ip_address, "hostname", &mut issues);
    move_ip_out_of_host_field(&mut fqdn, &mut ip_address, "FQDN", &mut issues);
    // A hostname written as an FQDN gives both.
    if let Some(h) = hostname.as_deref()
        && let Some((label, _)) = h.split_once('.')
    {
        if fqdn.is_none() {
            fqdn = Some(h.to_string());
        }
        hostname = (!label.is_empty()).then(|| label.to_string());
    }
    if hostname.is_none() {
        hostname = fqdn.as_deref().and_then(first_label).map(str::to_string);
    }

    let environment = text("environment").map(|raw| match standardize_environment(&raw) {
        Some(env) => {
            if raw != env {
                stats.environments_renamed += 1;
            }
            env.to_string()
        }
        None => {
            let kept = raw.to_lowercase();
            issues.push(format!("unrecognised environment `{raw}` kept as `{kept}`"));
            kept
        }
    });

    let memory_gb = mapped
        .get("memory_gb")
        .and_then(|(field, value)| to_gb(field, value, SizeKind::Memory, &mut issues, stats));
    let storage_gb = mapped
        .get("storage_gb")
        .and_then(|(field, value)| to_gb(field, value, SizeKind::Storage, &mut issues, stats));
    let cpu_cores = text("cpu_cores").and_then(|raw| {
        let cores = parse_cores(&raw);
        if cores.is_none() {
            issues.push(format!("unreadable CPU cores `{raw}` dropped"));
        }
        cores
    });

    let operating_system = text("operating_system");
    let os_version = text("os_version").or_else(|| operating_system.as_deref().and_then(os_version_from));
    if let Some(os) = operating_system.as_deref() {
        attributes.insert("os_family".into(), Value::from(os_family(os)));
    }

    let depends_on = mapped
        .get("depends_on")
        .map(|(_, value)| dependency_list(value))
        .unwrap_or_default();

    // A name that came from a host field is lower-case like the host field; a mapped name keeps its case.
    let name = text("name")
        .or_else(|| hostname.clone())
        .or_else(|| fqdn.clone())
        .or_else(|| ip_address.clone())
        .unwrap_or_else(|| format!("row-{}", row.row_number));
    let key = name.trim().to_lowercase();

    stats.problems += issues.len();
    CleanRecord {
        key,
        source_rows: vec![row.row_number],
        name,
        hostname,
        fqdn,
        ip_address,
        asset_type: text("asset_type"),
        operating_system,
        os_version,
        environment,
        application: text("application"),
        cpu_cores,
        memory_gb,
        storage_gb,
        owner: text("owner"),
        depends_on,
        business_criticality: text("business_criticality"),
        location: text("location"),
        attributes,
        quality_score: 0.0,
        issues,
    }
}

/// Host names compare case-insensitively and an FQDN's trailing root dot is noise.
fn host_text(text: &str) -> String {
    text.trim().trim_end_matches('.').to_lowercase()
}

/// The host part of an FQDN (not of an IP address).
fn first_label(fqdn: &str) -> Option<&str> {
    if fqdn.parse::<IpAddr>().is_ok() {
        return None;
    }
    fqdn.split('.').next().filter(|label| !label.is_empty())
}

/// Exports often put the IP in the host column; it is an address, not a name.
fn move_ip_out_of_host_field(
    host: &mut Option<String>,
    ip_address: &mut Option<String>,
    field: &str,
    issues: &mut Vec<String>,
) {
    let Some(ip) = host.as_deref().and_then(|h| h.parse::<IpAddr>().ok()) else {
        return;
    };
    if ip_address.is_none() && !ip.is_unspecified() {
        *ip_address = Some(ip.to_string());
    }
    issues.push(format!("{field} `{ip}` is an IP address, not a name"));
    *host = None;
}

/// The first valid address, the other valid ones, and the unreadable ones.
fn parse_ips(value: &Value) -> (Option<String>, Vec<String>, Vec<String>) {
    let Some(text) = scalar_text(value) else {
        return (None, Vec::new(), Vec::new());
    };
    let mut valid: Vec<String> = Vec::new();
    let mut invalid = Vec::new();
    for candidate in text.split([',', ';', '|']).flat_map(str::split_whitespace) {
        match parse_ip(candidate) {
            Some(ip) => {
                if !valid.contains(&ip) {
                    valid.push(ip);
                }
            }
            None => invalid.push(candidate.to_string()),
        }
    }
    let mut valid = valid.into_iter();
    (valid.next(), valid.collect(), invalid)
}

/// One address in canonical form: brackets, a prefix length and an IPv6 zone are tolerated;
/// `0.0.0.0` and `::` are placeholders, not addresses.
pub fn parse_ip(text: &str) -> Option<String> {
    let t = text.trim().trim_start_matches('[').trim_end_matches(']');
    let t = match t.split_once('/') {
        Some((addr, prefix)) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) => addr,
        _ => t,
    };
    let t = t.split('%').next().unwrap_or(t);
    let ip: IpAddr = t.parse().ok()?;
    (!ip.is_unspecified()).then(|| ip.to_string())
}

/// The standard name of an environment, or `None` when the text is not a known synonym.
pub fn standardize_environment(text: &str) -> Option<&'static str> {
    // Case, spaces and punctuation carry no meaning here: `Pre-Prod` = `preprod`.
    let folded: String = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    Some(match folded.as_str() {
        "production" | "prod" | "prd" | "live" | "p" | "prdn" | "prodn" => "production",
        "development" | "dev" | "d" | "develop" | "devl" => "development",
        // User-acceptance and system-integration testing are test environments.
        "test" | "tst" | "testing" | "t" | "uat" | "sit" | "useracceptance" | "useracceptancetest" => "test",
        "qa" | "quality" | "qualityassurance" | "q" => "qa",
        "staging" | "stage" | "stg" | "preprod" | "preproduction" | "prestage" => "staging",
        "dr" | "disasterrecovery" | "recovery" => "dr",
        _ => return None,
    })
}

/// A size's unit; `gb_factor` converts to GB (binary multiples, as CMDBs mean them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    B,
    Kb,
    Mb,
    Gb,
    Tb,
    Pb,
}

impl Unit {
    fn parse(word: &str) -> Option<Unit> {
        Some(match word {
            "b" | "byte" | "bytes" => Unit::B,
            "k" | "kb" | "kib" | "kbytes" | "kilobyte" | "kilobytes" => Unit::Kb,
            "m" | "mb" | "mib" | "meg" | "megs" | "mbytes" | "megabyte" | "megabytes" => Unit::Mb,
            "g" | "gb" | "gib" | "gig" | "gigs" | "gbytes" | "gigabyte" | "gigabytes" => Unit::Gb,
            "t" | "tb" | "tib" | "tbytes" | "terabyte" | "terabytes" => Unit::Tb,
            "p" | "pb" | "pib" | "petabyte" | "petabytes" => Unit::Pb,
            _ => return None,
        })
    }

    fn gb_factor(self) -> f64 {
        match self {
            Unit::B => 1.0 / (1024.0 * 1024.0 * 1024.0),
            Unit::Kb => 1.0 / (1024.0 * 1024.0),
            Unit::Mb => 1.0 / 1024.0,
            Unit::Gb => 1.0,
            Unit::Tb => 1024.0,
            Unit::Pb => 1024.0 * 1024.0,
        }
    }
}

/// The unit a column name declares (`Memory (GB)`, `ram_mb`, `memoryMB`); one-letter words don't count.
fn unit_in_name(field: &str) -> Option<Unit> {
    let mut spaced = String::with_capacity(field.len() + 4);
    let mut previous_lower = false;
    for c in field.chars() {
        // camelCase boundary: `memoryMB` → `memory MB`.
        if c.is_uppercase() && previous_lower {
            spaced.push(' ');
        }
        previous_lower = c.is_lowercase();
        spaced.extend(c.to_lowercase());
    }
    spaced
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.len() >= 2)
        .find_map(Unit::parse)
        .filter(|unit| !matches!(unit, Unit::B))
}

/// A leading number (thousands separators and a decimal comma understood) and the rest of the text.
fn leading_number(text: &str) -> Option<(f64, &str)> {
    let t = text.trim_start();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(t.len());
    let (digits, rest) = t.split_at(end);
    let digits = digits.trim_end_matches([',', '.']);
    if !digits.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let normalised = if !digits.contains(',') {
        digits.to_string()
    } else if digits.contains('.') {
        digits.replace(',', "")
    } else {
        let mut groups = digits.split(',');
        let head = groups.next().unwrap_or("");
        let thousands = !head.is_empty() && head.len() <= 3 && groups.clone().all(|g| g.len() == 3);
        if thousands {
            digits.replace(',', "")
        } else if digits.matches(',').count() == 1 {
            digits.replace(',', ".")
        } else {
            return None;
        }
    };
    let number: f64 = normalised.parse().ok()?;
    number.is_finite().then_some((number, rest))
}

/// `16`, `16GB`, `16 GB`, `4096 MB`, `1 TB`, `1,024 MB`, `16 GB RAM`: the amount and the unit if given.
fn parse_quantity(text: &str) -> Option<(f64, Option<Unit>)> {
    let lower = text.trim().to_lowercase();
    let (amount, rest) = leading_number(&lower)?;
    let word = rest
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphanumeric());
    if word.is_empty() {
        return Some((amount, None));
    }
    Some((amount, Some(Unit::parse(word)?)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SizeKind {
    Memory,
    Storage,
}

fn to_gb(field: &str, value: &Value, kind: SizeKind, issues: &mut Vec<String>, stats: &mut Stats) -> Option<f64> {
    let label = match kind {
        SizeKind::Memory => "memory",
        SizeKind::Storage => "storage",
    };
    let raw = scalar_text(value)?;
    let Some((amount, unit)) = parse_quantity(&raw) else {
        issues.push(format!("unreadable {label} `{raw}` dropped"));
        return None;
    };
    // GB is the default, so a column that says GB adds nothing; any other declared unit counts.
    let declared = unit.or_else(|| unit_in_name(field).filter(|u| *u != Unit::Gb));
    let gb = match declared {
        Some(unit) => {
            if unit != Unit::Gb {
                stats.units_converted += 1;
            }
            amount * unit.gb_factor()
        }
        // ServiceNow's `ram` is in MB and carries no unit, and "GB" headers are often filled from
        // tools that report MB; a server with over 1 TB of RAM is the rarer case.
        None if kind == SizeKind::Memory && amount > 1024.0 => {
            stats.units_converted += 1;
            let gb = amount / 1024.0;
            issues.push(format!(
                "memory `{raw}` has no unit and is over 1024: taken as MB ({} GB)",
                round3(gb)
            ));
            gb
        }
        None => amount,
    };
    let gb = round3(gb);
    if gb <= 0.0 {
        issues.push(format!("{label} `{raw}` is not a positive size, dropped"));
        return None;
    }
    Some(gb)
}

/// `4`, `4.0`, `4 vCPU`, `2 x 4` (sockets × cores); `None` for zero, fractions and text.
pub fn parse_cores(text: &str) -> Option<i64> {
    let lower = text.trim().to_lowercase();
    let (first, rest) = leading_number(&lower)?;
    let rest = rest.trim_start();
    let total = match rest.strip_prefix('x').or_else(|| rest.strip_prefix('×')) {
        Some(after) => leading_number(after).map_or(first, |(second, _)| first * second),
        None => first,
    };
    (total > 0.0 && total.fract() == 0.0 && total <= 1_000_000.0).then_some(total as i64)
}

/// The family of an operating-system string (a database product counts as `database`).
pub fn os_family(os: &str) -> &'static str {
    let lower = os.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    // The product is what matters when a DB engine is written in the OS column.
    if has(&[
        "sql server",
        "mssql",
        "oracle database",
        "oracle db",
        "mysql",
        "postgres",
        "mongodb",
        "mariadb",
        "db2",
        "sybase",
    ]) {
        "database"
    } else if has(&["windows"]) || lower.starts_with("win") {
        "windows"
    } else if has(&[
        "linux", "ubuntu", "red hat", "redhat", "rhel", "centos", "debian", "suse", "sles", "fedora", "rocky", "alma",
    ]) {
        "linux"
    } else if has(&["aix", "solaris", "sunos", "hp-ux", "hpux", "unix", "freebsd", "openbsd"]) {
        "unix"
    } else if has(&["oracle"]) {
        // `Oracle 19c`: Oracle Linux and Solaris were caught above.
        "database"
    } else {
        "other"
    }
}

/// The version inside an OS or database product string, when the source gave no separate version:
/// `Windows Server 2008 R2 Enterprise` → `2008 R2`, `Ubuntu 14.04.6 LTS` → `14.04`, `AIX 7.1` → `7.1`,
/// `Oracle Database 19c` → `19c`, `SUSE Linux Enterprise Server 12 SP5` → `12 SP5`.
pub fn os_version_from(os: &str) -> Option<String> {
    let tokens: Vec<&str> = os
        .split_whitespace()
        .map(|t| t.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | ';' | ':' | '[' | ']')))
        .filter(|t| !t.is_empty())
        .collect();
    let lower = os.to_lowercase();

    // Microsoft names releases by year, with an R2 that matters (2008 ≠ 2008 R2).
    if lower.contains("windows") || lower.contains("sql server") {
        for (i, token) in tokens.iter().enumerate() {
            let upper = token.to_uppercase();
            let (year, suffix) = match upper.find('R') {
                Some(at) if at == 4 => upper.split_at(at),
                _ => (upper.as_str(), ""),
            };
            let is_year =
                year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) && matches!(&year[..2], "19" | "20");
            if !is_year {
                continue;
            }
            if matches!(suffix, "R2" | "R3") {
                return Some(format!("{year} {suffix}"));
            }
            let next = tokens.get(i + 1).map(|t| t.to_uppercase());
            return Some(match next.as_deref() {
                Some(r @ ("R2" | "R3")) => format!("{year} {r}"),
                _ => year.to_string(),
            });
        }
    }

    let numeric = |t: &str| -> Option<String> {
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        t.starts_with(|c: char| c.is_ascii_digit())
            .then(|| t.trim_end_matches(['.', '-']).to_string())
    };
    let found = tokens.iter().enumerate().find_map(|(i, t)| numeric(t).map(|v| (i, v)));
    if let Some((i, version)) = found {
        // Ubuntu's point releases don't change the release (14.04.6 is 14.04).
        if lower.contains("ubuntu") {
            let mut parts = version.split('.');
            if let (Some(major), Some(minor)) = (parts.next(), parts.next()) {
                return Some(format!("{major}.{minor}"));
            }
        }
        // A service pack is part of the release (SLES 12 SP5).
        if let Some(next) = tokens.get(i + 1)
            && next.len() > 2
            && next.get(..2).is_some_and(|sp| sp.eq_ignore_ascii_case("sp"))
            && next.get(2..).is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        {
            return Some(format!("{version} {}", next.to_uppercase()));
        }
        return Some(version);
    }

    // `RHEL7.9`, `CentOS7`: the version glued to the product name.
    tokens.iter().find_map(|t| {
        let at = t.find(|c: char| c.is_ascii_digit())?;
        let (head, tail) = t.split_at(at);
        let glued = !head.is_empty()
            && head.chars().all(|c| c.is_alphabetic())
            && tail.chars().all(|c| c.is_ascii_digit() || c == '.');
        glued.then(|| tail.trim_end_matches('.').to_string())
    })
}

/// Dependency names from a string (split on `;` `,` `|` and newlines) or a JSON array (as given),
/// trimmed, without blanks and without case-insensitive repeats.
fn dependency_list(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |name: &str| {
        let name = name.trim();
        if !name.is_empty() && !is_placeholder(name) && seen.insert(name.to_lowercase()) {
            out.push(name.to_string());
        }
    };
    match value {
        Value::Array(items) => items.iter().filter_map(scalar_text).for_each(|item| push(&item)),
        other => {
            if let Some(text) = scalar_text(other) {
                text.split([';', ',', '|', '\n', '\r']).for_each(&mut push);
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------------------------
// data_quality

/// The records with their `quality_score`, the share of records with a valid value per canonical
/// attribute, and the mean record score.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    pub records: Vec<CleanRecord>,
    pub per_field: BTreeMap<String, f64>,
    pub overall: f64,
}

/// Scores each record's completeness (for its kind) and validity.
#[derive(Debug, Clone, Copy, Default)]
pub struct DataQuality;

impl Agent for DataQuality {
    type Input = [CleanRecord];
    type Output = QualityReport;
    const NAME: &'static str = "data_quality";
    const PHASE: PhaseName = PhaseName::DataCleansing;

    fn run(&self, input: &[CleanRecord]) -> Result<AgentOutput<QualityReport>, AgentError> {
        let mut explicit = 0usize;
        let records: Vec<CleanRecord> = input
            .iter()
            .map(|record| {
                let class = classify_record(record);
                explicit += usize::from(class.explicit);
                let mut record = record.clone();
                record.quality_score = score_for_kind(&record, class.asset_type);
                record
            })
            .collect();
        let n = records.len();
        let share = |count: usize| if n == 0 { 0.0 } else { round3(count as f64 / n as f64) };
        let per_field: BTreeMap<String, f64> = CANONICAL_ATTRIBUTES
            .iter()
            .map(|field| {
                (
                    field.to_string(),
                    share(records.iter().filter(|r| has_valid_value(r, field)).count()),
                )
            })
            .collect();
        let overall = if n == 0 {
            0.0
        } else {
            round3(records.iter().map(|r| r.quality_score).sum::<f64>() / n as f64)
        };
        let below = records.iter().filter(|r| r.quality_score < 0.7).count();
        let weakest = per_field
            .iter()
            .filter(|(_, s)| **s < 0.5)
            .map(|(f, _)| f.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let reasoning = format!(
            "Scored {n} records: overall quality {overall}; {below} records under 0.7; fields filled in under \
             half the records: {}.",
            if weakest.is_empty() { "none" } else { &weakest }
        );
        // The scores are exact; what is uncertain is the record kind guessed without a source type.
        let confidence = if n == 0 {
            1.0
        } else {
            round3(0.8 + 0.2 * explicit as f64 / n as f64)
        };
        Ok(AgentOutput::new(
            QualityReport {
                records,
                per_field,
                overall,
            },
            confidence,
            reasoning,
        ))
    }
}

/// The fields that make a record of this kind useful for migration planning.
pub fn important_fields(asset_type: &str) -> &'static [&'static str] {
    match asset_type {
        "server" => &[
            "hostname",
            "ip_address",
            "operating_system",
            "environment",
            "cpu_cores",
            "memory_gb",
        ],
        "database" => &[
            "name",
            "operating_system",
            "os_version",
            "environment",
            "application",
            "owner",
        ],
        "application" => &["name", "environment", "owner", "depends_on"],
        "network_device" => &["hostname", "ip_address", "location", "owner"],
        "storage" => &["name", "storage_gb", "location", "owner"],
        _ => &["name", "asset_type", "environment", "owner"],
    }
}

/// Merge notes are bookkeeping, not data problems.
fn is_merge_note(issue: &str) -> bool {
    issue.starts_with("merge")
}

/// 0.8 × completeness of the kind's important fields + 0.2 × validity (each problem costs a quarter).
pub fn quality_score(record: &CleanRecord) -> f64 {
    score_for_kind(record, classify_record(record).asset_type)
}

fn score_for_kind(record: &CleanRecord, asset_type: &str) -> f64 {
    let fields = important_fields(asset_type);
    let present = fields.iter().filter(|f| has_valid_value(record, f)).count();
    let completeness = present as f64 / fields.len().max(1) as f64;
    let problems = record.issues.iter().filter(|i| !is_merge_note(i)).count();
    let validity = (1.0 - 0.25 * problems as f64).max(0.0);
    round3(0.8 * completeness + 0.2 * validity).clamp(0.0, 1.0)
}

/// Whether the record has a usable value for a canonical attribute.
pub fn has_valid_value(record: &CleanRecord, field: &str) -> bool {
    fn filled(value: &Option<String>) -> bool {
        value.as_deref().is_some_and(|v| !v.trim().is_empty())
    }
    fn positive(value: Option<f64>) -> bool {
        value.is_some_and(|v| v.is_finite() && v > 0.0)
    }
    match field {
        "name" => !record.name.trim().is_empty(),
        "hostname" => filled(&record.hostname),
        "fqdn" => filled(&record.fqdn),
        "ip_address" => record.ip_address.as_deref().is_some_and(|ip| parse_ip(ip).is_some()),
        "asset_type" => filled(&record.asset_type),
        "operating_system" => filled(&record.operating_system),
        "os_version" => filled(&record.os_version),
        "environment" => record.environment.as_deref().is_some_and(|e| ENVIRONMENTS.contains(&e)),
        "application" => filled(&record.application),
        "cpu_cores" => record.cpu_cores.is_some_and(|c| c > 0),
        "memory_gb" => positive(record.memory_gb),
        "storage_gb" => positive(record.storage_gb),
        "owner" => filled(&record.owner),
        "depends_on" => record.depends_on.iter().any(|d| !d.trim().is_empty()),
        "business_criticality" => filled(&record.business_criticality),
        "location" => filled(&record.location),
        _ => false,
    }
}

// ------------------------------------------------------------------------------------------------
// deduplication

/// One merge: the key kept, the source rows folded into it, and the rules that matched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Merge {
    pub kept_key: String,
    pub merged_rows: Vec<i64>,
    pub reason: String,
}

/// The records after merging (in first-appearance order) and the merges made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DedupResult {
    pub records: Vec<CleanRecord>,
    pub merges: Vec<Merge>,
}

/// Merges records that are the same asset under another spelling.
#[derive(Debug, Clone, Copy, Default)]
pub struct Deduplication;

const SAME_KEY: &str = "same key";
const SAME_FQDN: &str = "same FQDN";
const SAME_HOST: &str = "same host name";
const SAME_IP_AND_NAME: &str = "same IP address and a name in common";

/// How sure each rule is that two records are one asset.
pub fn rule_confidence(reason: &str) -> f64 {
    match reason {
        SAME_FQDN => 0.98,
        SAME_KEY => 0.95,
        SAME_HOST => 0.9,
        _ => 0.85,
    }
}

impl Agent for Deduplication {
    type Input = [CleanRecord];
    type Output = DedupResult;
    const NAME: &'static str = "deduplication";
    const PHASE: PhaseName = PhaseName::DataCleansing;

    fn run(&self, input: &[CleanRecord]) -> Result<AgentOutput<DedupResult>, AgentError> {
        let mut index = DedupIndex::default();
        for record in input {
            index.add(record);
        }
        let mut groups = index.groups;
        // Groups in the order of their first record; members in input order.
        let mut slot_of_root: Vec<Option<usize>> = vec![None; input.len()];
        let mut members: Vec<Vec<usize>> = Vec::new();
        for i in 0..input.len() {
            let root = groups.find(i);
            let slot = match slot_of_root[root] {
                Some(slot) => slot,
                None => {
                    members.push(Vec::new());
                    slot_of_root[root] = Some(members.len() - 1);
                    members.len() - 1
                }
            };
            members[slot].push(i);
        }

        let mut records = Vec::with_capacity(members.len());
        let mut merges = Vec::new();
        let mut weakest: f64 = 1.0;
        for group in &members {
            let refs: Vec<&CleanRecord> = group.iter().map(|&i| &input[i]).collect();
            if refs.len() == 1 {
                records.push(refs[0].clone());
                continue;
            }
            let root = groups.find(group[0]);
            let reasons = groups.reasons(root);
            for reason in &reasons {
                weakest = weakest.min(rule_confidence(reason));
            }
            let reason = reasons.join("; ");
            let Some(merged) = merge_records(&refs, &reason) else {
                continue;
            };
            merges.push(Merge {
                kept_key: merged.key.clone(),
                merged_rows: refs[1..].iter().flat_map(|r| r.source_rows.iter().copied()).collect(),
                reason,
            });
            records.push(merged);
        }
        let reasoning = format!(
            "{} records became {} (merges: {}, rows folded in: {}), matching on key, FQDN, host name, or IP \
             address with a name in common.",
            input.len(),
            records.len(),
            merges.len(),
            merges.iter().map(|m| m.merged_rows.len()).sum::<usize>()
        );
        Ok(AgentOutput::new(DedupResult { records, merges }, weakest, reasoning))
    }
}

/// Deduplication's identities, built one record at a time: records arriving in batches are
/// grouped exactly as `Deduplication::run` groups them all at once, while the index keeps only
/// identities (keys, names, addresses), never the records.
///
/// Identities are kept as 128-bit hashes, so the index of a million records stays in the tens
/// of megabytes; two different identities sharing a hash is a chance of about 1 in 10^26.
/// (As two `u64`s, not a `u128`: its 16-byte alignment made each map entry 32 bytes, not 24.)
#[derive(Default)]
pub struct DedupIndex {
    groups: Groups,
    hasher: IdentityHasher,
    by_key: HashMap<Identity, u32>,
    by_fqdn: HashMap<Identity, u32>,
    by_host: HashMap<Identity, u32>,
    by_ip_name: HashMap<Identity, u32>,
}

/// A 128-bit hash of an identity; `NO_IDENTITY` is never one.
type Identity = [u64; 2];
const NO_IDENTITY: Identity = [0, 0];

/// Two independently keyed SipHash functions side by side.
#[derive(Default)]
struct IdentityHasher(std::hash::RandomState, std::hash::RandomState);

impl IdentityHasher {
    fn of(&self, parts: &[&str]) -> Identity {
        use std::hash::BuildHasher;
        match [self.0.hash_one(parts), self.1.hash_one(parts)] {
            NO_IDENTITY => [0, 1],
            id => id,
        }
    }
}

impl DedupIndex {
    /// Adds the next record (its position is the count before it) and links it to any earlier
    /// record that is the same asset.
    pub fn add(&mut self, record: &CleanRecord) -> usize {
        let i = self.groups.push();
        let groups = &mut self.groups;
        let id = |parts: &[&str]| self.hasher.of(parts);
        let key = record.key.trim().to_lowercase();
        let fqdn = record.fqdn.as_deref().map(host_text).filter(|f| !f.is_empty());
        groups.fqdn[i] = fqdn.as_deref().map_or(NO_IDENTITY, |f| id(&[f]));
        groups.kind[i] = record
            .asset_type
            .as_deref()
            .and_then(asset_type_from_text)
            .and_then(|kind| ASSET_TYPES.iter().position(|t| *t == kind))
            .map_or(NO_KIND, |k| k as u8);
        if !key.is_empty() {
            link(&mut self.by_key, id(&[&key]), i, groups, SAME_KEY, false);
        }
        if let Some(fqdn) = &fqdn {
            link(&mut self.by_fqdn, id(&[fqdn]), i, groups, SAME_FQDN, false);
        }
        // A host is known by its hostname and by its FQDN's first label; two different FQDNs
        // sharing a first label (web01.dmz vs web01.corp) are two hosts, so that link is guarded.
        let mut hosts: Vec<String> = Vec::with_capacity(2);
        for host in [
            record.hostname.as_deref().map(host_text),
            fqdn.as_deref().and_then(first_label).map(str::to_string),
        ]
        .into_iter()
        .flatten()
        {
            if !host.is_empty() && !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        for host in &hosts {
            link(&mut self.by_host, id(&[host]), i, groups, SAME_HOST, true);
        }
        // A shared IP alone proves nothing (VIPs, NAT); with a name in common it does.
        if let Some(ip) = record
            .ip_address
            .as_deref()
            .map(|ip| ip.trim().to_lowercase())
            .filter(|ip| !ip.is_empty())
        {
            let mut names = hosts;
            if !key.is_empty() && !names.contains(&key) {
                names.push(key);
            }
            for name in names {
                link(
                    &mut self.by_ip_name,
                    id(&[&ip, &name]),
                    i,
                    groups,
                    SAME_IP_AND_NAME,
                    true,
                );
            }
        }
        i
    }

    /// The first record of `i`'s group (the group's position in the output).
    pub fn root(&mut self, i: usize) -> usize {
        self.groups.find(i)
    }

    /// Every group of more than one record, each as its members' positions in order, with the
    /// reasons that joined it (`; `-separated, as `Merge::reason`), in the order of their roots.
    pub fn merged_groups(&mut self) -> Vec<(Vec<usize>, String)> {
        let n = self.groups.parent.len();
        let roots: Vec<usize> = (0..n).map(|i| self.groups.find(i)).collect();
        let mut sizes = vec![0u32; n];
        for &root in &roots {
            sizes[root] += 1;
        }
        let mut slot: HashMap<usize, usize> = HashMap::new();
        let mut merged: Vec<(Vec<usize>, String)> = Vec::new();
        for (i, &root) in roots.iter().enumerate() {
            if sizes[root] < 2 {
                continue;
            }
            let at = *slot.entry(root).or_insert_with(|| {
                merged.push((Vec::new(), self.groups.reasons(root).join("; ")));
                merged.len() - 1
            });
            merged[at].0.push(i);
        }
        merged
    }
}

/// Joins record `i` to the first record that showed `identity`, or makes `i` that first record.
fn link(
    seen: &mut HashMap<Identity, u32>,
    identity: Identity,
    i: usize,
    groups: &mut Groups,
    reason: &'static str,
    guarded: bool,
) {
    match seen.entry(identity) {
        std::collections::hash_map::Entry::Occupied(first) => groups.union(*first.get() as usize, i, reason, guarded),
        std::collections::hash_map::Entry::Vacant(slot) => {
            slot.insert(i as u32);
        }
    }
}

/// The reasons two records are one asset, in the order a merge lists them (byte order, as a
/// sorted set of the strings gave).
const REASONS: [&str; 4] = [SAME_FQDN, SAME_IP_AND_NAME, SAME_HOST, SAME_KEY];
/// `Groups::kind` when no source named a type.
const NO_KIND: u8 = u8::MAX;

/// Union-find over record positions; a group's root is its first record, so order is kept.
/// About 22 bytes a record, in columns.
#[derive(Default)]
struct Groups {
    parent: Vec<u32>,
    /// The group's FQDN (its first record's, hashed), to refuse weak links between two
    /// different FQDNs; `NO_IDENTITY` when it has none.
    fqdn: Vec<Identity>,
    /// The group's asset type (a position in `ASSET_TYPES`) when a source named one, to refuse
    /// weak links between an application that shares its name with a host (`CRM` and
    /// `crm.corp.example.com`); `NO_KIND` when none did.
    kind: Vec<u8>,
    /// Bit `n` set: `REASONS[n]` joined records into this group.
    reasons: Vec<u8>,
}

impl Groups {
    /// A new record in a group of its own; returns its position.
    fn push(&mut self) -> usize {
        let i = self.parent.len();
        self.parent.push(i as u32);
        self.fqdn.push(NO_IDENTITY);
        self.kind.push(NO_KIND);
        self.reasons.push(0);
        i
    }

    fn find(&mut self, i: usize) -> usize {
        let mut root = i;
        while self.parent[root] as usize != root {
            root = self.parent[root] as usize;
        }
        let mut at = i;
        while self.parent[at] as usize != root {
            let next = self.parent[at] as usize;
            self.parent[at] = root as u32;
            at = next;
        }
        root
    }

    /// The reasons that joined the group rooted at `root`.
    fn reasons(&self, root: usize) -> Vec<&'static str> {
        REASONS
            .iter()
            .enumerate()
            .filter(|(n, _)| self.reasons[root] & (1 << n) != 0)
            .map(|(_, reason)| *reason)
            .collect()
    }

    fn union(&mut self, a: usize, b: usize, reason: &'static str, guarded: bool) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        if guarded {
            fn differ<T: PartialEq>(a: T, b: T, none: T) -> bool {
                a != none && b != none && a != b
            }
            if differ(self.fqdn[ra], self.fqdn[rb], NO_IDENTITY) || differ(self.kind[ra], self.kind[rb], NO_KIND) {
                return;
            }
        }
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[child] = root as u32;
        if self.fqdn[root] == NO_IDENTITY {
            self.fqdn[root] = std::mem::replace(&mut self.fqdn[child], NO_IDENTITY);
        }
        if self.kind[root] == NO_KIND {
            self.kind[root] = self.kind[child];
        }
        let moved = std::mem::take(&mut self.reasons[child]);
        let bit = REASONS.iter().position(|r| *r == reason).map_or(0, |n| 1 << n);
        self.reasons[root] |= moved | bit;
    }
}

/// Folds `members` into the first: union of source rows, missing fields filled from the others,
/// dependencies and issues unioned (case-insensitively for dependencies), the best quality score kept.
/// Adds a `merged ...` note (and a `merge conflict ...` note when kept values disagreed).
/// `None` only for an empty slice.
pub fn merge_records(members: &[&CleanRecord], reason: &str) -> Option<CleanRecord> {
    let (first, rest) = members.split_first()?;
    let mut merged = (*first).clone();
    if rest.is_empty() {
        return Some(merged);
    }
    let mut deps: HashSet<String> = merged.depends_on.iter().map(|d| d.trim().to_lowercase()).collect();
    let mut issues: HashSet<String> = merged.issues.iter().cloned().collect();
    let mut conflicts: BTreeSet<&'static str> = BTreeSet::new();
    for other in rest {
        merged.source_rows.extend(other.source_rows.iter().copied());
        fill_text(&mut merged.hostname, &other.hostname, "hostname", &mut conflicts);
        fill_text(&mut merged.fqdn, &other.fqdn, "fqdn", &mut conflicts);
        fill_text(&mut merged.ip_address, &other.ip_address, "ip_address", &mut conflicts);
        fill_text(&mut merged.asset_type, &other.asset_type, "asset_type", &mut conflicts);
        fill_text(
            &mut merged.operating_system,
            &other.operating_system,
            "operating_system",
            &mut conflicts,
        );
        fill_text(&mut merged.os_version, &other.os_version, "os_version", &mut conflicts);
        fill_text(
            &mut merged.environment,
            &other.environment,
            "environment",
            &mut conflicts,
        );
        fill_text(
            &mut merged.application,
            &other.application,
            "application",
            &mut conflicts,
        );
        fill_text(&mut merged.owner, &other.owner, "owner", &mut conflicts);
        fill_text(
            &mut merged.business_criticality,
            &other.business_criticality,
            "business_criticality",
            &mut conflicts,
        );
        fill_text(&mut merged.location, &other.location, "location", &mut conflicts);
        fill_number(&mut merged.memory_gb, other.memory_gb, "memory_gb", &mut conflicts);
        fill_number(&mut merged.storage_gb, other.storage_gb, "storage_gb", &mut conflicts);
        match (merged.cpu_cores, other.cpu_cores) {
            (None, theirs) => merged.cpu_cores = theirs,
            (Some(ours), Some(theirs)) if ours != theirs => {
                conflicts.insert("cpu_cores");
            }
            _ => {}
        }
        for dep in &other.depends_on {
            if deps.insert(dep.trim().to_lowercase()) {
                merged.depends_on.push(dep.clone());
            }
        }
        for (name, value) in &other.attributes {
            if !merged.attributes.contains_key(name) {
                merged.attributes.insert(name.clone(), value.clone());
            }
        }
        for issue in &other.issues {
            if issues.insert(issue.clone()) {
                merged.issues.push(issue.clone());
            }
        }
        merged.quality_score = merged.quality_score.max(other.quality_score);
    }
    merged.source_rows.sort_unstable();
    merged.source_rows.dedup();

    // Keep the note readable even when thousands of rows collapse into one.
    let mut names: Vec<&str> = Vec::new();
    for other in rest {
        if names.len() == 5 {
            break;
        }
        if !names.contains(&other.name.as_str()) {
            names.push(&other.name);
        }
    }
    let mut rows: Vec<String> = rest
        .iter()
        .flat_map(|r| r.source_rows.iter())
        .take(10)
        .map(i64::to_string)
        .collect();
    let total_rows: usize = rest.iter().map(|r| r.source_rows.len()).sum();
    if total_rows > rows.len() {
        rows.push(format!("and {} more", total_rows - rows.len()));
    }
    merged.issues.push(format!(
        "merged row(s) {} (`{}`) into `{}`: {reason}",
        rows.join(", "),
        names.join("`, `"),
        merged.key
    ));
    if !conflicts.is_empty() {
        let fields: Vec<&str> = conflicts.into_iter().collect();
        merged.issues.push(format!(
            "merge conflict on {}: kept the first row's values",
            fields.join(", ")
        ));
    }
    Some(merged)
}

fn fill_text(
    ours: &mut Option<String>,
    theirs: &Option<String>,
    field: &'static str,
    conflicts: &mut BTreeSet<&'static str>,
) {
    match (ours.as_deref(), theirs.as_deref()) {
        (None, Some(_)) => *ours = theirs.clone(),
        (Some(a), Some(b)) if !a.trim().eq_ignore_ascii_case(b.trim()) => {
            conflicts.insert(field);
        }
        _ => {}
    }
}

fn fill_number(
    ours: &mut Option<f64>,
    theirs: Option<f64>,
    field: &'static str,
    conflicts: &mut BTreeSet<&'static str>,
) {
    match (*ours, theirs) {
        (None, Some(_)) => *ours = theirs,
        (Some(a), Some(b)) if (a - b).abs() > 1e-9 => {
            conflicts.insert(field);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapping(source: &str, target: Option<&str>) -> FieldMapping {
        FieldMapping {
            source_field: source.to_string(),
            target_attribute: target.map(str::to_string),
            confidence: 1.0,
            agent: "field_mapping".into(),
            reasoning: String::new(),
        }
    }

    fn row(n: i64, fields: Value) -> SourceRecord {
        let Value::Object(fields) = fields else {
            panic!("fields must be an object")
        };
        SourceRecord {
            row_number: n,
            line_number: n + 1,
            fields,
        }
    }

    fn standardize(mappings: Vec<FieldMapping>, records: Vec<SourceRecord>) -> Vec<CleanRecord> {
        DataStandardization
            .run(&StandardizeInput { mappings, records })
            .unwrap()
            .value
    }

    fn one(mappings: Vec<FieldMapping>, fields: Value) -> CleanRecord {
        standardize(mappings, vec![row(1, fields)]).remove(0)
    }

    fn record(key: &str) -> CleanRecord {
        CleanRecord {
            key: key.to_lowercase(),
            name: key.to_string(),
            source_rows: vec![1],
            ..Default::default()
        }
    }

    #[test]
    fn environments_are_standardised() {
        for (raw, expected) in [
            ("Prod", "production"),
            ("PRD", "production"),
            (" Live ", "production"),
            ("P", "production"),
            ("DEV", "development"),
            ("D", "development"),
            ("Development", "development"),
            ("TST", "test"),
            ("UAT", "test"),
            ("Quality", "qa"),
            ("Pre-prod", "staging"),
            ("STG", "staging"),
            ("Disaster Recovery", "dr"),
        ] {
            assert_eq!(standardize_environment(raw), Some(expected), "{raw}");
        }
        assert_eq!(standardize_environment("Sandbox"), None);
        let r = one(vec![mapping("env", Some("environment"))], json!({"env": "Sandbox"}));
        assert_eq!(r.environment.as_deref(), Some("sandbox"));
        assert_eq!(r.issues.len(), 1);
    }

    #[test]
    fn mappings_apply_and_unmapped_fields_become_attributes() {
        let r = one(
            vec![
                mapping("Server Name", Some("name")),
                mapping("Rack", None),
                mapping("Alt Name", Some("name")),
                mapping("bogus", Some("not_canonical")),
            ],
            json!({"Server Name": "  Web01  ", "Rack": " R12 ", "Empty": "", "Nothing": null, "Alt Name": "web-01",
                   "bogus": "x", "Unmapped": 3}),
        );
        assert_eq!(r.name, "Web01");
        assert_eq!(r.key, "web01");
        assert_eq!(r.source_rows, vec![1]);
        assert_eq!(r.attributes.get("Rack"), Some(&json!("R12")));
        assert_eq!(r.attributes.get("Alt Name"), Some(&json!("web-01")));
        assert_eq!(r.attributes.get("bogus"), Some(&json!("x")));
        assert_eq!(r.attributes.get("Unmapped"), Some(&json!(3)));
        assert!(!r.attributes.contains_key("Empty") && !r.attributes.contains_key("Nothing"));
    }

    #[test]
    fn host_names_and_name_fallbacks() {
        let maps = || {
            vec![
                mapping("host", Some("hostname")),
                mapping("fqdn", Some("fqdn")),
                mapping("ip", Some("ip_address")),
            ]
        };
        let r = one(
            maps(),
            json!({"host": "", "fqdn": "WEB01.Corp.Example.COM.", "ip": "10.0.0.1"}),
        );
        assert_eq!(r.fqdn.as_deref(), Some("web01.corp.example.com"));
        assert_eq!(r.hostname.as_deref(), Some("web01"));
        assert_eq!(r.name, "web01");
        let r = one(maps(), json!({"host": "DB02.corp.example.com"}));
        assert_eq!(
            (r.hostname.as_deref(), r.fqdn.as_deref()),
            (Some("db02"), Some("db02.corp.example.com"))
        );
        let r = one(maps(), json!({"ip": "10.0.0.9"}));
        assert_eq!(r.name, "10.0.0.9");
        let r = one(maps(), json!({"host": "N/A"}));
        assert_eq!(r.name, "row-1");
        let r = one(maps(), json!({"host": "10.1.1.1"}));
        assert_eq!((r.hostname, r.ip_address.as_deref()), (None, Some("10.1.1.1")));
    }

    #[test]
    fn ip_addresses_are_validated() {
        let m = || vec![mapping("ip", Some("ip_address"))];
        assert_eq!(
            one(m(), json!({"ip": " 10.1.2.3 "})).ip_address.as_deref(),
            Some("10.1.2.3")
        );
        assert_eq!(
            one(m(), json!({"ip": "2001:DB8::1"})).ip_address.as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            one(m(), json!({"ip": "10.1.2.3/24"})).ip_address.as_deref(),
            Some("10.1.2.3")
        );
        let r = one(m(), json!({"ip": "10.1.2.300"}));
        assert_eq!(r.ip_address, None);
        assert_eq!(r.issues, vec!["invalid IP address `10.1.2.300` dropped".to_string()]);
        let r = one(m(), json!({"ip": ["10.0.0.1", "10.0.0.2"]}));
        assert_eq!(r.ip_address.as_deref(), Some("10.0.0.1"));
        assert_eq!(r.attributes.get("additional_ip_addresses"), Some(&json!(["10.0.0.2"])));
    }

    #[test]
    fn memory_and_storage_become_gb() {
        let mem = |field: &str, value: Value| {
            let r = one(vec![mapping(field, Some("memory_gb"))], json!({ field: value }));
            (r.memory_gb, r.issues.len())
        };
        assert_eq!(mem("Memory (GB)", json!("4096 MB")), (Some(4.0), 0));
        assert_eq!(mem("Memory (GB)", json!("16GB")), (Some(16.0), 0));
        assert_eq!(mem("Memory (GB)", json!("16 GB")), (Some(16.0), 0));
        assert_eq!(mem("Memory (GB)", json!("16")), (Some(16.0), 0));
        assert_eq!(mem("Memory (GB)", json!("1 TB")), (Some(1024.0), 0));
        assert_eq!(mem("Memory (GB)", json!("4096")), (Some(4.0), 1));
        assert_eq!(mem("Memory (GB)", json!("1024")), (Some(1024.0), 0));
        assert_eq!(mem("ram", json!("8192")), (Some(8.0), 1));
        assert_eq!(mem("ram", json!(8192)), (Some(8.0), 1));
        assert_eq!(mem("ram_mb", json!("2048")), (Some(2.0), 0));
        assert_eq!(mem("Memory (MB)", json!("512")), (Some(0.5), 0));
        assert_eq!(mem("memoryMB", json!("1,024")), (Some(1.0), 0));
        assert_eq!(mem("ram", json!("lots")), (None, 1));
        assert_eq!(mem("ram", json!("0")), (None, 1));
        let disk = |value: &str| one(vec![mapping("disk", Some("storage_gb"))], json!({ "disk": value })).storage_gb;
        assert_eq!(disk("2000"), Some(2000.0));
        assert_eq!(disk("2 TB"), Some(2048.0));
        assert_eq!(disk("512 MB"), Some(0.5));
        assert_eq!(disk("1,5 GB"), Some(1.5));
    }

    #[test]
    fn cpu_cores_are_integers() {
        assert_eq!(parse_cores("4"), Some(4));
        assert_eq!(parse_cores("4 vCPU"), Some(4));
        assert_eq!(parse_cores("2 x 4"), Some(8));
        assert_eq!(parse_cores("4.0"), Some(4));
        assert_eq!(parse_cores("2.5"), None);
        assert_eq!(parse_cores("0"), None);
        assert_eq!(parse_cores("many"), None);
        let r = one(vec![mapping("cores", Some("cpu_cores"))], json!({"cores": 16}));
        assert_eq!(r.cpu_cores, Some(16));
    }

    #[test]
    fn os_version_and_family() {
        for (os, version, family) in [
            ("Red Hat Enterprise Linux Server 6.10", "6.10", "linux"),
            ("Microsoft Windows Server 2008 R2 Enterprise", "2008 R2", "windows"),
            ("Windows Server 2022 Datacenter", "2022", "windows"),
            ("Ubuntu 14.04.6 LTS", "14.04", "linux"),
            ("AIX 7.1", "7.1", "unix"),
            ("Oracle Solaris 10", "10", "unix"),
            ("Microsoft SQL Server 2008 R2", "2008 R2", "database"),
            ("Oracle Database 19c", "19c", "database"),
            ("MySQL 5.6", "5.6", "database"),
            ("SUSE Linux Enterprise Server 12 SP5", "12 SP5", "linux"),
            ("CentOS7", "7", "linux"),
        ] {
            assert_eq!(os_version_from(os).as_deref(), Some(version), "{os}");
            assert_eq!(os_family(os), family, "{os}");
        }
        assert_eq!(os_version_from("Windows Vista"), None);
        assert_eq!(os_family("z/OS"), "other");
        let maps = vec![
            mapping("os", Some("operating_system")),
            mapping("ver", Some("os_version")),
        ];
        let r = one(maps.clone(), json!({"os": " Ubuntu 14.04.6 LTS ", "ver": ""}));
        assert_eq!(r.operating_system.as_deref(), Some("Ubuntu 14.04.6 LTS"));
        assert_eq!(r.os_version.as_deref(), Some("14.04"));
        assert_eq!(r.attributes.get("os_family"), Some(&json!("linux")));
        let r = one(maps, json!({"os": "AIX 7.1", "ver": "7.1 TL5"}));
        assert_eq!(r.os_version.as_deref(), Some("7.1 TL5"));
    }

    #[test]
    fn dependencies_are_split() {
        let m = || vec![mapping("deps", Some("depends_on"))];
        let r = one(m(), json!({"deps": "a; b,c | d\ne;;A "}));
        assert_eq!(r.depends_on, vec!["a", "b", "c", "d", "e"]);
        let r = one(m(), json!({"deps": [" x ", "", "y,z", null]}));
        assert_eq!(r.depends_on, vec!["x", "y,z"]);
        let r = one(m(), json!({"deps": []}));
        assert!(r.depends_on.is_empty());
    }

    #[test]
    fn standardization_survives_odd_values() {
        let maps: Vec<FieldMapping> = CANONICAL_ATTRIBUTES.iter().map(|a| mapping(a, Some(a))).collect();
        let odd = [
            json!(null),
            json!(""),
            json!({"a": 1}),
            json!([[1, [2]]]),
            json!(-1),
            json!(1e308),
            json!("é∞"),
            json!(true),
            json!("9".repeat(400)),
            json!(",,,"),
            json!("."),
            json!("x×"),
        ];
        for value in odd {
            let fields: Map<String, Value> = CANONICAL_ATTRIBUTES
                .iter()
                .map(|a| (a.to_string(), value.clone()))
                .collect();
            let out = standardize(
                maps.clone(),
                vec![SourceRecord {
                    row_number: 7,
                    line_number: 8,
                    fields,
                }],
            );
            assert_eq!(out.len(), 1);
            assert!(!out[0].key.is_empty());
            DataQuality.run(&out).unwrap();
            Deduplication.run(&out).unwrap();
        }
        let empty = DataStandardization.run(&StandardizeInput::default()).unwrap();
        assert!(empty.value.is_empty());
    }

    #[test]
    fn quality_weighs_completeness_and_issues() {
        let full = CleanRecord {
            hostname: Some("web01".into()),
            ip_address: Some("10.0.0.1".into()),
            asset_type: Some("Server".into()),
            operating_system: Some("AIX 7.1".into()),
            environment: Some("production".into()),
            cpu_cores: Some(4),
            memory_gb: Some(16.0),
            ..record("web01")
        };
        let half = CleanRecord {
            cpu_cores: None,
            memory_gb: None,
            operating_system: None,
            ..full.clone()
        };
        let flawed = CleanRecord {
            issues: vec!["invalid IP address `x` dropped".into()],
            ..full.clone()
        };
        let merged_note = CleanRecord {
            issues: vec!["merged row(s) 2 (`X`) into `web01`: same key".into()],
            ..full.clone()
        };
        let report = DataQuality.run(&[full, half, flawed, merged_note]).unwrap().value;
        let scores: Vec<f64> = report.records.iter().map(|r| r.quality_score).collect();
        assert_eq!(scores, vec![1.0, 0.6, 0.95, 1.0]);
        assert_eq!(report.per_field["hostname"], 1.0);
        assert_eq!(report.per_field["cpu_cores"], 0.75);
        assert_eq!(report.per_field["location"], 0.0);
        assert!((report.overall - 0.8875).abs() < 0.001, "{}", report.overall);
        let empty = DataQuality.run(&[]).unwrap().value;
        assert_eq!(empty.overall, 0.0);
    }

    #[test]
    fn dedup_merges_spellings_and_keeps_order() {
        let a = CleanRecord {
            fqdn: Some("batch0007.corp.example.com".into()),
            memory_gb: Some(128.0),
            depends_on: vec!["x".into()],
            ..record("batch0007")
        };
        let b = record("other");
        let c = CleanRecord {
            source_rows: vec![3],
            owner: Some("ops".into()),
            memory_gb: Some(64.0),
            depends_on: vec!["X".into(), "y".into()],
            ..record("BATCH0007")
        };
        let out = Deduplication.run(&[a, b, c]).unwrap();
        let DedupResult { records, merges } = out.value;
        assert_eq!(
            records.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
            vec!["batch0007", "other"]
        );
        let merged = &records[0];
        assert_eq!(merged.source_rows, vec![1, 3]);
        assert_eq!(merged.owner.as_deref(), Some("ops"));
        assert_eq!(merged.memory_gb, Some(128.0));
        assert_eq!(merged.depends_on, vec!["x", "y"]);
        assert!(merged.issues.iter().any(|i| i.starts_with("merged row(s) 3")));
        assert!(
            merged
                .issues
                .iter()
                .any(|i| i.starts_with("merge conflict on memory_gb"))
        );
        assert_eq!(
            merges,
            vec![Merge {
                kept_key: "batch0007".into(),
                merged_rows: vec![3],
                reason: SAME_KEY.into()
            }]
        );
    }

    #[test]
    fn dedup_rules_fqdn_host_and_ip() {
        let with = |key: &str, row: i64, host: Option<&str>, fqdn: Option<&str>, ip: Option<&str>| CleanRecord {
            source_rows: vec![row],
            hostname: host.map(str::to_string),
            fqdn: fqdn.map(str::to_string),
            ip_address: ip.map(str::to_string),
            ..record(key)
        };
        let records = vec![
            with("Web Server 01", 1, None, Some("web01.corp.example.com"), None),
            with("web01.corp.example.com", 2, None, Some("WEB01.corp.example.com."), None),
            with("legacy web", 3, Some("web01"), None, None),
            // Same first label, another domain: another host.
            with("web01-dmz", 4, Some("web01"), Some("web01.dmz.example.com"), None),
            // A VIP shared by two hosts: not merged.
            with("lb-a", 5, Some("lb-a"), None, Some("10.0.0.100")),
            with("lb-b", 6, Some("lb-b"), None, Some("10.0.0.100")),
            // Same IP and the name of one is the host of the other: merged.
            with("Payments Box", 7, Some("pay01"), None, Some("10.0.0.7")),
            with("pay01", 8, None, None, Some("10.0.0.7")),
            // An application named like a host, each typed by its source: not merged.
            CleanRecord {
                asset_type: Some("Application".into()),
                ..with("CRM", 9, Some("crm"), None, None)
            },
            CleanRecord {
                asset_type: Some("Server".into()),
                ..with("crm01", 10, None, Some("crm.corp.example.com"), None)
            },
        ];
        let out = Deduplication.run(&records).unwrap().value;
        let rows: Vec<Vec<i64>> = out.records.iter().map(|r| r.source_rows.clone()).collect();
        assert_eq!(
            rows,
            vec![vec![1, 2, 3], vec![4], vec![5], vec![6], vec![7, 8], vec![9], vec![10]]
        );
        assert_eq!(out.merges[0].reason, "same FQDN; same host name");
        assert_eq!(out.merges[1].reason, SAME_IP_AND_NAME);
    }

    #[test]
    fn dedup_scales_linearly() {
        // 100,000 records, every tenth a re-spelling of an earlier one, plus one shared IP everywhere.
        let records: Vec<CleanRecord> = (0..100_000)
            .map(|i| {
                let n = if i % 10 == 9 { i - 9 } else { i };
                let name = if i % 10 == 9 {
                    format!("HOST{n:06}")
                } else {
                    format!("host{n:06}")
                };
                CleanRecord {
                    source_rows: vec![i as i64 + 1],
                    fqdn: Some(format!("host{n:06}.corp.example.com")),
                    ip_address: Some("10.0.0.1".into()),
                    ..record(&name)
                }
            })
            .collect();
        let out = Deduplication.run(&records).unwrap().value;
        assert_eq!(out.records.len(), 90_000);
        assert_eq!(out.merges.len(), 10_000);
    }

    #[test]
    fn merge_records_of_nothing_is_none() {
        assert!(merge_records(&[], "x").is_none());
        let one = record("a");
        assert_eq!(merge_records(&[&one], "x"), Some(one.clone()));
    }
}
