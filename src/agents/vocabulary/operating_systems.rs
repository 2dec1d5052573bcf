//! Operating-system strings: the family they belong to and the version inside them.

/// The values of `attributes["os_family"]`.
pub const OS_FAMILIES: &[&str] = &["windows", "linux", "unix", "database", "other"];

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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
