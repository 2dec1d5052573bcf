//! The collection flow's rules, pure like the agents: which critical attributes an asset lacks
//! (or has in a doubtful form), one question per gap, and whether an answer is acceptable.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agents::vocabulary::addresses::parse_ip;
use crate::agents::vocabulary::business_criticality::standardize_criticality;
use crate::agents::vocabulary::environments::{ENVIRONMENTS, standardize_environment};

/// An asset's critical attributes as the gap analysis sees them (`None`: missing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapAsset {
    pub asset_id: String,
    pub name: String,
    pub asset_type: String,
    pub owner: Option<String>,
    pub values: Vec<(String, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gap {
    pub asset_id: String,
    pub asset_name: String,
    pub attribute: String,
    /// missing or low_quality.
    pub reason: String,
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    /// `<asset id>:<attribute>`: stable across re-runs, so answers survive them.
    pub id: String,
    pub asset_id: String,
    pub asset_name: String,
    pub attribute: String,
    pub text: String,
    /// Who is asked: the asset's owner, or `unassigned`.
    pub owner: String,
    /// What an acceptable answer looks like.
    pub expected: String,
    pub answered: bool,
    pub answer: Option<Value>,
}

/// The attributes a migration plan cannot do without, per asset type.
pub fn critical_attributes(asset_type: &str) -> &'static [&'static str] {
    match asset_type {
        "server" => &[
            "operating_system",
            "environment",
            "owner",
            "ip_address",
            "cpu_cores",
            "memory_gb",
        ],
        "database" => &["operating_system", "environment", "owner", "storage_gb"],
        "application" => &["owner", "environment", "business_criticality"],
        _ => &["owner", "environment"],
    }
}

/// Missing critical attributes, and present ones in a form the plan cannot use.
pub fn find_gaps(assets: &[GapAsset]) -> Vec<Gap> {
    let mut gaps = Vec::new();
    for asset in assets {
        for attribute in critical_attributes(&asset.asset_type) {
            let value = asset
                .values
                .iter()
                .find(|(a, _)| a == attribute)
                .and_then(|(_, v)| v.as_deref());
            let reason = match value.map(str::trim) {
                None | Some("") => Some("missing"),
                Some(v) if validate(attribute, &Value::String(v.to_string())).is_err() => Some("low_quality"),
                Some(_) => None,
            };
            if let Some(reason) = reason {
                gaps.push(Gap {
                    asset_id: asset.asset_id.clone(),
                    asset_name: asset.name.clone(),
                    attribute: attribute.to_string(),
                    reason: reason.to_string(),
                    owner: asset.owner.clone(),
                });
            }
        }
    }
    gaps
}

fn expected(attribute: &str) -> String {
    match attribute {
        "ip_address" => "an IPv4 or IPv6 address".into(),
        "cpu_cores" => "a whole number of cores, 1 to 1024".into(),
        "memory_gb" | "storage_gb" => "a size in GB (a number, or e.g. \"512 MB\")".into(),
        "environment" => format!("one of {}", ENVIRONMENTS.join(", ")),
        "business_criticality" => "critical, high, medium or low".into(),
        _ => "text, up to 200 characters".into(),
    }
}

/// One question per gap, addressed to the asset's owner.
pub fn questions_for(gaps: &[Gap]) -> Vec<Question> {
    gaps.iter()
        .map(|gap| {
            let label = gap.attribute.replace('_', " ");
            let text = match gap.reason.as_str() {
                "missing" => format!("What is the {label} of {}?", gap.asset_name),
                _ => format!("The recorded {label} of {} looks wrong: what is it?", gap.asset_name),
            };
            Question {
                id: format!("{}:{}", gap.asset_id, gap.attribute),
                asset_id: gap.asset_id.clone(),
                asset_name: gap.asset_name.clone(),
                attribute: gap.attribute.clone(),
                text,
                owner: gap
                    .owner
                    .clone()
                    .filter(|o| !o.trim().is_empty())
                    .unwrap_or_else(|| "unassigned".into()),
                expected: expected(&gap.attribute),
                answered: false,
                answer: None,
            }
        })
        .collect()
}

/// An accepted answer, in the attribute's stored form.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Text(String),
    Integer(i64),
    Number(f64),
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Checks an answer for an attribute and brings it to its stored form.
pub fn validate(attribute: &str, value: &Value) -> Result<Answer, String> {
    let text = as_text(value)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| format!("expected {}", expected(attribute)))?;
    let wrong = || format!("`{text}` is not {}", expected(attribute));
    match attribute {
        "ip_address" => parse_ip(&text).map(Answer::Text).ok_or_else(wrong),
        "cpu_cores" => text
            .parse::<i64>()
            .ok()
            .filter(|c| (1..=1024).contains(c))
            .map(Answer::Integer)
            .ok_or_else(wrong),
        "memory_gb" | "storage_gb" => {
            let lower = text.to_lowercase();
            let digits: String = lower.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
            let number: f64 = digits.parse().map_err(|_| wrong())?;
            let unit = lower[digits.len()..].trim();
            let gb = match unit {
                "" | "gb" | "g" => number,
                "mb" | "m" => number / 1024.0,
                "tb" | "t" => number * 1024.0,
                _ => return Err(wrong()),
            };
            (gb > 0.0).then_some(Answer::Number(gb)).ok_or_else(wrong)
        }
        "environment" => standardize_environment(&text)
            .map(|e| Answer::Text(e.into()))
            .ok_or_else(wrong),
        "business_criticality" => standardize_criticality(&text)
            .map(|c| Answer::Text(c.into()))
            .ok_or_else(wrong),
        _ if text.chars().count() <= 200 => Ok(Answer::Text(text)),
        _ => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn server(owner: Option<&str>, values: &[(&str, Option<&str>)]) -> GapAsset {
        GapAsset {
            asset_id: "a1".into(),
            name: "web01".into(),
            asset_type: "server".into(),
            owner: owner.map(Into::into),
            values: values.iter().map(|(a, v)| (a.to_string(), v.map(Into::into))).collect(),
        }
    }

    #[test]
    fn missing_and_doubtful_attributes_are_gaps() {
        let asset = server(
            Some("ops"),
            &[
                ("operating_system", Some("RHEL 8")),
                ("environment", Some("moonbase")),
                ("owner", Some("ops")),
                ("cpu_cores", Some("4")),
            ],
        );
        let gaps = find_gaps(&[asset]);
        let found: Vec<(&str, &str)> = gaps.iter().map(|g| (g.attribute.as_str(), g.reason.as_str())).collect();
        assert_eq!(
            found,
            [
                ("environment", "low_quality"),
                ("ip_address", "missing"),
                ("memory_gb", "missing")
            ]
        );
        let questions = questions_for(&gaps);
        assert_eq!(questions.len(), 3);
        assert!(questions.iter().all(|q| q.owner == "ops" && q.id.starts_with("a1:")));
        assert!(questions[1].text.contains("ip address of web01"));
    }

    #[test]
    fn answers_are_validated_and_normalised() {
        assert_eq!(
            validate("ip_address", &json!("10.0.0.1")),
            Ok(Answer::Text("10.0.0.1".into()))
        );
        assert!(validate("ip_address", &json!("10.0.0.300")).is_err());
        assert_eq!(validate("cpu_cores", &json!(8)), Ok(Answer::Integer(8)));
        assert!(validate("cpu_cores", &json!("0")).is_err());
        assert_eq!(validate("memory_gb", &json!("512 MB")), Ok(Answer::Number(0.5)));
        assert_eq!(
            validate("environment", &json!("PRD")),
            Ok(Answer::Text("production".into()))
        );
        assert!(validate("environment", &json!("moonbase")).is_err());
        assert_eq!(
            validate("business_criticality", &json!("High")),
            Ok(Answer::Text("high".into()))
        );
        assert!(validate("owner", &json!(null)).is_err());
        assert!(validate("owner", &json!("x".repeat(300))).is_err());
    }
}
