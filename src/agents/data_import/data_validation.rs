//! `data_validation` (data_import): row-level checks on the imported rows: empty rows, exact
//! duplicates, encoding damage. Linear in the number of values, so it copes with large imports.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agents::types::{Agent, AgentError, AgentOutput, ImportBatch, SourceRecord};
use crate::domain::PhaseName;

/// A row whose values equal those of an earlier row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateRow {
    pub row_number: i64,
    pub duplicate_of: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValidationReport {
    /// Rows whose every value is null or blank.
    pub empty_rows: Vec<i64>,
    /// Rows identical (after trimming) to an earlier row; case matters.
    pub exact_duplicates: Vec<DuplicateRow>,
    /// Rows holding U+FFFD, C1 control characters or UTF-8-read-as-Windows-1252 mojibake.
    pub encoding_suspects: Vec<i64>,
    pub rows_checked: usize,
}

/// Row-level checks: empty rows, exact duplicates, encoding damage.
#[derive(Debug, Clone, Copy, Default)]
pub struct DataValidation;

impl Agent for DataValidation {
    type Input = ImportBatch;
    type Output = ValidationReport;
    const NAME: &'static str = "data_validation";
    const PHASE: PhaseName = PhaseName::DataImport;

    fn run(&self, input: &ImportBatch) -> Result<AgentOutput<ValidationReport>, AgentError> {
        let mut state = ValidationState::default();
        for record in &input.records {
            state.add(record);
        }
        Ok(state.finish())
    }
}

/// data_validation over rows that arrive in batches: `add` each row, then `finish`. It keeps
/// a 64-bit hash per distinct row, not the row, so memory stays small on large imports
/// (a collision among a million rows has a chance of about one in 30 million).
#[derive(Debug, Default)]
pub struct ValidationState {
    report: ValidationReport,
    seen: HashMap<u64, i64>,
    rows_with_issues: usize,
}

impl ValidationState {
    pub fn rows_checked(&self) -> usize {
        self.report.rows_checked
    }

    pub fn add(&mut self, record: &SourceRecord) {
        let report = &mut self.report;
        report.rows_checked += 1;
        let mut issue = false;
        if record.fields.values().any(has_encoding_damage) {
            report.encoding_suspects.push(record.row_number);
            issue = true;
        }
        match row_key(record) {
            None => {
                report.empty_rows.push(record.row_number);
                issue = true;
            }
            Some(key) => {
                let mut hasher = DefaultHasher::new();
                key.hash(&mut hasher);
                match self.seen.entry(hasher.finish()) {
                    std::collections::hash_map::Entry::Occupied(first) => {
                        report.exact_duplicates.push(DuplicateRow {
                            row_number: record.row_number,
                            duplicate_of: *first.get(),
                        });
                        issue = true;
                    }
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(record.row_number);
                    }
                }
            }
        }
        self.rows_with_issues += usize::from(issue);
    }

    pub fn finish(self) -> AgentOutput<ValidationReport> {
        let report = self.report;
        let reasoning = if report.rows_checked == 0 {
            "No rows to check.".to_string()
        } else {
            format!(
                "Checked {} rows: {} empty, {} exact duplicate(s), {} with suspected encoding damage.",
                report.rows_checked,
                report.empty_rows.len(),
                report.exact_duplicates.len(),
                report.encoding_suspects.len()
            )
        };
        let confidence = if self.rows_with_issues == 0 {
            1.0
        } else {
            let share = self.rows_with_issues as f64 / report.rows_checked as f64;
            (0.95 - 0.6 * share).clamp(0.3, 0.95)
        };
        AgentOutput::new(report, confidence, reasoning)
    }
}

/// The row's non-empty values, trimmed and ordered by field name; `None` when there are none.
/// Null, blank and missing all count as "no value" so CSV and JSON rows compare alike.
fn row_key(record: &SourceRecord) -> Option<String> {
    let mut parts: Vec<(&str, String)> = record
        .fields
        .iter()
        .filter_map(|(k, v)| canonical_text(v).map(|t| (k.as_str(), t)))
        .collect();
    if parts.is_empty() {
        return None;
    }
    parts.sort_unstable();
    // JSON keeps the key unambiguous whatever characters the values hold.
    serde_json::to_string(&parts).ok()
}

/// A value as trimmed text; `None` when null, blank or an empty container.
fn canonical_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Value::Array(items) => {
            let texts: Vec<String> = items.iter().map(|v| canonical_text(v).unwrap_or_default()).collect();
            (!texts.iter().all(String::is_empty)).then(|| serde_json::to_string(&texts).unwrap_or_default())
        }
        Value::Object(map) => {
            let mut parts: Vec<(&str, String)> = map
                .iter()
                .filter_map(|(k, v)| canonical_text(v).map(|t| (k.as_str(), t)))
                .collect();
            parts.sort_unstable();
            (!parts.is_empty()).then(|| serde_json::to_string(&parts).unwrap_or_default())
        }
    }
}

fn has_encoding_damage(value: &Value) -> bool {
    match value {
        Value::String(s) => looks_mis_encoded(s),
        Value::Array(items) => items.iter().any(has_encoding_damage),
        Value::Object(map) => map.values().any(has_encoding_damage),
        _ => false,
    }
}

/// Windows-1252 characters for bytes 0x80–0x9F: UTF-8 continuation bytes read as cp1252.
const CP1252_HIGH: &[char] = &[
    '€', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 'Ž', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š',
    '›', 'œ', 'ž', 'Ÿ',
];

/// A UTF-8 continuation byte (0x80–0xBF) as it shows after a Latin-1 or cp1252 decode.
fn is_continuation(c: char) -> bool {
    ('\u{80}'..='\u{BF}').contains(&c) || CP1252_HIGH.contains(&c)
}

/// True for U+FFFD, C1 controls, or UTF-8 sequences decoded as Latin-1/cp1252 (`Ã©`, `â€™`, `Â `).
pub fn looks_mis_encoded(s: &str) -> bool {
    let (mut prev2, mut prev) = (None::<char>, None::<char>);
    for c in s.chars() {
        if c == '\u{FFFD}' || ('\u{80}'..='\u{9F}').contains(&c) {
            return true;
        }
        if let Some(p) = prev {
            // `Â`/`Ã` + continuation is the classic two-byte case; other lead letters only with a
            // Latin-1 symbol, so real text such as `É’` is not flagged.
            if matches!(p, 'Â' | 'Ã') && is_continuation(c) {
                return true;
            }
            if ('\u{C4}'..='\u{DF}').contains(&p) && ('\u{A0}'..='\u{BF}').contains(&c) {
                return true;
            }
            if let Some(p2) = prev2
                && ('\u{E0}'..='\u{EF}').contains(&p2)
                && is_continuation(p)
                && is_continuation(c)
            {
                return true;
            }
        }
        prev2 = prev;
        prev = Some(c);
    }
    false
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::agents::test_fixtures::{csv_batch, source_record as record};

    #[test]
    fn clean_batch_has_full_confidence() {
        let batch = csv_batch("name,ip", &["a,10.0.0.1", "b,10.0.0.2"]);
        let out = DataValidation.run(&batch).unwrap();
        assert_eq!(out.value.rows_checked, 2);
        assert!(out.value.empty_rows.is_empty() && out.value.exact_duplicates.is_empty());
        assert!(out.value.encoding_suspects.is_empty());
        assert_eq!(out.confidence, 1.0);
    }

    #[test]
    fn empty_rows_are_found() {
        let batch = ImportBatch {
            columns: vec!["a".into(), "b".into()],
            records: vec![
                record(1, json!({"a": "x", "b": null})),
                record(2, json!({"a": null, "b": "   "})),
                record(3, json!({"a": [], "b": ""})),
                record(4, json!({})),
            ],
        };
        let out = DataValidation.run(&batch).unwrap();
        assert_eq!(out.value.empty_rows, vec![2, 3, 4]);
        assert!(
            out.value.exact_duplicates.is_empty(),
            "empty rows are not duplicates of each other"
        );
        assert!(out.confidence < 1.0);
        assert!(out.reasoning.contains("3 empty"), "{}", out.reasoning);
    }

    #[test]
    fn exact_duplicates_compare_trimmed_but_case_sensitive() {
        let batch = csv_batch(
            "Server Name,IP Address,Memory (GB)",
            &[
                "batch0007,10.31.30.56,128 GB",
                "web0001,10.0.0.1,16",
                "BATCH0007,10.31.30.56,128 GB",
                " batch0007 ,10.31.30.56,128 GB ",
                "web0001,10.0.0.1,16",
            ],
        );
        let out = DataValidation.run(&batch).unwrap();
        assert_eq!(
            out.value.exact_duplicates,
            vec![
                DuplicateRow {
                    row_number: 4,
                    duplicate_of: 1
                },
                DuplicateRow {
                    row_number: 5,
                    duplicate_of: 2
                }
            ]
        );
        assert!(out.confidence < 0.95);
    }

    #[test]
    fn null_blank_and_missing_are_the_same_value() {
        let batch = ImportBatch {
            columns: vec![],
            records: vec![
                record(1, json!({"a": "x", "b": null, "deps": ["p", " q "]})),
                record(2, json!({"deps": ["p", "q"], "a": "x ", "b": ""})),
                record(3, json!({"a": "x", "n": 4})),
                record(4, json!({"a": "x", "n": "4"})),
            ],
        };
        let out = DataValidation.run(&batch).unwrap();
        assert_eq!(
            out.value.exact_duplicates,
            vec![
                DuplicateRow {
                    row_number: 2,
                    duplicate_of: 1
                },
                DuplicateRow {
                    row_number: 4,
                    duplicate_of: 3
                }
            ]
        );
    }

    #[test]
    fn mojibake_and_replacement_characters_are_flagged() {
        let batch = ImportBatch {
            columns: vec![],
            records: vec![
                record(1, json!({"owner": "RenÃ© Dupont"})),
                record(2, json!({"note": "Owner\u{2019}s box"})),
                record(3, json!({"note": "Ownerâ€™s box"})),
                record(4, json!({"name": "caf\u{FFFD}"})),
                record(
                    5,
                    json!({"name": "Ren\u{e9} M\u{fc}ller, S\u{e3}o Paulo, \u{c9}cole \u{2014} Z\u{fc}rich"}),
                ),
                record(6, json!({"tags": ["ok", "NBSP:Â\u{a0}here"]})),
                record(7, json!({"name": "\u{1F600} 日本語 Ωmega"})),
                record(8, json!({"name": "price 10\u{80}"})),
            ],
        };
        let out = DataValidation.run(&batch).unwrap();
        assert_eq!(out.value.encoding_suspects, vec![1, 3, 4, 6, 8]);
        assert!(
            out.reasoning.contains("5 with suspected encoding damage"),
            "{}",
            out.reasoning
        );
    }
}
