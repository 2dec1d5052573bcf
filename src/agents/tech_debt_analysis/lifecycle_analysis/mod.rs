//! `lifecycle_analysis` (tech_debt_analysis): one finding per asset whose operating system or
//! database product is past, or near, the end of its support, plus one for a catalogued runtime
//! named in its attributes. Products are identified ([`identify`](mod@identify)) against the built-in
//! [`catalogue`]; their status on the given day decides the finding and its severity.

pub mod catalogue;
mod front_matter;
pub mod identify;
pub mod normalize;
mod schemes;
pub mod snapshot;

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::agents::types::{
    Agent, AgentError, AgentOutput, AssetFacts, LifecycleStatus, SupportLevel, TechDebtFinding,
};
use crate::agents::vocabulary::business_criticality::criticality;
use crate::agents::vocabulary::environments::is_production;
use crate::domain::PhaseName;
use catalogue::{LifecycleEntry, SupportEnd, catalogue};
use identify::{Recognised, identify, identify_runtime, recognise, recognise_asset_with};

/// The window in which support ending counts as "soon".
pub const EOL_SOON_MONTHS: u32 = 12;

/// Whether `date` falls within the next `EOL_SOON_MONTHS` of `today` (today included).
fn within_soon_window(end: SupportEnd, today: NaiveDate) -> bool {
    let Some(date) = end.date() else {
        return false;
    };
    match today.checked_add_months(Months::new(EOL_SOON_MONTHS)) {
        Some(limit) => date >= today && date <= limit,
        None => date >= today,
    }
}

/// Lifecycle status and support level of a catalogued product on `today`. The end dates are the
/// last supported days. EOL_SOON means ALL support (add-ons included) ends within 12 months,
/// whatever phase the product is in now.
pub fn status_on(entry: &LifecycleEntry, today: NaiveDate) -> (LifecycleStatus, SupportLevel) {
    if entry.extended_end.over_on(today) {
        return (LifecycleStatus::EolExpired, SupportLevel::None);
    }
    let support = if entry.mainstream_end.over_on(today) {
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
            if has_add_on && entry.standard_end.over_on(today) {
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
            let add_on_only = has_add_on && entry.standard_end.over_on(today);
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
    let mut description = description;
    if !entry.note.is_empty() {
        description.push_str(&format!(" Note: {}.", entry.note));
    }
    Some(TechDebtFinding {
        asset_key: asset.key.clone(),
        category: category_of(entry).to_string(),
        severity: severity.to_string(),
        description,
        end_of_life: entry.extended_end.date(),
        lifecycle_status: Some(status),
        support_level: Some(support),
    })
}

fn category_of(entry: &LifecycleEntry) -> &'static str {
    match entry.family.as_str() {
        "database" => "database",
        "runtime" => "runtime",
        _ => "operating_system",
    }
}

/// [`finding_for`] for a recognised product, saying so when the text fits several releases and
/// the longest-supported was taken, and when the update it names is past its own support while the
/// release is not (a routine update to the latest one: a low finding at most, never an expiry).
pub fn finding_for_recognised(asset: &AssetFacts, r: &Recognised, today: NaiveDate) -> Option<TechDebtFinding> {
    let entry = r.entry?;
    let stale_update = r
        .update
        .filter(|u| u.extended_end.over_on(today) && !entry.extended_end.over_on(today))
        .zip(catalogue::latest_update(entry))
        .filter(|(named, latest)| named != latest);
    let mut finding = match (finding_for(asset, entry, today), stale_update) {
        (Some(f), _) => f,
        (None, Some(_)) => {
            let (status, support) = status_on(entry, today);
            TechDebtFinding {
                asset_key: asset.key.clone(),
                category: category_of(entry).to_string(),
                severity: "low".to_string(),
                description: format!("{}: supported until {}.", entry.display_name(), entry.extended_end),
                end_of_life: entry.extended_end.date(),
                lifecycle_status: Some(status),
                support_level: Some(support),
            }
        }
        (None, None) => return None,
    };
    if let Some((named, latest)) = stale_update {
        finding.description.push_str(&format!(
            " The record gives {} {}, whose service-pack support ended {}: move to the current one, {} \
             (an update within the release, not a migration).",
            named.product, named.version, named.extended_end, latest.version
        ));
    }
    if r.ambiguous {
        finding.description.push_str(&format!(
            " The record gives {} {} without the release: read as {}, the longest-supported release that fits.",
            r.line.product,
            r.version.as_deref().unwrap_or("?"),
            entry.version
        ));
    }
    Some(finding)
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
        let mut families: Vec<String> = Vec::new();
        let mut family_count = 0usize;
        // Exports repeat a few dozen product strings over thousands of rows: read each once.
        let mut seen: HashMap<(String, Option<String>), Option<Recognised>> = HashMap::new();
        let mut read = |text: &str, version: Option<&str>| {
            seen.entry((text.to_string(), version.map(str::to_string)))
                .or_insert_with(|| recognise(text, version))
                .clone()
        };
        for asset in &input.assets {
            let named = asset.operating_system.as_deref().is_some_and(|s| !s.trim().is_empty())
                || asset.os_version.as_deref().is_some_and(|s| !s.trim().is_empty());
            if named {
                with_product += 1;
            }
            match recognise_asset_with(asset, &mut read) {
                Some(r) if r.entry.is_some() => {
                    identified += 1;
                    findings.extend(finding_for_recognised(asset, &r, today));
                }
                Some(_) => {
                    family_count += 1;
                    let text = asset.operating_system.clone().unwrap_or_default();
                    if families.len() < 3 && !families.contains(&text) {
                        families.push(text);
                    }
                }
                None => {}
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
        let unknown = with_product.saturating_sub(identified + family_count);
        // Sure of what the catalogue identified; every product it could not place lowers that.
        let confidence = if with_product == 0 {
            0.9
        } else {
            0.5 + 0.45 * identified.min(with_product) as f64 / with_product as f64
        };
        let cat = catalogue();
        let mut reasoning = format!(
            "On {today}: {expired} past end of support, {soon} with all support ending within 12 months, \
             {reduced} on or within 12 months of paid add-on support only, {extended} on extended support; \
             {identified} of {} assets' products identified in the catalogue (endoflife.date snapshot {} of {}), \
             {unknown} named but not catalogued.",
            input.assets.len(),
            cat.snapshot_commit.get(..12).unwrap_or(&cat.snapshot_commit),
            cat.snapshot_date,
        );
        if family_count > 0 {
            let quoted: Vec<String> = families.iter().map(|f| format!("`{f}`")).collect();
            reasoning.push_str(&format!(
                " {family_count} name a product family but no release ({}): their support cannot be judged \
                 until the release is known.",
                quoted.join(", ")
            ));
        }
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
mod fr_export_tests;
#[cfg(test)]
mod identify_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod update_tests;
