//! Columns placed by their values: an unmapped column, or one whose values contradict its
//! header's attribute, takes an attribute no other column maps when its values are unmistakable
//! (addresses, FQDNs, operating systems, environment names or asset classes in any language the
//! vocabulary knows, owners, cells that name other rows of the file), whatever its header says.

use std::collections::HashSet;

use super::detectors::{
    Detector, MIN_VALUES, detects, is_core_environment, is_host_name, is_ip_list, is_named_asset_type, is_os_family,
    is_os_name, is_owner,
};
use super::evidence::{RowIdentities, ValueProfile};
use crate::agents::types::{FieldMapping, SourceRecord};
use crate::agents::vocabulary::value_shapes::{is_fqdn, is_ip, parse_number};

/// What an attribute's values must look like for a column to take it on their evidence alone.
struct Rule {
    detector: Detector,
    /// Least share of the sampled values that fit.
    share: f64,
    /// Fewest distinct values (one repeated word proves little).
    distinct: usize,
    /// Most distinct values per value: owners and classes repeat, identities don't.
    max_variety: f64,
}

const fn rule(detector: Detector, share: f64, distinct: usize, max_variety: f64) -> Rule {
    Rule {
        detector,
        share,
        distinct,
        max_variety,
    }
}

const RULES: &[Rule] = &[
    rule(detects("ip_address", "IP addresses", is_ip_list), 0.9, 1, 1.0),
    rule(detects("fqdn", "fully qualified domain names", is_fqdn), 0.9, 1, 1.0),
    rule(
        detects(
            "operating_system",
            "operating system or database product names",
            is_os_name,
        ),
        0.9,
        2,
        1.0,
    ),
    rule(
        detects("environment", "environment names", is_core_environment),
        0.9,
        1,
        1.0,
    ),
    rule(detects("asset_type", "asset classes", is_named_asset_type), 0.9, 2, 0.5),
    rule(
        detects("owner", "people, e-mail addresses or teams", is_owner),
        0.9,
        2,
        0.6,
    ),
];

/// Least share of a dependency column's filled cells that must name other rows.
const DEPENDENCY_SHARE: f64 = 0.8;
/// A dependency column varies; an application column, naming rows too, repeats.
const DEPENDENCY_VARIETY: f64 = 0.5;
/// An identity column: nearly every value different.
const IDENTITY_VARIETY: f64 = 0.9;

/// A column placed by its values: which, where, how surely, and why.
struct Placement {
    column: usize,
    attribute: &'static str,
    share: f64,
    why: String,
}

/// Places what the values make unmistakable; returns how many columns changed.
/// `contradicted` marks mapped columns whose values contradict their attribute.
pub(super) fn place_by_values(
    mappings: &mut [FieldMapping],
    records: &[SourceRecord],
    contradicted: &[bool],
    agent: &str,
) -> usize {
    let columns: Vec<&str> = mappings.iter().map(|m| m.source_field.as_str()).collect();
    let detectors: Vec<Detector> = RULES.iter().map(|r| r.detector).collect();
    let mut taken: HashSet<String> = mappings.iter().filter_map(|m| m.target_attribute.clone()).collect();
    let open = |i: usize| mappings[i].target_attribute.is_none() || contradicted[i];

    let mut placements: Vec<Placement> = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        if !open(i) {
            continue;
        }
        let profile = ValueProfile::of(column, records, &detectors);
        if profile.values < MIN_VALUES {
            continue;
        }
        for (index, r) in RULES.iter().enumerate() {
            let share = profile.share(index);
            if share >= r.share && profile.distinct >= r.distinct && profile.variety() <= r.max_variety {
                // A mixed OS column holds database engines on database rows, but mostly systems.
                if r.detector.attribute == "operating_system" && family_share(column, records) < 0.5 {
                    continue;
                }
                placements.push(Placement {
                    column: i,
                    attribute: r.detector.attribute,
                    share,
                    why: format!(
                        "{:.0}% of {} sampled values look like {}{}",
                        share * 100.0,
                        profile.values,
                        r.detector.looks_like,
                        profile.quoted_examples()
                    ),
                });
            }
        }
        // Cells naming other rows: varied, a dependency column; repeated, an application column
        // (servers name the application rows they belong to).
        let identities = RowIdentities::of(records, &columns, column);
        let (naming, filled) = identities.cells_naming_rows(records, column);
        let share = naming as f64 / filled.max(1) as f64;
        if filled >= MIN_VALUES && share >= DEPENDENCY_SHARE {
            let (attribute, what) = if profile.variety() >= DEPENDENCY_VARIETY {
                (
                    "depends_on",
                    "name other rows of the file by name, host, FQDN or address",
                )
            } else {
                ("application", "repeat a few names that are rows of the file themselves")
            };
            placements.push(Placement {
                column: i,
                attribute,
                share,
                why: format!("{naming} of {filled} sampled cells {what}{}", profile.quoted_examples()),
            });
        }
    }
    // No identity mapped at all: the leftmost unmapped column of distinct host names or short
    // names is it.
    let unmapped = |i: usize| mappings[i].target_attribute.is_none();
    if !["name", "hostname", "fqdn"].iter().any(|a| taken.contains(*a))
        && let Some(p) = identity_column(&columns, records, &unmapped)
    {
        placements.push(p);
    }

    // Surest first; an attribute and a column are placed once.
    placements.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.column.cmp(&b.column)));
    let mut moved: HashSet<usize> = HashSet::new();
    for p in placements {
        if taken.contains(p.attribute) || moved.contains(&p.column) {
            continue;
        }
        let m = &mut mappings[p.column];
        let header = match m.target_attribute.as_deref() {
            Some(old) => format!("the header suggested {old}, which its values contradict"),
            None => "the header alone placed nothing".to_string(),
        };
        m.reasoning = format!(
            "Decided by its values: {} and no other column maps {}; {header}. Header evidence: {}",
            p.why, p.attribute, m.reasoning
        );
        m.target_attribute = Some(p.attribute.to_string());
        m.confidence = (0.6 + 0.3 * p.share).min(0.9);
        m.agent = agent.to_string();
        taken.insert(p.attribute.to_string());
        moved.insert(p.column);
    }
    moved.len()
}

/// Share of a column's values that name an operating-system family (not a database engine).
fn family_share(column: &str, records: &[SourceRecord]) -> f64 {
    let family = [detects("operating_system", "", is_os_family)];
    ValueProfile::of(column, records, &family).share(0)
}

fn identity_column(columns: &[&str], records: &[SourceRecord], open: &dyn Fn(usize) -> bool) -> Option<Placement> {
    let shapes = [
        detects("hostname", "host names", is_host_name),
        detects("name", "names", is_short_name),
    ];
    for (i, column) in columns.iter().enumerate() {
        if !open(i) {
            continue;
        }
        let profile = ValueProfile::of(column, records, &shapes);
        if profile.values < MIN_VALUES
            || profile.variety() < IDENTITY_VARIETY
            || (profile.values as f64) < 0.9 * records.len() as f64
        {
            continue;
        }
        let (attribute, index) = if profile.share(0) >= 0.9 {
            ("hostname", 0)
        } else {
            ("name", 1)
        };
        let share = profile.share(index);
        if share < 0.9 {
            continue;
        }
        return Some(Placement {
            column: i,
            attribute,
            share,
            why: format!(
                "it is the first column whose {} values are nearly all filled and all different, {:.0}% of them \
                 {}{}",
                profile.values,
                share * 100.0,
                shapes[index].looks_like,
                profile.quoted_examples()
            ),
        });
    }
    None
}

/// A short label that is not a number or an address: a name.
fn is_short_name(t: &str) -> bool {
    t.chars().count() <= 64 && t.chars().any(char::is_alphabetic) && !parse_number(t) && !is_ip(t)
}
