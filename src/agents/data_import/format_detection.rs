//! `format_detection` (data_import): the profile of every column: its inferred type (by the
//! shapes in [`value_shapes`](crate::agents::vocabulary::value_shapes)), fill rate, distinct count and samples. Linear in the number of
//! values, so it copes with large imports.

use std::collections::HashSet;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agents::types::{Agent, AgentError, AgentOutput, ImportBatch, SourceRecord};
use crate::agents::vocabulary::value_shapes::{
    is_date, is_delimited_list, is_fqdn, is_ip, parse_integer, parse_number, parse_size,
};
use crate::domain::PhaseName;

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

fn is_boolean_word(t: &str) -> bool {
    ["true", "false", "yes", "no", "y", "n"]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::agents::test_fixtures::{csv_batch, source_record as record};

    fn profile(batch: &ImportBatch, column: &str) -> ColumnStats {
        let out = FormatDetection.run(batch).unwrap();
        out.value.columns.into_iter().find(|c| c.name == column).unwrap()
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
}
