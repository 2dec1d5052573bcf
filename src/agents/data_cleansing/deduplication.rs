//! `deduplication` (data_cleansing): merges records that are the same asset under another
//! spelling (same key, FQDN, host name, or IP address with a name in common), keeping the order
//! of first appearance. [`DedupIndex`] does the same for records that arrive in batches;
//! [`merge_records`] folds one group into one record (`asset_inventory` uses it too).

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::agents::types::{ASSET_TYPES, Agent, AgentError, AgentOutput, CleanRecord};
use crate::agents::vocabulary::addresses::{first_label, host_text};
use crate::agents::vocabulary::asset_types::asset_type_from_text;
use crate::domain::PhaseName;

/// One merge: the key kept, the source rows folded into it, and the rules that matched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Merge {
    pub kept_key: String,
    pub merged_rows: Vec<i64>,
    pub reason: String,
}

/// The records after merging (in first-appearance order) and the merges made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DedupResult {
    pub records: Vec<CleanRecord>,
    pub merges: Vec<Merge>,
}

/// Merges records that are the same asset under another spelling.
#[derive(Debug, Clone, Copy, Default)]
pub struct Deduplication;

const SAME_KEY: &str = "same key";
const SAME_FQDN: &str = "same FQDN";
const SAME_HOST: &str = "same host name";
const SAME_IP_AND_NAME: &str = "same IP address and a name in common";

/// How sure each rule is that two records are one asset.
pub fn rule_confidence(reason: &str) -> f64 {
    match reason {
        SAME_FQDN => 0.98,
        SAME_KEY => 0.95,
        SAME_HOST => 0.9,
        _ => 0.85,
    }
}

impl Agent for Deduplication {
    type Input = [CleanRecord];
    type Output = DedupResult;
    const NAME: &'static str = "deduplication";
    const PHASE: PhaseName = PhaseName::DataCleansing;

    fn run(&self, input: &[CleanRecord]) -> Result<AgentOutput<DedupResult>, AgentError> {
        let mut index = DedupIndex::default();
        for record in input {
            index.add(record);
        }
        let mut groups = index.groups;
        // Groups in the order of their first record; members in input order.
        let mut slot_of_root: Vec<Option<usize>> = vec![None; input.len()];
        let mut members: Vec<Vec<usize>> = Vec::new();
        for i in 0..input.len() {
            let root = groups.find(i);
            let slot = match slot_of_root[root] {
                Some(slot) => slot,
                None => {
                    members.push(Vec::new());
                    slot_of_root[root] = Some(members.len() - 1);
                    members.len() - 1
                }
            };
            members[slot].push(i);
        }

        let mut records = Vec::with_capacity(members.len());
        let mut merges = Vec::new();
        let mut weakest: f64 = 1.0;
        for group in &members {
            let refs: Vec<&CleanRecord> = group.iter().map(|&i| &input[i]).collect();
            if refs.len() == 1 {
                records.push(refs[0].clone());
                continue;
            }
            let root = groups.find(group[0]);
            let reasons = groups.reasons(root);
            for reason in &reasons {
                weakest = weakest.min(rule_confidence(reason));
            }
            let reason = reasons.join("; ");
            let Some(merged) = merge_records(&refs, &reason) else {
                continue;
            };
            merges.push(Merge {
                kept_key: merged.key.clone(),
                merged_rows: refs[1..].iter().flat_map(|r| r.source_rows.iter().copied()).collect(),
                reason,
            });
            records.push(merged);
        }
        let reasoning = format!(
            "{} records became {} (merges: {}, rows folded in: {}), matching on key, FQDN, host name, or IP \
             address with a name in common.",
            input.len(),
            records.len(),
            merges.len(),
            merges.iter().map(|m| m.merged_rows.len()).sum::<usize>()
        );
        Ok(AgentOutput::new(DedupResult { records, merges }, weakest, reasoning))
    }
}

/// Deduplication's identities, built one record at a time: records arriving in batches are
/// grouped exactly as `Deduplication::run` groups them all at once, while the index keeps only
/// identities (keys, names, addresses), never the records.
///
/// Identities are kept as 128-bit hashes, so the index of a million records stays in the tens
/// of megabytes; two different identities sharing a hash is a chance of about 1 in 10^26.
/// (As two `u64`s, not a `u128`: its 16-byte alignment made each map entry 32 bytes, not 24.)
#[derive(Default)]
pub struct DedupIndex {
    groups: Groups,
    hasher: IdentityHasher,
    by_key: HashMap<Identity, u32>,
    by_fqdn: HashMap<Identity, u32>,
    by_host: HashMap<Identity, u32>,
    by_ip_name: HashMap<Identity, u32>,
}

/// A 128-bit hash of an identity; `NO_IDENTITY` is never one.
type Identity = [u64; 2];
const NO_IDENTITY: Identity = [0, 0];

/// Two independently keyed SipHash functions side by side.
#[derive(Default)]
struct IdentityHasher(std::hash::RandomState, std::hash::RandomState);

impl IdentityHasher {
    fn of(&self, parts: &[&str]) -> Identity {
        use std::hash::BuildHasher;
        match [self.0.hash_one(parts), self.1.hash_one(parts)] {
            NO_IDENTITY => [0, 1],
            id => id,
        }
    }
}

impl DedupIndex {
    /// Adds the next record (its position is the count before it) and links it to any earlier
    /// record that is the same asset.
    pub fn add(&mut self, record: &CleanRecord) -> usize {
        let i = self.groups.push();
        let groups = &mut self.groups;
        let id = |parts: &[&str]| self.hasher.of(parts);
        let key = record.key.trim().to_lowercase();
        let fqdn = record.fqdn.as_deref().map(host_text).filter(|f| !f.is_empty());
        groups.fqdn[i] = fqdn.as_deref().map_or(NO_IDENTITY, |f| id(&[f]));
        groups.kind[i] = record
            .asset_type
            .as_deref()
            .and_then(asset_type_from_text)
            .and_then(|kind| ASSET_TYPES.iter().position(|t| *t == kind))
            .map_or(NO_KIND, |k| k as u8);
        if !key.is_empty() {
            link(&mut self.by_key, id(&[&key]), i, groups, SAME_KEY, false);
        }
        if let Some(fqdn) = &fqdn {
            link(&mut self.by_fqdn, id(&[fqdn]), i, groups, SAME_FQDN, false);
        }
        // A host is known by its hostname and by its FQDN's first label; two different FQDNs
        // sharing a first label (web01.dmz vs web01.corp) are two hosts, so that link is guarded.
        let mut hosts: Vec<String> = Vec::with_capacity(2);
        for host in [
            record.hostname.as_deref().map(host_text),
            fqdn.as_deref().and_then(first_label).map(str::to_string),
        ]
        .into_iter()
        .flatten()
        {
            if !host.is_empty() && !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        for host in &hosts {
            link(&mut self.by_host, id(&[host]), i, groups, SAME_HOST, true);
        }
        // A shared IP alone proves nothing (VIPs, NAT); with a name in common it does.
        if let Some(ip) = record
            .ip_address
            .as_deref()
            .map(|ip| ip.trim().to_lowercase())
            .filter(|ip| !ip.is_empty())
        {
            let mut names = hosts;
            if !key.is_empty() && !names.contains(&key) {
                names.push(key);
            }
            for name in names {
                link(
                    &mut self.by_ip_name,
                    id(&[&ip, &name]),
                    i,
                    groups,
                    SAME_IP_AND_NAME,
                    true,
                );
            }
        }
        i
    }

    /// The first record of `i`'s group (the group's position in the output).
    pub fn root(&mut self, i: usize) -> usize {
        self.groups.find(i)
    }

    /// Every group of more than one record, each as its members' positions in order, with the
    /// reasons that joined it (`; `-separated, as `Merge::reason`), in the order of their roots.
    pub fn merged_groups(&mut self) -> Vec<(Vec<usize>, String)> {
        let n = self.groups.parent.len();
        let roots: Vec<usize> = (0..n).map(|i| self.groups.find(i)).collect();
        let mut sizes = vec![0u32; n];
        for &root in &roots {
            sizes[root] += 1;
        }
        let mut slot: HashMap<usize, usize> = HashMap::new();
        let mut merged: Vec<(Vec<usize>, String)> = Vec::new();
        for (i, &root) in roots.iter().enumerate() {
            if sizes[root] < 2 {
                continue;
            }
            let at = *slot.entry(root).or_insert_with(|| {
                merged.push((Vec::new(), self.groups.reasons(root).join("; ")));
                merged.len() - 1
            });
            merged[at].0.push(i);
        }
        merged
    }
}

/// Joins record `i` to the first record that showed `identity`, or makes `i` that first record.
fn link(
    seen: &mut HashMap<Identity, u32>,
    identity: Identity,
    i: usize,
    groups: &mut Groups,
    reason: &'static str,
    guarded: bool,
) {
    match seen.entry(identity) {
        std::collections::hash_map::Entry::Occupied(first) => groups.union(*first.get() as usize, i, reason, guarded),
        std::collections::hash_map::Entry::Vacant(slot) => {
            slot.insert(i as u32);
        }
    }
}

/// The reasons two records are one asset, in the order a merge lists them (byte order, as a
/// sorted set of the strings gave).
const REASONS: [&str; 4] = [SAME_FQDN, SAME_IP_AND_NAME, SAME_HOST, SAME_KEY];
/// `Groups::kind` when no source named a type.
const NO_KIND: u8 = u8::MAX;

/// Union-find over record positions; a group's root is its first record, so order is kept.
/// About 22 bytes a record, in columns.
#[derive(Default)]
struct Groups {
    parent: Vec<u32>,
    /// The group's FQDN (its first record's, hashed), to refuse weak links between two
    /// different FQDNs; `NO_IDENTITY` when it has none.
    fqdn: Vec<Identity>,
    /// The group's asset type (a position in `ASSET_TYPES`) when a source named one, to refuse
    /// weak links between an application that shares its name with a host (`CRM` and
    /// `crm.corp.example.com`); `NO_KIND` when none did.
    kind: Vec<u8>,
    /// Bit `n` set: `REASONS[n]` joined records into this group.
    reasons: Vec<u8>,
}

impl Groups {
    /// A new record in a group of its own; returns its position.
    fn push(&mut self) -> usize {
        let i = self.parent.len();
        self.parent.push(i as u32);
        self.fqdn.push(NO_IDENTITY);
        self.kind.push(NO_KIND);
        self.reasons.push(0);
        i
    }

    fn find(&mut self, i: usize) -> usize {
        let mut root = i;
        while self.parent[root] as usize != root {
            root = self.parent[root] as usize;
        }
        let mut at = i;
        while self.parent[at] as usize != root {
            let next = self.parent[at] as usize;
            self.parent[at] = root as u32;
            at = next;
        }
        root
    }

    /// The reasons that joined the group rooted at `root`.
    fn reasons(&self, root: usize) -> Vec<&'static str> {
        REASONS
            .iter()
            .enumerate()
            .filter(|(n, _)| self.reasons[root] & (1 << n) != 0)
            .map(|(_, reason)| *reason)
            .collect()
    }

    fn union(&mut self, a: usize, b: usize, reason: &'static str, guarded: bool) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        if guarded {
            fn differ<T: PartialEq>(a: T, b: T, none: T) -> bool {
                a != none && b != none && a != b
            }
            if differ(self.fqdn[ra], self.fqdn[rb], NO_IDENTITY) || differ(self.kind[ra], self.kind[rb], NO_KIND) {
                return;
            }
        }
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[child] = root as u32;
        if self.fqdn[root] == NO_IDENTITY {
            self.fqdn[root] = std::mem::replace(&mut self.fqdn[child], NO_IDENTITY);
        }
        if self.kind[root] == NO_KIND {
            self.kind[root] = self.kind[child];
        }
        let moved = std::mem::take(&mut self.reasons[child]);
        let bit = REASONS.iter().position(|r| *r == reason).map_or(0, |n| 1 << n);
        self.reasons[root] |= moved | bit;
    }
}

/// Folds `members` into the first: union of source rows, missing fields filled from the others,
/// dependencies and issues unioned (case-insensitively for dependencies), the best quality score kept.
/// Adds a `merged ...` note (and a `merge conflict ...` note when kept values disagreed).
/// `None` only for an empty slice.
pub fn merge_records(members: &[&CleanRecord], reason: &str) -> Option<CleanRecord> {
    let (first, rest) = members.split_first()?;
    let mut merged = (*first).clone();
    if rest.is_empty() {
        return Some(merged);
    }
    let mut deps: HashSet<String> = merged.depends_on.iter().map(|d| d.trim().to_lowercase()).collect();
    let mut issues: HashSet<String> = merged.issues.iter().cloned().collect();
    let mut conflicts: BTreeSet<&'static str> = BTreeSet::new();
    for other in rest {
        merged.source_rows.extend(other.source_rows.iter().copied());
        fill_text(&mut merged.hostname, &other.hostname, "hostname", &mut conflicts);
        fill_text(&mut merged.fqdn, &other.fqdn, "fqdn", &mut conflicts);
        fill_text(&mut merged.ip_address, &other.ip_address, "ip_address", &mut conflicts);
        fill_text(&mut merged.asset_type, &other.asset_type, "asset_type", &mut conflicts);
        fill_text(
            &mut merged.operating_system,
            &other.operating_system,
            "operating_system",
            &mut conflicts,
        );
        fill_text(&mut merged.os_version, &other.os_version, "os_version", &mut conflicts);
        fill_text(
            &mut merged.environment,
            &other.environment,
            "environment",
            &mut conflicts,
        );
        fill_text(
            &mut merged.application,
            &other.application,
            "application",
            &mut conflicts,
        );
        fill_text(&mut merged.owner, &other.owner, "owner", &mut conflicts);
        fill_text(
            &mut merged.business_criticality,
            &other.business_criticality,
            "business_criticality",
            &mut conflicts,
        );
        fill_text(&mut merged.location, &other.location, "location", &mut conflicts);
        fill_number(&mut merged.memory_gb, other.memory_gb, "memory_gb", &mut conflicts);
        fill_number(&mut merged.storage_gb, other.storage_gb, "storage_gb", &mut conflicts);
        match (merged.cpu_cores, other.cpu_cores) {
            (None, theirs) => merged.cpu_cores = theirs,
            (Some(ours), Some(theirs)) if ours != theirs => {
                conflicts.insert("cpu_cores");
            }
            _ => {}
        }
        for dep in &other.depends_on {
            if deps.insert(dep.trim().to_lowercase()) {
                merged.depends_on.push(dep.clone());
            }
        }
        for (name, value) in &other.attributes {
            if !merged.attributes.contains_key(name) {
                merged.attributes.insert(name.clone(), value.clone());
            }
        }
        for issue in &other.issues {
            if issues.insert(issue.clone()) {
                merged.issues.push(issue.clone());
            }
        }
        merged.quality_score = merged.quality_score.max(other.quality_score);
    }
    merged.source_rows.sort_unstable();
    merged.source_rows.dedup();

    // Keep the note readable even when thousands of rows collapse into one.
    let mut names: Vec<&str> = Vec::new();
    for other in rest {
        if names.len() == 5 {
            break;
        }
        if !names.contains(&other.name.as_str()) {
            names.push(&other.name);
        }
    }
    let mut rows: Vec<String> = rest
        .iter()
        .flat_map(|r| r.source_rows.iter())
        .take(10)
        .map(i64::to_string)
        .collect();
    let total_rows: usize = rest.iter().map(|r| r.source_rows.len()).sum();
    if total_rows > rows.len() {
        rows.push(format!("and {} more", total_rows - rows.len()));
    }
    merged.issues.push(format!(
        "merged row(s) {} (`{}`) into `{}`: {reason}",
        rows.join(", "),
        names.join("`, `"),
        merged.key
    ));
    if !conflicts.is_empty() {
        let fields: Vec<&str> = conflicts.into_iter().collect();
        merged.issues.push(format!(
            "merge conflict on {}: kept the first row's values",
            fields.join(", ")
        ));
    }
    Some(merged)
}

fn fill_text(
    ours: &mut Option<String>,
    theirs: &Option<String>,
    field: &'static str,
    conflicts: &mut BTreeSet<&'static str>,
) {
    match (ours.as_deref(), theirs.as_deref()) {
        (None, Some(_)) => *ours = theirs.clone(),
        (Some(a), Some(b)) if !a.trim().eq_ignore_ascii_case(b.trim()) => {
            conflicts.insert(field);
        }
        _ => {}
    }
}

fn fill_number(
    ours: &mut Option<f64>,
    theirs: Option<f64>,
    field: &'static str,
    conflicts: &mut BTreeSet<&'static str>,
) {
    match (*ours, theirs) {
        (None, Some(_)) => *ours = theirs,
        (Some(a), Some(b)) if (a - b).abs() > 1e-9 => {
            conflicts.insert(field);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::test_fixtures::clean_record as record;

    #[test]
    fn dedup_merges_spellings_and_keeps_order() {
        let a = CleanRecord {
            fqdn: Some("batch0007.corp.example.com".into()),
            memory_gb: Some(128.0),
            depends_on: vec!["x".into()],
            ..record("batch0007")
        };
        let b = record("other");
        let c = CleanRecord {
            source_rows: vec![3],
            owner: Some("ops".into()),
            memory_gb: Some(64.0),
            depends_on: vec!["X".into(), "y".into()],
            ..record("BATCH0007")
        };
        let out = Deduplication.run(&[a, b, c]).unwrap();
        let DedupResult { records, merges } = out.value;
        assert_eq!(
            records.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
            vec!["batch0007", "other"]
        );
        let merged = &records[0];
        assert_eq!(merged.source_rows, vec![1, 3]);
        assert_eq!(merged.owner.as_deref(), Some("ops"));
        assert_eq!(merged.memory_gb, Some(128.0));
        assert_eq!(merged.depends_on, vec!["x", "y"]);
        assert!(merged.issues.iter().any(|i| i.starts_with("merged row(s) 3")));
        assert!(
            merged
                .issues
                .iter()
                .any(|i| i.starts_with("merge conflict on memory_gb"))
        );
        assert_eq!(
            merges,
            vec![Merge {
                kept_key: "batch0007".into(),
                merged_rows: vec![3],
                reason: SAME_KEY.into()
            }]
        );
    }

    #[test]
    fn dedup_rules_fqdn_host_and_ip() {
        let with = |key: &str, row: i64, host: Option<&str>, fqdn: Option<&str>, ip: Option<&str>| CleanRecord {
            source_rows: vec![row],
            hostname: host.map(str::to_string),
            fqdn: fqdn.map(str::to_string),
            ip_address: ip.map(str::to_string),
            ..record(key)
        };
        let records = vec![
            with("Web Server 01", 1, None, Some("web01.corp.example.com"), None),
            with("web01.corp.example.com", 2, None, Some("WEB01.corp.example.com."), None),
            with("legacy web", 3, Some("web01"), None, None),
            // Same first label, another domain: another host.
            with("web01-dmz", 4, Some("web01"), Some("web01.dmz.example.com"), None),
            // A VIP shared by two hosts: not merged.
            with("lb-a", 5, Some("lb-a"), None, Some("10.0.0.100")),
            with("lb-b", 6, Some("lb-b"), None, Some("10.0.0.100")),
            // Same IP and the name of one is the host of the other: merged.
            with("Payments Box", 7, Some("pay01"), None, Some("10.0.0.7")),
            with("pay01", 8, None, None, Some("10.0.0.7")),
            // An application named like a host, each typed by its source: not merged.
            CleanRecord {
                asset_type: Some("Application".into()),
                ..with("CRM", 9, Some("crm"), None, None)
            },
            CleanRecord {
                asset_type: Some("Server".into()),
                ..with("crm01", 10, None, Some("crm.corp.example.com"), None)
            },
        ];
        let out = Deduplication.run(&records).unwrap().value;
        let rows: Vec<Vec<i64>> = out.records.iter().map(|r| r.source_rows.clone()).collect();
        assert_eq!(
            rows,
            vec![vec![1, 2, 3], vec![4], vec![5], vec![6], vec![7, 8], vec![9], vec![10]]
        );
        assert_eq!(out.merges[0].reason, "same FQDN; same host name");
        assert_eq!(out.merges[1].reason, SAME_IP_AND_NAME);
    }

    #[test]
    fn dedup_scales_linearly() {
        // 100,000 records, every tenth a re-spelling of an earlier one, plus one shared IP everywhere.
        let records: Vec<CleanRecord> = (0..100_000)
            .map(|i| {
                let n = if i % 10 == 9 { i - 9 } else { i };
                let name = if i % 10 == 9 {
                    format!("HOST{n:06}")
                } else {
                    format!("host{n:06}")
                };
                CleanRecord {
                    source_rows: vec![i as i64 + 1],
                    fqdn: Some(format!("host{n:06}.corp.example.com")),
                    ip_address: Some("10.0.0.1".into()),
                    ..record(&name)
                }
            })
            .collect();
        let out = Deduplication.run(&records).unwrap().value;
        assert_eq!(out.records.len(), 90_000);
        assert_eq!(out.merges.len(), 10_000);
    }

    #[test]
    fn merge_records_of_nothing_is_none() {
        assert!(merge_records(&[], "x").is_none());
        let one = record("a");
        assert_eq!(merge_records(&[&one], "x"), Some(one.clone()));
    }
}
