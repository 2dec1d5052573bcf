//! How `data_standardization` reads one source value: blanks and placeholders, text, sizes with
//! their units, core counts, dependency lists.

use std::collections::HashSet;

use serde_json::{Map, Value};

/// Values that mean "nobody filled this in".
const PLACEHOLDERS: &[&str] = &["n/a", "#n/a", "null", "nil", "none", "-", "--", "?", "tbd", "unknown"];

fn is_placeholder(text: &str) -> bool {
    let t = text.trim();
    PLACEHOLDERS.iter().any(|p| p.eq_ignore_ascii_case(t))
}

/// Null, blank text, an empty array: nothing worth keeping even as an attribute.
fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.iter().all(is_blank),
        Value::Object(map) => map.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

pub(super) fn is_missing(value: &Value) -> bool {
    match value {
        Value::String(s) => s.trim().is_empty() || is_placeholder(s),
        Value::Array(items) => items.iter().all(is_missing),
        other => is_blank(other),
    }
}

/// A value as trimmed text (arrays joined with `, `); `None` when blank or a placeholder.
pub(super) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty() && !is_placeholder(t)).then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(scalar_text).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        Value::Object(_) => (!is_blank(value)).then(|| value.to_string()),
    }
}

pub(super) fn keep_attribute(attributes: &mut Map<String, Value>, field: &str, value: &Value) {
    if is_blank(value) {
        return;
    }
    let value = match value {
        Value::String(s) => Value::String(s.trim().to_string()),
        other => other.clone(),
    };
    attributes.insert(field.to_string(), value);
}

/// A size's unit; `gb_factor` converts to GB (binary multiples, as CMDBs mean them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    B,
    Kb,
    Mb,
    Gb,
    Tb,
    Pb,
}

impl Unit {
    fn parse(word: &str) -> Option<Unit> {
        Some(match word {
            "b" | "byte" | "bytes" => Unit::B,
            // French and others count octets: `Go`, `Mo`, `To`.
            "k" | "kb" | "kib" | "kbytes" | "kilobyte" | "kilobytes" | "ko" => Unit::Kb,
            "m" | "mb" | "mib" | "meg" | "megs" | "mbytes" | "megabyte" | "megabytes" | "mo" | "megaoctet"
            | "megaoctets" | "mégaoctet" | "mégaoctets" => Unit::Mb,
            "g" | "gb" | "gib" | "gig" | "gigs" | "gbytes" | "gigabyte" | "gigabytes" | "go" | "gigaoctet"
            | "gigaoctets" => Unit::Gb,
            "t" | "tb" | "tib" | "tbytes" | "terabyte" | "terabytes" | "to" | "teraoctet" | "teraoctets"
            | "téraoctet" | "téraoctets" => Unit::Tb,
            "p" | "pb" | "pib" | "petabyte" | "petabytes" => Unit::Pb,
            _ => return None,
        })
    }

    pub(super) fn gb_factor(self) -> f64 {
        match self {
            Unit::B => 1.0 / (1024.0 * 1024.0 * 1024.0),
            Unit::Kb => 1.0 / (1024.0 * 1024.0),
            Unit::Mb => 1.0 / 1024.0,
            Unit::Gb => 1.0,
            Unit::Tb => 1024.0,
            Unit::Pb => 1024.0 * 1024.0,
        }
    }
}

/// The unit a column name declares (`Memory (GB)`, `ram_mb`, `memoryMB`); one-letter words don't count.
pub(super) fn unit_in_name(field: &str) -> Option<Unit> {
    let mut spaced = String::with_capacity(field.len() + 4);
    let mut previous_lower = false;
    for c in field.chars() {
        // camelCase boundary: `memoryMB` → `memory MB`.
        if c.is_uppercase() && previous_lower {
            spaced.push(' ');
        }
        previous_lower = c.is_lowercase();
        spaced.extend(c.to_lowercase());
    }
    spaced
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.len() >= 2)
        .find_map(Unit::parse)
        .filter(|unit| !matches!(unit, Unit::B))
}

/// A leading number (thousands separators and a decimal comma understood) and the rest of the text.
fn leading_number(text: &str) -> Option<(f64, &str)> {
    let t = text.trim_start();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(t.len());
    let (digits, rest) = t.split_at(end);
    let digits = digits.trim_end_matches([',', '.']);
    if !digits.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let normalised = if !digits.contains(',') {
        digits.to_string()
    } else if digits.contains('.') {
        digits.replace(',', "")
    } else {
        let mut groups = digits.split(',');
        let head = groups.next().unwrap_or("");
        let thousands = !head.is_empty() && head.len() <= 3 && groups.clone().all(|g| g.len() == 3);
        if thousands {
            digits.replace(',', "")
        } else if digits.matches(',').count() == 1 {
            digits.replace(',', ".")
        } else {
            return None;
        }
    };
    let number: f64 = normalised.parse().ok()?;
    number.is_finite().then_some((number, rest))
}

/// `16`, `16GB`, `16 GB`, `4096 MB`, `1 TB`, `1,024 MB`, `16 GB RAM`: the amount and the unit if given.
pub(super) fn parse_quantity(text: &str) -> Option<(f64, Option<Unit>)> {
    let lower = text.trim().to_lowercase();
    let (amount, rest) = leading_number(&lower)?;
    let word = rest
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphanumeric());
    if word.is_empty() {
        return Some((amount, None));
    }
    Some((amount, Some(Unit::parse(word)?)))
}

/// `4`, `4.0`, `4 vCPU`, `2 x 4` (sockets × cores); `None` for zero, fractions and text.
pub(super) fn parse_cores(text: &str) -> Option<i64> {
    let lower = text.trim().to_lowercase();
    let (first, rest) = leading_number(&lower)?;
    let rest = rest.trim_start();
    let total = match rest.strip_prefix('x').or_else(|| rest.strip_prefix('×')) {
        Some(after) => leading_number(after).map_or(first, |(second, _)| first * second),
        None => first,
    };
    (total > 0.0 && total.fract() == 0.0 && total <= 1_000_000.0).then_some(total as i64)
}

/// Dependency names from a string (split on `;` `,` `|` and newlines) or a JSON array (as given),
/// trimmed, without blanks and without case-insensitive repeats.
pub(super) fn dependency_list(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |name: &str| {
        let name = name.trim();
        if !name.is_empty() && !is_placeholder(name) && seen.insert(name.to_lowercase()) {
            out.push(name.to_string());
        }
    };
    match value {
        Value::Array(items) => items.iter().filter_map(scalar_text).for_each(|item| push(&item)),
        other => {
            if let Some(text) = scalar_text(other) {
                text.split([';', ',', '|', '\n', '\r']).for_each(&mut push);
            }
        }
    }
    out
}
