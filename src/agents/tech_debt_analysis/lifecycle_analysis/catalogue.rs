//! The lifecycle catalogue: every release cycle of the endoflife.date snapshot the project carries
//! (`data/endoflife/releases.tsv`), under the product names of the project's own vocabulary
//! (`products.tsv`), with the project's documented corrections (`adjustments.tsv`). Built once, on
//! first use.
//!
//! How the snapshot's columns become support phases (endoflife.date's README; each product page's
//! `eoasColumn`/`eolColumn`/`eoesColumn` name them):
//! - `mainstream_end` = `eoas` (end of active support: Microsoft mainstream, Red Hat Full Support,
//!   Ubuntu hardware and maintenance updates), or `eol` where the product has one phase only.
//! - `standard_end` = `eol` (end of the vendor's ordinary support: Microsoft extended support, Red Hat
//!   Maintenance, Oracle Premier, SUSE general support, Ubuntu standard security maintenance).
//! - `extended_end` = `eoes` (the paid programme after it: ESU, ELS, ESM, LTSS, Oracle Extended
//!   Support, Debian LTS), or `eol` when there is none.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

use super::snapshot::{EMBEDDED, Snapshot, SnapshotProduct, SnapshotRelease};

const PRODUCTS: &str = include_str!("../../../../data/endoflife/products.tsv");
const ADJUSTMENTS: &str = include_str!("../../../../data/endoflife/adjustments.tsv");
const SUPPLEMENT: &str = include_str!("../../../../data/endoflife/supplement.tsv");

/// The end of a support phase: a date, ended on a date the source does not give (`eol: true`), or
/// no end announced (`eol: false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SupportEnd {
    /// Sorts first: the earliest end.
    Ended,
    On(NaiveDate),
    Open,
}

impl SupportEnd {
    /// Whether the phase is over on `today` (the date is its last supported day).
    pub fn over_on(self, today: NaiveDate) -> bool {
        match self {
            SupportEnd::Ended => true,
            SupportEnd::On(d) => today > d,
            SupportEnd::Open => false,
        }
    }

    pub fn date(self) -> Option<NaiveDate> {
        match self {
            SupportEnd::On(d) => Some(d),
            _ => None,
        }
    }

    fn parse(text: &str) -> Option<SupportEnd> {
        match text {
            "true" => Some(SupportEnd::Ended),
            "false" => Some(SupportEnd::Open),
            d => NaiveDate::parse_from_str(d, "%Y-%m-%d").ok().map(SupportEnd::On),
        }
    }
}

impl fmt::Display for SupportEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupportEnd::On(d) => write!(f, "{d}"),
            SupportEnd::Ended => f.write_str("an unpublished date"),
            SupportEnd::Open => f.write_str("no announced date"),
        }
    }
}

impl Serialize for SupportEnd {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SupportEnd::On(d) => d.serialize(s),
            SupportEnd::Ended => s.serialize_bool(true),
            SupportEnd::Open => s.serialize_bool(false),
        }
    }
}

/// A product of the project's vocabulary (`products.tsv`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductLine {
    pub slug: String,
    /// Display name: `Windows Server`, `Red Hat Enterprise Linux`, `Oracle Database`.
    pub product: String,
    /// windows, linux, unix, hypervisor, appliance, database, runtime.
    pub family: String,
    pub scheme: String,
    /// Names as word lists, with whether each is weak (needs a version and no excluding word).
    #[serde(skip)]
    pub names: Vec<(Vec<String>, bool)>,
    #[serde(skip)]
    pub excludes: Vec<String>,
    /// Non-empty when the snapshot's cycles are updates of a release (`TL`: AIX `7.3.2` is 7.3
    /// Technology Level 2): the catalogue then also holds each release, on its latest update's dates.
    #[serde(skip)]
    pub update_marker: String,
}

/// One release cycle's support dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LifecycleEntry {
    /// The endoflife.date page and release cycle (`windows-server`, `2008-r2-sp1`).
    pub slug: String,
    pub cycle: String,
    /// Display name: `Windows Server`, `Red Hat Enterprise Linux`, `Oracle Database`, ...
    pub product: String,
    /// Display version: `2008 R2 SP1`, `6`, `22.04`, `19c`, ...
    pub version: String,
    pub family: String,
    pub mainstream_end: SupportEnd,
    /// End of the vendor's ordinary lifecycle, before any add-on programme (== `extended_end` when
    /// there is none).
    pub standard_end: SupportEnd,
    /// Last date any vendor support (add-ons included) exists.
    pub extended_end: SupportEnd,
    /// The add-on programme covering `standard_end..extended_end`; empty when there is none.
    pub add_on: String,
    /// Where the project reads this cycle differently from the snapshot, and why; else empty.
    pub note: String,
    /// The version numbers, tags and service pack the cycle is matched on (`2008-r2-sp1` →
    /// [2008], [r2], 1); `latest`'s numbers (Windows builds; for a release made of updates, the
    /// latest update's cycle).
    #[serde(skip)]
    pub key: CycleKey,
    #[serde(skip)]
    pub latest: Vec<u32>,
    #[serde(skip)]
    pub codename: String,
    /// For an update cycle (`7.3.2`), the release it updates (`7.3`); else empty. Identification
    /// resolves to releases and names the update beside them.
    #[serde(skip)]
    pub update_of: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleKey {
    pub nums: Vec<u32>,
    pub tags: Vec<String>,
    pub sub: Option<u32>,
}

impl LifecycleEntry {
    /// `Windows Server 2008 R2 SP1`, `Oracle Database 19c`.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.product, self.version)
    }
}

/// Dotted numbers (`10.50` → [10, 50]); `None` when any part is not a number.
pub(super) fn dotted(text: &str) -> Option<Vec<u32>> {
    text.split('.').map(|p| p.parse().ok()).collect()
}

/// `2008-r2-sp1` → [2008], [r2], 1; `11.0-sp4` → [11, 0], [], 4; `13.0-sp3-acp` → [13, 0], [acp], 3.
fn cycle_key(cycle: &str) -> CycleKey {
    let mut parts = cycle.split('-');
    let first = parts.next().unwrap_or_default();
    let mut key = CycleKey::default();
    match dotted(first) {
        Some(nums) => key.nums = nums,
        None => key.tags.push(first.to_lowercase()),
    }
    for part in parts {
        let lower = part.to_lowercase();
        match lower.strip_prefix("sp").and_then(|n| n.parse().ok()) {
            Some(sp) => key.sub = Some(sp),
            None => key.tags.push(lower),
        }
    }
    key
}

/// The version as the vendor names it, from the release label (`Windows Server 2008 R2 SP1` →
/// `2008 R2 SP1`, `2012 'Denali' SP4` → `2012 SP4`, `12c Release 2`), else the cycle.
fn display_version(p: &SnapshotProduct, line: &ProductLine, r: &SnapshotRelease) -> String {
    if r.label.is_empty() || r.label.contains("{{") {
        return r.cycle.clone();
    }
    let label = r
        .label
        .replace("__RELEASE_CYCLE__", &r.cycle)
        .replace("__CODENAME__", "")
        .replace("''", "")
        .replace("()", "");
    let mut rest = label.trim();
    for prefix in [p.title.as_str(), line.product.as_str()] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest).trim();
    }
    let words: Vec<&str> = rest.split_whitespace().collect();
    if words.is_empty() {
        r.cycle.clone()
    } else {
        words.join(" ")
    }
}

fn add_on_name(p: &SnapshotProduct) -> String {
    if p.eoes_column.is_empty() {
        "extended support (paid)".to_string()
    } else {
        format!("{} (paid)", p.eoes_column)
    }
}

/// Marks `entries[first..]` (one product's cycles) as updates of their releases (`7.3.2` → `7.3`,
/// shown `7.3 TL2`) and adds each release, on the dates of its latest update: a newer update is
/// a routine step within the release, so the release lives as long as its latest update does.
fn add_releases(entries: &mut Vec<LifecycleEntry>, first: usize, line: &ProductLine) -> Result<(), String> {
    let mut releases: Vec<LifecycleEntry> = Vec::new();
    for e in &mut entries[first..] {
        let Some((&update, release)) = e.key.nums.split_last().filter(|(_, r)| !r.is_empty()) else {
            return Err(format!(
                "{} {}: an update cycle needs a release before it",
                e.slug, e.cycle
            ));
        };
        let cycle = release.iter().map(u32::to_string).collect::<Vec<_>>().join(".");
        e.version = format!("{cycle} {}{update}", line.update_marker);
        e.update_of = cycle.clone();
        match releases.iter_mut().find(|r| r.cycle == cycle) {
            Some(r) if r.latest >= e.key.nums => {}
            found => {
                let release_entry = LifecycleEntry {
                    cycle: cycle.clone(),
                    version: cycle.clone(),
                    key: CycleKey {
                        nums: release.to_vec(),
                        ..CycleKey::default()
                    },
                    // The release's latest update, by its numbers.
                    latest: e.key.nums.clone(),
                    update_of: String::new(),
                    ..e.clone()
                };
                match found {
                    Some(r) => *r = release_entry,
                    None => releases.push(release_entry),
                }
            }
        }
    }
    entries.extend(releases);
    Ok(())
}

/// The latest update of a release (`7.3` → `7.3.4`), for a product whose cycles are updates.
pub fn latest_update(release: &LifecycleEntry) -> Option<&'static LifecycleEntry> {
    catalogue()
        .cycles(&release.slug)
        .find(|e| e.update_of == release.cycle && e.key.nums == release.latest)
}

pub struct Catalogue {
    pub snapshot_commit: String,
    pub snapshot_date: String,
    pub lines: Vec<ProductLine>,
    pub entries: Vec<LifecycleEntry>,
    by_slug: HashMap<String, Vec<usize>>,
}

fn read_lines(text: &str) -> Result<Vec<ProductLine>, String> {
    let mut lines = Vec::new();
    for row in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 5 {
            return Err(format!("products.tsv: {row:?}"));
        }
        let names = f[4]
            .split(',')
            .map(|n| {
                let weak = n.starts_with('~');
                (super::identify::words_of(n.trim_start_matches('~')), weak)
            })
            .filter(|(w, _)| !w.is_empty())
            .collect();
        let excludes = f.get(5).map(|e| super::identify::words_of(e)).unwrap_or_default();
        let update_marker = f.get(6).map(|m| m.trim().to_string()).unwrap_or_default();
        lines.push(ProductLine {
            slug: f[0].into(),
            product: f[1].into(),
            family: f[2].into(),
            scheme: f[3].into(),
            names,
            excludes,
            update_marker,
        });
    }
    Ok(lines)
}

type Adjustment = (String, String, String, SupportEnd, String);

fn read_adjustments(text: &str) -> Result<Vec<Adjustment>, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|row| {
            let f: Vec<&str> = row.split('\t').collect();
            match f.as_slice() {
                [slug, cycle, field @ ("eoas" | "eol" | "eoes"), value, reason] => {
                    let end = SupportEnd::parse(value).ok_or_else(|| format!("adjustments.tsv: {value:?}"))?;
                    Ok((
                        slug.to_string(),
                        cycle.to_string(),
                        field.to_string(),
                        end,
                        reason.to_string(),
                    ))
                }
                _ => Err(format!("adjustments.tsv: {row:?}")),
            }
        })
        .collect()
}

impl Catalogue {
    pub fn build(snapshot: &Snapshot, products: &str, adjustments: &str) -> Result<Catalogue, String> {
        let lines = read_lines(products)?;
        let adjustments = read_adjustments(adjustments)?;
        let mut used = vec![false; adjustments.len()];
        let mut entries = Vec::new();
        for line in &lines {
            let Some(p) = snapshot.products.iter().find(|p| p.slug == line.slug) else {
                return Err(format!(
                    "products.tsv names `{}`, which the snapshot does not have",
                    line.slug
                ));
            };
            let first = entries.len();
            for r in &p.releases {
                let (mut eoas, mut eol, mut eoes) = (r.eoas.clone(), r.eol.clone(), r.eoes.clone());
                let mut notes = Vec::new();
                for (i, (slug, cycle, field, end, reason)) in adjustments.iter().enumerate() {
                    if *slug != p.slug || *cycle != r.cycle {
                        continue;
                    }
                    used[i] = true;
                    let slot = match field.as_str() {
                        "eoas" => &mut eoas,
                        "eol" => &mut eol,
                        _ => &mut eoes,
                    };
                    notes.push(format!(
                        "endoflife.date ({} snapshot) gives {field} {}; this catalogue uses {end}: {reason}",
                        snapshot.date,
                        if slot.is_empty() { "nothing" } else { slot.as_str() }
                    ));
                    *slot = end.to_string();
                }
                // A cycle without any end (a page's odd row) is left out rather than guessed.
                let Some(standard_end) = SupportEnd::parse(&eol) else {
                    continue;
                };
                let mainstream_end = SupportEnd::parse(&eoas)
                    .filter(|e| *e != SupportEnd::Open)
                    .map_or(standard_end, |e| e.min(standard_end));
                let extended_end = match SupportEnd::parse(&eoes) {
                    Some(e @ (SupportEnd::On(_) | SupportEnd::Ended)) => e.max(standard_end),
                    _ => standard_end,
                };
                let add_on = if extended_end != standard_end {
                    add_on_name(p)
                } else {
                    String::new()
                };
                entries.push(LifecycleEntry {
                    slug: p.slug.clone(),
                    cycle: r.cycle.clone(),
                    product: line.product.clone(),
                    version: display_version(p, line, r),
                    family: line.family.clone(),
                    mainstream_end,
                    standard_end,
                    extended_end,
                    add_on,
                    note: notes.join("; "),
                    key: cycle_key(&r.cycle),
                    latest: r.latest.split(['.', '-']).map_while(|p| p.parse().ok()).collect(),
                    codename: r.codename.to_lowercase(),
                    update_of: String::new(),
                });
            }
            if !line.update_marker.is_empty() {
                add_releases(&mut entries, first, line)?;
            }
        }
        if let Some(i) = used.iter().position(|u| !u) {
            let (slug, cycle, field, ..) = &adjustments[i];
            return Err(format!(
                "adjustments.tsv: {slug} {cycle} {field} matches no release cycle"
            ));
        }
        let mut by_slug: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_slug.entry(e.slug.clone()).or_default().push(i);
        }
        Ok(Catalogue {
            snapshot_commit: snapshot.commit.clone(),
            snapshot_date: snapshot.date.clone(),
            lines,
            entries,
            by_slug,
        })
    }

    /// The release cycles of one product.
    pub fn cycles<'a>(&'a self, slug: &str) -> impl Iterator<Item = &'a LifecycleEntry> + 'a {
        self.by_slug.get(slug).into_iter().flatten().map(|&i| &self.entries[i])
    }
}

/// The catalogue the binary carries (the snapshot, plus `supplement.tsv` for products it does not
/// cover), built on first use.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let mut snapshot = Snapshot::parse_tsv(EMBEDDED).expect("data/endoflife/releases.tsv reads");
        let supplement = Snapshot::parse_tsv(SUPPLEMENT).expect("data/endoflife/supplement.tsv reads");
        // The snapshot wins for every cycle it has; the supplement adds products and cycles it lacks
        // (AIX 5.3, ended before endoflife.date tracked AIX).
        for p in supplement.products {
            match snapshot.products.iter_mut().find(|s| s.slug == p.slug) {
                Some(s) => {
                    let missing: Vec<_> = p
                        .releases
                        .into_iter()
                        .filter(|r| !s.releases.iter().any(|have| have.cycle == r.cycle))
                        .collect();
                    s.releases.extend(missing);
                }
                None => snapshot.products.push(p),
            }
        }
        Catalogue::build(&snapshot, PRODUCTS, ADJUSTMENTS).expect("data/endoflife/ is consistent")
    })
}

/// The catalogue entry for an endoflife.date product and release cycle (`rhel`, `7`).
pub fn lookup(slug: &str, cycle: &str) -> Option<&'static LifecycleEntry> {
    catalogue().cycles(slug).find(|e| e.cycle == cycle)
}

/// A date in a test.
#[cfg(test)]
pub(super) const fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}
