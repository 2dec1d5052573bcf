//! Releases whose snapshot cycles are updates (AIX technology levels), and update strings that are
//! not versions (Solaris update dates and build tags): invented spellings of each.

use super::catalogue::{SupportEnd, lookup, ymd};
use super::identify::recognise;
use super::*;
use crate::agents::test_fixtures::asset;

/// The release and the named update a text is read as.
fn read(text: &str) -> (Option<String>, Option<String>) {
    let r = recognise(text, None);
    (
        r.as_ref().and_then(|r| r.entry).map(|e| e.cycle.clone()),
        r.and_then(|r| r.update).map(|u| u.cycle.clone()),
    )
}

/// Judged on the day the export judge uses, just after AIX 7.3 TL2's service-pack support ended.
fn judge_day() -> NaiveDate {
    ymd(2026, 12, 3)
}

fn finding(text: &str) -> Option<TechDebtFinding> {
    let mut a = asset("box", "server");
    a.operating_system = Some(text.into());
    a.environment = Some("production".into());
    let r = recognise(text, None)?;
    finding_for_recognised(&a, &r, judge_day())
}

#[test]
fn a_release_made_of_updates_lives_as_long_as_its_latest_update() {
    let aix73 = lookup("ibm-aix", "7.3").unwrap();
    assert_eq!(aix73.extended_end, SupportEnd::On(ymd(2028, 12, 31)));
    assert_eq!((aix73.version.as_str(), aix73.update_of.as_str()), ("7.3", ""));
    assert_eq!(lookup("ibm-aix", "7.2").unwrap().extended_end, SupportEnd::Open);
    let tl2 = lookup("ibm-aix", "7.3.2").unwrap();
    assert_eq!((tl2.version.as_str(), tl2.update_of.as_str()), ("7.3 TL2", "7.3"));
    assert_eq!(tl2.display_name(), "IBM AIX 7.3 TL2");
    // AIX 5.3 comes from the supplement, beside the snapshot's AIX cycles.
    assert_eq!(
        lookup("ibm-aix", "5.3").unwrap().extended_end,
        SupportEnd::On(ymd(2012, 4, 30))
    );
    // Products whose cycles are releases get no synthesised entries.
    assert!(lookup("sles", "15").is_none());
}

#[test]
fn technology_levels_are_read_in_every_notation() {
    for text in [
        "AIX 7.3 TL2",
        "IBM AIX 7300-02",
        "AIX 7300-02-01-2346",
        "aix 7.3 tl02",
        "AIX 7.3 TL 2 SP1",
        "AIX 7.3.2",
        "AIX 7.3.2.1",
        "AIX 7.3 Technology Level 2",
        "AIX7.3TL2",
        "IBM AIX v7.3 (TL2)",
    ] {
        assert_eq!(read(text), (Some("7.3".into()), Some("7.3.2".into())), "{text}");
    }
    for (text, release) in [
        ("AIX 7.3", "7.3"),
        ("AIX 5.3", "5.3"),
        ("AIX 5.3 ML 12", "5.3"),
        ("IBM AIX 5300-12-04-1119", "5.3"),
        ("AIX 6.1 TL9 SP12", "6.1"),
        ("IBM AIX 6100-09", "6.1"),
        ("AIX 7.1 TL5", "7.1"),
    ] {
        assert_eq!(read(text).0.as_deref(), Some(release), "{text}");
    }
    // A technology level the snapshot does not list: the release, without an update.
    assert_eq!(read("AIX 7.1 TL3"), (Some("7.1".into()), None));
}

#[test]
fn an_update_past_its_support_is_a_low_note_on_a_supported_release() {
    for text in ["AIX 7.3 TL2", "IBM AIX 7300-02", "AIX 7.2 TL4 SP6"] {
        let f = finding(text).unwrap();
        assert_eq!(
            (f.severity.as_str(), f.lifecycle_status),
            ("low", Some(LifecycleStatus::Active)),
            "{text}"
        );
        assert!(
            f.description.contains("service-pack support ended") && f.description.contains("not a migration"),
            "{}",
            f.description
        );
    }
    let f = finding("AIX 7.3 TL2").unwrap();
    assert!(
        f.description.contains("IBM AIX 7.3 TL2") && f.description.contains("7.3 TL4"),
        "{}",
        f.description
    );
    assert_eq!(f.end_of_life, Some(ymd(2028, 12, 31)));
    // The current technology level, or one still supported: nothing to say.
    assert!(finding("AIX 7.3 TL4").is_none());
    assert!(finding("AIX 7.3 TL3").is_none());
    assert!(finding("AIX 7.3").is_none());
    // Ended releases are expired whatever their technology level.
    for text in ["AIX 5.3", "AIX 6.1 TL9 SP12", "IBM AIX 6100-09", "AIX 7.1 TL5"] {
        let f = finding(text).unwrap();
        assert_eq!(f.lifecycle_status, Some(LifecycleStatus::EolExpired), "{text}");
        assert!(
            !f.description.contains("service-pack support ended"),
            "{}",
            f.description
        );
    }
}

#[test]
fn solaris_update_dates_and_build_tags_are_not_versions() {
    for (text, cycle) in [
        ("Solaris 9 9/05", "9"),
        ("Solaris 9 9/05 s9s_u8wos_05 SPARC", "9"),
        ("Oracle Solaris 10 1/13", "10"),
        ("Solaris 10 10/13 s10x_u11wos_24a X86", "10"),
        ("Solaris 10 8/11 s10s_u10wos_17b SPARC", "10"),
        ("Solaris 10 5/09 (SPARC)", "10"),
        ("Solaris 10 10/2013", "10"),
        ("Solaris 8 2/04 s28s_hw4wos_05a SPARC", "8"),
        ("SunOS 5.10 Generic_147147-26", "10"),
        ("Solaris 11.4 SRU 60", "11.4"),
        ("Oracle Solaris 11.3.36.10.0", "11.3"),
    ] {
        assert_eq!(read(text).0.as_deref(), Some(cycle), "{text}");
    }
    for text in [
        "Solaris 9 9/05",
        "Oracle Solaris 10 1/13",
        "Solaris 10 10/13 s10x_u11wos_24a X86",
    ] {
        assert_eq!(
            finding(text).unwrap().lifecycle_status,
            Some(LifecycleStatus::EolExpired),
            "{text}"
        );
    }
}

#[test]
fn a_release_date_is_not_a_family_but_a_list_of_versions_is() {
    // Month and year after a release, for products with no update scheme of their own.
    assert_eq!(read("HP-UX 11.31 09/2019").0.as_deref(), Some("11.31"));
    assert_eq!(read("Red Hat Enterprise Linux 7 03/20").0.as_deref(), Some("7"));
    for text in ["RHEL 6/7", "Windows Server 2008/2012", "Solaris 10/11", "SLES 11/12"] {
        let r = recognise(text, None).unwrap();
        assert!(r.family_only && r.entry.is_none(), "{text}");
    }
}
