//! A product's name as data cleansing stores it: `rhel-6.10` → `Red Hat Enterprise Linux 6.10`,
//! `MS Windows 2008 R2 (x64)` → `Windows Server 2008 R2`, `Oracle 11.2.0.4` → `Oracle Database 11g R2`,
//! with the endoflife.date product and release cycle it was matched to.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::Serialize;

use super::identify::recognise;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NormalisedProduct {
    /// The product and the version as the text gives it: `Red Hat Enterprise Linux 6.10`.
    pub display: String,
    /// The product alone: `Red Hat Enterprise Linux`.
    pub product: String,
    /// windows, linux, unix, hypervisor, appliance, database, runtime.
    pub family: String,
    /// The endoflife.date product (`rhel`) and release cycle (`6`); no cycle when the text names a
    /// family only (`Windows Server 2016 or later`) or a release the snapshot does not have.
    pub slug: String,
    pub cycle: Option<String>,
}

/// The normalised name of a product text, or `None` when no product is recognised.
pub fn normalize_product(text: &str) -> Option<NormalisedProduct> {
    let r = recognise(text, None)?;
    let display = match &r.version {
        Some(v) => format!("{} {v}", r.line.product),
        None => r.line.product.clone(),
    };
    Some(NormalisedProduct {
        display,
        product: r.line.product.clone(),
        family: r.line.family.clone(),
        slug: r.line.slug.clone(),
        cycle: r.entry.map(|e| e.cycle.clone()),
    })
}

/// A product text and its version field.
type Key = (String, Option<String>);

/// The name data cleansing stores for an asset's operating system or database text (with its
/// version field, if any): the normalised name when a release is identified and the name differs,
/// else `None` (the text stays as written: a family such as `Windows Server 2016 or later`, or a
/// product the vocabulary does not know, is not rewritten into a guess).
pub fn standard_platform_name(raw: &str, version: Option<&str>) -> Option<String> {
    // Exports repeat a few dozen strings over many rows: each is read once per thread.
    const CAP: usize = 4096;
    thread_local! {
        static SEEN: RefCell<HashMap<Key, Option<String>>> = RefCell::new(HashMap::new());
    }
    let key = (raw.to_string(), version.map(str::to_string));
    if let Some(hit) = SEEN.with(|m| m.borrow().get(&key).cloned()) {
        return hit;
    }
    let name = recognise(raw, version)
        .filter(|r| r.entry.is_some())
        .map(|r| match &r.version {
            Some(v) => format!("{} {v}", r.line.product),
            None => r.line.product.clone(),
        });
    let name = name.filter(|n| n != raw);
    SEEN.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= CAP {
            m.clear();
        }
        m.insert(key, name.clone());
    });
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_keeps_the_release() {
        let n = normalize_product("rhel-6.10").unwrap();
        assert_eq!(
            (
                n.display.as_str(),
                n.product.as_str(),
                n.slug.as_str(),
                n.cycle.as_deref()
            ),
            (
                "Red Hat Enterprise Linux 6.10",
                "Red Hat Enterprise Linux",
                "rhel",
                Some("6")
            )
        );
        let cases = [
            (
                "MS Windows 2008 R2 (x64)",
                "Windows Server 2008 R2",
                Some("2008-r2-sp1"),
            ),
            ("Windows Srv 2016 DC", "Windows Server 2016", Some("2016")),
            ("Oracle 11.2.0.4", "Oracle Database 11g R2", Some("11.2")),
            ("Oracle RDBMS 19c", "Oracle Database 19c", Some("19")),
            ("SUSE 12 SP5", "SUSE Linux Enterprise Server 12 SP5", Some("12.5")),
            (
                "Microsoft SQL 2012 SP4",
                "Microsoft SQL Server 2012 SP4",
                Some("11.0-sp4"),
            ),
            ("pgsql 9.6", "PostgreSQL 9.6", Some("9.6")),
            ("SunOS 5.10", "Oracle Solaris 10", Some("10")),
            ("Ubuntu 22.04 LTS Jammy Jellyfish", "Ubuntu 22.04", Some("22.04")),
            ("ubuntu-14", "Ubuntu 14", Some("14.04")),
            ("CentOS Linux 7 (Core)", "CentOS Linux 7", Some("7")),
            ("Windows 10 Enterprise", "Windows (desktop)", None),
        ];
        for (text, display, cycle) in cases {
            let n = normalize_product(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!((n.display.as_str(), n.cycle.as_deref()), (display, cycle), "{text}");
        }
        // A family is a family: no release is invented.
        let family = normalize_product("Microsoft Windows Server 2016 or later (64-bit)").unwrap();
        assert_eq!((family.display.as_str(), family.cycle), ("Windows Server", None));
        assert_eq!(normalize_product("Plan 9 from Bell Labs"), None);
        assert_eq!(normalize_product(""), None);
    }

    #[test]
    fn cleansing_rewrites_identified_releases_only() {
        assert_eq!(
            standard_platform_name("Windows Srv 2008R2 Ent.", None).as_deref(),
            Some("Windows Server 2008 R2")
        );
        assert_eq!(
            standard_platform_name("Oracle", Some("11.2.0.4")).as_deref(),
            Some("Oracle Database 11g R2")
        );
        // Already normal, a family, a product without a release, an unknown: left as written.
        for (raw, version) in [
            ("Red Hat Enterprise Linux 6.10", None),
            ("Microsoft Windows Server 2016 or later (64-bit)", None),
            ("Windows", None),
            ("Plan 9", None),
        ] {
            assert_eq!(standard_platform_name(raw, version), None, "{raw}");
        }
        // Asked twice, answered the same (the second from memory).
        assert_eq!(
            standard_platform_name("rhel-6.10", None),
            standard_platform_name("rhel-6.10", None)
        );
    }
}
