//! The mapping review gate: whether a flow's column mappings may be approved without a person,
//! and if not, why, column by column. Approval is automatic only when the name (or host name),
//! the asset type (or a confident inference of it) and, where the file has one, the operating
//! system are mapped with high confidence, no mapping is under the flow's threshold, and no
//! column whose values look like a canonical attribute is left unmapped.

use serde::Serialize;

use super::pattern_recognition::distinctive_look;
use crate::agents::types::{FieldMapping, SourceRecord};

/// What "high confidence" means for the attributes the gate insists on.
pub const HIGH_CONFIDENCE: f64 = 0.8;

/// One reason to stop for a person: the column it concerns (none for a missing attribute).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewReason {
    pub column: Option<String>,
    pub reason: String,
}

/// Every reason the mappings need a person; empty when they may be approved as suggested.
pub fn review(mappings: &[FieldMapping], records: &[SourceRecord], threshold: f64) -> Vec<ReviewReason> {
    let mut reasons = Vec::new();
    let mapped = |attribute: &str| {
        mappings
            .iter()
            .find(|m| m.target_attribute.as_deref() == Some(attribute))
    };
    let about = |m: &FieldMapping, reason: String| ReviewReason {
        column: Some(m.source_field.clone()),
        reason,
    };

    for m in mappings {
        if let Some(attribute) = m.target_attribute.as_deref()
            && m.confidence < threshold
        {
            reasons.push(about(
                m,
                format!(
                    "mapped to {attribute} at confidence {:.2}, under the threshold {threshold:.2}",
                    m.confidence
                ),
            ));
        }
    }

    let identity = ["name", "hostname", "fqdn"]
        .into_iter()
        .filter_map(mapped)
        .collect::<Vec<_>>();
    if identity.is_empty() {
        reasons.push(ReviewReason {
            column: None,
            reason: "no column is mapped to the name or host name of the assets".to_string(),
        });
    } else if identity.iter().all(|m| m.confidence < HIGH_CONFIDENCE) {
        for m in identity {
            reasons.push(about(
                m,
                format!(
                    "the asset names depend on it, and it is mapped at only {:.2}",
                    m.confidence
                ),
            ));
        }
    }

    let os = mapped("operating_system");
    let os_sure = os.is_some_and(|m| m.confidence >= HIGH_CONFIDENCE);
    if let Some(m) = os.filter(|_| !os_sure) {
        reasons.push(about(
            m,
            format!(
                "operating systems decide end-of-life findings, and it is mapped at only {:.2}",
                m.confidence
            ),
        ));
    }
    match mapped("asset_type") {
        Some(m) if m.confidence < HIGH_CONFIDENCE => reasons.push(about(
            m,
            format!(
                "asset types decide the inventory, and it is mapped at only {:.2}",
                m.confidence
            ),
        )),
        Some(_) => {}
        // Without a type column, types are inferred from the operating system or database.
        None if os_sure => {}
        None => reasons.push(ReviewReason {
            column: None,
            reason: "no column is mapped to the asset type, and no operating system column to infer it from"
                .to_string(),
        }),
    }

    for m in mappings.iter().filter(|m| m.target_attribute.is_none()) {
        let Some((attribute, share, examples)) = distinctive_look(&m.source_field, records) else {
            continue;
        };
        if mapped(attribute).is_none() {
            reasons.push(about(
                m,
                format!(
                    "left unmapped, but {:.0}% of its values look like {attribute}{examples}, which no column maps",
                    share * 100.0
                ),
            ));
        }
    }
    reasons
}
