//! The synonym dictionary: for each canonical attribute the field names that mean it, in every
//! language of `data/vocabulary/`, by how surely; the common fields that are no attribute; the
//! names too ambiguous to guess. Built once from the vocabulary.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use super::names::{NameParts, words_similarity};
use crate::agents::types::CANONICAL_ATTRIBUTES;
use crate::agents::vocabulary::languages::{Strength, vocabulary};

pub(super) const CANONICAL_WEIGHT: f64 = 0.97;
pub(super) const STRONG: f64 = 0.95;
const MEDIUM: f64 = 0.85;
const WEAK: f64 = 0.75;

/// One dictionary entry, normalised once per run.
pub(super) struct Entry {
    pub(super) attribute: &'static str,
    pub(super) synonym: &'static str,
    /// The language the synonym is from (`French`); empty for the attribute's own name.
    pub(super) language: &'static str,
    pub(super) words: Vec<String>,
    pub(super) weight: f64,
}

pub(super) struct Dictionary {
    pub(super) entries: Vec<Entry>,
    pub(super) by_compact: HashMap<String, usize>,
    pub(super) extras: HashSet<String>,
    pub(super) ambiguous: HashMap<String, &'static str>,
}

impl Dictionary {
    /// The dictionary, built from the vocabulary on first use.
    pub(super) fn get() -> &'static Dictionary {
        static DICTIONARY: OnceLock<Dictionary> = OnceLock::new();
        DICTIONARY.get_or_init(Dictionary::build)
    }

    fn build() -> Dictionary {
        let vocabulary = vocabulary();
        let mut entries: Vec<Entry> = CANONICAL_ATTRIBUTES
            .iter()
            .map(|a| entry(a, a, "", CANONICAL_WEIGHT))
            .collect();
        for h in &vocabulary.headers {
            let weight = match h.strength {
                Strength::Strong => STRONG,
                Strength::Medium => MEDIUM,
                Strength::Weak => WEAK,
            };
            entries.push(entry(h.attribute, h.text, h.language, weight));
        }
        // A name several languages share keeps its surest reading.
        let mut by_compact: HashMap<String, usize> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            let slot = by_compact.entry(e.words.concat()).or_insert(i);
            if e.weight > entries[*slot].weight {
                *slot = i;
            }
        }
        let compact = |s: &str| NameParts::parse(s).compact();
        Dictionary {
            entries,
            by_compact,
            extras: vocabulary.extras.iter().map(|s| compact(s)).collect(),
            ambiguous: vocabulary.ambiguous.iter().map(|(s, why)| (compact(s), *why)).collect(),
        }
    }

    /// The best fuzzy match: (similarity, entry index).
    pub(super) fn closest(&self, words: &[String]) -> Option<(f64, usize)> {
        let mut best: Option<(f64, usize)> = None;
        for (i, e) in self.entries.iter().enumerate() {
            let s = words_similarity(words, &e.words);
            if best.is_none_or(|(b, _)| s > b) {
                best = Some((s, i));
            }
        }
        best
    }
}

fn entry(attribute: &'static str, synonym: &'static str, language: &'static str, weight: f64) -> Entry {
    Entry {
        attribute,
        synonym,
        language,
        words: NameParts::parse(synonym).words,
        weight,
    }
}
