//! How `dependency_mapping` finds the assets a reference names: by key or name, host name or
//! FQDN, any of the asset's IP addresses, or the first label of a dotted name; and, when the
//! reference does not name one asset whole, by its list parts, then the words of a phrase
//! (`reference_text.rs`).

use std::net::IpAddr;

use super::lookup::{filed_under, hash_of, hashed, normalize};
use super::reference_text::{MAX_NAME_WORDS, list_parts, looks_like_a_name, pieces, words};
use crate::agents::asset_table::AssetTable;
use crate::agents::vocabulary::addresses::{ip_addr, referenced_ip};

/// How a reference was resolved; the order is the order they are tried in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Match {
    Name,
    Host,
    ShortName,
    Ip,
}

/// What one reference came to: an asset it names, or a part of it that names none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Outcome<'t> {
    Found {
        target: u32,
        how: Match,
        /// Found in a list part or a phrase rather than as the whole reference.
        within: bool,
    },
    /// A slice of the reference.
    Missing(&'t str),
}

/// The normalized names of an asset: its key and its name.
fn names(table: &AssetTable, asset: u32) -> [String; 2] {
    [normalize(table.key(asset)), normalize(table.name(asset))]
}

/// The normalized host spellings of an asset: hostname and FQDN, and the first label of each
/// when it is dotted.
fn hosts(table: &AssetTable, asset: u32) -> Vec<String> {
    let mut spellings = Vec::new();
    for host in [table.hostname(asset), table.fqdn(asset)].into_iter().flatten() {
        let host = normalize(host);
        if host.is_empty() {
            continue;
        }
        if let Some(label) = host.split('.').next().filter(|l| *l != host && !l.is_empty()) {
            spellings.push(label.to_string());
        }
        spellings.push(host);
    }
    spellings
}

/// Spellings → assets, as a sorted vector of (hash of the spelling, asset): 16 bytes a spelling
/// where a map of strings took about 80. A lookup rechecks each candidate's spellings, so a hash
/// collision cannot resolve a name to the wrong asset.
struct SpellingIndex {
    entries: Vec<(u64, u32)>,
}

impl SpellingIndex {
    fn new(table: &AssetTable, spellings: impl Fn(&AssetTable, u32) -> Vec<String>) -> Self {
        SpellingIndex {
            entries: hashed(table, spellings),
        }
    }

    /// The asset spelled `text`; when several are, the one with the smallest key (then the
    /// first), so the result does not depend on input order.
    fn get(&self, table: &AssetTable, text: &str, spellings: impl Fn(&AssetTable, u32) -> Vec<String>) -> Option<u32> {
        filed_under(&self.entries, hash_of(text))
            .filter(|&asset| spellings(table, asset).iter().any(|s| s == text))
            .min_by(|&a, &b| table.key_order(a, b))
    }
}

/// An address as one number: IPv4 as its IPv4-mapped IPv6 form.
fn address_number(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// Lookup from every spelling of an asset to its number.
pub(super) struct Resolver<'a> {
    table: &'a AssetTable,
    by_name: SpellingIndex,
    by_host: SpellingIndex,
    /// (primary IPv4 address, asset), sorted: every asset with an address is here.
    by_ip: Vec<(u32, u32)>,
    /// (address, is an additional one, asset), sorted: IPv6 primaries and every additional
    /// address, usually far fewer. A primary address wins over another asset's additional one.
    by_other_ip: Vec<(u128, bool, u32)>,
}

impl<'a> Resolver<'a> {
    pub(super) fn new(table: &'a AssetTable) -> Self {
        let mut by_ip = Vec::new();
        let mut by_other_ip = Vec::new();
        for asset in table.indices() {
            match table.ip_address(asset).and_then(referenced_ip) {
                Some(IpAddr::V4(v4)) => by_ip.push((u32::from(v4), asset)),
                Some(v6) => by_other_ip.push((address_number(v6), false, asset)),
                None => {}
            }
            by_other_ip.extend(
                table
                    .additional_ips(asset)
                    .filter_map(ip_addr)
                    .map(|ip| (address_number(ip), true, asset)),
            );
        }
        by_ip.sort_unstable();
        by_other_ip.sort_unstable();
        Resolver {
            table,
            by_name: SpellingIndex::new(table, |t, a| names(t, a).into()),
            by_host: SpellingIndex::new(table, hosts),
            by_ip,
            by_other_ip,
        }
    }

    fn name(&self, text: &str) -> Option<u32> {
        self.by_name.get(self.table, text, |t, a| names(t, a).into())
    }

    fn host(&self, text: &str) -> Option<u32> {
        self.by_host.get(self.table, text, hosts)
    }

    fn ip(&self, ip: IpAddr) -> Option<u32> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        if let IpAddr::V4(v4) = ip
            && let Some(asset) = filed_under(&self.by_ip, u32::from(v4)).min_by(|&a, &b| self.table.key_order(a, b))
        {
            return Some(asset);
        }
        let number = address_number(ip);
        let from = self.by_other_ip.partition_point(|&(n, _, _)| n < number);
        self.by_other_ip[from..]
            .iter()
            .take_while(|&&(n, _, _)| n == number)
            .min_by(|a, b| a.1.cmp(&b.1).then_with(|| self.table.key_order(a.2, b.2)))
            .map(|&(_, _, asset)| asset)
    }

    /// One name as a whole: key/name, then hostname/FQDN, then IP, then the first label of a
    /// dotted name.
    pub(super) fn resolve(&self, reference: &str) -> Option<(u32, Match)> {
        let r = normalize(reference);
        if r.is_empty() {
            return None;
        }
        if let Some(i) = self.name(&r) {
            return Some((i, Match::Name));
        }
        if let Some(i) = self.host(&r) {
            return Some((i, Match::Host));
        }
        if let Some(ip) = referenced_ip(&r) {
            return self.ip(ip).map(|i| (i, Match::Ip));
        }
        // Only a dotted name on its own: `web01.corp + 10.0.0.2` is a list, not a host `web01`.
        if !r.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_')) {
            return None;
        }
        let label = r.split('.').next().filter(|l| !l.is_empty() && *l != r)?;
        self.name(label)
            .or_else(|| self.host(label))
            .map(|i| (i, Match::ShortName))
    }

    /// Everything one reference names, into `out`: the whole reference when it names an asset
    /// (so a name holding `/` or `+` stays whole), else each list part that does, else the
    /// words of each part's phrase that do. A part naming nothing is `Missing`, and so is a
    /// leftover word of a phrase that looks like a name.
    pub(super) fn resolve_reference<'t>(&self, text: &'t str, out: &mut Vec<Outcome<'t>>) {
        if let Some((target, how)) = self.resolve(text) {
            out.push(Outcome::Found {
                target,
                how,
                within: false,
            });
            return;
        }
        for part in list_parts(text) {
            let found = if part.len() == text.trim().len() {
                None // the whole reference, tried above
            } else {
                self.resolve(part)
            };
            match found {
                Some((target, how)) => out.push(Outcome::Found {
                    target,
                    how,
                    within: true,
                }),
                None => self.phrase(part, out),
            }
        }
    }

    /// The words of a part that did not resolve whole: multi-word names first (longest first),
    /// then each word, then the pieces of a word.
    fn phrase<'t>(&self, part: &'t str, out: &mut Vec<Outcome<'t>>) {
        let before = out.len();
        let words: Vec<&str> = words(part).collect();
        let mut taken = vec![false; words.len()];
        let found = |target, how| Outcome::Found {
            target,
            how,
            within: true,
        };
        for n in (2..=words.len().min(MAX_NAME_WORDS)).rev() {
            for start in 0..=words.len() - n {
                if taken[start..start + n].iter().any(|&t| t) {
                    continue;
                }
                let (first, last) = (words[start], words[start + n - 1]);
                let from = first.as_ptr() as usize - part.as_ptr() as usize;
                let to = last.as_ptr() as usize - part.as_ptr() as usize + last.len();
                if let Some((target, how)) = (to - from < part.len())
                    .then(|| self.resolve(&part[from..to]))
                    .flatten()
                {
                    out.push(found(target, how));
                    taken[start..start + n].fill(true);
                }
            }
        }
        let mut leftovers = Vec::new();
        for (&word, _) in words.iter().zip(&taken).filter(|(_, t)| !**t) {
            let whole = (word.len() < part.len()).then(|| self.resolve(word)).flatten();
            if let Some((target, how)) = whole {
                out.push(found(target, how));
                continue;
            }
            let mut any = false;
            for piece in pieces(word).filter(|p| p.len() < word.len()) {
                if let Some((target, how)) = self.resolve(piece) {
                    out.push(found(target, how));
                    any = true;
                }
            }
            if !any {
                leftovers.push(word);
            }
        }
        if out.len() == before {
            out.push(Outcome::Missing(part));
        } else {
            out.extend(
                leftovers
                    .into_iter()
                    .filter(|w| looks_like_a_name(w))
                    .map(Outcome::Missing),
            );
        }
    }
}
