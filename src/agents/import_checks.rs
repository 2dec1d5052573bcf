//! `data_import` agents: row-level validation (`data_validation`) and column profiling
//! (`format_detection`). Both are linear in the number of values so they cope with large imports.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agents::types::*;
use crate::domain::PhaseName;

/// The imported rows as the phase handler hands them over.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportBatch {
    pub columns: Vec<String>,
    pub records: Vec<SourceRecord>,
}

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

/// The profile of every column.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub columns: Vec<ColumnStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    pub name: String,
    /// integer | number | size | ip | fqdn | date | boolean | list | text | empty
    pub inferred_type: String,
    /// Share of rows with a non-empty value, 0–1.
    pub fill_rate: f64,
    /// Distinct non-empty values (trimmed, case-sensitive).
    pub distinct: usize,
    /// Up to three distinct non-empty values, in first-seen order.
    pub samples: Vec<String>,
}

/// Column profile: inferred type, fill rate, distinct count and samples per column.
#[derive(Debug, Clone, Copy, Default)]
pub struct FormatDetection;

/// Share of non-empty values a type must fit to be chosen.
const TYPE_THRESHOLD: f64 = 0.8;
const SAMPLE_COUNT: usize = 3;

impl Agent for FormatDetection {
    type Input = ImportBatch;
    type Output = ColumnProfile;
    const NAME: &'static str = "format_detection";
    const PHASE: PhaseName = PhaseName::DataImport;

    fn run(&self, input: &ImportBatch) -> Result<AgentOutput<ColumnProfile>, AgentError> {
        let mut state = ProfileState::new(column_names(input));
        for record in &input.records {
            state.add(record);
        }
        Ok(state.finish())
    }
}

/// format_detection over rows that arrive in batches: `add` each row, then `finish`. Columns
/// are the import's; a field a row carries beyond them is profiled from where it first shows.
#[derive(Default)]
pub struct ProfileState {
    names: Vec<String>,
    known: HashSet<String>,
    tallies: Vec<Tally>,
    rows: usize,
}

impl ProfileState {
    pub fn new(names: Vec<String>) -> Self {
        let tallies = names.iter().map(|_| Tally::default()).collect();
        let known = names.iter().cloned().collect();
        ProfileState {
            names,
            known,
            tallies,
            rows: 0,
        }
    }

    pub fn add(&mut self, record: &SourceRecord) {
        self.rows += 1;
        for key in record.fields.keys() {
            if !self.known.contains(key) {
                self.known.insert(key.clone());
                self.names.push(key.clone());
                self.tallies.push(Tally::default());
            }
        }
        for (name, tally) in self.names.iter().zip(self.tallies.iter_mut()) {
            if let Some(value) = record.fields.get(name.as_str()) {
                tally.add(value);
            }
        }
    }

    pub fn finish(self) -> AgentOutput<ColumnProfile> {
        let rows = self.rows;
        let mut columns = Vec::with_capacity(self.names.len());
        let mut certainty_sum = 0.0;
        let mut typed_columns = 0usize;
        let mut type_counts: Vec<(&'static str, usize)> = Vec::new();
        for (name, tally) in self.names.into_iter().zip(self.tallies) {
            let (inferred, certainty) = tally.infer();
            if inferred != "empty" {
                certainty_sum += certainty;
                typed_columns += 1;
            }
            match type_counts.iter_mut().find(|(t, _)| *t == inferred) {
                Some((_, n)) => *n += 1,
                None => type_counts.push((inferred, 1)),
            }
            let fill_rate = if rows == 0 {
                0.0
            } else {
                tally.non_empty as f64 / rows as f64
            };
            columns.push(ColumnStats {
                name,
                inferred_type: inferred.to_string(),
                fill_rate,
                distinct: tally.distinct.len(),
                samples: tally.samples,
            });
        }

        if rows == 0 || columns.is_empty() {
            let reasoning = format!("Nothing to profile: {} column(s), {rows} row(s).", columns.len());
            return AgentOutput::new(ColumnProfile { columns }, 0.3, reasoning);
        }
        let confidence = if typed_columns == 0 {
            0.3
        } else {
            certainty_sum / typed_columns as f64
        };
        let summary: Vec<String> = type_counts.iter().map(|(t, n)| format!("{n} {t}")).collect();
        let reasoning = format!(
            "Profiled {} column(s) over {rows} row(s): {}.",
            columns.len(),
            summary.join(", ")
        );
        AgentOutput::new(ColumnProfile { columns }, confidence.min(0.99), reasoning)
    }
}

/// The batch's columns, then any field the records carry that the column list misses.
fn column_names(input: &ImportBatch) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(input.columns.len());
    let mut known: HashSet<&str> = HashSet::with_capacity(input.columns.len());
    for column in &input.columns {
        if known.insert(column.as_str()) {
            names.push(column.clone());
        }
    }
    for record in &input.records {
        for key in record.fields.keys() {
            if known.insert(key.as_str()) {
                names.push(key.clone());
            }
        }
    }
    names
}

/// Per-column counts of how many non-empty values fit each type.
#[derive(Default)]
struct Tally {
    non_empty: usize,
    integer: usize,
    number: usize,
    /// Sizes with a unit, plus bare numbers (a size column often mixes both).
    size: usize,
    size_with_unit: usize,
    ip: usize,
    fqdn: usize,
    date: usize,
    boolean: usize,
    list: usize,
    /// Single identifier-like tokens: fit a dependency list column with one entry.
    single_token: usize,
    /// Hashes, not strings: keeps memory flat on large imports; collisions are negligible.
    distinct: HashSet<u64>,
    samples: Vec<String>,
}

impl Tally {
    fn add(&mut self, value: &Value) {
        match value {
            Value::Null => {}
            Value::Bool(b) => {
                self.boolean += 1;
                self.note(&b.to_string());
            }
            Value::Number(n) => {
                let is_int = n.is_i64() || n.is_u64();
                self.integer += usize::from(is_int);
                self.number += 1;
                self.size += 1;
                self.note(&n.to_string());
            }
            Value::String(s) => {
                let t = s.trim();
                if t.is_empty() {
                    return;
                }
                self.classify_text(t);
                self.note(t);
            }
            Value::Array(items) => {
                if items.iter().all(is_blank) {
                    return;
                }
                self.list += 1;
                self.note(&value.to_string());
            }
            Value::Object(map) => {
                if map.values().all(is_blank) {
                    return;
                }
                self.note(&value.to_string());
            }
        }
    }

    fn classify_text(&mut self, t: &str) {
        if parse_integer(t) {
            self.integer += 1;
            self.number += 1;
            self.size += 1;
        } else if parse_number(t) {
            self.number += 1;
            self.size += 1;
        } else if parse_size(t) {
            self.size += 1;
            self.size_with_unit += 1;
        } else if is_ip(t) {
            self.ip += 1;
        } else if is_date(t) {
            self.date += 1;
        } else if is_boolean_word(t) {
            self.boolean += 1;
        } else if is_fqdn(t) {
            self.fqdn += 1;
        } else if is_delimited_list(t) {
            self.list += 1;
        }
        if !t.chars().any(char::is_whitespace) && !t.contains([';', ',', '|']) {
            self.single_token += 1;
        }
    }

    fn note(&mut self, text: &str) {
        self.non_empty += 1;
        let mut hasher = DefaultHasher::new();
        text.hash(&mut hasher);
        if self.distinct.insert(hasher.finish()) && self.samples.len() < SAMPLE_COUNT {
            self.samples.push(text.to_string());
        }
    }

    /// The chosen type and how cleanly the values fit it.
    fn infer(&self) -> (&'static str, f64) {
        if self.non_empty == 0 {
            return ("empty", 1.0);
        }
        let n = self.non_empty as f64;
        let share = |count: usize| count as f64 / n;
        // Size first: a memory column mixing `16` and `16 GB` is a size column, not text.
        let candidates = [
            ("size", if self.size_with_unit > 0 { self.size } else { 0 }),
            ("integer", self.integer),
            ("number", self.number),
            ("ip", self.ip),
            ("date", self.date),
            ("boolean", self.boolean),
            ("fqdn", self.fqdn),
            ("list", self.list),
        ];
        for (name, count) in candidates {
            if share(count) >= TYPE_THRESHOLD {
                return (name, share(count));
            }
        }
        // A dependency column often holds single names next to delimited lists.
        if share(self.list) >= 0.3 && share(self.list + self.single_token) >= TYPE_THRESHOLD {
            return ("list", share(self.list + self.single_token));
        }
        let best_typed = candidates.iter().map(|(_, c)| share(*c)).fold(0.0, f64::max);
        // A column half-fitting a type is a less certain "text" than free text.
        ("text", (1.0 - best_typed).max(0.6))
    }
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.iter().all(is_blank),
        Value::Object(map) => map.values().all(is_blank),
        _ => false,
    }
}

fn parse_integer(t: &str) -> bool {
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    !digits.is_empty() && digits.len() <= 19 && digits.bytes().all(|b| b.is_ascii_digit())
}

fn parse_number(t: &str) -> bool {
    // `f64::from_str` accepts `inf`/`NaN`; demand digits and number characters only.
    t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && t.parse::<f64>().is_ok_and(f64::is_finite)
}

const SIZE_UNITS: &[&str] = &[
    "b", "k", "kb", "kib", "m", "mb", "mib", "g", "gb", "gib", "t", "tb", "tib", "pb", "pib",
];

/// `16 GB`, `4096MB`, `1.5 TiB`.
pub(crate) fn parse_size(t: &str) -> bool {
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    if number.is_empty() || !parse_number(number) {
        return false;
    }
    let unit = unit.trim();
    SIZE_UNITS.iter().any(|u| unit.eq_ignore_ascii_case(u))
}

/// IPv4 or IPv6, optionally with a `/prefix`.
pub(crate) fn is_ip(t: &str) -> bool {
    if !t.starts_with(|c: char| c.is_ascii_hexdigit() || c == ':') {
        return false;
    }
    let addr = match t.split_once('/') {
        Some((addr, prefix)) if !prefix.is_empty() && prefix.len() <= 3 && parse_integer(prefix) => addr,
        Some(_) => return false,
        None => t,
    };
    addr.parse::<std::net::IpAddr>().is_ok()
}

/// A dotted host name with at least three labels (`web01.corp.example.com`), not an IP.
pub(crate) fn is_fqdn(t: &str) -> bool {
    let t = t.strip_suffix('.').unwrap_or(t);
    if t.len() > 253 || t.matches('.').count() < 2 || is_ip(t) {
        return false;
    }
    let labels_ok = t.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let tld = t.rsplit('.').next().unwrap_or("");
    labels_ok && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
}

const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
];

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A calendar date, optionally followed by a time (`2024-01-31T10:00:00Z`, `31/01/2024 10:00`).
pub(crate) fn is_date(t: &str) -> bool {
    // Cheap screen first: chrono's parser is the slow part of profiling free text.
    let starts_like_date = t.as_bytes().first().is_some_and(u8::is_ascii_digit)
        || MONTHS
            .iter()
            .any(|m| t.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(m)));
    if !starts_like_date || t.len() < 6 || t.len() > 40 || t.bytes().filter(u8::is_ascii_digit).count() < 4 {
        return false;
    }
    let parses = |s: &str| DATE_FORMATS.iter().any(|f| NaiveDate::parse_from_str(s, f).is_ok());
    parses(t) || t.split_once(['T', ' ']).is_some_and(|(date, _)| parses(date))
}

fn is_boolean_word(t: &str) -> bool {
    ["true", "false", "yes", "no", "y", "n"]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
}

/// `a;b`, `a|b`, lines, or `a,b` whose items are single tokens (so `Smith, John Q` is text).
pub(crate) fn is_delimited_list(t: &str) -> bool {
    let items = |sep: &[char]| t.split(sep).map(str::trim).filter(|s| !s.is_empty()).count();
    if t.contains([';', '|', '\n']) {
        return items(&[';', '|', '\n']) >= 2;
    }
    t.contains(',') && items(&[',']) >= 2 && t.split(',').all(|s| !s.trim().contains(char::is_whitespace))
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;

    fn record(row: i64, fields: Value) -> SourceRecord {
        let fields: Map<String, Value> = match fields {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        SourceRecord {
            row_number: row,
            line_number: row + 1,
            fields,
        }
    }

    fn csv_batch(header: &str, lines: &[&str]) -> ImportBatch {
        let columns: Vec<String> = header.split(',').map(str::to_string).collect();
        let records = lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let mut fields = Map::new();
                for (column, cell) in columns.iter().zip(line.split(',')) {
                    let value = if cell.is_empty() {
                        Value::Null
                    } else {
                        Value::String(cell.to_string())
                    };
                    fields.insert(column.clone(), value);
                }
                SourceRecord {
                    row_number: i as i64 + 1,
                    line_number: i as i64 + 2,
                    fields,
                }
            })
            .collect();
        ImportBatch { columns, records }
    }

    fn profile(batch: &ImportBatch, column: &str) -> ColumnStats {
        let out = FormatDetection.run(batch).unwrap();
        out.value.columns.into_iter().find(|c| c.name == column).unwrap()
    }

    #[test]
    fn registry_names() {
        assert_eq!(DataValidation::NAME, "data_validation");
        assert_eq!(FormatDetection::NAME, "format_detection");
        assert_eq!(DataValidation::PHASE, PhaseName::DataImport);
        assert_eq!(FormatDetection::PHASE, PhaseName::DataImport);
    }

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

    #[test]
    fn empty_batch_is_fine() {
        let out = DataValidation.run(&ImportBatch::default()).unwrap();
        assert_eq!(out.value.rows_checked, 0);
        assert_eq!(out.confidence, 1.0);
        let out = FormatDetection.run(&ImportBatch::default()).unwrap();
        assert!(out.value.columns.is_empty());
        let batch = ImportBatch {
            columns: vec!["a".into()],
            records: vec![],
        };
        let out = FormatDetection.run(&batch).unwrap();
        assert_eq!(out.value.columns[0].inferred_type, "empty");
        assert_eq!(out.value.columns[0].fill_rate, 0.0);
    }

    #[test]
    fn column_types_are_inferred() {
        let batch = csv_batch(
            "Server Name,IP Address,FQDN,CPU Cores,Memory (GB),Version,Purchased,Virtual,Depends On,Notes,Blank",
            &[
                "web01,10.0.0.1,web01.corp.example.com,4,16 GB,8.8,2021-03-04,yes,a;b,first note,",
                "web02,10.0.0.2,web02.corp.example.com,8,4096 MB,6.10,04/05/2020,no,app0003,second,",
                "web03,fe80::1,web03.corp.example.com,2,8GB,14.04,2019-01-01T10:00:00Z,Y,c|d|e,third,",
                "web04,10.0.0.4,web04.corp.example.com,16,128,22.04,31.12.2018,N,,fourth,",
                "web05,10.0.0.5,web05.corp.example.com,32,64 GB,7,2020/02/29,true,f;g,fifth,",
            ],
        );
        let expect = [
            ("Server Name", "text"),
            ("IP Address", "ip"),
            ("FQDN", "fqdn"),
            ("CPU Cores", "integer"),
            ("Memory (GB)", "size"),
            ("Version", "number"),
            ("Purchased", "date"),
            ("Virtual", "boolean"),
            ("Depends On", "list"),
            ("Notes", "text"),
            ("Blank", "empty"),
        ];
        let out = FormatDetection.run(&batch).unwrap();
        assert_eq!(out.value.columns.len(), expect.len());
        for (stats, (name, kind)) in out.value.columns.iter().zip(expect) {
            assert_eq!(stats.name, name);
            assert_eq!(stats.inferred_type, kind, "{name}");
        }
        let deps = profile(&batch, "Depends On");
        assert_eq!(deps.fill_rate, 0.8);
        assert_eq!(deps.distinct, 4);
        assert_eq!(deps.samples, vec!["a;b", "app0003", "c|d|e"]);
        assert!(out.confidence > 0.8 && out.confidence < 1.0, "{}", out.confidence);
    }

    #[test]
    fn type_needs_eighty_percent_of_values() {
        let batch = csv_batch(
            "v",
            &["1", "2", "3", "4", "x", "", "", ""], // 4 of 5 non-empty are integers
        );
        let stats = profile(&batch, "v");
        assert_eq!(stats.inferred_type, "integer");
        assert_eq!(stats.fill_rate, 5.0 / 8.0);
        let batch = csv_batch("v", &["1", "2", "3", "x", "y"]);
        assert_eq!(profile(&batch, "v").inferred_type, "text");
    }

    #[test]
    fn json_values_are_profiled() {
        let batch = ImportBatch {
            columns: vec![
                "cores".into(),
                "ram".into(),
                "dependencies".into(),
                "network.ip".into(),
                "on".into(),
            ],
            records: vec![
                record(
                    1,
                    json!({"cores": 4, "ram": 1.5, "dependencies": ["a", "b"], "network.ip": "10.0.0.1", "on": true}),
                ),
                record(
                    2,
                    json!({"cores": "8", "ram": "16", "dependencies": [], "network.ip": "", "on": false}),
                ),
                record(
                    3,
                    json!({"cores": 2, "ram": "32 GB", "dependencies": ["c"], "network.ip": null, "extra": {"k": 1}}),
                ),
            ],
        };
        let out = FormatDetection.run(&batch).unwrap();
        let types: Vec<(&str, &str)> = out
            .value
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.inferred_type.as_str()))
            .collect();
        assert_eq!(
            types,
            vec![
                ("cores", "integer"),
                ("ram", "size"),
                ("dependencies", "list"),
                ("network.ip", "ip"),
                ("on", "boolean"),
                ("extra", "text"),
            ]
        );
        let deps = &out.value.columns[2];
        assert_eq!(deps.samples, vec![r#"["a","b"]"#, r#"["c"]"#]);
        assert!((deps.fill_rate - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn value_patterns() {
        assert!(parse_size("16 GB") && parse_size("4096MB") && parse_size("1.5 tib") && parse_size("8GB"));
        assert!(!parse_size("GB") && !parse_size("16 cores") && !parse_size("16"));
        assert!(is_ip("10.1.2.3") && is_ip("::1") && is_ip("10.0.0.0/24") && !is_ip("10.1.2.256"));
        assert!(is_fqdn("web01.corp.example.com") && !is_fqdn("a.khan") && !is_fqdn("1.2.3.4") && !is_fqdn("8.8.1"));
        assert!(is_date("2024-02-29") && !is_date("2023-02-29") && !is_date("2008 R2") && !is_date("14.04"));
        assert!(!parse_number("inf") && !parse_number("NaN") && parse_number("-1.5e3"));
        assert!(is_delimited_list("a, b") && !is_delimited_list("Smith, John Q") && !is_delimited_list("a;"));
    }

    #[test]
    fn large_batches_are_linear() {
        let columns: Vec<String> = (0..3).map(|i| format!("c{i}")).collect();
        let records: Vec<SourceRecord> = (0..100_000)
            .map(|i| {
                let mut fields = Map::new();
                for (j, c) in columns.iter().enumerate() {
                    fields.insert(c.clone(), Value::String(format!("v{}", (i * (j + 1)) % 5000)));
                }
                SourceRecord {
                    row_number: i as i64 + 1,
                    line_number: i as i64 + 2,
                    fields,
                }
            })
            .collect();
        let batch = ImportBatch { columns, records };
        let out = FormatDetection.run(&batch).unwrap();
        assert_eq!(out.value.columns.len(), 3);
        assert_eq!(out.value.columns[0].distinct, 5000);
        let out = DataValidation.run(&batch).unwrap();
        assert_eq!(out.value.rows_checked, 100_000);
    }

    #[test]
    fn weird_input_does_not_panic() {
        let batch = ImportBatch {
            columns: vec!["".into(), "\u{0}".into(), "ñ".into()],
            records: vec![
                record(1, json!({"": "\u{FFFD}\u{FFFD}", "\u{0}": "-", "ñ": "..."})),
                record(2, json!({"": "١٢٣", "\u{0}": "+", "ñ": "1.2.3.4/"})),
                record(3, json!({"": "e", "\u{0}": "Ã", "ñ": "â€"})),
            ],
        };
        assert!(FormatDetection.run(&batch).is_ok());
        assert!(DataValidation.run(&batch).is_ok());
    }
}
