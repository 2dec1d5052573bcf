//! `pattern_recognition`'s value detectors: what the values of each attribute look like. Each
//! takes one trimmed, non-empty text.

use crate::agents::tech_debt_analysis::lifecycle_analysis::identify::recognise;
use crate::agents::vocabulary::addresses::ip_list;
use crate::agents::vocabulary::asset_types::asset_type_from_text;
use crate::agents::vocabulary::environments::standardize_environment;
use crate::agents::vocabulary::text::{fold, words};
use crate::agents::vocabulary::value_shapes::{is_delimited_list, is_ip, parse_number, parse_size};

/// Fewest non-empty values to judge a column by.
pub(super) const MIN_VALUES: usize = 3;

/// What an attribute's values look like, and the check.
#[derive(Clone, Copy)]
pub(super) struct Detector {
    pub(super) attribute: &'static str,
    pub(super) looks_like: &'static str,
    pub(super) fits: fn(&str) -> bool,
}

pub(super) const fn detects(attribute: &'static str, looks_like: &'static str, fits: fn(&str) -> bool) -> Detector {
    Detector {
        attribute,
        looks_like,
        fits,
    }
}

/// One IP, or several separated as cleansing separates them (`,` `;` `|` `/`, spaces, newlines).
pub(super) fn is_ip_list(t: &str) -> bool {
    let (valid, invalid) = ip_list(t);
    !valid.is_empty() && invalid.is_empty()
}

pub(super) fn is_host_name(t: &str) -> bool {
    t.len() <= 253
        && !is_ip(t)
        && t.chars().any(char::is_alphabetic)
        && t.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Words naming an OS family.
const OS_WORDS: &[&str] = &[
    "windows",
    "win",
    "linux",
    "rhel",
    "redhat",
    "ubuntu",
    "centos",
    "debian",
    "suse",
    "sles",
    "opensuse",
    "aix",
    "solaris",
    "sunos",
    "hpux",
    "unix",
    "esxi",
    "vmware",
    "macos",
    "osx",
    "freebsd",
    "openbsd",
    "fedora",
    "rocky",
    "almalinux",
    "junos",
    "ios",
    "nxos",
    "fortios",
    "panos",
    "openvms",
    "tru64",
    "zos",
    "iseries",
    "as400",
];
const OS_PHRASES: &[&str] = &["red hat", "hp-ux", "z/os", "mac os", "amazon linux", "os/400"];
/// Database engines, which CMDBs often record in the OS column of a database CI.
const DB_WORDS: &[&str] = &[
    "mssql",
    "oracle",
    "mysql",
    "mariadb",
    "postgres",
    "postgresql",
    "db2",
    "sybase",
    "mongodb",
    "informix",
    "teradata",
];

fn is_os_family_word(t: &str) -> bool {
    let lower = t.to_lowercase();
    OS_PHRASES.iter().any(|p| lower.contains(p))
        || words(&lower).any(|w| {
            OS_WORDS.contains(&w)
            // `win2k8`, `win10`.
            || (w.starts_with("win") && w[3..].starts_with(|c: char| c.is_ascii_digit()))
        })
}

/// An OS family or a database engine, by the words above or by the lifecycle catalogue's product
/// names (`W2K25`, `WS2019 Std`, `pgsql 9.6`).
pub(super) fn is_os_name(t: &str) -> bool {
    let lower = t.to_lowercase();
    is_os_family(t)
        || lower.contains("sql server")
        || words(&lower).any(|w| DB_WORDS.contains(&w))
        || recognise(t, None).is_some_and(|r| r.line.family != "runtime")
}

/// An operating system (not a database engine), by the words above or the catalogue.
pub(super) fn is_os_family(t: &str) -> bool {
    is_os_family_word(t)
        || recognise(t, None)
            .is_some_and(|r| matches!(r.line.family.as_str(), "windows" | "linux" | "unix" | "hypervisor"))
}

pub(super) fn is_version(t: &str) -> bool {
    t.len() <= 40 && t.chars().any(|c| c.is_ascii_digit()) && t.split_whitespace().count() <= 4
}

pub(super) fn is_size_or_number(t: &str) -> bool {
    (parse_number(t) && !t.starts_with('-')) || parse_size(t)
}

/// 1–1024, optionally followed by `cores`, `vCPU`...
pub(super) fn is_core_count(t: &str) -> bool {
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, rest) = t.split_at(split);
    let rest = rest.trim();
    let unit_ok = rest.is_empty()
        || ["core", "cores", "vcpu", "vcpus", "cpu", "cpus"]
            .iter()
            .any(|u| rest.eq_ignore_ascii_case(u));
    let value = number.parse::<f64>().ok().filter(|v| v.fract() == 0.0);
    unit_ok && value.is_some_and(|v| (1.0..=1024.0).contains(&v))
}

/// Words that name an environment and little else.
const CORE_ENVIRONMENT_WORDS: &[&str] = &[
    "prod",
    "production",
    "prd",
    "dev",
    "development",
    "test",
    "testing",
    "tst",
    "qa",
    "uat",
    "stage",
    "staging",
    "stg",
    "preprod",
    "preproduction",
    "pre prod",
    "pre production",
    "sandbox",
    "dr",
    "disaster recovery",
    "nonprod",
    "non prod",
    "non production",
    "sit",
];
/// Also environments, but words other columns use too (`Live` status, `int` type).
const MORE_ENVIRONMENT_WORDS: &[&str] = &[
    "live",
    "develop",
    "devel",
    "sbx",
    "perf",
    "performance",
    "training",
    "demo",
    "int",
    "integration",
    "lab",
    "poc",
    "acceptance",
    "acc",
];

/// Lower-case, separators as spaces, a trailing instance number dropped (`Prod-2` → `prod`).
fn environment_key(t: &str) -> String {
    let lower = t.to_lowercase().replace(['-', '_', '.'], " ");
    let joined = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end()
        .to_string()
}

/// An environment name in any language of the vocabulary (`Produktion`, `Recette`), or one of
/// the English words that name little else.
pub(super) fn is_core_environment(t: &str) -> bool {
    let key = environment_key(t);
    // `Live` is also a status, a single letter could be anything.
    CORE_ENVIRONMENT_WORDS.contains(&key.as_str())
        || (key != "live" && key.chars().count() > 1 && standardize_environment(t).is_some())
}

pub(super) fn is_environment(t: &str) -> bool {
    let key = environment_key(t);
    is_core_environment(t) || MORE_ENVIRONMENT_WORDS.contains(&key.as_str())
}

/// A delimited list, or a single short name (a dependency column often holds just one).
pub(super) fn is_name_list(t: &str) -> bool {
    if is_delimited_list(t) {
        return true;
    }
    t.chars().count() <= 128 && t.split_whitespace().count() <= 4 && !parse_number(t)
}

const CRITICALITY_WORDS: &[&str] = &[
    "critical",
    "noncritical",
    "high",
    "medium",
    "med",
    "low",
    "mission",
    "tier",
    "tier0",
    "tier1",
    "tier2",
    "tier3",
    "tier4",
    "gold",
    "silver",
    "bronze",
    "platinum",
    "essential",
    "important",
    "moderate",
    "minor",
    "major",
    "severe",
    "none",
    "p1",
    "p2",
    "p3",
    "p4",
    "p5",
];

/// `High`, `Tier 1`, `1 - most critical` (ServiceNow), `Gold`.
pub(super) fn is_criticality(t: &str) -> bool {
    let lower = t.to_lowercase();
    let mut chars = lower.chars();
    if let Some(first) = chars.next()
        && ('0'..='5').contains(&first)
        && chars.next().is_none_or(|c| c == ' ' || c == '-')
    {
        return true;
    }
    words(&lower).any(|w| CRITICALITY_WORDS.contains(&w))
}

const ASSET_TYPE_WORDS: &[&str] = &[
    "server",
    "servers",
    "vm",
    "virtual",
    "physical",
    "host",
    "database",
    "db",
    "dbms",
    "instance",
    "application",
    "app",
    "service",
    "software",
    "network",
    "router",
    "switch",
    "firewall",
    "balancer",
    "lb",
    "storage",
    "san",
    "nas",
    "array",
    "appliance",
    "cluster",
    "container",
    "device",
    "computer",
    "workstation",
    "hypervisor",
    "middleware",
    "web",
    "linux",
    "windows",
    "unix",
    "aix",
    "solaris",
];

/// `Server`, `Virtual Machine`, `cmdb_ci_linux_server`, `Serveur physique`.
pub(super) fn is_asset_type(t: &str) -> bool {
    let lower = t.to_lowercase();
    lower.starts_with("cmdb_ci") || words(&lower).any(|w| ASSET_TYPE_WORDS.contains(&w)) || is_named_asset_type(t)
}

/// A text the vocabulary reads as an asset type, in any of its languages: strict enough to map
/// an unnamed column by.
pub(super) fn is_named_asset_type(t: &str) -> bool {
    asset_type_from_text(t).is_some()
}

/// An owner as exports write one: an e-mail address, `j.smith`, `john.smith`, or a team
/// (`ops-team`, `DBA Team`, `Équipe Unix`).
pub(super) fn is_owner(t: &str) -> bool {
    const TEAM_WORDS: &[&str] = &[
        "team",
        "group",
        "ops",
        "admins",
        "support",
        "dba",
        "equipe",
        "gruppe",
        "equipo",
        "squadra",
        "equipa",
        "beheer",
        "betrieb",
        "exploitation",
    ];
    if t.len() > 80 {
        return false;
    }
    if let Some((local, domain)) = t.split_once('@') {
        return !local.is_empty() && domain.contains('.') && !domain.contains(' ');
    }
    let person = t.split_once('.').is_some_and(|(first, last)| {
        !first.is_empty()
            && last.len() >= 2
            && first.chars().all(char::is_alphabetic)
            && last.chars().all(|c| c.is_alphabetic() || c == '-')
    });
    person
        || fold(t)
            .split(' ')
            .any(|w| TEAM_WORDS.contains(&w) || w.ends_with("team"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_detectors() {
        assert!(is_ip_list("10.0.0.1, 10.0.0.2") && !is_ip_list(",") && !is_ip_list("10.0.0.1;web"));
        assert!(is_ip_list("10.0.0.1 | 10.0.0.2\n10.0.0.3/24") && is_ip_list("10.0.0.1/10.0.0.2"));
        assert!(
            is_os_name("Win2k8 R2") && is_os_name("MySQL 5.6") && is_os_name("HP-UX 11i") && !is_os_name("Payroll")
        );
        assert!(is_core_count("4") && is_core_count("8 vCPU") && is_core_count("2.0") && !is_core_count("0"));
        assert!(!is_core_count("4096") && !is_core_count("2.5") && !is_core_count("Xeon"));
        assert!(
            is_environment("Pre-Prod")
                && is_environment("prod2")
                && is_environment("UAT")
                && !is_environment("Payroll")
        );
        assert!(is_criticality("1 - most critical") && is_criticality("Gold") && !is_criticality("12"));
        assert!(
            is_asset_type("cmdb_ci_linux_server") && is_asset_type("Virtual Machine") && !is_asset_type("10.0.0.1")
        );
        assert!(is_size_or_number("4096 MB") && is_size_or_number("16") && !is_size_or_number("-4"));
        assert!(is_name_list("a;b") && is_name_list("payroll_db") && !is_name_list("42"));
        assert!(is_host_name("web01") && !is_host_name("10.0.0.1") && !is_host_name("web 01"));
        assert!(is_core_environment("Produktion") && is_core_environment("Recette") && !is_core_environment("Payroll"));
        assert!(
            is_named_asset_type("Serveur physique")
                && is_named_asset_type("Datenbank")
                && !is_named_asset_type("Payroll")
        );
        for owner in ["a.khan", "ops-team", "DBA Team", "jane.doe@example.com", "Équipe Unix"] {
            assert!(is_owner(owner), "{owner}");
        }
        for other in ["web01.corp.example.com", "Payroll", "10.0.0.1", "Windows 2019"] {
            assert!(!is_owner(other), "{other}");
        }
    }
}
