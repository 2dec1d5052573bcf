//! Business criticality: the four levels, how sources write them, and an asset's own.

use crate::agents::types::AssetFacts;
use crate::agents::vocabulary::text;

/// The criticality levels, most critical first.
pub const CRITICALITY_LEVELS: &[&str] = &["critical", "high", "medium", "low"];

/// A source's criticality in our four levels: ServiceNow's `1 - most critical` … `5 - planning`,
/// `Tier 1`…`Tier 4`, words (`Critical`, `Mission critical`, `High`, `Moderate`, `Low`, ...).
pub fn standardize_criticality(text: &str) -> Option<&'static str> {
    let lower = text.trim().to_lowercase();
    let words: Vec<&str> = text::words(&lower).collect();
    let by_number = |n: &str| match n.parse::<u32>().ok()? {
        0 | 1 => Some("critical"),
        2 => Some("high"),
        3 => Some("medium"),
        4 | 5 => Some("low"),
        _ => None,
    };
    match words.as_slice() {
        [] => return None,
        [first, ..] if first.bytes().all(|b| b.is_ascii_digit()) => return by_number(first),
        ["tier", n, ..] => return by_number(n),
        _ => {}
    }
    let has = |w: &str| words.contains(&w);
    if (has("non") || has("not") || has("no")) && has("critical") {
        Some("low")
    } else if has("critical") || has("crucial") || has("highest") || (has("very") && has("high")) {
        Some("critical")
    } else if has("high") {
        Some("high")
    } else if has("medium") || has("moderate") || has("med") || has("normal") || has("average") {
        Some("medium")
    } else if has("low") || has("lowest") || has("minor") || has("minimal") || has("planning") {
        Some("low")
    } else {
        None
    }
}

/// critical, high, medium, low (lower-cased), if the asset says.
pub fn criticality(asset: &AssetFacts) -> Option<String> {
    asset
        .business_criticality
        .as_deref()
        .map(|c| c.trim().to_lowercase())
        .filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criticality_spellings() {
        for (text, expected) in [
            ("1", Some("critical")),
            ("1 - most critical", Some("critical")),
            ("Critical", Some("critical")),
            ("2 - somewhat critical", Some("high")),
            ("High", Some("high")),
            ("3", Some("medium")),
            ("Moderate", Some("medium")),
            ("4 - not critical", Some("low")),
            ("5", Some("low")),
            ("Low", Some("low")),
            ("Tier 1", Some("critical")),
            ("non-critical", Some("low")),
            ("banana", None),
            ("9", None),
        ] {
            assert_eq!(standardize_criticality(text), expected, "{text}");
        }
    }
}
