use serde_json::Value;

use super::catalogue::{SupportEnd, catalogue, lookup, ymd};
use super::identify::identify_asset;
use super::*;
use crate::agents::test_fixtures::asset;

fn id(text: &str, version: Option<&str>) -> Option<String> {
    identify(text, version).map(LifecycleEntry::display_name)
}

fn on(y: i32, m: u32, d: u32) -> SupportEnd {
    SupportEnd::On(ymd(y, m, d))
}

#[test]
fn leaves_unknown_products_unknown() {
    for text in [
        "",
        "   ",
        "Linux",
        "Windows 10",
        "MySQL 99.1",
        "PostgreSQL 1",
        "Oracle",
        "Fedora 200",
        "R2",
        "2k",
        "...",
        "\u{1F600} 2008",
        "Ｗｉｎｄｏｗｓ Ｓｅｒｖｅｒ",
        "Windows Server 99999999999999999999.1",
        "SQL Server 4294967296",
        "Plan 9",
    ] {
        assert_eq!(id(text, None), None, "{text:?}");
    }
    assert_eq!(id("Win2k", None).as_deref(), Some("Windows Server 2000"));
    assert_eq!(assess("Plan 9", None, sample_today()).status, LifecycleStatus::Unknown);
    assert_eq!(assess("Plan 9", None, sample_today()).support, None);
}

#[test]
fn catalogue_is_built_from_the_snapshot() {
    let cat = catalogue();
    assert!(cat.entries.len() >= 800, "{}", cat.entries.len());
    for e in &cat.entries {
        assert!(
            e.mainstream_end <= e.standard_end && e.standard_end <= e.extended_end,
            "{e:?}"
        );
        assert!(
            [
                "windows",
                "linux",
                "unix",
                "hypervisor",
                "appliance",
                "database",
                "runtime"
            ]
            .contains(&e.family.as_str()),
            "{e:?}"
        );
        assert_eq!(e.add_on.is_empty(), e.standard_end == e.extended_end, "{e:?}");
        assert_eq!(lookup(&e.slug, &e.cycle), Some(e), "duplicate {e:?}");
    }
    // Every vocabulary product exists in the snapshot and has cycles.
    for line in &cat.lines {
        assert!(cat.cycles(&line.slug).next().is_some(), "{}", line.slug);
    }
    // The snapshot's columns, phase by phase (endoflife.date a70eca33, 2026-08-22).
    let rhel7 = lookup("rhel", "7").unwrap();
    assert_eq!(
        (rhel7.mainstream_end, rhel7.standard_end, rhel7.extended_end),
        (on(2019, 8, 6), on(2024, 6, 30), on(2029, 5, 31))
    );
    assert_eq!(rhel7.add_on, "Extended Life Cycle Support (paid)");
    let w2016 = lookup("windows-server", "2016").unwrap();
    assert_eq!(
        (w2016.mainstream_end, w2016.standard_end, w2016.extended_end),
        (on(2022, 1, 11), on(2027, 1, 12), on(2030, 1, 12))
    );
    let pg14 = lookup("postgresql", "14").unwrap();
    assert_eq!(
        (pg14.mainstream_end, pg14.extended_end, pg14.add_on.as_str()),
        (on(2026, 11, 12), on(2026, 11, 12), "")
    );
    // `eol: true` without a date, `eol: false`.
    assert_eq!(
        lookup("oracle-solaris", "11.2").unwrap().extended_end,
        SupportEnd::Ended
    );
    assert_eq!(lookup("ibm-aix", "7.2.5").unwrap().extended_end, SupportEnd::Open);
    // The project's documented correction, with its reason.
    let sol10 = lookup("oracle-solaris", "10").unwrap();
    assert_eq!(sol10.extended_end, on(2024, 1, 31));
    assert!(
        sol10.note.contains("2027-01-01") && sol10.note.contains("2026-08-22"),
        "{}",
        sol10.note
    );
    assert_eq!(lookup("oracle-solaris", "11.4").unwrap().note, "");
}

#[test]
fn status_boundaries() {
    let rhel6 = lookup("rhel", "6").unwrap();
    use LifecycleStatus::*;
    // Last day of all support, and the day after.
    assert_eq!(status_on(rhel6, ymd(2024, 6, 30)), (EolSoon, SupportLevel::Extended));
    assert_eq!(status_on(rhel6, ymd(2024, 7, 1)), (EolExpired, SupportLevel::None));
    // Mainstream (Full Support) ends 2016-05-10.
    assert_eq!(status_on(rhel6, ymd(2016, 5, 10)), (Active, SupportLevel::Mainstream));
    assert_eq!(status_on(rhel6, ymd(2016, 5, 11)), (Active, SupportLevel::Extended));
    // The 12-month window: exactly 12 months ahead is soon, a day more is not.
    assert_eq!(status_on(rhel6, ymd(2023, 6, 30)), (EolSoon, SupportLevel::Extended));
    assert_eq!(status_on(rhel6, ymd(2023, 6, 29)), (Active, SupportLevel::Extended));
    // Single-phase products are soon while still in mainstream.
    let pg14 = lookup("postgresql", "14").unwrap();
    assert_eq!(status_on(pg14, ymd(2026, 1, 1)), (EolSoon, SupportLevel::Mainstream));
    assert_eq!(status_on(pg14, sample_today()), (EolExpired, SupportLevel::None));
    let w2016 = lookup("windows-server", "2016").unwrap();
    assert_eq!(status_on(w2016, sample_today()), (Active, SupportLevel::Extended));
    // Ended on an unpublished date: expired whatever the day; no end announced: never.
    let sol112 = lookup("oracle-solaris", "11.2").unwrap();
    assert_eq!(status_on(sol112, NaiveDate::MIN).0, EolExpired);
    let aix725 = lookup("ibm-aix", "7.2.5").unwrap();
    assert_eq!(status_on(aix725, NaiveDate::MAX), (Active, SupportLevel::Mainstream));
    // Extremes do not overflow.
    assert_eq!(status_on(rhel6, NaiveDate::MAX), (EolExpired, SupportLevel::None));
    assert_eq!(status_on(rhel6, NaiveDate::MIN), (Active, SupportLevel::Mainstream));
    let a = assess("CentOS Linux 7", None, sample_today());
    assert_eq!((a.status, a.support), (EolExpired, Some(SupportLevel::None)));
}

#[test]
fn sample_eol_set_on_2026_11_25() {
    let findings = sample_findings();
    let arguable = ["app0001", "srv0014"];
    let expired: Vec<&str> = findings
        .iter()
        .filter(|f| f.lifecycle_status == Some(LifecycleStatus::EolExpired))
        .map(|f| f.asset_key.as_str())
        .filter(|k| !arguable.contains(k))
        .collect();
    assert_eq!(
        expired,
        vec![
            "app0008",
            "app0011",
            "batch0004",
            "batch0005",
            "batch0007",
            "batch0010",
            "batch0016",
            "billing_db",
            "crm_db",
            "data_warehouse_db",
            "intranet_db",
            "payroll_db",
            "srv0006",
            "web0009",
            "web0015",
            "web0017",
            "web0018",
        ]
    );
    // One finding per asset at most, none for applications.
    let mut keys: Vec<&str> = findings.iter().map(|f| f.asset_key.as_str()).collect();
    keys.dedup();
    assert_eq!(keys.len(), findings.len());
    for app in ["payroll", "crm", "reporting", "intranet", "data warehouse", "billing"] {
        assert!(!keys.contains(&app), "{app}");
    }
    let by_key = |k: &str| findings.iter().find(|f| f.asset_key == k);
    // Ubuntu 22.04: standard security maintenance ends 2027-04-01, then only ESM — flagged, not
    // expired. Its hardware and maintenance phase (endoflife.date's `eoas`) ended 2024-09-30.
    let ubuntu = by_key("web0012").unwrap();
    assert_eq!(
        (ubuntu.severity.as_str(), ubuntu.lifecycle_status, ubuntu.support_level),
        ("medium", Some(LifecycleStatus::Active), Some(SupportLevel::Extended))
    );
    assert!(ubuntu.description.contains("2027-04-01"), "{}", ubuntu.description);
    assert!(by_key("reporting_db").is_none());
    for k in ["app0003", "web0002"] {
        let f = by_key(k).unwrap();
        assert_eq!(
            (f.severity.as_str(), f.support_level),
            ("low", Some(SupportLevel::Extended)),
            "{k}"
        );
    }
    // The arguable ones: still (paid) supported, flagged medium.
    for k in arguable {
        let f = by_key(k).unwrap();
        assert_eq!(f.lifecycle_status, Some(LifecycleStatus::Active), "{k}");
        assert_eq!(f.severity, "medium", "{k}");
    }
    // Severity: production → critical, otherwise high.
    assert_eq!(by_key("crm_db").unwrap().severity, "critical");
    assert_eq!(by_key("crm_db").unwrap().category, "database");
    assert_eq!(by_key("payroll_db").unwrap().severity, "high");
    assert_eq!(by_key("web0018").unwrap().category, "operating_system");
    let rhel = by_key("batch0016").unwrap();
    assert_eq!(rhel.end_of_life, Some(ymd(2024, 6, 30)));
    assert!(rhel.description.contains("Red Hat Enterprise Linux 6") && rhel.description.contains("2024-06-30"));
}

#[test]
fn finding_rules() {
    let mut a = asset("box", "server");
    a.operating_system = Some("CentOS 7".into());
    a.business_criticality = Some("Critical".into());
    a.environment = Some("test".into());
    let f = finding_for(&a, identify_asset(&a).unwrap(), sample_today()).unwrap();
    assert_eq!(f.severity, "critical");
    // Everything ends within a year: medium.
    a.operating_system = Some("Windows Server 2019".into());
    let soon = finding_for(&a, identify_asset(&a).unwrap(), ymd(2028, 6, 1)).unwrap();
    assert_eq!(
        (soon.severity.as_str(), soon.lifecycle_status),
        ("medium", Some(LifecycleStatus::EolSoon))
    );
    // Mainstream with years to go: nothing.
    a.operating_system = Some("RHEL 10".into());
    assert!(finding_for(&a, identify_asset(&a).unwrap(), sample_today()).is_none());
    // Solaris 10: the correction is in the note.
    a.operating_system = Some("Solaris 10 u11 (SPARC)".into());
    let sol = finding_for(&a, identify_asset(&a).unwrap(), sample_today()).unwrap();
    assert_eq!(sol.lifecycle_status, Some(LifecycleStatus::EolExpired));
    assert!(sol.description.contains("Note: endoflife.date"), "{}", sol.description);
    // The product can come from the version field or an attribute.
    let mut b = asset("db", "database");
    b.os_version = Some("PostgreSQL 11".into());
    assert_eq!(
        identify_asset(&b).map(LifecycleEntry::display_name).as_deref(),
        Some("PostgreSQL 11")
    );
    let mut c = asset("db2", "database");
    c.attributes
        .insert("DB_Engine".into(), Value::String("Oracle Database 12c".into()));
    c.attributes.insert("runtime".into(), Value::String("Java 8".into()));
    let out = LifecycleAnalysis
        .run(&LifecycleInput {
            assets: vec![c],
            today: sample_today(),
        })
        .unwrap()
        .value;
    let categories: Vec<&str> = out.iter().map(|f| f.category.as_str()).collect();
    assert_eq!(categories, vec!["database", "runtime"]);
    // Nothing to go on: nothing found, no panic.
    let empty = LifecycleAnalysis
        .run(&LifecycleInput {
            assets: vec![],
            today: sample_today(),
        })
        .unwrap();
    assert!(empty.value.is_empty());
}

#[test]
fn a_family_is_reported_as_a_family_and_an_ambiguous_release_as_read() {
    let mut vm = asset("vm1", "server");
    vm.operating_system = Some("Microsoft Windows Server 2016 or later (64-bit)".into());
    let mut old = asset("old", "server");
    old.operating_system = Some("ubuntu-14".into());
    let out = LifecycleAnalysis
        .run(&LifecycleInput {
            assets: vec![vm, old],
            today: sample_today(),
        })
        .unwrap();
    assert_eq!(out.value.len(), 1);
    assert!(
        out.reasoning.contains("1 name a product family but no release")
            && out
                .reasoning
                .contains("`Microsoft Windows Server 2016 or later (64-bit)`"),
        "{}",
        out.reasoning
    );
    let f = &out.value[0];
    assert_eq!(
        (f.asset_key.as_str(), f.lifecycle_status),
        ("old", Some(LifecycleStatus::EolExpired))
    );
    assert!(
        f.description.contains("Ubuntu 14 without the release: read as 14.04"),
        "{}",
        f.description
    );
}
