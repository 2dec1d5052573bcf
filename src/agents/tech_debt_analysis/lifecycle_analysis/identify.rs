//! Identification of messy product strings (`Microsoft Windows Server 2008 R2 Enterprise`,
//! `RHEL 7.9`, `MySQL 8.0.36`, `Oracle Database 19c`) as catalogue entries, and of the platform
//! and runtime an asset records.

use std::ops::RangeInclusive;

use serde_json::Value;

use super::catalogue::{
    AIX, CENTOS, DEBIAN, DOTNET, HPUX, JAVA, LifecycleEntry, MSSQL, MYSQL, NODE, OL, ORACLE, PG, PYTHON, RHEL, SLES,
    SOLARIS, STREAM, UBUNTU, WIN, lookup,
};
use crate::agents::types::AssetFacts;
use crate::agents::vocabulary::text::words;

/// A run of digits and dots in the text (`14.04.6` → [14, 4, 6]).
#[derive(Debug)]
struct Num {
    parts: Vec<u32>,
}

impl Num {
    fn major(&self) -> u32 {
        self.parts.first().copied().unwrap_or(u32::MAX)
    }

    fn minor(&self) -> Option<u32> {
        self.parts.get(1).copied()
    }
}

fn numbers(text: &str) -> Vec<Num> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        // Digits and single dots between digits.
        while i < bytes.len()
            && (bytes[i].is_ascii_digit() || (bytes[i] == b'.' && i + 1 < bytes.len() && bytes[i + 1].is_ascii_digit()))
        {
            i += 1;
        }
        // Over-long digit runs become u32::MAX and match nothing.
        let parts = text[start..i]
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(u32::MAX))
            .collect();
        out.push(Num { parts });
    }
    out
}

fn has_word(text: &str, word: &str) -> bool {
    words(text).any(|w| w == word)
}

/// The text as one lower-case string without separators (`win2k8r2`, `windowsserver2008r2`).
fn compact(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).collect()
}

struct Probe<'a> {
    text: &'a str,
    compact: String,
    nums: Vec<Num>,
}

impl Probe<'_> {
    fn contains(&self, needle: &str) -> bool {
        self.text.contains(needle)
    }

    /// Whether the text contains any of the needles.
    fn mentions(&self, needles: &[&str]) -> bool {
        needles.iter().any(|n| self.contains(n))
    }

    fn first_num(&self, pred: impl Fn(&Num) -> bool) -> Option<&Num> {
        self.nums.iter().find(|n| pred(n))
    }
}

/// Identifies the catalogue entry for a product as a CMDB spells it (`Microsoft Windows Server 2008
/// R2 Enterprise`, `RHEL 7.9`, `MySQL 8.0.36`, `Oracle Database 19c`), with its version field if
/// the source had one. Databases are tried before operating systems (so `SQL Server 2012 on Windows
/// Server 2016` is the database), and specific names before generic ones (`Oracle Solaris` is not
/// the Oracle database). Unknown products and versions give `None`.
pub fn identify(product_text: &str, version: Option<&str>) -> Option<&'static LifecycleEntry> {
    let mut text = product_text.to_lowercase();
    if let Some(v) = version {
        text.push(' ');
        text.push_str(&v.to_lowercase());
    }
    if text.trim().is_empty() {
        return None;
    }
    let probe = Probe {
        text: &text,
        compact: compact(&text),
        nums: numbers(&text),
    };
    let detectors: [fn(&Probe) -> Option<&'static LifecycleEntry>; 18] = [
        sql_server,
        mysql,
        postgres,
        oracle_database,
        centos,
        oracle_linux,
        rhel,
        windows,
        ubuntu,
        sles,
        debian,
        solaris,
        aix,
        hpux,
        java,
        python,
        node,
        dotnet,
    ];
    detectors.iter().find_map(|detect| detect(&probe))
}

/// Years of Microsoft releases, with R2 when the text says so (`2008 R2`, `2008r2`, `2k8r2`).
fn microsoft_year(p: &Probe, years: &[u32]) -> Option<String> {
    let year = p
        .first_num(|n| n.parts.len() == 1 && years.contains(&n.major()))
        .map(Num::major)
        .or_else(|| short_year(&p.compact, years))?;
    let short = year % 100;
    let r2 = has_word(p.text, "r2")
        || p.compact.contains(&format!("{year}r2"))
        || p.compact.contains(&format!("2k{short}r2"));
    Some(if r2 { format!("{year} R2") } else { year.to_string() })
}

/// `2k3`, `2k8`, `2k12`, ... as in `Win2k8 R2`; a bare `2k` is 2000.
fn short_year(compact: &str, years: &[u32]) -> Option<u32> {
    for (at, _) in compact.match_indices("2k") {
        let digits: String = compact[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .take(2)
            .collect();
        let year = match digits.parse::<u32>() {
            Ok(yy) => 2000 + yy,
            Err(_) => 2000,
        };
        if years.contains(&year) {
            return Some(year);
        }
    }
    None
}

fn sql_server(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !(p.mentions(&["sql server", "mssql", "ms sql"]) || p.compact.contains("sqlserver")) {
        return None;
    }
    const YEARS: &[u32] = &[2005, 2008, 2012, 2014, 2016, 2017, 2019, 2022, 2025];
    if let Some(v) = microsoft_year(p, YEARS) {
        let v = if v.ends_with("R2") && !v.starts_with("2008") {
            v.trim_end_matches(" R2").to_string()
        } else {
            v
        };
        return lookup(MSSQL, &v);
    }
    // Internal version numbers: 10.50 = 2008 R2, 11 = 2012, ... 17 = 2025.
    let n = p.first_num(|n| (9..=17).contains(&n.major()))?;
    let v = match (n.major(), n.minor()) {
        (9, _) => "2005",
        (10, Some(50)) => "2008 R2",
        (10, _) => "2008",
        (11, _) => "2012",
        (12, _) => "2014",
        (13, _) => "2016",
        (14, _) => "2017",
        (15, _) => "2019",
        (16, _) => "2022",
        _ => "2025",
    };
    lookup(MSSQL, v)
}

fn mysql(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.contains("mysql") {
        return None;
    }
    let n = p.first_num(|n| matches!(n.major(), 5 | 8))?;
    let v = match (n.major(), n.minor()) {
        (5, Some(m @ (1 | 5 | 6 | 7))) => format!("5.{m}"),
        (8, None | Some(0)) => "8.0".to_string(),
        (8, Some(4)) => "8.4".to_string(),
        _ => return None,
    };
    lookup(MYSQL, &v)
}

fn postgres(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.mentions(&["postgre", "pgsql"]) {
        return None;
    }
    let n = p.first_num(|n| (8..=40).contains(&n.major()))?;
    let v = match (n.major(), n.minor()) {
        (8 | 9, Some(m)) => format!("{}.{m}", n.major()),
        (8 | 9, None) => return None,
        (major, _) => major.to_string(),
    };
    lookup(PG, &v)
}

fn oracle_database(p: &Probe) -> Option<&'static LifecycleEntry> {
    let explicit = p.mentions(&["database", "rdbms"]);
    let oracle = p.contains("oracle");
    let other_oracle_product = p.mentions(&["linux", "solaris", "sunos", "java", "jdk", "jre", "mysql", "weblogic"]);
    if !(oracle && (explicit || !other_oracle_product)) {
        return None;
    }
    let n = p.first_num(|n| matches!(n.major(), 10 | 11 | 12 | 18 | 19 | 21 | 23 | 26))?;
    // `12c Release 2`, `12cR2`, `11g R1`: the release when the minor version is not given.
    let release = |r: u32| {
        p.contains(&format!("release {r}"))
            || p.compact.contains(&format!("{}cr{r}", n.major()))
            || p.compact.contains(&format!("{}gr{r}", n.major()))
            || has_word(p.text, &format!("r{r}"))
    };
    let release2 = release(2);
    let v = match (n.major(), n.minor()) {
        (10, _) => "10g",
        (11, Some(1)) => "11g R1",
        (11, None) if release(1) => "11g R1",
        (11, _) => "11g R2",
        (12, Some(2)) => "12c R2",
        (12, Some(1)) => "12c R1",
        (12, _) if release2 => "12c R2",
        (12, _) => "12c R1",
        (18, _) => "18c",
        (19, _) => "19c",
        (21, _) => "21c",
        (23, _) => "23ai",
        _ => "26ai",
    };
    lookup(ORACLE, v)
}

/// The first number that looks like a major release in `range`.
fn major_in(p: &Probe, range: RangeInclusive<u32>) -> Option<u32> {
    p.first_num(|n| range.contains(&n.major())).map(Num::major)
}

/// The product's entry for the first major release in `range` the text names (`RHEL 7.9` → 7).
fn major_release(p: &Probe, product: &str, range: RangeInclusive<u32>) -> Option<&'static LifecycleEntry> {
    lookup(product, &major_in(p, range)?.to_string())
}

fn centos(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.contains("centos") {
        return None;
    }
    let product = if p.contains("stream") { STREAM } else { CENTOS };
    major_release(p, product, 3..=10)
}

fn oracle_linux(p: &Probe) -> Option<&'static LifecycleEntry> {
    let named = p.mentions(&["oracle linux", "oracle enterprise linux"]) || has_word(p.text, "oel");
    let short = words(p.text).find_map(|w| w.strip_prefix("ol").filter(|rest| rest.len() == 1));
    if named {
        return major_release(p, OL, 5..=10);
    }
    lookup(OL, short?)
}

fn rhel(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.mentions(&["red hat", "redhat", "rhel"]) {
        return None;
    }
    major_release(p, RHEL, 2..=10)
}

fn windows(p: &Probe) -> Option<&'static LifecycleEntry> {
    let named = p.contains("windows")
        || ["win2k", "w2k", "win20", "winsrv", "winserver"]
            .iter()
            .any(|w| p.compact.contains(w))
        || has_word(p.text, "win");
    if !named {
        return None;
    }
    const YEARS: &[u32] = &[2000, 2003, 2008, 2012, 2016, 2019, 2022, 2025];
    if let Some(v) = microsoft_year(p, YEARS) {
        let v = if v.ends_with("R2") && !["2003", "2008", "2012"].iter().any(|y| v.starts_with(y)) {
            v.trim_end_matches(" R2").to_string()
        } else {
            v
        };
        return lookup(WIN, &v);
    }
    // NT kernel versions and builds: 6.1 = 2008 R2, 10.0.17763 = 2019.
    let v = p.nums.iter().find_map(|n| match n.parts.as_slice() {
        [5, 2, ..] => Some("2003"),
        [6, 0, ..] => Some("2008"),
        [6, 1, ..] => Some("2008 R2"),
        [6, 2, ..] => Some("2012"),
        [6, 3, ..] => Some("2012 R2"),
        [10, 0, build, ..] if *build >= 26100 => Some("2025"),
        [10, 0, build, ..] if *build >= 20348 => Some("2022"),
        [10, 0, build, ..] if *build >= 17763 => Some("2019"),
        [10, 0, build, ..] if *build >= 14393 => Some("2016"),
        _ => None,
    })?;
    lookup(WIN, v)
}

fn ubuntu(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.contains("ubuntu") {
        return None;
    }
    const CODENAMES: &[(&str, &str)] = &[
        ("precise", "12.04"),
        ("trusty", "14.04"),
        ("xenial", "16.04"),
        ("bionic", "18.04"),
        ("focal", "20.04"),
        ("jammy", "22.04"),
        ("noble", "24.04"),
        ("resolute", "26.04"),
    ];
    let by_number = p.nums.iter().find_map(|n| match n.parts.as_slice() {
        [yy, mm, ..] if (4..=40).contains(yy) && (1..=12).contains(mm) => Some(format!("{yy:02}.{mm:02}")),
        _ => None,
    });
    match by_number {
        Some(v) => lookup(UBUNTU, &v),
        None => CODENAMES
            .iter()
            .find(|(name, _)| p.contains(name))
            .and_then(|(_, v)| lookup(UBUNTU, v)),
    }
}

fn sles(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.mentions(&["suse", "sles"]) {
        return None;
    }
    major_release(p, SLES, 9..=16)
}

fn debian(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.contains("debian") {
        return None;
    }
    const CODENAMES: &[(&str, &str)] = &[
        ("jessie", "8"),
        ("stretch", "9"),
        ("buster", "10"),
        ("bullseye", "11"),
        ("bookworm", "12"),
        ("trixie", "13"),
    ];
    if let Some(major) = major_in(p, 4..=20) {
        return lookup(DEBIAN, &major.to_string());
    }
    CODENAMES
        .iter()
        .find(|(name, _)| p.contains(name))
        .and_then(|(_, v)| lookup(DEBIAN, v))
}

fn solaris(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.mentions(&["solaris", "sunos"]) {
        return None;
    }
    let v = p.nums.iter().find_map(|n| match n.parts.as_slice() {
        // SunOS 5.x is Solaris x.
        [5, 8, ..] | [8, ..] => Some("8"),
        [5, 9, ..] | [9, ..] => Some("9"),
        [5, 10, ..] | [10, ..] => Some("10"),
        [11, 3, ..] => Some("11.3"),
        [5, 11, ..] | [11] | [11, 4, ..] => Some("11.4"),
        _ => None,
    })?;
    lookup(SOLARIS, v)
}

fn aix(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !words(p.text).any(|w| w.starts_with("aix")) {
        return None;
    }
    let v = p.nums.iter().find_map(|n| match n.parts.as_slice() {
        [major @ 5..=7, minor, ..] if *minor <= 3 => Some(format!("{major}.{minor}")),
        // oslevel output: 7100-05-06-2016.
        [level] if *level >= 5000 && *level <= 7999 && level % 100 == 0 => {
            Some(format!("{}.{}", level / 1000, (level / 100) % 10))
        }
        _ => None,
    })?;
    lookup(AIX, &v)
}

fn hpux(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !(p.contains("hp-ux") || p.compact.contains("hpux")) {
        return None;
    }
    let v3 = p.compact.contains("11iv3") || p.nums.iter().any(|n| n.parts.starts_with(&[11, 31]));
    if v3 { lookup(HPUX, "11i v3") } else { None }
}

fn java(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !["java", "jdk", "jre", "openjdk"]
        .iter()
        .any(|w| words(p.text).any(|x| x.starts_with(w)))
    {
        return None;
    }
    let v = p.nums.iter().find_map(|n| match n.parts.as_slice() {
        [1, minor, ..] if *minor >= 5 => Some(minor.to_string()),
        [major, ..] if (5..=30).contains(major) => Some(major.to_string()),
        _ => None,
    })?;
    lookup(JAVA, &v)
}

fn python(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.contains("python") {
        return None;
    }
    let n = p.first_num(|n| matches!(n.major(), 2 | 3) && n.minor().is_some())?;
    lookup(PYTHON, &format!("{}.{}", n.major(), n.minor().unwrap_or(0)))
}

fn node(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !(p.mentions(&["node.js", "nodejs"]) || has_word(p.text, "node")) {
        return None;
    }
    major_release(p, NODE, 4..=40)
}

fn dotnet(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !(p.contains("framework") && p.mentions(&[".net", "dotnet"])) {
        return None;
    }
    let v = p.nums.iter().find_map(|n| match n.parts.as_slice() {
        [4, 5, 2, ..] => Some("4.5.2"),
        [4, 6, 1, ..] => Some("4.6.1"),
        [4, 6] | [4, 6, 0, ..] => Some("4.6"),
        _ => None,
    })?;
    lookup(DOTNET, v)
}

/// Attribute keys that may hold a database product when `operating_system` does not.
const PRODUCT_ATTRIBUTES: &[&str] = &[
    "db_product",
    "database_product",
    "db_engine",
    "database_engine",
    "engine",
    "db_version",
    "database_version",
    "product",
    "database",
    "platform",
];

/// Attribute keys that may hold a runtime (`Java 8`, `Python 2.7`).
const RUNTIME_ATTRIBUTES: &[&str] = &[
    "runtime",
    "runtime_version",
    "java_version",
    "framework",
    "middleware",
    "language",
];

fn attribute_text<'a>(asset: &'a AssetFacts, keys: &[&str]) -> impl Iterator<Item = &'a str> {
    asset.attributes.iter().filter_map(move |(k, v)| match v {
        Value::String(s) if keys.iter().any(|key| k.eq_ignore_ascii_case(key)) => Some(s.as_str()),
        _ => None,
    })
}

/// The operating system or database product of an asset: `operating_system` with `os_version`,
/// then `os_version` alone, then product-like attributes. Runtimes are not an asset's platform.
pub fn identify_asset(asset: &AssetFacts) -> Option<&'static LifecycleEntry> {
    let platform = |e: &&'static LifecycleEntry| e.family != "runtime";
    if let Some(os) = asset.operating_system.as_deref()
        && let Some(e) = identify(os, asset.os_version.as_deref()).filter(platform)
    {
        return Some(e);
    }
    if let Some(e) = asset
        .os_version
        .as_deref()
        .and_then(|v| identify(v, None))
        .filter(platform)
    {
        return Some(e);
    }
    attribute_text(asset, PRODUCT_ATTRIBUTES).find_map(|s| identify(s, None).filter(platform))
}

/// The runtime named in the asset's attributes, if catalogued.
pub fn identify_runtime(asset: &AssetFacts) -> Option<&'static LifecycleEntry> {
    attribute_text(asset, RUNTIME_ATTRIBUTES).find_map(|s| identify(s, None).filter(|e| e.family == "runtime"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str, version: Option<&str>) -> Option<String> {
        identify(text, version).map(LifecycleEntry::display_name)
    }

    #[test]
    fn identifies_the_messy_strings() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                "Red Hat Enterprise Linux Server 6.10",
                Some("6.10"),
                "Red Hat Enterprise Linux 6",
            ),
            (
                "Red Hat Enterprise Linux Server release 5.11 (Tikanga)",
                None,
                "Red Hat Enterprise Linux 5",
            ),
            (
                "Red Hat Enterprise Linux 8.8",
                Some("8.8"),
                "Red Hat Enterprise Linux 8",
            ),
            ("RHEL 7.9", None, "Red Hat Enterprise Linux 7"),
            ("rhel9", None, "Red Hat Enterprise Linux 9"),
            (
                "Microsoft Windows Server 2008 R2 Enterprise",
                None,
                "Windows Server 2008 R2",
            ),
            (
                "Microsoft Windows Server 2008 R2 Enterprise",
                Some("2008 R2"),
                "Windows Server 2008 R2",
            ),
            ("Windows Server 2008 Standard", None, "Windows Server 2008"),
            ("Windows Server 2003", None, "Windows Server 2003"),
            ("Windows Server 2003 R2", None, "Windows Server 2003 R2"),
            ("Windows Server 2012", None, "Windows Server 2012"),
            ("Windows 2012R2", None, "Windows Server 2012 R2"),
            ("Windows Server 2016 Datacenter", Some("2016"), "Windows Server 2016"),
            (
                "Microsoft Windows Server 2019 Standard",
                Some("2019"),
                "Windows Server 2019",
            ),
            ("Windows Server 2022 Datacenter", None, "Windows Server 2022"),
            ("Windows Server 2025", None, "Windows Server 2025"),
            ("Win2k8 R2", None, "Windows Server 2008 R2"),
            ("W2K12", None, "Windows Server 2012"),
            ("Windows", Some("6.1.7601"), "Windows Server 2008 R2"),
            ("Windows Server", Some("10.0.17763"), "Windows Server 2019"),
            ("Ubuntu 14.04.6 LTS", Some("14.04"), "Ubuntu 14.04"),
            ("Ubuntu 16.04", None, "Ubuntu 16.04"),
            ("Ubuntu 18.04.6 LTS", None, "Ubuntu 18.04"),
            ("Ubuntu 20.04.6 LTS", None, "Ubuntu 20.04"),
            ("Ubuntu 22.04.3 LTS", Some("22.04"), "Ubuntu 22.04"),
            ("Ubuntu Server", Some("24.04"), "Ubuntu 24.04"),
            ("Ubuntu Focal", None, "Ubuntu 20.04"),
            ("CentOS Linux 7", None, "CentOS Linux 7"),
            ("CentOS 6.10", None, "CentOS Linux 6"),
            ("CentOS Linux release 8.5.2111", None, "CentOS Linux 8"),
            ("CentOS Stream 9", None, "CentOS Stream 9"),
            ("Oracle Linux Server 7.9", None, "Oracle Linux 7"),
            (
                "SUSE Linux Enterprise Server 12 SP5",
                None,
                "SUSE Linux Enterprise Server 12",
            ),
            ("SLES 11 SP4", None, "SUSE Linux Enterprise Server 11"),
            ("sles15sp4", None, "SUSE Linux Enterprise Server 15"),
            ("Debian GNU/Linux 10 (buster)", None, "Debian 10"),
            ("Debian bookworm", None, "Debian 12"),
            ("Oracle Solaris 10", Some("10"), "Oracle Solaris 10"),
            ("SunOS 5.10", None, "Oracle Solaris 10"),
            ("Oracle Solaris 11.4", None, "Oracle Solaris 11.4"),
            ("Solaris 11", None, "Oracle Solaris 11.4"),
            ("Solaris 11.3", None, "Oracle Solaris 11.3"),
            ("AIX 7.1", Some("7.1"), "IBM AIX 7.1"),
            ("IBM AIX 7.2 TL5", None, "IBM AIX 7.2"),
            ("AIX", Some("7.3"), "IBM AIX 7.3"),
            ("AIX 7100-05-06-2016", None, "IBM AIX 7.1"),
            ("HP-UX 11.31", None, "HP-UX 11i v3"),
            ("Microsoft SQL Server 2008 R2", None, "Microsoft SQL Server 2008 R2"),
            ("Microsoft SQL Server 2008", None, "Microsoft SQL Server 2008"),
            ("Microsoft SQL Server 2012", None, "Microsoft SQL Server 2012"),
            ("SQL Server 2014 SP3", None, "Microsoft SQL Server 2014"),
            ("MSSQL 2016", None, "Microsoft SQL Server 2016"),
            ("SQL Server 2017 Enterprise", None, "Microsoft SQL Server 2017"),
            ("SQL Server 2019", None, "Microsoft SQL Server 2019"),
            ("SQL Server 2022", None, "Microsoft SQL Server 2022"),
            ("SQL Server", Some("10.50.6000"), "Microsoft SQL Server 2008 R2"),
            (
                "SQL Server 2012 on Windows Server 2016",
                None,
                "Microsoft SQL Server 2012",
            ),
            ("MySQL 5.5", None, "MySQL 5.5"),
            ("MySQL 5.6", None, "MySQL 5.6"),
            ("mysql 5.7.44", None, "MySQL 5.7"),
            ("MySQL 8.0", None, "MySQL 8.0"),
            ("MySQL 8.0.36", None, "MySQL 8.0"),
            ("MySQL Community Server 8.4.2 LTS", None, "MySQL 8.4"),
            ("Oracle Database 19c", None, "Oracle Database 19c"),
            (
                "Oracle Database 19c Enterprise Edition Release 19.0.0.0.0",
                None,
                "Oracle Database 19c",
            ),
            ("Oracle Database 19c on Oracle Linux 8", None, "Oracle Database 19c"),
            ("Oracle 11gR2", None, "Oracle Database 11g R2"),
            ("Oracle Database 11g", None, "Oracle Database 11g R2"),
            ("Oracle Database 11.2.0.4", None, "Oracle Database 11g R2"),
            ("Oracle 11gR1", None, "Oracle Database 11g R1"),
            ("Oracle Database 12c", None, "Oracle Database 12c R1"),
            ("Oracle 12.1.0.2", None, "Oracle Database 12c R1"),
            ("Oracle Database 12c Release 2", None, "Oracle Database 12c R2"),
            ("Oracle 12cR2", None, "Oracle Database 12c R2"),
            ("Oracle 12.2.0.1", None, "Oracle Database 12c R2"),
            ("Oracle Database 18c", None, "Oracle Database 18c"),
            ("Oracle Database 21c", None, "Oracle Database 21c"),
            ("Oracle Database 23c", None, "Oracle Database 23ai"),
            ("Oracle Database 23ai", None, "Oracle Database 23ai"),
            ("PostgreSQL 9.6", None, "PostgreSQL 9.6"),
            ("PostgreSQL 9.0.23", None, "PostgreSQL 9.0"),
            ("postgres 12.4", None, "PostgreSQL 12"),
            ("PostgreSQL", Some("17.2"), "PostgreSQL 17"),
            ("Java 1.8.0_202", None, "Java SE 8"),
            ("OpenJDK 11.0.2", None, "Java SE 11"),
            ("Oracle Java 11", None, "Java SE 11"),
            ("Python 2.7.18", None, "Python 2.7"),
            ("Node.js 18.19.0", None, "Node.js 18"),
            (".NET Framework 4.6.1", None, ".NET Framework 4.6.1"),
        ];
        for (text, version, expected) in cases {
            assert_eq!(id(text, *version).as_deref(), Some(*expected), "{text:?} + {version:?}");
        }
        for minor in 0..=6 {
            assert_eq!(
                id(&format!("PostgreSQL 9.{minor}"), None),
                Some(format!("PostgreSQL 9.{minor}"))
            );
        }
        for major in 10..=17 {
            assert_eq!(
                id(&format!("PostgreSQL {major}.3"), None),
                Some(format!("PostgreSQL {major}"))
            );
        }
    }
}
