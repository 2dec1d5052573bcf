//! Numeric columns nobody named: CPU cores, memory and disk told apart by their values. Cores are
//! small whole numbers without a unit; memory carries MB/GB units or powers of two; disk is the
//! larger of what remains. A weaker kind of evidence than a header: mapped at moderate confidence.

use super::evidence::value_texts;
use crate::agents::types::{FieldMapping, SourceRecord};

/// Least share of a column's values that must read as a quantity.
const NUMERIC_SHARE: f64 = 0.9;
const FEWEST: usize = 5;
/// What a placement by distribution alone is worth.
const CONFIDENCE: f64 = 0.65;

/// A numeric column's shape.
struct Shape {
    column: usize,
    /// Amounts in GB where a unit said so, else as written.
    amounts: Vec<f64>,
    with_unit: usize,
}

impl Shape {
    fn median(&self) -> f64 {
        let mut v = self.amounts.clone();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    fn max(&self) -> f64 {
        self.amounts.iter().copied().fold(0.0, f64::max)
    }

    fn unit_share(&self) -> f64 {
        self.with_unit as f64 / self.amounts.len() as f64
    }

    fn whole(&self) -> bool {
        self.amounts.iter().all(|a| a.fract() == 0.0)
    }

    /// Distinct amounts per amount: a row number or an id never repeats, a core count does.
    fn variety(&self) -> f64 {
        let mut v = self.amounts.clone();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v.len() as f64 / self.amounts.len() as f64
    }

    fn powers_of_two(&self) -> f64 {
        let n = self
            .amounts
            .iter()
            .filter(|a| a.fract() == 0.0 && (**a as u64).is_power_of_two())
            .count();
        n as f64 / self.amounts.len() as f64
    }

    fn range(&self) -> String {
        let min = self.amounts.iter().copied().fold(f64::INFINITY, f64::min);
        format!("from {min} to {} (median {})", self.max(), self.median())
    }
}

/// `16`, `16 GB`, `16384 MB`, `16 Go`: the amount in GB when a unit is given, and whether it was.
fn quantity(text: &str) -> Option<(f64, bool)> {
    let t = text.trim().to_lowercase();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(t.len());
    let amount: f64 = t[..end]
        .replace(',', ".")
        .parse()
        .ok()
        .filter(|a: &f64| a.is_finite() && *a >= 0.0)?;
    let factor = match t[end..].trim() {
        "" => return Some((amount, false)),
        "mb" | "mib" | "mo" | "m" => 1.0 / 1024.0,
        "gb" | "gib" | "go" | "g" => 1.0,
        "tb" | "tib" | "to" | "t" => 1024.0,
        _ => return None,
    };
    Some((amount * factor, true))
}

fn shape(column: usize, field: &str, records: &[SourceRecord]) -> Option<Shape> {
    let (mut amounts, mut with_unit, mut values) = (Vec::new(), 0, 0);
    for record in records {
        let Some(texts) = record.fields.get(field).and_then(value_texts) else {
            continue;
        };
        values += 1;
        if let [text] = texts.as_slice()
            && let Some((amount, unit)) = quantity(text)
        {
            amounts.push(amount);
            with_unit += usize::from(unit);
        }
    }
    (values >= FEWEST && amounts.len() as f64 >= NUMERIC_SHARE * values as f64).then_some(Shape {
        column,
        amounts,
        with_unit,
    })
}

/// Places unmapped numeric columns on cores, memory and disk when those are free; returns how
/// many it placed.
pub(super) fn place_sizes(mappings: &mut [FieldMapping], records: &[SourceRecord], agent: &str) -> usize {
    let free = |a: &str| !mappings.iter().any(|m| m.target_attribute.as_deref() == Some(a));
    let (cores_free, memory_free, storage_free) = (free("cpu_cores"), free("memory_gb"), free("storage_gb"));
    let mut shapes: Vec<Shape> = mappings
        .iter()
        .enumerate()
        .filter(|(_, m)| m.target_attribute.is_none())
        .filter_map(|(i, m)| shape(i, &m.source_field, records))
        .collect();
    let mut placed: Vec<(usize, &'static str, String)> = Vec::new();

    if cores_free
        && let Some(at) = position_min(&shapes, |s| {
            (s.unit_share() == 0.0 && s.whole() && s.max() <= 512.0 && s.variety() <= 0.5).then(|| s.median())
        })
    {
        let s = shapes.remove(at);
        placed.push((
            s.column,
            "cpu_cores",
            format!("whole numbers without a unit {}", s.range()),
        ));
    }
    if memory_free
        && let Some(at) = position_min(&shapes, |s| {
            // Units first, then powers of two: the memory column, not the disk.
            (s.unit_share() >= 0.3 || s.powers_of_two() >= 0.8).then(|| -(s.unit_share() + s.powers_of_two()))
        })
    {
        let s = shapes.remove(at);
        placed.push((
            s.column,
            "memory_gb",
            format!("sizes, {:.0}% with a unit, {}", s.unit_share() * 100.0, s.range()),
        ));
    }
    if storage_free && let Some(at) = position_min(&shapes, |s| (s.median() >= 20.0).then(|| -s.median())) {
        let s = shapes.remove(at);
        placed.push((
            s.column,
            "storage_gb",
            format!("sizes, the largest of the numeric columns, {}", s.range()),
        ));
    }
    for (column, attribute, why) in &placed {
        let m = &mut mappings[*column];
        m.reasoning = format!(
            "Decided by its values (a weaker kind of evidence): {why}, which is how {attribute} reads; no other column \
             maps {attribute}. Header evidence: {}",
            m.reasoning
        );
        m.target_attribute = Some(attribute.to_string());
        m.confidence = CONFIDENCE;
        m.agent = agent.to_string();
    }
    placed.len()
}

/// The index of the shape with the least key, among those that have one.
fn position_min(shapes: &[Shape], key: impl Fn(&Shape) -> Option<f64>) -> Option<usize> {
    shapes
        .iter()
        .enumerate()
        .filter_map(|(i, s)| key(s).map(|k| (i, k)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}
