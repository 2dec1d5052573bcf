//! `security_risk` (tech_debt_analysis): a 0–100 risk score per asset from its end-of-life
//! findings, its exposure (public/DMZ hints, a public IP, web-ish names), its environment and its
//! business criticality; critical and high risks become `security` findings.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agents::types::{
    Agent, AgentError, AgentOutput, AssetFacts, LifecycleStatus, SupportLevel, TechDebtFinding,
};
use crate::agents::vocabulary::business_criticality::criticality;
use crate::agents::vocabulary::environments::is_production;
use crate::agents::vocabulary::text::words;
use crate::domain::PhaseName;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskInput {
    pub assets: Vec<AssetFacts>,
    pub findings: Vec<TechDebtFinding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskScore {
    pub asset_key: String,
    /// 0–100.
    pub score: u8,
    /// critical, high, medium, low.
    pub level: String,
    pub reasons: Vec<String>,
}

/// Points per factor; the maxima add up to 100 (EOL 45 + exposure 30 + environment 10 + criticality 15).
pub const RISK_EOL_EXPIRED: u32 = 45;
pub const RISK_EOL_SOON: u32 = 25;
/// Extended support only, or standard support ending with only a paid add-on after it.
pub const RISK_EXTENDED_ONLY: u32 = 10;
pub const RISK_EXPOSURE_EXPLICIT: u32 = 20;
pub const RISK_EXPOSURE_ROLE: u32 = 10;
pub const RISK_PUBLIC_IP: u32 = 20;
pub const RISK_EXPOSURE_CAP: u32 = 30;
pub const RISK_PRODUCTION: u32 = 10;
pub const RISK_DR_OR_STAGING: u32 = 5;

/// Level thresholds: critical ≥ 70, high ≥ 50, medium ≥ 25, else low.
pub fn risk_level(score: u8) -> &'static str {
    match score {
        70.. => "critical",
        50..=69 => "high",
        25..=49 => "medium",
        _ => "low",
    }
}

/// Scores every asset from end-of-life findings, exposure (public/DMZ hints, a public IP, web-ish
/// names) and business criticality.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecurityRisk;

const EXPLICIT_EXPOSURE: &[&str] = &["dmz", "public", "internet", "external", "extranet", "edge", "perimeter"];
const EXPOSED_ROLES: &[&str] = &["web", "www", "proxy", "gateway", "portal", "vpn", "mail", "smtp", "ftp"];

/// Whether an IPv4 address is routable on the internet (not RFC 1918, loopback, link-local, CGNAT,
/// documentation, multicast or reserved).
pub fn is_public_ipv4(address: &str) -> bool {
    let Ok(ip) = address.trim().parse::<Ipv4Addr>() else {
        return false;
    };
    let [a, b, ..] = ip.octets();
    let cgnat = a == 100 && (64..=127).contains(&b);
    let reserved = a == 0 || a >= 240;
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_documentation()
        || ip.is_multicast()
        || ip.is_broadcast()
        || cgnat
        || reserved)
}

fn exposure(asset: &AssetFacts, reasons: &mut Vec<String>) -> u32 {
    let names = [
        Some(asset.key.as_str()),
        Some(asset.name.as_str()),
        asset.hostname.as_deref(),
        asset.fqdn.as_deref(),
    ];
    let mut name_words: Vec<String> = Vec::new();
    for name in names.iter().flatten() {
        name_words.extend(words(&name.to_lowercase()).map(str::to_string));
    }
    let mut explicit = name_words.iter().any(|w| EXPLICIT_EXPOSURE.contains(&w.as_str()));
    // Attributes: `zone: DMZ`, `internet_facing: true`, `exposure: public`.
    for (key, value) in &asset.attributes {
        let key = key.to_lowercase();
        let key_hint = EXPLICIT_EXPOSURE.iter().any(|h| key.contains(h)) || key.contains("facing");
        match value {
            Value::Bool(true) if key_hint => explicit = true,
            Value::String(s) => {
                let s = s.to_lowercase();
                let relevant = key_hint
                    || ["zone", "exposure", "network", "segment", "tier", "tags"]
                        .iter()
                        .any(|k| key.contains(k));
                if relevant && words(&s).any(|w| EXPLICIT_EXPOSURE.contains(&w)) {
                    explicit = true;
                }
                if key_hint && matches!(s.as_str(), "yes" | "true" | "y") {
                    explicit = true;
                }
            }
            _ => {}
        }
    }
    let mut points = 0;
    if explicit {
        points += RISK_EXPOSURE_EXPLICIT;
        reasons.push("marked as DMZ/public/internet-facing".to_string());
    } else if name_words
        .iter()
        .any(|w| EXPOSED_ROLES.iter().any(|r| w.starts_with(r)))
    {
        points += RISK_EXPOSURE_ROLE;
        reasons.push("name suggests an exposed role (web, proxy, gateway, ...)".to_string());
    }
    if let Some(ip) = asset.ip_address.as_deref().filter(|ip| is_public_ipv4(ip)) {
        points += RISK_PUBLIC_IP;
        reasons.push(format!("public IP address {}", ip.trim()));
    }
    points.min(RISK_EXPOSURE_CAP)
}

/// The risk of one asset given its lifecycle findings (security findings are ignored so a re-run
/// does not feed on itself).
pub fn score_asset(asset: &AssetFacts, findings: &[&TechDebtFinding]) -> RiskScore {
    let mut reasons = Vec::new();
    let mut score = 0u32;

    // End of life: the worst lifecycle finding counts.
    let mut worst: Option<(u32, &str, &str)> = None;
    for f in findings.iter().filter(|f| f.category != "security") {
        let (points, what) = match (f.lifecycle_status, f.support_level) {
            (Some(LifecycleStatus::EolExpired), _) => (RISK_EOL_EXPIRED, "past end of support"),
            (Some(LifecycleStatus::EolSoon), _) => (RISK_EOL_SOON, "support ends within 12 months"),
            (_, Some(SupportLevel::Extended)) => (RISK_EXTENDED_ONLY, "on extended support only"),
            (_, Some(SupportLevel::Mainstream)) => (RISK_EXTENDED_ONLY, "standard support ending, paid add-on after"),
            _ => (0, ""),
        };
        if points > worst.map_or(0, |w| w.0) {
            worst = Some((points, what, f.category.as_str()));
        }
    }
    if let Some((points, what, category)) = worst {
        score += points;
        reasons.push(format!("{} {what}", category.replace('_', " ")));
    }

    score += exposure(asset, &mut reasons);

    let env = asset.environment.as_deref().map(|e| e.trim().to_lowercase());
    if is_production(env.as_deref()) {
        score += RISK_PRODUCTION;
        reasons.push("production environment".to_string());
    } else if matches!(env.as_deref(), Some("dr" | "staging")) {
        score += RISK_DR_OR_STAGING;
        reasons.push(format!("{} environment", env.as_deref().unwrap_or_default()));
    }

    let crit_points = match criticality(asset).as_deref() {
        Some("critical") => 15,
        Some("high") => 10,
        Some("medium") => 5,
        _ => 0,
    };
    if crit_points > 0 {
        score += crit_points;
        reasons.push(format!(
            "business criticality {}",
            criticality(asset).unwrap_or_default()
        ));
    }

    let score = u8::try_from(score.min(100)).unwrap_or(100);
    if reasons.is_empty() {
        reasons.push("no end-of-life, exposure or criticality factors".to_string());
    }
    RiskScore {
        asset_key: asset.key.clone(),
        score,
        level: risk_level(score).to_string(),
        reasons,
    }
}

impl Agent for SecurityRisk {
    type Input = RiskInput;
    type Output = Vec<RiskScore>;
    const NAME: &'static str = "security_risk";
    const PHASE: PhaseName = PhaseName::TechDebtAnalysis;

    fn run(&self, input: &RiskInput) -> Result<AgentOutput<Vec<RiskScore>>, AgentError> {
        let mut by_asset: HashMap<&str, Vec<&TechDebtFinding>> = HashMap::new();
        for f in &input.findings {
            by_asset.entry(f.asset_key.as_str()).or_default().push(f);
        }
        let mut scores: Vec<RiskScore> = input
            .assets
            .iter()
            .map(|a| score_asset(a, by_asset.get(a.key.as_str()).map(Vec::as_slice).unwrap_or(&[])))
            .collect();
        scores.sort_by(|a, b| a.asset_key.cmp(&b.asset_key));
        let count = |level: &str| scores.iter().filter(|s| s.level == level).count();
        let reasoning = format!(
            "{} assets scored: {} critical, {} high, {} medium, {} low (end of life up to {RISK_EOL_EXPIRED}, \
             exposure up to {RISK_EXPOSURE_CAP}, environment up to {RISK_PRODUCTION}, criticality up to 15).",
            scores.len(),
            count("critical"),
            count("high"),
            count("medium"),
            count("low")
        );
        // Rules over recorded facts: as good as the exposure hints in the CMDB.
        Ok(AgentOutput::new(scores, 0.8, reasoning))
    }
}

/// A `security` finding for each critical or high risk.
pub fn security_findings(scores: &[RiskScore]) -> Vec<TechDebtFinding> {
    scores
        .iter()
        .filter(|s| matches!(s.level.as_str(), "critical" | "high"))
        .map(|s| TechDebtFinding {
            asset_key: s.asset_key.clone(),
            category: "security".to_string(),
            severity: s.level.clone(),
            description: format!("Security risk {}/100 ({}): {}.", s.score, s.level, s.reasons.join("; ")),
            end_of_life: None,
            lifecycle_status: None,
            support_level: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::tech_debt_analysis::lifecycle_analysis::identify::identify_asset;
    use crate::agents::tech_debt_analysis::lifecycle_analysis::{finding_for, sample_findings, sample_today};
    use crate::agents::test_fixtures::{asset, sample};

    #[test]
    fn risk_scores() {
        let assets = sample::assets();
        let findings = sample_findings();
        let risks = SecurityRisk
            .run(&RiskInput {
                assets: assets.clone(),
                findings,
            })
            .unwrap()
            .value;
        assert_eq!(risks.len(), assets.len());
        let risk = |k: &str| risks.iter().find(|r| r.asset_key == k).unwrap();
        // Expired, production, web-ish name.
        assert_eq!(risk("web0018").score, 65);
        assert_eq!(risk("web0018").level, "high");
        // Expired in test: medium.
        assert_eq!(risk("srv0006").level, "medium");
        // Supported production application with nothing else to say: low.
        assert_eq!(risk("reporting").score, 10);
        assert_eq!(risk("reporting").level, "low");
        assert!(risks.windows(2).all(|w| w[0].asset_key < w[1].asset_key));

        // Everything at once is capped at 100.
        let mut worst = asset("dmz-web01", "server");
        worst.ip_address = Some("8.8.8.8".into());
        worst.environment = Some("Production".into());
        worst.business_criticality = Some("critical".into());
        worst.operating_system = Some("Windows Server 2003".into());
        worst.attributes.insert("internet_facing".into(), Value::Bool(true));
        let f = finding_for(&worst, identify_asset(&worst).unwrap(), sample_today()).unwrap();
        let r = score_asset(&worst, &[&f]);
        assert_eq!((r.score, r.level.as_str()), (100, "critical"));
        assert!(r.reasons.iter().any(|x| x.contains("public IP")));

        // Exposure from attributes, and private addresses do not count.
        let mut dmz = asset("app7", "server");
        dmz.attributes
            .insert("network_zone".into(), Value::String("DMZ-2".into()));
        dmz.ip_address = Some("192.168.1.1".into());
        assert_eq!(score_asset(&dmz, &[]).score, RISK_EXPOSURE_EXPLICIT as u8);
        assert!(is_public_ipv4("8.8.8.8"));
        for private in [
            "10.1.1.1",
            "172.16.0.1",
            "192.168.0.1",
            "127.0.0.1",
            "100.64.1.1",
            "169.254.1.1",
            "bogus",
            "",
        ] {
            assert!(!is_public_ipv4(private), "{private}");
        }

        let security = security_findings(&risks);
        assert!(
            security
                .iter()
                .all(|f| f.category == "security" && matches!(f.severity.as_str(), "critical" | "high"))
        );
        assert_eq!(
            security.len(),
            risks
                .iter()
                .filter(|r| matches!(r.level.as_str(), "critical" | "high"))
                .count()
        );
        assert!(!security.is_empty());
        // Security findings fed back in do not change the score.
        let again = score_asset(&worst, &[&f, &security_findings(std::slice::from_ref(&r))[0]]);
        assert_eq!(again.score, r.score);
    }
}
