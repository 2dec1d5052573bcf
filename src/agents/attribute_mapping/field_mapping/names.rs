//! Field names taken apart and compared: normalisation (words, dotted segments, a unit the name
//! gives) and a similarity score for names that are not in the dictionary.

use crate::agents::vocabulary::languages::vocabulary;
use crate::agents::vocabulary::text::fold;

/// Unit words a header may carry (`Memory (GB)`, `ram_mb`, `disk_size_in_gb`).
const UNIT_WORDS: &[&str] = &["bytes", "kb", "kib", "mb", "mib", "gb", "gib", "tb", "tib"];

/// A field name taken apart: its words, its dotted segments' words, and a unit it named.
#[derive(Debug, Clone, Default)]
pub(super) struct NameParts {
    pub(super) words: Vec<String>,
    /// Words per dotted segment (`network.ip` → `[[network], [ip]]`).
    pub(super) segments: Vec<Vec<String>>,
    pub(super) unit: Option<String>,
}

impl NameParts {
    pub(super) fn parse(raw: &str) -> NameParts {
        let mut text = raw.trim();
        // ServiceNow prefixes custom fields with `u_`.
        if text.len() > 2 && text.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("u_")) {
            text = &text[2..];
        }
        let mut unit = None;
        let mut cleaned = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find(['(', '[']) {
            cleaned.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find([')', ']']) {
                Some(close) => {
                    let inner = &after[..close];
                    let trimmed = inner.trim();
                    if let Some(u) = unit_of(trimmed).or_else(|| vocabulary().unit(trimmed).map(str::to_string)) {
                        unit = Some(u);
                    } else if !trimmed.eq_ignore_ascii_case("s") {
                        cleaned.push(' ');
                        cleaned.push_str(inner);
                    }
                    cleaned.push(' ');
                    rest = &after[close + 1..];
                }
                None => {
                    cleaned.push(' ');
                    rest = after;
                }
            }
        }
        cleaned.push_str(rest);

        let mut segments: Vec<Vec<String>> = cleaned
            .split('.')
            .map(split_words)
            .filter(|words| !words.is_empty())
            .collect();
        let total: usize = segments.iter().map(Vec::len).sum();
        if total > 1
            && let Some(last) = segments.last_mut()
            && let Some(word) = last.last()
            && let Some(u) = unit_of(word)
        {
            unit = Some(u);
            last.pop();
            if total > 2 && last.last().is_some_and(|w| w == "in") {
                last.pop();
            }
            if last.is_empty() {
                segments.pop();
            }
        }
        let words = segments.concat();
        NameParts { words, segments, unit }
    }

    pub(super) fn compact(&self) -> String {
        self.words.concat()
    }

    pub(super) fn display(&self) -> String {
        self.words.join("_")
    }
}

/// `GB` for `gb`, `in GB`, `GiB`...; `None` when the text is no unit.
fn unit_of(text: &str) -> Option<String> {
    let lower = text.trim().to_lowercase();
    let lower = lower.strip_prefix("in ").unwrap_or(&lower).trim();
    UNIT_WORDS
        .contains(&lower)
        .then(|| lower.to_uppercase().replace('I', "i"))
}

/// Lower-case words with accents folded (`Hôte` → hote); breaks on non-alphanumerics and on camelCase boundaries. An upper-case run
/// stays whole (`IPAddress` → ip, address; `IPv4` → ipv4; `vCPU` → vcpu).
fn split_words(segment: &str) -> Vec<String> {
    let chars: Vec<char> = segment.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    let mut lower_run = 0usize;
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(fold(&std::mem::take(&mut current)));
            }
            lower_run = 0;
            continue;
        }
        if c.is_uppercase() && !current.is_empty() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = |k: usize| chars.get(i + k).is_some_and(|n| n.is_lowercase());
            // A one-letter lower prefix (`vCPU`, `eMail`) is part of the word.
            let camel = prev.is_lowercase() && lower_run >= 2;
            let acronym_end = prev.is_uppercase() && next_lower(1) && next_lower(2);
            if camel || acronym_end {
                words.push(fold(&std::mem::take(&mut current)));
            }
        }
        lower_run = if c.is_lowercase() { lower_run + 1 } else { 0 };
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(fold(&current));
    }
    words
}

/// A field name in canonical form: lower-case words joined by `_`, without a ServiceNow `u_`
/// prefix or a unit (`Memory (GB)` → `memory`, `network.ip` → `network_ip`, `hostName` → `host_name`).
pub fn normalize_field_name(name: &str) -> String {
    NameParts::parse(name).display()
}

/// How alike two field names are, 0–1, after normalisation: the mean of an edit-distance
/// similarity of the joined words and a fuzzy word-overlap (Dice) score. 1 when both normalise
/// to the same words; 0 when either has no letters or digits.
pub fn similarity(a: &str, b: &str) -> f64 {
    words_similarity(&NameParts::parse(a).words, &NameParts::parse(b).words)
}

/// Longest joined name compared character by character; longer names are no synonym anyway.
const MAX_COMPARE: usize = 64;

pub(super) fn words_similarity(a: &[String], b: &[String]) -> f64 {
    let (ca, cb) = (a.concat(), b.concat());
    if ca.is_empty() || cb.is_empty() {
        return 0.0;
    }
    if ca == cb {
        return 1.0;
    }
    let ca: Vec<char> = ca.chars().take(MAX_COMPARE).collect();
    let cb: Vec<char> = cb.chars().take(MAX_COMPARE).collect();
    let longest = ca.len().max(cb.len()) as f64;
    let edit = 1.0 - osa_distance(&ca, &cb) as f64 / longest;
    // Jaro-Winkler alone rates shared prefixes too highly (`cpu_speed` ~ `cpus`), so it only
    // decides whether two words are the same word misspelt.
    let credit = |w: &String, others: &[String]| {
        let wc: Vec<char> = w.chars().take(MAX_COMPARE).collect();
        others
            .iter()
            .map(|o| {
                let oc: Vec<char> = o.chars().take(MAX_COMPARE).collect();
                let s = jaro_winkler(&wc, &oc);
                if s >= 0.88 { s } else { 0.0 }
            })
            .fold(0.0, f64::max)
    };
    let a_side: f64 = a.iter().map(|w| credit(w, b)).sum();
    let b_side: f64 = b.iter().map(|w| credit(w, a)).sum();
    let dice = (a_side + b_side) / (a.len() + b.len()) as f64;
    ((edit + dice) / 2.0).clamp(0.0, 1.0)
}

/// Optimal-string-alignment distance: Levenshtein plus adjacent transpositions.
pub(super) fn osa_distance(a: &[char], b: &[char]) -> usize {
    let (n, m) = (a.len(), b.len());
    let mut rows = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[n][m]
}

pub(super) fn jaro_winkler(a: &[char], b: &[char]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return if a == b { 1.0 } else { 0.0 };
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_matched = vec![false; a.len()];
    let mut b_matched = vec![false; b.len()];
    let mut matches = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_matched[j] && b[j] == *ca {
                a_matched[i] = true;
                b_matched[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let a_seq = a.iter().zip(&a_matched).filter(|(_, m)| **m).map(|(c, _)| c);
    let b_seq = b.iter().zip(&b_matched).filter(|(_, m)| **m).map(|(c, _)| c);
    let transpositions = a_seq.zip(b_seq).filter(|(x, y)| x != y).count() / 2;
    let m = matches as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64) / m) / 3.0;
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count() as f64;
    if jaro > 0.7 {
        jaro + prefix * 0.1 * (1.0 - jaro)
    } else {
        jaro
    }
}
