//! What a column's sampled values say: how many fit each detector, a few examples to show a
//! person, how varied they are, and whether its cells name other rows of the same file (what a
//! dependency column does).

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::detectors::Detector;
use crate::agents::types::SourceRecord;
use crate::agents::vocabulary::text::fold;
use crate::agents::vocabulary::value_shapes::is_ip;

/// Examples a reasoning quotes.
const EXAMPLES: usize = 3;

/// How many of a column's non-empty sampled values fit each detector.
pub(super) struct ValueProfile {
    pub(super) values: usize,
    pub(super) fits: Vec<usize>,
    /// Distinct values (case and spacing folded).
    pub(super) distinct: usize,
    pub(super) examples: Vec<String>,
}

impl ValueProfile {
    pub(super) fn of(field: &str, records: &[SourceRecord], detectors: &[Detector]) -> ValueProfile {
        let mut profile = ValueProfile {
            values: 0,
            fits: vec![0; detectors.len()],
            distinct: 0,
            examples: Vec::new(),
        };
        let mut seen: HashSet<String> = HashSet::new();
        for record in records {
            let Some(value) = record.fields.get(field) else {
                continue;
            };
            let Some(texts) = value_texts(value) else {
                continue;
            };
            profile.values += 1;
            let whole = texts.join(", ");
            if seen.insert(fold(&whole)) && profile.examples.len() < EXAMPLES {
                profile.examples.push(whole.chars().take(60).collect());
            }
            let is_array = value.is_array();
            for (d, count) in detectors.iter().zip(profile.fits.iter_mut()) {
                // An array is a list of names whatever its items; otherwise every item must fit.
                let fits = if is_array && d.attribute == "depends_on" {
                    true
                } else {
                    !texts.is_empty() && texts.iter().all(|t| (d.fits)(t))
                };
                *count += usize::from(fits);
            }
        }
        profile.distinct = seen.len();
        profile
    }

    pub(super) fn share(&self, detector_index: usize) -> f64 {
        if self.values == 0 {
            0.0
        } else {
            self.fits[detector_index] as f64 / self.values as f64
        }
    }

    /// Distinct values per value: near 1 for names and addresses, low for categories.
    pub(super) fn variety(&self) -> f64 {
        if self.values == 0 {
            0.0
        } else {
            self.distinct as f64 / self.values as f64
        }
    }

    /// `(e.g. 'Serveur', 'Base de données')`, or nothing without examples.
    pub(super) fn quoted_examples(&self) -> String {
        if self.examples.is_empty() {
            return String::new();
        }
        let quoted: Vec<String> = self.examples.iter().map(|e| format!("'{e}'")).collect();
        format!(" (e.g. {})", quoted.join(", "))
    }
}

/// A value's text items: one for scalars, one per non-blank item for arrays; `None` when blank.
pub(super) fn value_texts(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(vec![b.to_string()]),
        Value::Number(n) => Some(vec![n.to_string()]),
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| vec![t.to_string()])
        }
        Value::Array(items) => {
            let texts: Vec<String> = items.iter().filter_map(value_texts).flatten().collect();
            (!texts.is_empty()).then_some(texts)
        }
        // Objects survive flattening only when empty; nothing detector-shaped inside.
        Value::Object(map) => (!map.is_empty()).then(Vec::new),
    }
}

/// Columns whose values identify their row (nearly all filled, nearly all different): names,
/// host names, FQDNs, addresses.
const IDENTITY_VARIETY: f64 = 0.7;
const IDENTITY_FILLED: f64 = 0.5;

/// The sample's row identities: every spelling that names a row (a cell of an identity column,
/// each address of a list, an FQDN's first label), folded, with the rows it names.
pub(super) struct RowIdentities {
    rows_by_key: HashMap<String, Vec<usize>>,
}

impl RowIdentities {
    /// From every column but `except` (the one being judged).
    pub(super) fn of(records: &[SourceRecord], columns: &[&str], except: &str) -> RowIdentities {
        let mut rows_by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for column in columns.iter().filter(|c| **c != except) {
            let mut cells: Vec<(usize, String)> = Vec::new();
            for (row, record) in records.iter().enumerate() {
                if let Some(texts) = record.fields.get(*column).and_then(value_texts) {
                    cells.extend(texts.into_iter().map(|t| (row, t)));
                }
            }
            let distinct: HashSet<String> = cells.iter().map(|(_, t)| fold(t)).collect();
            let filled = cells.len() as f64 / records.len().max(1) as f64;
            if cells.is_empty()
                || filled < IDENTITY_FILLED
                || (distinct.len() as f64 / cells.len() as f64) < IDENTITY_VARIETY
            {
                continue;
            }
            for (row, text) in cells {
                // `10.0.0.5, 192.168.0.5`: every address of a list names the row.
                for item in text.split([',', ';', '\n']).map(str::trim) {
                    for key in spellings(item) {
                        rows_by_key.entry(key).or_default().push(row);
                    }
                }
            }
        }
        RowIdentities { rows_by_key }
    }

    /// Whether `text` names a row other than `row`.
    fn names_other_row(&self, text: &str, row: usize) -> bool {
        spellings(text).iter().any(|k| {
            self.rows_by_key
                .get(k)
                .is_some_and(|rows| rows.iter().any(|r| *r != row))
        })
    }

    /// How many of the column's filled cells name at least one other row, by a whole item or a
    /// word of one (`hébergée sur srv0036`, `10.0.0.5 + web01`), and how many cells are filled.
    pub(super) fn cells_naming_rows(&self, records: &[SourceRecord], column: &str) -> (usize, usize) {
        let (mut naming, mut filled) = (0, 0);
        for (row, record) in records.iter().enumerate() {
            let Some(texts) = record.fields.get(column).and_then(value_texts) else {
                continue;
            };
            filled += 1;
            let hit = texts.iter().any(|cell| {
                cell.split([',', ';', '|', '+', '\n', '/'])
                    .map(str::trim)
                    .filter(|i| !i.is_empty())
                    .any(|item| {
                        self.names_other_row(item, row)
                            || item
                                .split(|c: char| c.is_whitespace() || c == ':')
                                .filter(|w| w.len() > 1)
                                .any(|w| self.names_other_row(w, row))
                    })
            });
            naming += usize::from(hit);
        }
        (naming, filled)
    }
}

/// The folded spellings that name one value: itself, and an FQDN's first label.
fn spellings(text: &str) -> Vec<String> {
    let t = text.trim().trim_end_matches('.').to_lowercase();
    if t.is_empty() {
        return Vec::new();
    }
    let mut out = vec![t.clone()];
    if !is_ip(&t)
        && let Some((label, _)) = t.split_once('.')
        && !label.is_empty()
    {
        out.push(label.to_string());
    }
    out
}
