//! Identification of messy product text (`Windows Srv 2008R2 Ent.`, `rhel-6.10`, `SunOS 5.10`,
//! `Oracle 11.2.0.4`, `MSSQL2014`, `10.0.17763`) as a product of the vocabulary (`products.tsv`)
//! and, where the text says enough, one release cycle of the catalogue.
//!
//! Two steps: the product is the first whose name appears as words in the text; its `scheme` then
//! reads the version, in either direction between marketing names and version numbers (`2008 R2` ↔
//! NT 6.1, SQL Server `2012` ↔ 11.0, Oracle `11g R2` ↔ 11.2, Solaris ↔ SunOS 5.x), and the version is
//! matched to the cycles. Text less precise than the cycles (`ubuntu-14`, `Solaris 11`) takes the
//! longest-supported cycle that fits and says so: an asset is only called out of support when every
//! reading of its text is.

use serde_json::Value;

use super::catalogue::{LifecycleEntry, ProductLine, catalogue};
use crate::agents::types::AssetFacts;

/// Lower-case words: letters and digits, with dots kept only between digits (`rhel-6.10` → `rhel`,
/// `6.10`; `asp.net` → `asp`, `net`).
pub fn words_of(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let dot_in_number =
            c == '.' && i > 0 && chars[i - 1].is_ascii_digit() && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if c.is_alphanumeric() || dot_in_number {
            word.push(c);
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Architecture and bitness words carry numbers that are not versions.
const NOISE: &[&str] = &[
    "x86_64", "x86-64", "amd64", "x64", "x86", "i386", "i686", "64-bit", "32-bit", "64 bit", "32 bit", "64bit",
    "32bit", "64 bits", "32 bits", "64-bits", "32-bits", "sparc64", "ppc64le", "ppc64", "aarch64", "arm64",
];

/// "This version or a later one": the text names a family, not a release.
const FAMILY_ONLY: &[&str] = &[
    "or later",
    "or newer",
    "or higher",
    "or above",
    "and later",
    "and above",
    "ou ultérieur",
    "ou ultérieure",
    "ou supérieur",
    "ou supérieure",
    "oder höher",
    "oder neuer",
    "oder später",
    "o posterior",
    "o superior",
    "o successivo",
    "o superiore",
    "of hoger",
    "of later",
    "ou posterior",
    "ou superior",
];

/// A run of digits and dots in the text (`14.04.6` → [14, 4, 6]), with where it starts and ends.
#[derive(Debug, Clone)]
pub(super) struct Num {
    pub parts: Vec<u32>,
    /// As written (`22.04`).
    pub raw: String,
    pub end: usize,
}

fn numbers(text: &str) -> Vec<Num> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len()
            && (bytes[i].is_ascii_digit() || (bytes[i] == b'.' && i + 1 < bytes.len() && bytes[i + 1].is_ascii_digit()))
        {
            i += 1;
        }
        // Over-long digit runs become u32::MAX and match nothing.
        let parts = text[start..i]
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(u32::MAX))
            .collect();
        out.push(Num {
            parts,
            raw: text[start..i].to_string(),
            end: i,
        });
    }
    out
}

/// The text prepared once for every product's test.
pub(super) struct Probe {
    pub text: String,
    pub words: Vec<String>,
    /// Letters and digits only (`win2k8r2`, `12cr2`).
    pub compact: String,
    pub nums: Vec<Num>,
}

impl Probe {
    fn new(text: &str) -> Probe {
        let mut lower = format!(" {} ", text.to_lowercase());
        for noise in NOISE {
            if lower.contains(noise) {
                lower = lower.replace(noise, " ");
            }
        }
        Probe {
            words: words_of(&lower),
            compact: lower.chars().filter(|c| c.is_alphanumeric()).collect(),
            nums: numbers(&lower),
            text: lower,
        }
    }

    pub fn has_word(&self, w: &str) -> bool {
        self.words.iter().any(|x| x == w)
    }

    /// The number right after a marker at a word's start or after a digit (`sp5`, `sp 5`, `15sp4`,
    /// `tl05`, `release 2`).
    pub fn after_marker(&self, markers: &[&str]) -> Option<u32> {
        self.words.iter().enumerate().find_map(|(i, w)| {
            markers.iter().find_map(|m| {
                w.match_indices(m).find_map(|(at, _)| {
                    let starts = at == 0 || w[..at].ends_with(|c: char| c.is_ascii_digit());
                    let rest = &w[at + m.len()..];
                    let digits = if rest.is_empty() {
                        self.words.get(i + 1)?.as_str()
                    } else {
                        rest
                    };
                    if starts { digits.parse().ok() } else { None }
                })
            })
        })
    }

    fn family_only(&self) -> bool {
        FAMILY_ONLY.iter().any(|f| self.text.contains(f))
            || self.nums.iter().any(|n| self.text.as_bytes().get(n.end) == Some(&b'+'))
            || self.nums.windows(2).any(|w| {
                w[0].parts.len() == 1
                    && self.text.as_bytes().get(w[0].end) == Some(&b'/')
                    && w[1].parts.len() == 1
                    && !month_and_year(&w[0], &w[1])
            })
    }
}

/// `9/05`, `03/20`, `10/2013`: a month and a year (a release date), not a list of versions (`6/7`,
/// `2008/2012`). A zero-padded number is a date's; so is a four-digit year after a month.
fn month_and_year(month: &Num, year: &Num) -> bool {
    let padded = |n: &Num| n.raw.len() == 2 && n.raw.starts_with('0');
    (1..=12).contains(&month.parts[0])
        && (padded(month) || padded(year) || year.raw.len() == 4 && (1990..2100).contains(&year.parts[0]))
}

/// Whether `name` (words) occurs in the text; its last word may run into a version (`rhel7`).
fn name_matches(words: &[String], name: &[String]) -> bool {
    let n = name.len();
    if n == 0 || words.len() < n {
        return false;
    }
    (0..=words.len() - n).any(|at| {
        name[..n - 1].iter().zip(&words[at..]).all(|(a, b)| a == b) && {
            let (last, word) = (&name[n - 1], &words[at + n - 1]);
            word == last
                || word
                    .strip_prefix(last.as_str())
                    .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        }
    })
}

/// What the version part of the text asks for; see `resolve`.
#[derive(Debug, Clone, Default)]
pub(super) struct Request {
    pub nums: Vec<u32>,
    pub tags: Vec<String>,
    pub sub: Option<u32>,
    /// The text names a whole line (`Solaris 11`): any cycle of it may be meant.
    pub whole_line: bool,
    /// A cycle found directly (a build number, a codename).
    pub entry: Option<&'static LifecycleEntry>,
    /// The version as written, normalised (`6.10`, `2008 R2`, `12 SP5`).
    pub shown: String,
}

/// A product recognised in a text, with its release cycle when the text gives one.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    pub line: &'static ProductLine,
    pub entry: Option<&'static LifecycleEntry>,
    /// The version as the text gives it, normalised; `None` for a family only.
    pub version: Option<String>,
    /// Several cycles fit the text; the longest-supported was taken.
    pub ambiguous: bool,
    /// The text names a family (`Windows Server 2016 or later`), not a release.
    pub family_only: bool,
    /// The update of the release the text names, where the product's cycles are updates
    /// (`AIX 7.3 TL2` → 7.3, update `7.3 TL2`).
    pub update: Option<&'static LifecycleEntry>,
}

/// Recognises the product and release in a CMDB's text, with its version field if it has one.
pub fn recognise(product_text: &str, version: Option<&str>) -> Option<Recognised> {
    let mut text = product_text.to_string();
    if let Some(v) = version.filter(|v| !product_text.contains(v.trim())) {
        text.push(' ');
        text.push_str(v);
    }
    if text.trim().is_empty() {
        return None;
    }
    let probe = Probe::new(&text);
    for line in &catalogue().lines {
        let matched: Vec<&(Vec<String>, bool)> = line
            .names
            .iter()
            .filter(|(name, _)| name_matches(&probe.words, name))
            .collect();
        let Some(weak) = matched.iter().map(|(_, weak)| *weak).min() else {
            continue;
        };
        if weak && line.excludes.iter().any(|w| probe.has_word(w)) {
            continue;
        }
        // Words the product's scheme knows are not versions (Solaris update dates, build tags).
        let cleaned = super::schemes::without_noise(line, &probe.text).map(|t| Probe::new(&t));
        let probe = cleaned.as_ref().unwrap_or(&probe);
        let family_only = probe.family_only();
        // A name with a digit in it (`db2`) is not a version.
        let named_digits: Vec<&String> = matched
            .iter()
            .flat_map(|(name, _)| name)
            .filter(|w| w.contains(|c: char| c.is_ascii_digit()))
            .collect();
        let unnamed;
        let probe = if named_digits.is_empty() {
            probe
        } else {
            let rest: Vec<&str> = probe
                .words
                .iter()
                .filter(|w| !named_digits.contains(w))
                .map(String::as_str)
                .collect();
            unnamed = Probe::new(&rest.join(" "));
            &unnamed
        };
        let found = if family_only {
            None
        } else {
            super::schemes::request(line, probe).and_then(|req| resolve(line, req))
        };
        if weak && found.as_ref().is_none_or(|f| f.entry.is_none()) {
            continue;
        }
        let found = found.unwrap_or_default();
        return Some(Recognised {
            line,
            entry: found.entry,
            version: (!found.shown.is_empty()).then_some(found.shown),
            ambiguous: found.ambiguous,
            family_only,
            update: found.update,
        });
    }
    None
}

fn compatible(a: &[u32], b: &[u32]) -> bool {
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// What [`resolve`] found for a request.
#[derive(Debug, Default)]
struct Found {
    shown: String,
    entry: Option<&'static LifecycleEntry>,
    ambiguous: bool,
    update: Option<&'static LifecycleEntry>,
}

/// The cycle a request names: the most specific cycle the text is at least as precise as, or,
/// when the text is less precise than every cycle that fits, the longest-supported of them. Where
/// the cycles are updates of releases, the release, with the update the text names beside it.
fn resolve(line: &ProductLine, req: Request) -> Option<Found> {
    if let Some(e) = req.entry {
        return Some(Found {
            shown: req.shown,
            entry: Some(e),
            ..Found::default()
        });
    }
    if req.nums.is_empty() {
        return Some(Found {
            shown: req.shown,
            ..Found::default()
        });
    }
    let fits = |sub: Option<u32>| -> Vec<&'static LifecycleEntry> {
        catalogue()
            .cycles(&line.slug)
            .filter(|e| e.update_of.is_empty())
            .filter(|e| e.key.tags == req.tags && !e.key.nums.is_empty() && compatible(&e.key.nums, &req.nums))
            .filter(|e| sub.is_none() || e.key.sub == sub)
            .collect()
    };
    let mut cands = fits(req.sub);
    if cands.is_empty() && req.sub.is_some() {
        cands = fits(None);
    }
    let best = |es: &[&'static LifecycleEntry]| es.iter().copied().max_by_key(|e| (e.extended_end, e.key.sub));
    let within: Vec<_> = cands
        .iter()
        .copied()
        .filter(|e| e.key.nums.len() <= req.nums.len())
        .collect();
    let chosen = match within.iter().map(|e| e.key.nums.len()).max() {
        Some(len) if !req.whole_line => {
            let most_specific: Vec<_> = within.into_iter().filter(|e| e.key.nums.len() == len).collect();
            (best(&most_specific), false)
        }
        _ => {
            let wider: Vec<_> = cands
                .iter()
                .copied()
                .filter(|e| e.key.nums.len() >= req.nums.len())
                .collect();
            let distinct = wider
                .iter()
                .map(|e| &e.key.nums)
                .collect::<std::collections::HashSet<_>>();
            (best(&wider), distinct.len() > 1)
        }
    };
    let update = chosen.0.and_then(|release| {
        let named = req.nums.get(..release.key.nums.len() + 1)?;
        catalogue()
            .cycles(&line.slug)
            .find(|e| e.update_of == release.cycle && e.key.nums == named)
    });
    Some(Found {
        shown: req.shown,
        entry: chosen.0,
        ambiguous: chosen.0.is_some() && chosen.1,
        update,
    })
}

/// The catalogued cycle of a product text, as [`recognise`] finds it.
pub fn identify(product_text: &str, version: Option<&str>) -> Option<&'static LifecycleEntry> {
    recognise(product_text, version).and_then(|r| r.entry)
}

/// Attribute keys that may hold a database product when `operating_system` does not.
const PRODUCT_ATTRIBUTES: &[&str] = &[
    "db_product",
    "database_product",
    "db_engine",
    "database_engine",
    "engine",
    "db_version",
    "database_version",
    "product",
    "database",
    "platform",
];

/// Attribute keys that may hold a runtime (`Java 8`, `Python 2.7`).
const RUNTIME_ATTRIBUTES: &[&str] = &[
    "runtime",
    "runtime_version",
    "java_version",
    "framework",
    "middleware",
    "language",
];

fn attribute_text<'a>(asset: &'a AssetFacts, keys: &[&str]) -> impl Iterator<Item = &'a str> {
    asset.attributes.iter().filter_map(move |(k, v)| match v {
        Value::String(s) if keys.iter().any(|key| k.eq_ignore_ascii_case(key)) => Some(s.as_str()),
        _ => None,
    })
}

pub(super) fn is_runtime(family: &str) -> bool {
    family == "runtime"
}

/// What an asset's platform text says: `operating_system` with `os_version`, then `os_version`
/// alone, then product-like attributes. Runtimes are not an asset's platform. A recognised family
/// without a release is returned when nothing better is found.
pub fn recognise_asset(asset: &AssetFacts) -> Option<Recognised> {
    recognise_asset_with(asset, &mut recognise)
}

/// [`recognise_asset`] with the reader given (the agent passes one that remembers).
pub fn recognise_asset_with(
    asset: &AssetFacts,
    read: &mut impl FnMut(&str, Option<&str>) -> Option<Recognised>,
) -> Option<Recognised> {
    let platform = |r: &Recognised| !is_runtime(&r.line.family);
    let mut family = None;
    let candidates = asset
        .operating_system
        .as_deref()
        .map(|os| (os, asset.os_version.as_deref()))
        .into_iter()
        .chain(asset.os_version.as_deref().map(|v| (v, None)))
        .chain(attribute_text(asset, PRODUCT_ATTRIBUTES).map(|s| (s, None)));
    for (text, version) in candidates {
        match read(text, version).filter(platform) {
            Some(r) if r.entry.is_some() => return Some(r),
            Some(r) => family = family.or(Some(r)),
            None => {}
        }
    }
    family
}

/// The operating system or database cycle of an asset (see [`recognise_asset`]).
pub fn identify_asset(asset: &AssetFacts) -> Option<&'static LifecycleEntry> {
    recognise_asset(asset).and_then(|r| r.entry)
}

/// The runtime named in the asset's attributes, if catalogued.
pub fn identify_runtime(asset: &AssetFacts) -> Option<&'static LifecycleEntry> {
    attribute_text(asset, RUNTIME_ATTRIBUTES).find_map(|s| identify(s, None).filter(|e| is_runtime(&e.family)))
}
