//! `lifecycle_analysis` (tech_debt_analysis): one finding per asset whose operating system or
//! database product is past, or near, the end of its support, plus one for a catalogued runtime
//! named in its attributes. Products are identified ([`identify`](mod@identify)) against the built-in
//! [`catalogue`]; their status on the given day decides the finding and its severity.

pub mod catalogue;
pub mod identify;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::agents::types::{
    Agent, AgentError, AgentOutput, AssetFacts, LifecycleStatus, SupportLevel, TechDebtFinding,
};
use crate::agents::vocabulary::business_criticality::criticality;
use crate::agents::vocabulary::environments::is_production;
use crate::domain::PhaseName;
use catalogue::LifecycleEntry;
use identify::{identify, identify_asset, identify_runtime};

/// The window in which support ending counts as "soon".
pub const EOL_SOON_MONTHS: u32 = 12;

/// Whether `date` falls within the next `EOL_SOON_MONTHS` of `today` (today included).
fn within_soon_window(date: NaiveDate, today: NaiveDate) -> bool {
    match today.checked_add_months(Months::new(EOL_SOON_MONTHS)) {
        Some(limit) => date >= today && date <= limit,
        None => date >= today,
    }
}

/// Lifecycle status and support level of a catalogued product on `today`. The end dates are the
/// last supported days. EOL_SOON means ALL support (add-ons included) ends within 12 months,
/// whatever phase the product is in now.
pub fn status_on(entry: &LifecycleEntry, today: NaiveDate) -> (LifecycleStatus, SupportLevel) {
    if today > entry.extended_end {
        return (LifecycleStatus::EolExpired, SupportLevel::None);
    }
    let support = if today > entry.mainstream_end {
        SupportLevel::Extended
    } else {
        SupportLevel::Mainstream
    };
    let status = if within_soon_window(entry.extended_end, today) {
        LifecycleStatus::EolSoon
    } else {
        LifecycleStatus::Active
    };
    (status, support)
}

/// What is known of a product string on a date: unknown products are `Unknown` with no support level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LifecycleAssessment {
    pub entry: Option<&'static LifecycleEntry>,
    pub status: LifecycleStatus,
    pub support: Option<SupportLevel>,
}

pub fn assess(product_text: &str, version: Option<&str>, today: NaiveDate) -> LifecycleAssessment {
    match identify(product_text, version) {
        Some(entry) => {
            let (status, support) = status_on(entry, today);
            LifecycleAssessment {
                entry: Some(entry),
                status,
                support: Some(support),
            }
        }
        None => LifecycleAssessment {
            entry: None,
            status: LifecycleStatus::Unknown,
            support: None,
        },
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifecycleInput {
    pub assets: Vec<AssetFacts>,
    pub today: NaiveDate,
}

/// One finding per asset whose OS or database product is past, or near, the end of its support;
/// plus one for a catalogued runtime named in its attributes.
#[derive(Debug, Clone, Copy, Default)]
pub struct LifecycleAnalysis;

/// The finding for one catalogued product on one asset, or none while it is in mainstream support
/// with more than 12 months to go.
///
/// Severity: expired → critical on production or business-critical assets, else high; all support
/// ending within 12 months → medium; only a paid add-on (ESU, ELS, ESM, LTSS) left, or the vendor's
/// ordinary support ending within 12 months with only such an add-on after it → medium; extended
/// support only → low.
pub fn finding_for(asset: &AssetFacts, entry: &LifecycleEntry, today: NaiveDate) -> Option<TechDebtFinding> {
    let (status, support) = status_on(entry, today);
    let name = entry.display_name();
    let has_add_on = !entry.add_on.is_empty() && entry.standard_end < entry.extended_end;
    let (severity, description) = match (status, support) {
        (LifecycleStatus::EolExpired, _) => {
            let severe =
                is_production(asset.environment.as_deref()) || criticality(asset).as_deref() == Some("critical");
            let description = if has_add_on {
                format!(
                    "{name}: standard support ended {} and {} ended {}; no vendor support remains.",
                    entry.standard_end, entry.add_on, entry.extended_end
                )
            } else {
                format!(
                    "{name}: vendor support ended {}; no vendor support remains.",
                    entry.extended_end
                )
            };
            (if severe { "critical" } else { "high" }, description)
        }
        (LifecycleStatus::EolSoon, _) => {
            let mut description = format!(
                "{name}: all vendor support ends {} (within 12 months)",
                entry.extended_end
            );
            if has_add_on && today > entry.standard_end {
                description.push_str(&format!(
                    "; standard support ended {}, only {} remains",
                    entry.standard_end, entry.add_on
                ));
            }
            description.push('.');
            ("medium", description)
        }
        (LifecycleStatus::Active, _) => {
            // Only a paid add-on left, or the vendor's ordinary support ends within 12 months and
            // only a paid add-on follows: medium. Plain extended support: low.
            let add_on_only = has_add_on && today > entry.standard_end;
            let add_on_soon = has_add_on && !add_on_only && within_soon_window(entry.standard_end, today);
            if add_on_only {
                let description = format!(
                    "{name}: standard support ended {}; only {} until {}.",
                    entry.standard_end, entry.add_on, entry.extended_end
                );
                ("medium", description)
            } else if add_on_soon {
                let description = format!(
                    "{name}: standard support ends {} (within 12 months); after that only {} until {}.",
                    entry.standard_end, entry.add_on, entry.extended_end
                );
                ("medium", description)
            } else if support == SupportLevel::Extended {
                let tail = if has_add_on {
                    format!(
                        "extended support runs to {}, then {} to {}",
                        entry.standard_end, entry.add_on, entry.extended_end
                    )
                } else {
                    format!("extended support only, until {}", entry.extended_end)
                };
                (
                    "low",
                    format!("{name}: mainstream support ended {}; {tail}.", entry.mainstream_end),
                )
            } else {
                return None;
            }
        }
        _ => return None,
    };
    let category = match entry.family {
        "database" => "database",
        "runtime" => "runtime",
        _ => "operating_system",
    };
    Some(TechDebtFinding {
        asset_key: asset.key.clone(),
        category: category.to_string(),
        severity: severity.to_string(),
        description,
        end_of_life: Some(entry.extended_end),
        lifecycle_status: Some(status),
        support_level: Some(support),
    })
}

impl Agent for LifecycleAnalysis {
    type Input = LifecycleInput;
    type Output = Vec<TechDebtFinding>;
    const NAME: &'static str = "lifecycle_analysis";
    const PHASE: PhaseName = PhaseName::TechDebtAnalysis;

    fn run(&self, input: &LifecycleInput) -> Result<AgentOutput<Vec<TechDebtFinding>>, AgentError> {
        let today = input.today;
        let mut findings = Vec::new();
        let (mut with_product, mut identified) = (0usize, 0usize);
        for asset in &input.assets {
            let named = asset.operating_system.as_deref().is_some_and(|s| !s.trim().is_empty())
                || asset.os_version.as_deref().is_some_and(|s| !s.trim().is_empty());
            if named {
                with_product += 1;
            }
            if let Some(entry) = identify_asset(asset) {
                identified += 1;
                findings.extend(finding_for(asset, entry, today));
            }
            if let Some(entry) = identify_runtime(asset) {
                findings.extend(finding_for(asset, entry, today));
            }
        }
        findings.sort_by(|a, b| (&a.asset_key, &a.category).cmp(&(&b.asset_key, &b.category)));

        let count = |s: LifecycleStatus| findings.iter().filter(|f| f.lifecycle_status == Some(s)).count();
        let (expired, soon) = (count(LifecycleStatus::EolExpired), count(LifecycleStatus::EolSoon));
        let (mut reduced, mut extended) = (0usize, 0usize);
        for f in findings
            .iter()
            .filter(|f| f.lifecycle_status == Some(LifecycleStatus::Active))
        {
            if f.severity == "medium" {
                reduced += 1
            } else {
                extended += 1
            }
        }
        let unknown = with_product.saturating_sub(identified);
        // Sure of what the catalogue identified; every product it could not place lowers that.
        let confidence = if with_product == 0 {
            0.9
        } else {
            0.5 + 0.45 * identified.min(with_product) as f64 / with_product as f64
        };
        let reasoning = format!(
            "On {today}: {expired} past end of support, {soon} with all support ending within 12 months, \
             {reduced} on or within 12 months of paid add-on support only, {extended} on extended support; \
             {identified} of {} assets' products identified in the catalogue, {unknown} named but not catalogued.",
            input.assets.len()
        );
        Ok(AgentOutput::new(findings, confidence, reasoning))
    }
}

/// The day the tests' sample estate is judged on.
#[cfg(test)]
pub(crate) fn sample_today() -> NaiveDate {
    catalogue::ymd(2026, 11, 25)
}

/// lifecycle_analysis's findings on the sample estate on [`sample_today`].
#[cfg(test)]
pub(crate) fn sample_findings() -> Vec<TechDebtFinding> {
    LifecycleAnalysis
        .run(&LifecycleInput {
            assets: crate::agents::test_fixtures::sample::assets(),
            today: sample_today(),
        })
        .unwrap()
        .value
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::catalogue::{
        AIX, CATALOGUE, CENTOS, MSSQL, MYSQL, ORACLE, PG, RHEL, SLES, SOLARIS, UBUNTU, WIN, lookup, ymd,
    };
    use super::*;
    use crate::agents::test_fixtures::asset;

    fn id(text: &str, version: Option<&str>) -> Option<String> {
        identify(text, version).map(LifecycleEntry::display_name)
    }

    #[test]
    fn leaves_unknown_products_unknown() {
        for text in [
            "",
            "   ",
            "Linux",
            "Windows 10",
            "Win2k",
            "MariaDB 10.6",
            "Ubuntu 21.10",
            "MySQL 9.1",
            "PostgreSQL 9",
            "Oracle",
            "AIX 7",
            "Solaris 11.2",
            "Fedora 39",
            "R2",
            "2k",
            "...",
            "\u{1F600} 2008",
            "Ｗｉｎｄｏｗｓ Ｓｅｒｖｅｒ",
            "Windows Server 99999999999999999999.1",
            "SQL Server 4294967296",
        ] {
            let found = id(text, None);
            assert!(found.is_none() || text == "Win2k", "{text:?} gave {found:?}");
        }
        // `Win2k` is Windows 2000, which is catalogued.
        assert_eq!(id("Win2k", None).as_deref(), Some("Windows Server 2000"));
        assert_eq!(assess("Plan 9", None, sample_today()).status, LifecycleStatus::Unknown);
        assert_eq!(assess("Plan 9", None, sample_today()).support, None);
    }

    #[test]
    fn catalogue_is_consistent() {
        for e in CATALOGUE {
            assert!(
                e.mainstream_end <= e.standard_end && e.standard_end <= e.extended_end,
                "{e:?}"
            );
            assert!(
                ["windows", "linux", "unix", "database", "runtime"].contains(&e.family),
                "{e:?}"
            );
            assert_eq!(e.add_on.is_empty(), e.standard_end == e.extended_end, "{e:?}");
            assert_eq!(lookup(e.product, e.version), Some(e), "duplicate {e:?}");
            // Every entry is reachable from its own display name.
            assert_eq!(identify(&e.display_name(), None), Some(e), "{e:?}");
        }
        let required = [
            (
                WIN,
                &[
                    "2003", "2003 R2", "2008", "2008 R2", "2012", "2012 R2", "2016", "2019", "2022", "2025",
                ][..],
            ),
            (RHEL, &["5", "6", "7", "8", "9"]),
            (CENTOS, &["6", "7", "8"]),
            (UBUNTU, &["14.04", "16.04", "18.04", "20.04", "22.04", "24.04"]),
            (SLES, &["11", "12", "15"]),
            (SOLARIS, &["10", "11.4"]),
            (AIX, &["7.1", "7.2", "7.3"]),
            (
                MSSQL,
                &["2008", "2008 R2", "2012", "2014", "2016", "2017", "2019", "2022"],
            ),
            (ORACLE, &["11g R2", "12c R1", "12c R2", "18c", "19c", "21c", "23ai"]),
            (MYSQL, &["5.5", "5.6", "5.7", "8.0", "8.4"]),
        ];
        for (product, versions) in required {
            for v in versions {
                assert!(lookup(product, v).is_some(), "{product} {v}");
            }
        }
        assert_eq!(lookup(RHEL, "6").unwrap().extended_end, ymd(2024, 6, 30));
        assert_eq!(lookup(RHEL, "7").unwrap().mainstream_end, ymd(2024, 6, 30));
        assert_eq!(lookup(RHEL, "7").unwrap().extended_end, ymd(2028, 6, 30));
        assert_eq!(lookup(RHEL, "8").unwrap().mainstream_end, ymd(2029, 5, 31));
        assert_eq!(lookup(CENTOS, "6").unwrap().extended_end, ymd(2020, 11, 30));
        assert_eq!(lookup(CENTOS, "7").unwrap().extended_end, ymd(2024, 6, 30));
        assert_eq!(lookup(CENTOS, "8").unwrap().extended_end, ymd(2021, 12, 31));
        assert_eq!(lookup(AIX, "7.1").unwrap().extended_end, ymd(2023, 4, 30));
        assert_eq!(lookup(MYSQL, "8.0").unwrap().extended_end, ymd(2026, 4, 30));
    }

    #[test]
    fn status_boundaries() {
        let rhel6 = lookup(RHEL, "6").unwrap();
        use LifecycleStatus::*;
        // Last day of all support, and the day after.
        assert_eq!(status_on(rhel6, ymd(2024, 6, 30)), (EolSoon, SupportLevel::Extended));
        assert_eq!(status_on(rhel6, ymd(2024, 7, 1)), (EolExpired, SupportLevel::None));
        // Mainstream's last day, and the day after.
        assert_eq!(status_on(rhel6, ymd(2020, 11, 30)), (Active, SupportLevel::Mainstream));
        assert_eq!(status_on(rhel6, ymd(2020, 12, 1)), (Active, SupportLevel::Extended));
        // The 12-month window: exactly 12 months ahead is soon, a day more is not.
        assert_eq!(status_on(rhel6, ymd(2023, 6, 30)), (EolSoon, SupportLevel::Extended));
        assert_eq!(status_on(rhel6, ymd(2023, 6, 29)), (Active, SupportLevel::Extended));
        // Single-phase products are soon while still in mainstream.
        let pg14 = lookup(PG, "14").unwrap();
        assert_eq!(status_on(pg14, ymd(2026, 1, 1)), (EolSoon, SupportLevel::Mainstream));
        assert_eq!(status_on(pg14, sample_today()), (EolExpired, SupportLevel::None));
        let w2016 = lookup(WIN, "2016").unwrap();
        assert_eq!(status_on(w2016, sample_today()), (Active, SupportLevel::Extended));
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
        // Not expired: supported or extended-only.
        assert!(by_key("batch0013").is_none());
        // Ubuntu 22.04: standard support ends 2027-04-30, then only ESM — flagged, not expired.
        let ubuntu = by_key("web0012").unwrap();
        assert_eq!(
            (ubuntu.severity.as_str(), ubuntu.lifecycle_status, ubuntu.support_level),
            ("medium", Some(LifecycleStatus::Active), Some(SupportLevel::Mainstream))
        );
        assert!(ubuntu.description.contains("2027-04-30"), "{}", ubuntu.description);
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
        a.operating_system = Some("RHEL 9".into());
        assert!(finding_for(&a, identify_asset(&a).unwrap(), sample_today()).is_none());
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
}
