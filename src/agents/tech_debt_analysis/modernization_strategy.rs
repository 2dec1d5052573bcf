//! `modernization_strategy` (tech_debt_analysis): the 6R recommendation per asset: rules over the inventory, the
//! lifecycle findings, the risk scores and how many assets depend on each one.
//!
//! The rules, first match wins:
//! 1. An explicit tag (`migration_strategy: rehost`, `tags: do-not-migrate`, `status:
//!    decommissioned`) is obeyed.
//! 2. Retire: a non-production asset nothing depends on whose OS or database product is past end
//!    of support — nobody needs it enough to have kept it current.
//! 3. Retain: AIX, Solaris, HP-UX and mainframe-class platforms (no like-for-like x86 cloud target;
//!    they stay, or go to a specialist hosting service, with a later decision), and network devices.
//! 4. Repurchase: applications in commodity categories with mature SaaS replacements (CRM, payroll,
//!    HR, e-mail, billing, ITSM, intranet/collaboration, ...).
//! 5. Refactor: business-critical (or high) applications that many assets depend on or that carry
//!    a critical/high security risk: worth re-architecting rather than moving as they are.
//! 6. Replatform: databases (to a managed database service, upgrading the engine if it is out of
//!    support), storage (to managed cloud storage), and servers whose OS must be upgraded as part of
//!    the move: support over or ending within 12 months, or only a paid add-on (ESU, ELS, ESM) left
//!    or starting within 12 months.
//! 7. Rehost: everything else — applications move with their servers, servers on supported OSes
//!    lift and shift.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::lifecycle_analysis::catalogue::LifecycleEntry;
use super::lifecycle_analysis::identify::identify_asset;
use super::security_risk::RiskScore;
use crate::agents::dependency_analysis::network_topology::HUB_MIN_DEPENDENTS;
use crate::agents::types::{
    Agent, AgentError, AgentOutput, AssetFacts, LifecycleStatus, SixR, SixRDecision, TechDebtFinding,
};
use crate::agents::vocabulary::business_criticality::criticality;
use crate::agents::vocabulary::environments::is_production;
use crate::agents::vocabulary::text;
use crate::domain::PhaseName;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyInput {
    pub assets: Vec<AssetFacts>,
    pub findings: Vec<TechDebtFinding>,
    pub risks: Vec<RiskScore>,
    /// How many assets depend on each key (missing: none).
    pub dependents: HashMap<String, usize>,
}

/// One 6R decision per asset, in the order of the input.
#[derive(Debug, Clone, Copy, Default)]
pub struct ModernizationStrategy;

/// Application categories with mature SaaS replacements, matched against the words of the
/// application's name.
pub const SAAS_CATEGORIES: &[(&str, &str)] = &[
    ("crm", "CRM"),
    ("payroll", "payroll"),
    ("hr", "HR"),
    ("hris", "HR"),
    ("hcm", "HR"),
    ("email", "e-mail"),
    ("mail", "e-mail"),
    ("exchange", "e-mail"),
    ("billing", "billing"),
    ("invoicing", "billing"),
    ("itsm", "ITSM"),
    ("helpdesk", "ITSM"),
    ("servicedesk", "ITSM"),
    ("ticketing", "ITSM"),
    ("intranet", "intranet/collaboration"),
    ("wiki", "intranet/collaboration"),
    ("sharepoint", "intranet/collaboration"),
    ("expenses", "expenses"),
    ("expense", "expenses"),
    ("timesheet", "time tracking"),
    ("timesheets", "time tracking"),
    ("recruiting", "recruiting"),
    ("lms", "learning"),
];

/// Platforms kept where they are (matched against the OS text).
const LEGACY_PLATFORM_HINTS: &[&str] = &[
    "z/os",
    "zos",
    "os/390",
    "mvs",
    "mainframe",
    "as/400",
    "as400",
    "os/400",
    "ibm i",
    "iseries",
    "openvms",
    "vms",
];

/// The lower-case words of a text.
fn words(s: &str) -> Vec<String> {
    text::words(&s.to_lowercase()).map(str::to_string).collect()
}

fn strategy_named(text: &str) -> Option<SixR> {
    match text.trim().to_lowercase().replace(['-', '_'], " ").as_str() {
        "rehost" | "lift and shift" => Some(SixR::Rehost),
        "replatform" | "lift and reshape" => Some(SixR::Replatform),
        "refactor" | "rearchitect" | "re architect" => Some(SixR::Refactor),
        "repurchase" | "replace" | "saas" => Some(SixR::Repurchase),
        "retire" | "decommission" => Some(SixR::Retire),
        "retain" | "keep" => Some(SixR::Retain),
        _ => None,
    }
}

/// Rule 1: what the asset's attributes say about its fate.
fn tagged(asset: &AssetFacts) -> Option<(SixR, String)> {
    const STRATEGY_KEYS: &[&str] = &[
        "strategy",
        "migration_strategy",
        "six_r",
        "6r",
        "sixr",
        "disposition",
        "treatment",
    ];
    const NOTE_KEYS: &[&str] = &[
        "tags",
        "tag",
        "labels",
        "notes",
        "status",
        "lifecycle",
        "state",
        "comments",
    ];
    for (key, value) in &asset.attributes {
        let key_l = key.to_lowercase();
        let Value::String(text) = value else { continue };
        if STRATEGY_KEYS.contains(&key_l.as_str())
            && let Some(s) = strategy_named(text)
        {
            return Some((s, format!("`{key}` says `{}`", text.trim())));
        }
        if NOTE_KEYS.contains(&key_l.as_str()) {
            let t = text.to_lowercase();
            if [
                "do not migrate",
                "do-not-migrate",
                "keep on-prem",
                "keep on prem",
                "stay on-prem",
                "retain",
            ]
            .iter()
            .any(|h| t.contains(h))
            {
                return Some((SixR::Retain, format!("`{key}` says `{}`", text.trim())));
            }
            if ["decommission", "retire", "unused", "obsolete", "to be removed"]
                .iter()
                .any(|h| t.contains(h))
            {
                return Some((SixR::Retire, format!("`{key}` says `{}`", text.trim())));
            }
        }
    }
    None
}

fn legacy_platform(asset: &AssetFacts) -> Option<String> {
    if let Some(entry) = identify_asset(asset).filter(|e| e.family == "unix") {
        return Some(entry.display_name());
    }
    let os = asset.operating_system.as_deref().unwrap_or_default().to_lowercase();
    let os_words = words(&os);
    LEGACY_PLATFORM_HINTS
        .iter()
        .find(|h| {
            if h.contains(['/', ' ']) {
                os.contains(*h)
            } else {
                os_words.iter().any(|w| w == *h)
            }
        })
        .map(|_| asset.operating_system.clone().unwrap_or_default())
}

fn saas_category(asset: &AssetFacts) -> Option<&'static str> {
    let names = [
        Some(asset.name.as_str()),
        Some(asset.key.as_str()),
        asset.application.as_deref(),
    ];
    let all: Vec<String> = names.iter().flatten().flat_map(|n| words(n)).collect();
    SAAS_CATEGORIES
        .iter()
        .find(|(word, _)| all.iter().any(|w| w == word))
        .map(|(_, category)| *category)
}

/// The most severe lifecycle finding (not security) of an asset: expired before soon before
/// extended-only.
fn worst_lifecycle<'a>(findings: &[&'a TechDebtFinding]) -> Option<&'a TechDebtFinding> {
    let rank = |f: &TechDebtFinding| match f.lifecycle_status {
        Some(LifecycleStatus::EolExpired) => 3,
        Some(LifecycleStatus::EolSoon) => 2,
        Some(_) => 1,
        None => 0,
    };
    findings
        .iter()
        .copied()
        .filter(|f| f.category != "security" && rank(f) > 0)
        .max_by_key(|f| rank(f))
}

fn platform_finding<'a>(findings: &[&'a TechDebtFinding]) -> Option<&'a TechDebtFinding> {
    let platform: Vec<&TechDebtFinding> = findings
        .iter()
        .copied()
        .filter(|f| matches!(f.category.as_str(), "operating_system" | "database"))
        .collect();
    worst_lifecycle(&platform)
}

/// The lifecycle facts of a finding in a few words.
fn lifecycle_note(entry: Option<&LifecycleEntry>, f: &TechDebtFinding) -> String {
    let eol = f
        .end_of_life
        .map(|d| d.to_string())
        .unwrap_or_else(|| "an unknown date".to_string());
    match f.lifecycle_status {
        Some(LifecycleStatus::EolExpired) => format!("all support ended {eol}"),
        Some(LifecycleStatus::EolSoon) => format!("all support ends {eol}"),
        _ => match entry.filter(|e| !e.add_on.is_empty() && f.severity == "medium") {
            Some(e) => format!(
                "standard support to {}, then only {} to {}",
                e.standard_end, e.add_on, e.extended_end
            ),
            None => format!("extended support only, until {eol}"),
        },
    }
}

/// The OS or engine must be upgraded as part of a move: support is over or ends within 12 months,
/// or only a paid add-on is, or within 12 months will be, left (lifecycle_analysis rates those
/// `medium`).
fn needs_upgrade(f: &TechDebtFinding) -> bool {
    match f.lifecycle_status {
        Some(LifecycleStatus::EolExpired | LifecycleStatus::EolSoon) => true,
        _ => f.severity == "medium",
    }
}

fn product_of(asset: &AssetFacts) -> String {
    identify_asset(asset)
        .map(|e| e.display_name())
        .or_else(|| asset.operating_system.clone().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "an unrecorded platform".to_string())
}

fn dependents_phrase(n: usize) -> String {
    match n {
        0 => "nothing depends on it".to_string(),
        1 => "1 asset depends on it".to_string(),
        n => format!("{n} assets depend on it"),
    }
}

/// The decision for one asset, by the rules in the module documentation.
pub fn decide(
    asset: &AssetFacts,
    findings: &[&TechDebtFinding],
    risk: Option<&RiskScore>,
    dependents: usize,
) -> SixRDecision {
    let decision = |strategy: SixR, confidence: f64, rationale: String| SixRDecision {
        asset_key: asset.key.clone(),
        strategy,
        rationale,
        confidence,
    };
    let asset_type = asset.asset_type.trim().to_lowercase();
    let env = asset
        .environment
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty());
    let production = is_production(env.as_deref());
    let entry = identify_asset(asset);
    let platform = platform_finding(findings);
    let note = |f: &TechDebtFinding| lifecycle_note(entry, f);
    let expired = platform.filter(|f| f.lifecycle_status == Some(LifecycleStatus::EolExpired));
    let depended = dependents_phrase(dependents);
    let high_risk = risk.filter(|r| matches!(r.level.as_str(), "critical" | "high"));

    // 1. Explicit tags.
    if let Some((strategy, why)) = tagged(asset) {
        return decision(strategy, 0.95, format!("Tagged in the source: {why}."));
    }

    // 2. Retire: non-production (environment known), unused, out of support.
    if let (Some(env), Some(f), 0) = (env.as_deref(), expired, dependents)
        && !production
        && env != "dr"
    {
        return decision(
            SixR::Retire,
            0.75,
            format!(
                "Non-production ({env}) asset that nothing depends on, running {} ({}): retire it rather than \
                 migrate; confirm with its owner.",
                product_of(asset),
                note(f)
            ),
        );
    }

    // 3. Retain: legacy platforms, network devices.
    if let Some(platform_name) = legacy_platform(asset) {
        let lifecycle = platform
            .map(|f| format!(" Note: {}; plan an OS upgrade.", note(f)))
            .unwrap_or_default();
        return decision(
            SixR::Retain,
            0.8,
            format!(
                "Runs {platform_name}, a Unix/legacy platform with no like-for-like x86 cloud target: \
                 retain in place (or move to specialist hosting) and revisit.{lifecycle}"
            ),
        );
    }
    if asset_type == "network_device" {
        return decision(
            SixR::Retain,
            0.6,
            "Network device: the on-premises network stays for what remains; the cloud network is built, not migrated."
                .to_string(),
        );
    }

    if asset_type == "application" {
        // 4. Repurchase: commodity capability.
        if let Some(category) = saas_category(asset) {
            return decision(
                SixR::Repurchase,
                0.75,
                format!(
                    "{} is a commodity {category} capability with mature SaaS replacements: repurchase rather than \
                     migrate ({}; {depended}).",
                    asset.name,
                    env.as_deref().unwrap_or("environment unknown")
                ),
            );
        }
        // 5. Refactor: critical and central or risky.
        let crit = criticality(asset);
        let important = matches!(crit.as_deref(), Some("critical" | "high"));
        if important && (dependents >= HUB_MIN_DEPENDENTS || high_risk.is_some()) {
            let why = match high_risk {
                Some(r) => format!("security risk {} ({}/100)", r.level, r.score),
                None => format!("{dependents} dependents"),
            };
            return decision(
                SixR::Refactor,
                0.65,
                format!(
                    "Business-{} application with {why}: worth re-architecting for the cloud rather than moving as is.",
                    crit.unwrap_or_default()
                ),
            );
        }
        // 7. Rehost (applications move with their servers).
        return decision(
            SixR::Rehost,
            0.6,
            format!(
                "{} is not a commodity SaaS category and not flagged for re-architecture: it moves with its \
                 servers and databases, whose own decisions cover platform changes.",
                asset.name
            ),
        );
    }

    // 6. Replatform: databases, storage, servers on an OS at or near end of support.
    if asset_type == "database" {
        let (detail, confidence) = match platform {
            Some(f) if needs_upgrade(f) => (
                format!(
                    "Database on {} ({}): move it to a managed database service on a supported engine version",
                    product_of(asset),
                    note(f)
                ),
                0.85,
            ),
            _ => (
                format!(
                    "Database on {}: move it to a managed database service",
                    product_of(asset)
                ),
                0.75,
            ),
        };
        return decision(SixR::Replatform, confidence, format!("{detail}; {depended}."));
    }
    if asset_type == "storage" {
        return decision(
            SixR::Replatform,
            0.6,
            "Storage: move the data to managed cloud storage rather than the array.".to_string(),
        );
    }
    if let Some(f) = platform.filter(|f| needs_upgrade(f)) {
        return decision(
            SixR::Replatform,
            0.8,
            format!(
                "Runs {} ({}): the OS must be upgraded as part of the move, so replatform onto a supported image; \
                 {depended}.",
                product_of(asset),
                note(f)
            ),
        );
    }

    // 7. Rehost.
    match entry {
        Some(entry) => {
            let note = platform.map(|f| format!(" ({})", note(f))).unwrap_or_default();
            decision(
                SixR::Rehost,
                0.8,
                format!(
                    "Runs {}{note}, a supported platform: lift and shift as is; {depended}.",
                    entry.display_name()
                ),
            )
        }
        None => decision(
            SixR::Rehost,
            0.5,
            format!(
                "Platform {} is not in the lifecycle catalogue: rehost by default, but confirm the OS first; \
                 {depended}.",
                asset
                    .operating_system
                    .as_deref()
                    .filter(|s| !s.trim().is_empty())
                    .unwrap_or("unrecorded")
            ),
        ),
    }
}

impl Agent for ModernizationStrategy {
    type Input = StrategyInput;
    type Output = Vec<SixRDecision>;
    const NAME: &'static str = "modernization_strategy";
    const PHASE: PhaseName = PhaseName::TechDebtAnalysis;

    fn run(&self, input: &StrategyInput) -> Result<AgentOutput<Vec<SixRDecision>>, AgentError> {
        let mut findings: HashMap<&str, Vec<&TechDebtFinding>> = HashMap::new();
        for f in &input.findings {
            findings.entry(f.asset_key.as_str()).or_default().push(f);
        }
        let risks: HashMap<&str, &RiskScore> = input.risks.iter().map(|r| (r.asset_key.as_str(), r)).collect();
        let decisions: Vec<SixRDecision> = input
            .assets
            .iter()
            .map(|a| {
                let key = a.key.as_str();
                decide(
                    a,
                    findings.get(key).map(Vec::as_slice).unwrap_or(&[]),
                    risks.get(key).copied(),
                    input.dependents.get(key).copied().unwrap_or(0),
                )
            })
            .collect();

        let mut counts: Vec<(SixR, usize)> = Vec::new();
        for d in &decisions {
            match counts.iter_mut().find(|(s, _)| *s == d.strategy) {
                Some((_, n)) => *n += 1,
                None => counts.push((d.strategy, 1)),
            }
        }
        let summary: Vec<String> = counts
            .iter()
            .map(|(s, n)| format!("{n} {}", format!("{s:?}").to_lowercase()))
            .collect();
        let confidence = if decisions.is_empty() {
            0.9
        } else {
            decisions.iter().map(|d| d.confidence).sum::<f64>() / decisions.len() as f64
        };
        let reasoning = format!(
            "{} assets: {} (rules: tag, retire unused out-of-support non-production, retain legacy platforms, \
             repurchase commodity apps, refactor critical central apps, replatform databases and end-of-support \
             servers, else rehost).",
            decisions.len(),
            if summary.is_empty() {
                "none".to_string()
            } else {
                summary.join(", ")
            }
        );
        Ok(AgentOutput::new(decisions, confidence, reasoning))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::agents::asset_table::AssetTable;
    use crate::agents::dependency_analysis::dependency_mapping::{DependencyMapping, dependents_count};
    use crate::agents::tech_debt_analysis::lifecycle_analysis::{finding_for, sample_findings, sample_today};
    use crate::agents::tech_debt_analysis::security_risk::{RiskInput, SecurityRisk};
    use crate::agents::test_fixtures::{asset, sample};

    /// The decision for one asset, with its lifecycle finding computed as the pipeline would.
    fn decide_one(a: &AssetFacts, dependents: usize, risk: Option<&RiskScore>) -> SixRDecision {
        let finding = identify_asset(a).and_then(|e| finding_for(a, e, sample_today()));
        let findings: Vec<&TechDebtFinding> = finding.iter().collect();
        decide(a, &findings, risk, dependents)
    }

    fn server(name: &str, os: &str, env: &str) -> AssetFacts {
        let mut a = asset(name, "server");
        a.operating_system = Some(os.to_string());
        a.environment = Some(env.to_string());
        a
    }

    #[test]
    fn tags_win() {
        let mut a = server("s1", "RHEL 9", "production");
        a.attributes
            .insert("Migration_Strategy".into(), Value::String("Retire".into()));
        assert_eq!(decide_one(&a, 4, None).strategy, SixR::Retire);
        let mut b = server("s2", "RHEL 9", "production");
        b.attributes
            .insert("tags".into(), Value::String("pci, do-not-migrate".into()));
        let d = decide_one(&b, 0, None);
        assert_eq!((d.strategy, d.confidence), (SixR::Retain, 0.95));
        assert!(d.rationale.contains("do-not-migrate"));
    }

    #[test]
    fn retire_only_unused_non_production_out_of_support() {
        let dev = server("old", "Windows Server 2008 R2", "development");
        assert_eq!(decide_one(&dev, 0, None).strategy, SixR::Retire);
        // Something depends on it, or it is production, or the environment is unknown: replatform.
        assert_eq!(decide_one(&dev, 1, None).strategy, SixR::Replatform);
        let prod = server("old2", "Windows Server 2008 R2", "production");
        assert_eq!(decide_one(&prod, 0, None).strategy, SixR::Replatform);
        let mut unknown = server("old3", "Windows Server 2008 R2", "");
        unknown.environment = None;
        assert_eq!(decide_one(&unknown, 0, None).strategy, SixR::Replatform);
        // Supported: nothing to retire for.
        let fine = server("new", "Windows Server 2022", "development");
        assert_eq!(decide_one(&fine, 0, None).strategy, SixR::Rehost);
    }

    #[test]
    fn retain_legacy_platforms_and_network_devices() {
        for os in [
            "Oracle Solaris 11.4",
            "AIX 7.3",
            "HP-UX 11.31",
            "z/OS 2.5",
            "OpenVMS 8.4",
        ] {
            let d = decide_one(&server("big", os, "production"), 2, None);
            assert_eq!(d.strategy, SixR::Retain, "{os}");
        }
        let aix = decide_one(&server("p1", "AIX 7.1", "production"), 1, None);
        assert!(aix.rationale.contains("2023-04-30"), "{}", aix.rationale);
        assert_eq!(
            decide_one(&asset("core-sw1", "network_device"), 10, None).strategy,
            SixR::Retain
        );
    }

    #[test]
    fn applications() {
        for name in [
            "CRM",
            "HR Portal",
            "Payroll",
            "Corporate Email",
            "ServiceNow ITSM",
            "Billing",
        ] {
            assert_eq!(
                decide_one(&asset(name, "application"), 0, None).strategy,
                SixR::Repurchase,
                "{name}"
            );
        }
        // `threshold` and `share` contain `hr`, but not as a word.
        assert_eq!(
            decide_one(&asset("Threshold Monitor", "application"), 0, None).strategy,
            SixR::Rehost
        );

        let mut core = asset("Trading Engine", "application");
        core.business_criticality = Some("critical".into());
        assert_eq!(decide_one(&core, 5, None).strategy, SixR::Refactor);
        let risky = RiskScore {
            asset_key: "trading engine".into(),
            score: 72,
            level: "critical".into(),
            reasons: vec![],
        };
        assert_eq!(decide_one(&core, 0, Some(&risky)).strategy, SixR::Refactor);
        assert_eq!(decide_one(&core, 0, None).strategy, SixR::Rehost);
        core.business_criticality = Some("low".into());
        assert_eq!(decide_one(&core, 9, None).strategy, SixR::Rehost);
    }

    #[test]
    fn databases_storage_and_servers() {
        let mut db = asset("orders_db", "database");
        db.operating_system = Some("PostgreSQL 16".into());
        db.environment = Some("production".into());
        let d = decide_one(&db, 2, None);
        assert_eq!(d.strategy, SixR::Replatform);
        assert!(
            d.rationale.contains("PostgreSQL 16") && d.rationale.contains("2 assets depend"),
            "{}",
            d.rationale
        );
        assert_eq!(
            decide_one(&asset("san01", "storage"), 3, None).strategy,
            SixR::Replatform
        );
        let soon = server("w16", "Windows Server 2019", "production");
        // Supported today: rehost.
        assert_eq!(decide_one(&soon, 1, None).strategy, SixR::Rehost);
        let unknown = server("x", "Haiku R1", "production");
        let d = decide_one(&unknown, 0, None);
        assert_eq!((d.strategy, d.confidence), (SixR::Rehost, 0.5));
        let d = decide_one(&asset("thing", "other"), 0, None);
        assert_eq!(d.strategy, SixR::Rehost);
        assert!(d.rationale.contains("unrecorded"));
    }

    #[test]
    fn sample_gets_one_decision_per_asset() {
        let assets = sample::assets();
        let table = AssetTable::from_facts(&assets);
        let edges = DependencyMapping.run(&table).unwrap().value.edges;
        let findings = sample_findings();
        let risks = SecurityRisk
            .run(&RiskInput {
                assets: assets.clone(),
                findings: findings.clone(),
            })
            .unwrap()
            .value;
        let input = StrategyInput {
            assets: assets.clone(),
            findings,
            risks,
            dependents: dependents_count(&table, &edges),
        };
        let out = ModernizationStrategy.run(&input).unwrap();
        let decisions = &out.value;
        assert_eq!(decisions.len(), 30);
        let keys: Vec<&str> = decisions.iter().map(|d| d.asset_key.as_str()).collect();
        let expected: Vec<&str> = assets.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, expected);
        assert!(
            decisions
                .iter()
                .all(|d| !d.rationale.is_empty() && (0.0..=1.0).contains(&d.confidence))
        );
        let of = |k: &str| decisions.iter().find(|d| d.asset_key == k).unwrap().strategy;
        for app in ["crm", "payroll", "billing", "intranet"] {
            assert_eq!(of(app), SixR::Repurchase, "{app}");
        }
        assert_eq!(of("reporting"), SixR::Rehost);
        assert_eq!(of("data warehouse"), SixR::Rehost);
        for db in [
            "crm_db",
            "payroll_db",
            "billing_db",
            "intranet_db",
            "data_warehouse_db",
            "reporting_db",
        ] {
            assert_eq!(of(db), SixR::Replatform, "{db}");
        }
        for unix in ["web0017", "app0008", "batch0010"] {
            assert_eq!(of(unix), SixR::Retain, "{unix}");
        }
        for expired in ["web0018", "batch0016", "srv0006", "web0015"] {
            assert_eq!(of(expired), SixR::Replatform, "{expired}");
        }
        // Windows 2016 (standard support ends 2027-01-12, then paid ESU), Ubuntu 20.04 (ESM only)
        // and Ubuntu 22.04 (standard support ends 2027-04-30): upgrade on the way.
        for add_on in ["srv0014", "app0001", "web0012"] {
            assert_eq!(of(add_on), SixR::Replatform, "{add_on}");
        }
        let srv0014 = decisions.iter().find(|d| d.asset_key == "srv0014").unwrap();
        assert!(srv0014.rationale.contains("2027-01-12"), "{}", srv0014.rationale);
        for ok in ["app0003", "web0002", "batch0013"] {
            assert_eq!(of(ok), SixR::Rehost, "{ok}");
        }
        // Deterministic.
        assert_eq!(ModernizationStrategy.run(&input).unwrap(), out);
        // Nothing in, nothing out.
        let empty = StrategyInput {
            assets: vec![],
            findings: vec![],
            risks: vec![],
            dependents: HashMap::new(),
        };
        assert!(ModernizationStrategy.run(&empty).unwrap().value.is_empty());
    }
}
