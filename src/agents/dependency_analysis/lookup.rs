//! How the dependency agents find assets in the table by the way they are written: names
//! normalised, spellings hashed into sorted vectors, lists kept sorted and unique by key.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use crate::agents::asset_table::AssetTable;

pub(super) fn normalize(name: &str) -> String {
    name.trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .trim()
        .trim_end_matches('.')
        .to_lowercase()
}

pub(super) fn hash_of(text: &str) -> u64 {
    // `DefaultHasher::new()` has fixed keys: the same hash in every run.
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// Sorts `items` by the key of the asset each names, then by number (so ties keep table order),
/// and drops repeated keys.
pub(super) fn sort_unique_by_key(table: &AssetTable, items: &mut Vec<u32>) {
    items.sort_unstable_by(|&a, &b| table.key_order(a, b));
    items.dedup_by(|b, a| table.key(*a) == table.key(*b));
}

/// (hash of a spelling, asset) for every asset's distinct spellings, sorted.
pub(super) fn hashed(table: &AssetTable, spellings: impl Fn(&AssetTable, u32) -> Vec<String>) -> Vec<(u64, u32)> {
    let mut entries = Vec::new();
    for asset in table.indices() {
        let mut hashes: Vec<u64> = spellings(table, asset).iter().map(|s| hash_of(s)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        entries.extend(hashes.into_iter().map(|h| (h, asset)));
    }
    entries.sort_unstable();
    entries.shrink_to_fit();
    entries
}

/// The assets filed under `key` in a vector of (key, asset) sorted by key.
pub(super) fn filed_under<K: Ord + Copy>(entries: &[(K, u32)], key: K) -> impl Iterator<Item = u32> + '_ {
    let from = entries.partition_point(|&(k, _)| k < key);
    entries[from..]
        .iter()
        .take_while(move |&&(k, _)| k == key)
        .map(|&(_, asset)| asset)
}
