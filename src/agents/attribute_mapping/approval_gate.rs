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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::agents::test_fixtures::{mapping, source_record};

    fn rows() -> Vec<SourceRecord> {
        (1..=6)
            .map(|i| {
                source_record(
                    i,
                    json!({"host": format!("srv{i:03}"), "kind": "Server", "os": "Windows Server 2019",
                           "addr": format!("10.0.0.{i}"), "note": "x"}),
                )
            })
            .collect()
    }

    fn sure() -> Vec<FieldMapping> {
        vec![
            mapping("host", Some("hostname"), 0.97),
            mapping("kind", Some("asset_type"), 0.95),
            mapping("os", Some("operating_system"), 0.95),
            mapping("addr", Some("ip_address"), 0.95),
            mapping("note", None, 0.9),
        ]
    }

    #[test]
    fn sure_mappings_pass() {
        assert_eq!(review(&sure(), &rows(), 0.6), vec![]);
        // No type column: types are inferred from a sure operating system.
        let mut no_type = sure();
        no_type[1] = mapping("kind", None, 0.9);
        let mut records = rows();
        for r in &mut records {
            r.fields.insert("kind".into(), json!(format!("note {}", r.row_number)));
        }
        assert_eq!(review(&no_type, &records, 0.6), vec![]);
    }

    #[test]
    fn unsure_or_missing_key_attributes_stop() {
        let mut m = sure();
        m[2].confidence = 0.7;
        let reasons = review(&m, &rows(), 0.6);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert_eq!(reasons[0].column.as_deref(), Some("os"));
        assert!(reasons[0].reason.contains("operating systems"), "{reasons:?}");

        let mut m = sure();
        m[0] = mapping("host", None, 0.5);
        let reasons = review(&m, &rows(), 0.6);
        assert!(
            reasons.iter().any(|r| r.column.is_none() && r.reason.contains("name")),
            "{reasons:?}"
        );

        let mut m = sure();
        m[3].confidence = 0.4;
        let reasons = review(&m, &rows(), 0.6);
        assert!(reasons[0].reason.contains("under the threshold 0.60"), "{reasons:?}");
    }

    #[test]
    fn a_telling_column_left_unmapped_stops() {
        let mut m = sure();
        m[3] = mapping("addr", None, 0.9);
        let reasons = review(&m, &rows(), 0.6);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert_eq!(reasons[0].column.as_deref(), Some("addr"));
        assert!(reasons[0].reason.contains("ip_address") && reasons[0].reason.contains("10.0.0.1"));
    }
}
