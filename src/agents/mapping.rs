//! `attribute_mapping` agents: source columns onto canonical attributes by name
//! (`field_mapping`), then checked against the values (`pattern_recognition`).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agents::import_checks::{is_delimited_list, is_fqdn, is_ip, parse_size};
use crate::agents::types::*;
use crate::domain::PhaseName;

/// The source columns to map, in source order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MappingInput {
    pub columns: Vec<String>,
}

/// The mappings to check and a sample of the records whose values they describe.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatternInput {
    pub mappings: Vec<FieldMapping>,
    pub records: Vec<SourceRecord>,
}

// ---------------------------------------------------------------------------------------------
// Name normalisation and similarity
// ---------------------------------------------------------------------------------------------

/// Unit words a header may carry (`Memory (GB)`, `ram_mb`, `disk_size_in_gb`).
const UNIT_WORDS: &[&str] = &["bytes", "kb", "kib", "mb", "mib", "gb", "gib", "tb", "tib"];

/// A field name taken apart: its words, its dotted segments' words, and a unit it named.
#[derive(Debug, Clone, Default)]
struct NameParts {
    words: Vec<String>,
    /// Words per dotted segment (`network.ip` → `[[network], [ip]]`).
    segments: Vec<Vec<String>>,
    unit: Option<String>,
}

impl NameParts {
    fn parse(raw: &str) -> NameParts {
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
                    if let Some(u) = unit_of(trimmed) {
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

    fn compact(&self) -> String {
        self.words.concat()
    }

    fn display(&self) -> String {
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

/// Lower-case words; breaks on non-alphanumerics and on camelCase boundaries. An upper-case run
/// stays whole (`IPAddress` → ip, address; `IPv4` → ipv4; `vCPU` → vcpu).
fn split_words(segment: &str) -> Vec<String> {
    let chars: Vec<char> = segment.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    let mut lower_run = 0usize;
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
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
                words.push(std::mem::take(&mut current));
            }
        }
        lower_run = if c.is_lowercase() { lower_run + 1 } else { 0 };
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
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

fn words_similarity(a: &[String], b: &[String]) -> f64 {
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
fn osa_distance(a: &[char], b: &[char]) -> usize {
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

fn jaro_winkler(a: &[char], b: &[char]) -> f64 {
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

// ---------------------------------------------------------------------------------------------
// The synonym dictionary
// ---------------------------------------------------------------------------------------------

/// Synonyms of one canonical attribute, in normalised form, by how surely they mean it.
struct Synonyms {
    attribute: &'static str,
    strong: &'static [&'static str],
    /// Usually but not always the attribute (`assigned_to`, `business_service`).
    medium: &'static [&'static str],
    /// Plausible, often something near it (`support_group` for owner).
    weak: &'static [&'static str],
}

const CANONICAL_WEIGHT: f64 = 0.97;
const STRONG: f64 = 0.95;
const MEDIUM: f64 = 0.85;
const WEAK: f64 = 0.75;

const SYNONYMS: &[Synonyms] = &[
    Synonyms {
        attribute: "name",
        strong: &[
            "server_name",
            "ci_name",
            "asset_name",
            "display_name",
            "device_name",
            "system_name",
            "cmdb_name",
            "configuration_item",
            "resource_name",
            "vm_name",
            "item_name",
        ],
        medium: &["server", "ci", "asset", "label"],
        weak: &[],
    },
    Synonyms {
        attribute: "hostname",
        strong: &[
            "host",
            "host_name",
            "computer_name",
            "machine_name",
            "node_name",
            "short_name",
            "netbios_name",
            "dns_hostname",
            "server_hostname",
        ],
        medium: &["computer", "machine", "node"],
        weak: &[],
    },
    Synonyms {
        attribute: "fqdn",
        strong: &[
            "dns_name",
            "fully_qualified_domain_name",
            "fully_qualified_name",
            "fqdn_name",
            "dns_fqdn",
            "host_fqdn",
            "full_dns_name",
        ],
        medium: &["dns"],
        weak: &[],
    },
    Synonyms {
        attribute: "ip_address",
        strong: &[
            "ip",
            "ipv4",
            "ipv4_address",
            "ip_v4",
            "ip_addr",
            "primary_ip",
            "primary_ip_address",
            "mgmt_ip",
            "management_ip",
            "management_ip_address",
            "private_ip",
            "private_ip_address",
            "host_ip",
            "server_ip",
            "network_ip",
            "ipv6",
            "ipv6_address",
            "ip_v6",
        ],
        medium: &["public_ip", "public_ip_address"],
        weak: &[],
    },
    Synonyms {
        attribute: "asset_type",
        strong: &[
            "ci_type",
            "ci_class",
            "sys_class_name",
            "class_name",
            "device_type",
            "server_type",
            "resource_type",
            "asset_class",
            "cmdb_class",
            "item_type",
            "ci_category",
        ],
        medium: &["type", "class"],
        weak: &["kind"],
    },
    Synonyms {
        attribute: "operating_system",
        strong: &[
            "os",
            "os_name",
            "operating_system_name",
            "os_full_name",
            "os_family",
            "os_type",
            "os_description",
            "guest_os",
        ],
        medium: &["platform"],
        weak: &[],
    },
    Synonyms {
        attribute: "os_version",
        strong: &["operating_system_version", "os_release", "os_ver", "version_os"],
        medium: &["os_build"],
        weak: &[],
    },
    Synonyms {
        attribute: "environment",
        strong: &[
            "env",
            "stage",
            "environment_name",
            "env_name",
            "environment_type",
            "env_type",
            "used_for",
            "deployment_environment",
            "lifecycle_stage",
        ],
        medium: &["landscape"],
        weak: &[],
    },
    Synonyms {
        attribute: "application",
        strong: &[
            "app",
            "application_name",
            "app_name",
            "business_application",
            "business_app",
            "application_service",
            "app_service",
        ],
        medium: &["business_service", "service", "service_name"],
        weak: &["workload"],
    },
    Synonyms {
        attribute: "cpu_cores",
        strong: &[
            "cores",
            "vcpu",
            "vcpus",
            "v_cpu",
            "cpus",
            "cpu_count",
            "num_cpu",
            "num_cpus",
            "number_of_cpus",
            "number_of_cores",
            "num_cores",
            "core_count",
            "cpu_core_count",
            "cpu_core",
            "processor_count",
            "logical_processors",
            "vcores",
            "total_cores",
        ],
        medium: &["cpu", "processors"],
        weak: &[],
    },
    Synonyms {
        attribute: "memory_gb",
        strong: &[
            "memory",
            "ram",
            "mem",
            "memory_size",
            "ram_size",
            "total_memory",
            "memory_total",
            "physical_memory",
            "mem_size",
            "installed_memory",
            "memory_capacity",
            "system_memory",
        ],
        medium: &[],
        weak: &[],
    },
    Synonyms {
        attribute: "storage_gb",
        strong: &[
            "storage",
            "disk",
            "disks",
            "disk_space",
            "disk_size",
            "total_storage",
            "storage_size",
            "disk_capacity",
            "total_disk",
            "total_disk_space",
            "storage_capacity",
            "hdd",
            "allocated_storage",
            "provisioned_storage",
        ],
        medium: &[],
        weak: &[],
    },
    Synonyms {
        attribute: "owner",
        strong: &[
            "owned_by",
            "owner_name",
            "technical_owner",
            "it_owner",
            "system_owner",
            "application_owner",
            "app_owner",
            "server_owner",
            "asset_owner",
        ],
        medium: &[
            "assigned_to",
            "managed_by",
            "business_owner",
            "custodian",
            "owner_group",
            "owning_team",
            "responsible",
        ],
        weak: &[
            "support_group",
            "assignment_group",
            "supported_by",
            "support_team",
            "contact",
            "team",
        ],
    },
    Synonyms {
        attribute: "depends_on",
        strong: &[
            "dependencies",
            "depends",
            "dependency",
            "depends_upon",
            "dependent_on",
            "upstream_dependencies",
            "relies_on",
        ],
        medium: &["upstream", "requires", "uses", "connected_to", "related_cis"],
        weak: &["relationships", "connections"],
    },
    Synonyms {
        attribute: "business_criticality",
        strong: &[
            "criticality",
            "business_impact",
            "criticality_level",
            "criticality_rating",
            "crit",
            "mission_criticality",
            "service_criticality",
            "app_criticality",
        ],
        medium: &["importance"],
        weak: &[],
    },
    Synonyms {
        attribute: "location",
        strong: &[
            "site",
            "data_center",
            "datacentre",
            "data_centre",
            "dc",
            "physical_location",
            "site_name",
            "location_name",
            "facility",
            "hosting_location",
        ],
        medium: &["region", "building"],
        weak: &["room", "country", "city"],
    },
];

/// Common fields that are no canonical attribute: kept as extras, never fuzzy-matched.
const KNOWN_EXTRAS: &[&str] = &[
    "sys_id",
    "id",
    "uuid",
    "guid",
    "notes",
    "note",
    "comments",
    "comment",
    "description",
    "short_description",
    "serial_number",
    "serial",
    "serial_no",
    "asset_tag",
    "model",
    "model_id",
    "manufacturer",
    "vendor",
    "cost_center",
    "department",
    "company",
    "status",
    "install_status",
    "operational_status",
    "tags",
    "tag",
    "mac_address",
    "mac",
    "domain",
    "dns_domain",
    "subnet",
    "subnet_mask",
    "gateway",
    "default_gateway",
    "sys_created_on",
    "sys_created_by",
    "sys_updated_on",
    "sys_updated_by",
    "sys_mod_count",
    "discovery_source",
    "first_discovered",
    "last_discovered",
    "created",
    "updated",
    "created_at",
    "updated_at",
    "purchase_date",
    "warranty_expiration",
    "cpu_speed",
    "cpu_type",
    "cpu_name",
    "cpu_manufacturer",
    "os_service_pack",
    "os_domain",
    "virtual",
    "is_virtual",
    "cluster",
    "downstream",
];

/// Names that could be one of several attributes: kept rather than guessed.
const AMBIGUOUS: &[(&str, &str)] = &[
    ("tier", "business criticality or environment"),
    ("version", "OS or application version"),
    ("address", "IP or postal address"),
    ("size", "memory or storage"),
    ("capacity", "memory or storage"),
    ("category", "asset type or something else"),
    ("group", "owner group or something else"),
    ("priority", "criticality or something else"),
    ("level", "criticality, tier or something else"),
    ("role", "server role or owner role"),
    ("system", "name, application or operating system"),
    ("usage", "environment or utilisation"),
    ("zone", "location or network zone"),
];

/// One dictionary entry, normalised once per run.
struct Entry {
    attribute: &'static str,
    synonym: &'static str,
    words: Vec<String>,
    weight: f64,
}

struct Dictionary {
    entries: Vec<Entry>,
    by_compact: HashMap<String, usize>,
    extras: HashSet<String>,
    ambiguous: HashMap<String, &'static str>,
}

impl Dictionary {
    fn build() -> Dictionary {
        let mut entries = Vec::new();
        for syn in SYNONYMS {
            entries.push(entry(syn.attribute, syn.attribute, CANONICAL_WEIGHT));
            for (list, weight) in [(syn.strong, STRONG), (syn.medium, MEDIUM), (syn.weak, WEAK)] {
                entries.extend(list.iter().map(|s| entry(syn.attribute, s, weight)));
            }
        }
        let mut by_compact = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_compact.entry(e.words.concat()).or_insert(i);
        }
        let compact = |s: &str| NameParts::parse(s).compact();
        Dictionary {
            entries,
            by_compact,
            extras: KNOWN_EXTRAS.iter().map(|s| compact(s)).collect(),
            ambiguous: AMBIGUOUS.iter().map(|(s, why)| (compact(s), *why)).collect(),
        }
    }

    /// The best fuzzy match: (similarity, entry index).
    fn closest(&self, words: &[String]) -> Option<(f64, usize)> {
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

fn entry(attribute: &'static str, synonym: &'static str, weight: f64) -> Entry {
    Entry {
        attribute,
        synonym,
        words: NameParts::parse(synonym).words,
        weight,
    }
}

// ---------------------------------------------------------------------------------------------
// field_mapping
// ---------------------------------------------------------------------------------------------

/// Maps source columns onto canonical attributes by dictionary, then by name similarity.
#[derive(Debug, Clone, Copy, Default)]
pub struct FieldMappingAgent;

/// Least similarity for a fuzzy match to map.
const SIMILARITY_THRESHOLD: f64 = 0.85;

/// How one column was decided, before attributes are shared out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Dictionary,
    Similarity,
    Extra,
}

struct Proposal {
    target: Option<&'static str>,
    confidence: f64,
    reasoning: String,
    method: Method,
}

impl Agent for FieldMappingAgent {
    type Input = MappingInput;
    type Output = Vec<FieldMapping>;
    const NAME: &'static str = "field_mapping";
    const PHASE: PhaseName = PhaseName::AttributeMapping;

    fn run(&self, input: &MappingInput) -> Result<AgentOutput<Vec<FieldMapping>>, AgentError> {
        if input.columns.is_empty() {
            return Ok(AgentOutput::new(Vec::new(), 0.0, "No columns to map."));
        }
        let dictionary = Dictionary::build();
        let mut proposals: Vec<Proposal> = input.columns.iter().map(|c| propose(&dictionary, c)).collect();

        // Each attribute goes to its best-scoring column; ties go to the earlier column.
        let mut winner: HashMap<&'static str, usize> = HashMap::new();
        for (i, p) in proposals.iter().enumerate() {
            if let Some(attr) = p.target {
                let better = winner.get(attr).is_none_or(|&w| p.confidence > proposals[w].confidence);
                if better {
                    winner.insert(attr, i);
                }
            }
        }
        for (i, proposal) in proposals.iter_mut().enumerate() {
            let Some(attr) = proposal.target else { continue };
            let w = winner.get(attr).copied().unwrap_or(i);
            if w != i {
                let reasoning = format!(
                    "{attr} already mapped from '{}'; kept as an extra attribute (this column matched it at {:.2}).",
                    input.columns[w], proposal.confidence
                );
                *proposal = Proposal {
                    target: None,
                    confidence: 0.5,
                    reasoning,
                    method: Method::Extra,
                };
            }
        }

        let mappings: Vec<FieldMapping> = input
            .columns
            .iter()
            .zip(&proposals)
            .map(|(column, p)| FieldMapping {
                source_field: column.clone(),
                target_attribute: p.target.map(str::to_string),
                confidence: p.confidence,
                agent: Self::NAME.to_string(),
                reasoning: p.reasoning.clone(),
            })
            .collect();

        let count = |m: Method| proposals.iter().filter(|p| p.method == m).count();
        let missing: Vec<&str> = CANONICAL_ATTRIBUTES
            .iter()
            .copied()
            .filter(|a| !winner.contains_key(a))
            .collect();
        let mut reasoning = format!(
            "Mapped {} of {} column(s) ({} by dictionary, {} by similarity); {} kept as extra attributes.",
            winner.len(),
            mappings.len(),
            count(Method::Dictionary),
            count(Method::Similarity),
            count(Method::Extra)
        );
        if !missing.is_empty() {
            reasoning.push_str(&format!(" No column for: {}.", missing.join(", ")));
        }
        let confidence = mappings.iter().map(|m| m.confidence).sum::<f64>() / mappings.len() as f64;
        Ok(AgentOutput::new(mappings, confidence, reasoning))
    }
}

/// One column's best target on its own.
fn propose(dictionary: &Dictionary, column: &str) -> Proposal {
    let parts = NameParts::parse(column);
    let extra = |confidence: f64, reasoning: String| Proposal {
        target: None,
        confidence,
        reasoning,
        method: Method::Extra,
    };
    if parts.words.is_empty() {
        return extra(
            0.9,
            "The column has no usable name; kept as an extra attribute.".to_string(),
        );
    }
    let unit_note = parts
        .unit
        .as_ref()
        .map(|u| format!(" The name gives the unit {u}."))
        .unwrap_or_default();

    // The whole name first, then the dotted tails (`network.ip` → `ip`): nesting prefixes are
    // containers, but `os.name` must stay operating_system.
    let mut forms: Vec<(String, bool)> = vec![(parts.compact(), false)];
    for start in 1..parts.segments.len() {
        forms.push((parts.segments[start..].concat().concat(), true));
    }
    for (compact, is_tail) in &forms {
        if let Some(&i) = dictionary.by_compact.get(compact) {
            let e = &dictionary.entries[i];
            let (kind, weight) = match e.weight {
                w if w >= CANONICAL_WEIGHT => ("the canonical attribute", w),
                w if w >= STRONG => ("a known synonym of", w),
                w => ("a looser synonym of", w),
            };
            let (confidence, how) = if *is_tail {
                (weight - 0.03, format!("'{column}' ends in '{}'", e.synonym))
            } else {
                (weight, format!("'{column}' normalises to '{}'", parts.display()))
            };
            let reasoning = format!("{how}, {kind} {}.{unit_note}", e.attribute);
            return Proposal {
                target: Some(e.attribute),
                confidence,
                reasoning,
                method: Method::Dictionary,
            };
        }
        if dictionary.extras.contains(compact) {
            let reasoning =
                format!("'{column}' is a known source field with no canonical attribute; kept as an extra attribute.");
            return extra(0.9, reasoning);
        }
        if let Some(why) = dictionary.ambiguous.get(compact) {
            return extra(
                0.6,
                format!("'{column}' is ambiguous ({why}); kept as an extra attribute."),
            );
        }
    }

    let mut best = dictionary.closest(&parts.words);
    if parts.segments.len() > 1
        && let Some(last) = parts.segments.last()
        && let Some((s, i)) = dictionary.closest(last)
        && best.is_none_or(|(b, _)| s * 0.98 > b)
    {
        best = Some((s * 0.98, i));
    }
    match best {
        Some((s, i)) if s >= SIMILARITY_THRESHOLD => {
            let e = &dictionary.entries[i];
            let scaled = 0.6 + (s - SIMILARITY_THRESHOLD) / (1.0 - SIMILARITY_THRESHOLD) * 0.25;
            let confidence = (scaled - (STRONG - e.weight).max(0.0)).clamp(0.4, 0.85);
            let reasoning = format!(
                "'{column}' is {:.0}% similar to '{}', {} {}.{unit_note}",
                s * 100.0,
                e.synonym,
                if e.weight >= STRONG {
                    "a synonym of"
                } else {
                    "a looser synonym of"
                },
                e.attribute
            );
            Proposal {
                target: Some(e.attribute),
                confidence,
                reasoning,
                method: Method::Similarity,
            }
        }
        Some((s, i)) => {
            let e = &dictionary.entries[i];
            let reasoning = format!(
                "No canonical attribute matches '{column}' (closest: '{}' for {} at {:.0}%); kept as an extra attribute.",
                e.synonym,
                e.attribute,
                s * 100.0
            );
            extra((1.0 - s).clamp(0.2, 0.9), reasoning)
        }
        None => extra(
            0.5,
            format!("No canonical attribute matches '{column}'; kept as an extra attribute."),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// pattern_recognition
// ---------------------------------------------------------------------------------------------

/// Confirms, doubts or corrects mappings from the values of a sample of records.
#[derive(Debug, Clone, Copy, Default)]
pub struct PatternRecognition;

/// Fewest non-empty values to judge a column by.
const MIN_VALUES: usize = 3;
const CONFIRM_SHARE: f64 = 0.8;
const CONTRADICT_SHARE: f64 = 0.2;
/// An unmapped column is retargeted only when its values are unmistakable.
const CORRECT_SHARE: f64 = 0.9;

/// What an attribute's values look like, and the check.
struct Detector {
    attribute: &'static str,
    looks_like: &'static str,
    fits: fn(&str) -> bool,
}

const DETECTORS: &[Detector] = &[
    Detector {
        attribute: "ip_address",
        looks_like: "IP addresses",
        fits: is_ip_list,
    },
    Detector {
        attribute: "fqdn",
        looks_like: "fully qualified domain names",
        fits: is_fqdn,
    },
    Detector {
        attribute: "hostname",
        looks_like: "host names",
        fits: is_host_name,
    },
    Detector {
        attribute: "operating_system",
        looks_like: "operating system or platform names",
        fits: is_os_name,
    },
    Detector {
        attribute: "os_version",
        looks_like: "version strings",
        fits: is_version,
    },
    Detector {
        attribute: "memory_gb",
        looks_like: "sizes or numbers",
        fits: is_size_or_number,
    },
    Detector {
        attribute: "storage_gb",
        looks_like: "sizes or numbers",
        fits: is_size_or_number,
    },
    Detector {
        attribute: "cpu_cores",
        looks_like: "core counts (small whole numbers)",
        fits: is_core_count,
    },
    Detector {
        attribute: "environment",
        looks_like: "environment names",
        fits: is_environment,
    },
    Detector {
        attribute: "depends_on",
        looks_like: "names or lists of names",
        fits: is_name_list,
    },
    Detector {
        attribute: "business_criticality",
        looks_like: "criticality levels",
        fits: is_criticality,
    },
    Detector {
        attribute: "asset_type",
        looks_like: "asset types",
        fits: is_asset_type,
    },
];

/// Stricter checks for retargeting an unmapped column: only attributes whose values are
/// distinctive, and no words that also fill other columns (`Live` in a status column, `Oracle` as
/// a vendor).
const CORRECTIONS: &[Detector] = &[
    Detector {
        attribute: "ip_address",
        looks_like: "IP addresses",
        fits: is_ip_list,
    },
    Detector {
        attribute: "fqdn",
        looks_like: "fully qualified domain names",
        fits: is_fqdn,
    },
    Detector {
        attribute: "operating_system",
        looks_like: "operating system names",
        fits: is_os_family,
    },
    Detector {
        attribute: "environment",
        looks_like: "environment names",
        fits: is_core_environment,
    },
];

fn detector(attribute: &str) -> Option<(usize, &'static Detector)> {
    DETECTORS.iter().enumerate().find(|(_, d)| d.attribute == attribute)
}

/// How many of a column's non-empty sampled values fit each detector.
struct ValueProfile {
    values: usize,
    fits: Vec<usize>,
}

impl ValueProfile {
    fn of(field: &str, records: &[SourceRecord], detectors: &[Detector]) -> ValueProfile {
        let mut profile = ValueProfile {
            values: 0,
            fits: vec![0; detectors.len()],
        };
        for record in records {
            let Some(value) = record.fields.get(field) else {
                continue;
            };
            let texts = match value_texts(value) {
                Some(texts) => texts,
                None => continue,
            };
            profile.values += 1;
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
        profile
    }

    fn share(&self, detector_index: usize) -> f64 {
        if self.values == 0 {
            0.0
        } else {
            self.fits[detector_index] as f64 / self.values as f64
        }
    }
}

/// A value's text items: one for scalars, one per non-blank item for arrays; `None` when blank.
fn value_texts(value: &Value) -> Option<Vec<String>> {
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

impl Agent for PatternRecognition {
    type Input = PatternInput;
    type Output = Vec<FieldMapping>;
    const NAME: &'static str = "pattern_recognition";
    const PHASE: PhaseName = PhaseName::AttributeMapping;

    fn run(&self, input: &PatternInput) -> Result<AgentOutput<Vec<FieldMapping>>, AgentError> {
        let mut mappings = input.mappings.clone();
        if mappings.is_empty() {
            return Ok(AgentOutput::new(mappings, 0.0, "No mappings to check."));
        }
        if input.records.is_empty() {
            let confidence = mean_confidence(&mappings);
            return Ok(AgentOutput::new(
                mappings,
                confidence,
                "No records to check values against; mappings unchanged.",
            ));
        }

        let profiles: Vec<ValueProfile> = mappings
            .iter()
            .map(|m| ValueProfile::of(&m.source_field, &input.records, DETECTORS))
            .collect();
        let (mut confirmed, mut contradicted, mut partial, mut corrected) = (0, 0, 0, 0);

        for (m, profile) in mappings.iter_mut().zip(&profiles) {
            let Some((index, d)) = m.target_attribute.as_deref().and_then(detector) else {
                continue;
            };
            let n = profile.values;
            let share = profile.share(index);
            let pct = share * 100.0;
            if n < MIN_VALUES {
                m.reasoning.push_str(&format!(
                    " Too few sampled values ({n}) to check against {}.",
                    d.attribute
                ));
            } else if share >= CONFIRM_SHARE {
                m.confidence = (m.confidence + 0.05).min(0.99);
                m.reasoning.push_str(&format!(
                    " Values confirm it: {pct:.0}% of {n} look like {}.",
                    d.looks_like
                ));
                confirmed += 1;
            } else if share <= CONTRADICT_SHARE {
                m.confidence = (m.confidence - 0.3).max(0.05);
                m.reasoning.push_str(&format!(
                    " Values contradict it: only {pct:.0}% of {n} look like {}.",
                    d.looks_like
                ));
                contradicted += 1;
            } else {
                m.reasoning.push_str(&format!(
                    " Values fit only partly: {pct:.0}% of {n} look like {}.",
                    d.looks_like
                ));
                partial += 1;
            }
        }

        // Unmapped columns whose values are unmistakable take an attribute nobody maps.
        let mut taken: HashSet<String> = mappings.iter().filter_map(|m| m.target_attribute.clone()).collect();
        // (share, values, column, correction)
        let mut candidates: Vec<(f64, usize, usize, usize)> = Vec::new();
        for (i, m) in mappings.iter().enumerate() {
            if m.target_attribute.is_some() {
                continue;
            }
            let profile = ValueProfile::of(&m.source_field, &input.records, CORRECTIONS);
            if profile.values < MIN_VALUES {
                continue;
            }
            for (index, d) in CORRECTIONS.iter().enumerate() {
                if profile.share(index) >= CORRECT_SHARE && !taken.contains(d.attribute) {
                    candidates.push((profile.share(index), profile.values, i, index));
                }
            }
        }
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        let mut retargeted: HashSet<usize> = HashSet::new();
        for (share, n, i, index) in candidates {
            let d = &CORRECTIONS[index];
            let attr = d.attribute;
            if taken.contains(attr) || retargeted.contains(&i) {
                continue;
            }
            let m = &mut mappings[i];
            m.reasoning = format!(
                "{:.0}% of {n} sampled values look like {} and no other column maps {attr}; was: {}",
                share * 100.0,
                d.looks_like,
                m.reasoning
            );
            m.target_attribute = Some(attr.to_string());
            m.confidence = 0.75 * share;
            m.agent = Self::NAME.to_string();
            taken.insert(attr.to_string());
            retargeted.insert(i);
            corrected += 1;
        }

        let reasoning = format!(
            "Checked the values of {} column(s) in {} sampled record(s): {confirmed} confirmed, {contradicted} \
             contradicted, {partial} partly fitting, {corrected} corrected.",
            mappings.len(),
            input.records.len()
        );
        let confidence = mean_confidence(&mappings);
        Ok(AgentOutput::new(mappings, confidence, reasoning))
    }
}

fn mean_confidence(mappings: &[FieldMapping]) -> f64 {
    if mappings.is_empty() {
        return 0.0;
    }
    mappings.iter().map(|m| m.confidence).sum::<f64>() / mappings.len() as f64
}

// Value detectors: each takes one trimmed, non-empty text.

/// One IP, or several separated by `,` `;` or spaces.
fn is_ip_list(t: &str) -> bool {
    let mut parts = t.split([',', ';', ' ']).filter(|p| !p.is_empty()).peekable();
    parts.peek().is_some() && parts.all(is_ip)
}

fn is_host_name(t: &str) -> bool {
    t.len() <= 253
        && !is_ip(t)
        && t.chars().any(char::is_alphabetic)
        && t.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Words naming an OS family.
const OS_WORDS: &[&str] = &[
    "windows",
    "win",
    "linux",
    "rhel",
    "redhat",
    "ubuntu",
    "centos",
    "debian",
    "suse",
    "sles",
    "opensuse",
    "aix",
    "solaris",
    "sunos",
    "hpux",
    "unix",
    "esxi",
    "vmware",
    "macos",
    "osx",
    "freebsd",
    "openbsd",
    "fedora",
    "rocky",
    "almalinux",
    "junos",
    "ios",
    "nxos",
    "fortios",
    "panos",
    "openvms",
    "tru64",
    "zos",
    "iseries",
    "as400",
];
const OS_PHRASES: &[&str] = &["red hat", "hp-ux", "z/os", "mac os", "amazon linux", "os/400"];
/// Database engines, which CMDBs often record in the OS column of a database CI.
const DB_WORDS: &[&str] = &[
    "mssql",
    "oracle",
    "mysql",
    "mariadb",
    "postgres",
    "postgresql",
    "db2",
    "sybase",
    "mongodb",
    "informix",
    "teradata",
];

fn is_os_family(t: &str) -> bool {
    let lower = t.to_lowercase();
    OS_PHRASES.iter().any(|p| lower.contains(p))
        || lower.split(|c: char| !c.is_alphanumeric()).any(|w| {
            OS_WORDS.contains(&w)
            // `win2k8`, `win10`.
            || (w.starts_with("win") && w[3..].starts_with(|c: char| c.is_ascii_digit()))
        })
}

/// An OS family or a database engine.
fn is_os_name(t: &str) -> bool {
    let lower = t.to_lowercase();
    is_os_family(t)
        || lower.contains("sql server")
        || lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| DB_WORDS.contains(&w))
}

fn is_version(t: &str) -> bool {
    t.len() <= 40 && t.chars().any(|c| c.is_ascii_digit()) && t.split_whitespace().count() <= 4
}

fn is_number(t: &str) -> bool {
    t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && t.parse::<f64>().is_ok_and(|v| v.is_finite())
}

fn is_size_or_number(t: &str) -> bool {
    (is_number(t) && !t.starts_with('-')) || parse_size(t)
}

/// 1–1024, optionally followed by `cores`, `vCPU`...
fn is_core_count(t: &str) -> bool {
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, rest) = t.split_at(split);
    let rest = rest.trim();
    let unit_ok = rest.is_empty()
        || ["core", "cores", "vcpu", "vcpus", "cpu", "cpus"]
            .iter()
            .any(|u| rest.eq_ignore_ascii_case(u));
    let value = number.parse::<f64>().ok().filter(|v| v.fract() == 0.0);
    unit_ok && value.is_some_and(|v| (1.0..=1024.0).contains(&v))
}

/// Words that name an environment and little else.
const CORE_ENVIRONMENT_WORDS: &[&str] = &[
    "prod",
    "production",
    "prd",
    "dev",
    "development",
    "test",
    "testing",
    "tst",
    "qa",
    "uat",
    "stage",
    "staging",
    "stg",
    "preprod",
    "preproduction",
    "pre prod",
    "pre production",
    "sandbox",
    "dr",
    "disaster recovery",
    "nonprod",
    "non prod",
    "non production",
    "sit",
];
/// Also environments, but words other columns use too (`Live` status, `int` type).
const MORE_ENVIRONMENT_WORDS: &[&str] = &[
    "live",
    "develop",
    "devel",
    "sbx",
    "perf",
    "performance",
    "training",
    "demo",
    "int",
    "integration",
    "lab",
    "poc",
    "acceptance",
    "acc",
];

/// Lower-case, separators as spaces, a trailing instance number dropped (`Prod-2` → `prod`).
fn environment_key(t: &str) -> String {
    let lower = t.to_lowercase().replace(['-', '_', '.'], " ");
    let joined = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end()
        .to_string()
}

fn is_core_environment(t: &str) -> bool {
    CORE_ENVIRONMENT_WORDS.contains(&environment_key(t).as_str())
}

fn is_environment(t: &str) -> bool {
    let key = environment_key(t);
    CORE_ENVIRONMENT_WORDS.contains(&key.as_str()) || MORE_ENVIRONMENT_WORDS.contains(&key.as_str())
}

/// A delimited list, or a single short name (a dependency column often holds just one).
fn is_name_list(t: &str) -> bool {
    if is_delimited_list(t) {
        return true;
    }
    t.chars().count() <= 128 && t.split_whitespace().count() <= 4 && !is_number(t)
}

const CRITICALITY_WORDS: &[&str] = &[
    "critical",
    "noncritical",
    "high",
    "medium",
    "med",
    "low",
    "mission",
    "tier",
    "tier0",
    "tier1",
    "tier2",
    "tier3",
    "tier4",
    "gold",
    "silver",
    "bronze",
    "platinum",
    "essential",
    "important",
    "moderate",
    "minor",
    "major",
    "severe",
    "none",
    "p1",
    "p2",
    "p3",
    "p4",
    "p5",
];

/// `High`, `Tier 1`, `1 - most critical` (ServiceNow), `Gold`.
fn is_criticality(t: &str) -> bool {
    let lower = t.to_lowercase();
    let mut chars = lower.chars();
    if let Some(first) = chars.next()
        && ('0'..='5').contains(&first)
        && chars.next().is_none_or(|c| c == ' ' || c == '-')
    {
        return true;
    }
    lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| CRITICALITY_WORDS.contains(&w))
}

const ASSET_TYPE_WORDS: &[&str] = &[
    "server",
    "servers",
    "vm",
    "virtual",
    "physical",
    "host",
    "database",
    "db",
    "dbms",
    "instance",
    "application",
    "app",
    "service",
    "software",
    "network",
    "router",
    "switch",
    "firewall",
    "balancer",
    "lb",
    "storage",
    "san",
    "nas",
    "array",
    "appliance",
    "cluster",
    "container",
    "device",
    "computer",
    "workstation",
    "hypervisor",
    "middleware",
    "web",
    "linux",
    "windows",
    "unix",
    "aix",
    "solaris",
];

/// `Server`, `Virtual Machine`, `cmdb_ci_linux_server`.
fn is_asset_type(t: &str) -> bool {
    let lower = t.to_lowercase();
    lower.starts_with("cmdb_ci")
        || lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| ASSET_TYPE_WORDS.contains(&w))
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;

    fn map_columns(columns: &[&str]) -> Vec<FieldMapping> {
        let input = MappingInput {
            columns: columns.iter().map(|c| c.to_string()).collect(),
        };
        FieldMappingAgent.run(&input).unwrap().value
    }

    fn targets(columns: &[&str]) -> Vec<(String, Option<String>)> {
        map_columns(columns)
            .into_iter()
            .map(|m| (m.source_field, m.target_attribute))
            .collect()
    }

    fn map_one(column: &str) -> FieldMapping {
        map_columns(&[column]).remove(0)
    }

    fn assert_maps(pairs: &[(&str, Option<&str>)]) {
        let columns: Vec<&str> = pairs.iter().map(|(c, _)| *c).collect();
        let got = map_columns(&columns);
        assert_eq!(got.len(), pairs.len());
        for (m, (column, want)) in got.iter().zip(pairs) {
            assert_eq!(m.source_field, *column);
            assert_eq!(m.target_attribute.as_deref(), *want, "{column}: {}", m.reasoning);
            assert_eq!(m.agent, "field_mapping");
            assert!((0.0..=1.0).contains(&m.confidence));
        }
    }

    #[test]
    fn registry_names() {
        assert_eq!(FieldMappingAgent::NAME, "field_mapping");
        assert_eq!(PatternRecognition::NAME, "pattern_recognition");
        assert_eq!(FieldMappingAgent::PHASE, PhaseName::AttributeMapping);
        assert_eq!(PatternRecognition::PHASE, PhaseName::AttributeMapping);
    }

    #[test]
    fn every_canonical_attribute_is_in_the_dictionary() {
        for attr in CANONICAL_ATTRIBUTES {
            assert!(SYNONYMS.iter().any(|s| s.attribute == *attr), "{attr}");
            assert_eq!(map_one(attr).target_attribute.as_deref(), Some(*attr));
        }
        assert_eq!(SYNONYMS.len(), CANONICAL_ATTRIBUTES.len());
        // No synonym may mean two attributes.
        let dictionary = Dictionary::build();
        for e in &dictionary.entries {
            let first = &dictionary.entries[dictionary.by_compact[&e.words.concat()]];
            assert_eq!(first.attribute, e.attribute, "{}", e.synonym);
            assert!(!dictionary.extras.contains(&e.words.concat()), "{}", e.synonym);
        }
    }

    #[test]
    fn normalisation() {
        let cases = [
            ("Memory (GB)", "memory"),
            ("RAM (MB)", "ram"),
            ("Disk [in GB]", "disk"),
            ("disk_size_in_gb", "disk_size"),
            ("memory_gb", "memory"),
            ("u_environment", "environment"),
            ("U_Business_Criticality", "business_criticality"),
            ("network.ip", "network_ip"),
            ("sysClassName", "sys_class_name"),
            ("hostName", "host_name"),
            ("IPAddress", "ip_address"),
            ("OSVersion", "os_version"),
            ("IPv4", "ipv4"),
            ("vCPU", "vcpu"),
            ("numCPUs", "num_cpus"),
            ("  Depends-On  ", "depends_on"),
            ("Server(s)", "server"),
            ("GB", "gb"),
            ("u_", "u"),
            ("(GB)", ""),
            ("", ""),
            ("Größe", "größe"),
            ("ÉTAT.Ünïcode", "état_ünïcode"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_field_name(raw), want, "{raw}");
        }
    }

    #[test]
    fn similarity_behaves() {
        assert_eq!(similarity("IP Address", "ip_address"), 1.0);
        assert_eq!(similarity("host name", "HostName"), 1.0);
        assert_eq!(similarity("", "name"), 0.0);
        assert_eq!(similarity("---", "---"), 0.0);
        let typo = similarity("busines_criticality", "business_criticality");
        assert!(typo > 0.9, "{typo}");
        assert!(similarity("Opertaing System", "operating_system") > 0.9);
        assert!(similarity("cpu_speed", "cpus") < SIMILARITY_THRESHOLD);
        assert!(similarity("mac_address", "ip_address") < SIMILARITY_THRESHOLD);
        assert!(similarity("version", "os_version") < SIMILARITY_THRESHOLD);
        for (a, b) in [
            ("abc", "xyz"),
            ("depends", "depends_on"),
            ("日本", "日本語"),
            ("ab", "ba"),
        ] {
            let s = similarity(a, b);
            assert!((0.0..=1.0).contains(&s), "{a} {b} {s}");
            assert_eq!(s, similarity(b, a), "{a} {b}");
        }
        assert_eq!(osa_distance(&['a', 'b'], &['b', 'a']), 1);
        let jw = jaro_winkler(
            &"martha".chars().collect::<Vec<_>>(),
            &"marhta".chars().collect::<Vec<_>>(),
        );
        assert!((jw - 0.9611).abs() < 0.001, "{jw}");
    }

    #[test]
    fn spreadsheet_header_maps() {
        assert_maps(&[
            ("Server Name", Some("name")),
            ("Asset Type", Some("asset_type")),
            ("IP Address", Some("ip_address")),
            ("FQDN", Some("fqdn")),
            ("Operating System", Some("operating_system")),
            ("OS Version", Some("os_version")),
            ("Environment", Some("environment")),
            ("Application", Some("application")),
            ("CPU Cores", Some("cpu_cores")),
            ("Memory (GB)", Some("memory_gb")),
            ("Storage (GB)", Some("storage_gb")),
            ("Owner", Some("owner")),
            ("Depends On", Some("depends_on")),
        ]);
        assert!(map_one("RAM (MiB)").reasoning.contains("unit MiB"));
        assert!(map_one("disk_size_in_tb").reasoning.contains("unit TB"));
        let memory = map_one("Memory (GB)");
        assert!(memory.confidence >= 0.9);
        assert!(memory.reasoning.contains("unit GB"), "{}", memory.reasoning);
    }

    #[test]
    fn flattened_json_keys_map() {
        assert_maps(&[
            ("hostname", Some("hostname")),
            ("ci_type", Some("asset_type")),
            ("network.ip", Some("ip_address")),
            ("network.fqdn", Some("fqdn")),
            ("os_name", Some("operating_system")),
            ("env", Some("environment")),
            ("business_app", Some("application")),
            ("cores", Some("cpu_cores")),
            ("ram", Some("memory_gb")),
            ("owner", Some("owner")),
            ("dependencies", Some("depends_on")),
        ]);
        assert_maps(&[
            ("os.name", Some("operating_system")),
            ("os.version", Some("os_version")),
            ("hardware.cpu.cores", Some("cpu_cores")),
            ("owner.name", Some("owner")),
        ]);
    }

    #[test]
    fn servicenow_fields_map_one_by_one() {
        let cases = [
            ("name", Some("name")),
            ("sys_class_name", Some("asset_type")),
            ("ip_address", Some("ip_address")),
            ("fqdn", Some("fqdn")),
            ("host_name", Some("hostname")),
            ("os", Some("operating_system")),
            ("os_version", Some("os_version")),
            ("u_environment", Some("environment")),
            ("u_application", Some("application")),
            ("u_business_service", Some("application")),
            ("cpu_count", Some("cpu_cores")),
            ("ram", Some("memory_gb")),
            ("disk_space", Some("storage_gb")),
            ("owned_by", Some("owner")),
            ("assigned_to", Some("owner")),
            ("u_depends_on", Some("depends_on")),
            ("u_business_criticality", Some("business_criticality")),
            ("business_criticality", Some("business_criticality")),
            ("busines_criticality", Some("business_criticality")),
            ("location", Some("location")),
            ("sys_id", None),
            ("u_notes", None),
        ];
        for (column, want) in cases {
            let m = map_one(column);
            assert_eq!(m.target_attribute.as_deref(), want, "{column}: {}", m.reasoning);
        }
        let typo = map_one("busines_criticality");
        assert!((0.6..=0.85).contains(&typo.confidence), "{}", typo.confidence);
        assert!(typo.reasoning.contains("similar"), "{}", typo.reasoning);
        assert!(map_one("sys_id").confidence >= 0.8);
    }

    #[test]
    fn servicenow_export_maps_each_attribute_once() {
        let got = targets(&[
            "sys_id",
            "name",
            "sys_class_name",
            "ip_address",
            "fqdn",
            "host_name",
            "os",
            "os_version",
            "u_environment",
            "u_application",
            "u_business_service",
            "cpu_count",
            "ram",
            "disk_space",
            "owned_by",
            "assigned_to",
            "u_depends_on",
            "busines_criticality",
            "u_business_criticality",
            "location",
            "u_notes",
        ]);
        let want: Vec<(&str, Option<&str>)> = vec![
            ("sys_id", None),
            ("name", Some("name")),
            ("sys_class_name", Some("asset_type")),
            ("ip_address", Some("ip_address")),
            ("fqdn", Some("fqdn")),
            ("host_name", Some("hostname")),
            ("os", Some("operating_system")),
            ("os_version", Some("os_version")),
            ("u_environment", Some("environment")),
            ("u_application", Some("application")),
            ("u_business_service", None),
            ("cpu_count", Some("cpu_cores")),
            ("ram", Some("memory_gb")),
            ("disk_space", Some("storage_gb")),
            ("owned_by", Some("owner")),
            ("assigned_to", None),
            ("u_depends_on", Some("depends_on")),
            ("busines_criticality", None),
            ("u_business_criticality", Some("business_criticality")),
            ("location", Some("location")),
            ("u_notes", None),
        ];
        let want: Vec<(String, Option<String>)> = want
            .into_iter()
            .map(|(c, t)| (c.to_string(), t.map(str::to_string)))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn common_headers_map() {
        assert_maps(&[("Hostname", Some("hostname")), ("Server", Some("name"))]);
        assert_maps(&[("Host", Some("hostname")), ("CI Name", Some("name"))]);
        assert_maps(&[
            ("Asset Name", Some("name")),
            ("IP", Some("ip_address")),
            ("DNS Name", Some("fqdn")),
        ]);
        assert_maps(&[
            ("IPv4", Some("ip_address")),
            ("OS", Some("operating_system")),
            ("Env", Some("environment")),
        ]);
        assert_maps(&[
            ("Primary IP", Some("ip_address")),
            ("Platform", Some("operating_system")),
        ]);
        assert_maps(&[
            ("Stage", Some("environment")),
            ("Tier", None),
            ("App", Some("application")),
        ]);
        assert_maps(&[
            ("Service", Some("application")),
            ("vCPU", Some("cpu_cores")),
            ("RAM (MB)", Some("memory_gb")),
        ]);
        assert_maps(&[("Business Service", Some("application")), ("Cores", Some("cpu_cores"))]);
        assert_maps(&[
            ("CPUs", Some("cpu_cores")),
            ("Memory", Some("memory_gb")),
            ("Disk", Some("storage_gb")),
        ]);
        assert_maps(&[
            ("Mem", Some("memory_gb")),
            ("Disk (GB)", Some("storage_gb")),
            ("Owner", Some("owner")),
        ]);
        assert_maps(&[
            ("Storage", Some("storage_gb")),
            ("Managed By", Some("owner")),
            ("Site", Some("location")),
        ]);
        assert_maps(&[("Support Group", Some("owner")), ("Dependencies", Some("depends_on"))]);
        assert_maps(&[
            ("Depends", Some("depends_on")),
            ("Criticality", Some("business_criticality")),
        ]);
        assert_maps(&[
            ("Upstream", Some("depends_on")),
            ("Business Criticality", Some("business_criticality")),
        ]);
        assert_maps(&[("Data Center", Some("location")), ("Host Name", Some("hostname"))]);
        assert_maps(&[("Datacenter", Some("location"))]);
        assert_maps(&[
            ("Location", Some("location")),
            ("Version", None),
            ("Serial Number", None),
        ]);
    }

    #[test]
    fn each_attribute_goes_to_one_column() {
        let got = map_columns(&["Server", "Server Name", "Name", "Datacenter", "Location"]);
        let t: Vec<Option<&str>> = got.iter().map(|m| m.target_attribute.as_deref()).collect();
        assert_eq!(t, vec![None, None, Some("name"), None, Some("location")]);
        assert_eq!(
            got[0].reasoning.split(';').next(),
            Some("name already mapped from 'Name'")
        );
        assert!(got[3].reasoning.starts_with("location already mapped from 'Location'"));
        // Equal scores: the earlier column keeps it.
        let got = targets(&["business_criticality", "u_business_criticality", "ip", "IP"]);
        assert_eq!(got[0].1.as_deref(), Some("business_criticality"));
        assert_eq!(got[1].1, None);
        assert_eq!(got[2].1.as_deref(), Some("ip_address"));
        assert_eq!(got[3].1, None);
    }

    #[test]
    fn ambiguous_and_unknown_columns_are_kept() {
        let tier = map_one("Tier");
        assert_eq!(tier.target_attribute, None);
        assert!(tier.reasoning.contains("ambiguous"), "{}", tier.reasoning);
        let odd = map_one("Favourite Colour");
        assert_eq!(odd.target_attribute, None);
        assert!(odd.reasoning.contains("closest"), "{}", odd.reasoning);
        assert!(odd.confidence >= 0.2 && odd.confidence <= 0.9);
        for column in [
            "cpu_speed",
            "mac_address",
            "os_service_pack",
            "department",
            "status",
            "model",
            "id",
        ] {
            assert_eq!(map_one(column).target_attribute, None, "{column}");
        }
        // Typos still map, with less confidence than the dictionary.
        for (column, want) in [
            ("IP Adress", "ip_address"),
            ("Hostnames", "hostname"),
            ("Opertaing System", "operating_system"),
        ] {
            let m = map_one(column);
            assert_eq!(m.target_attribute.as_deref(), Some(want), "{column}: {}", m.reasoning);
            assert!(m.confidence <= 0.85);
        }
    }

    #[test]
    fn degenerate_columns_do_not_panic() {
        let out = FieldMappingAgent.run(&MappingInput::default()).unwrap();
        assert!(out.value.is_empty());
        let got = map_columns(&[
            "",
            "   ",
            "(GB)",
            "😀",
            "名前",
            "u_",
            "a.b.c.d.e",
            &"x".repeat(5000),
            "Ã©",
        ]);
        assert_eq!(got.len(), 9);
        assert!(got.iter().all(|m| m.target_attribute.is_none()));
    }

    #[test]
    fn overall_confidence_and_reasoning() {
        let out = FieldMappingAgent
            .run(&MappingInput {
                columns: vec!["Server Name".into(), "Blah".into()],
            })
            .unwrap();
        assert!(
            out.reasoning.starts_with("Mapped 1 of 2 column(s)"),
            "{}",
            out.reasoning
        );
        assert!(out.reasoning.contains("No column for: hostname"), "{}", out.reasoning);
        assert!(out.confidence > 0.0 && out.confidence < 1.0);
    }

    // pattern_recognition

    fn mapping(source: &str, target: Option<&str>, confidence: f64) -> FieldMapping {
        FieldMapping {
            source_field: source.to_string(),
            target_attribute: target.map(str::to_string),
            confidence,
            agent: "field_mapping".to_string(),
            reasoning: "r.".to_string(),
        }
    }

    fn records(rows: Vec<Value>) -> Vec<SourceRecord> {
        rows.into_iter()
            .enumerate()
            .map(|(i, v)| SourceRecord {
                row_number: i as i64 + 1,
                line_number: i as i64 + 2,
                fields: match v {
                    Value::Object(map) => map,
                    _ => Map::new(),
                },
            })
            .collect()
    }

    fn recognise(mappings: Vec<FieldMapping>, rows: Vec<Value>) -> AgentOutput<Vec<FieldMapping>> {
        PatternRecognition
            .run(&PatternInput {
                mappings,
                records: records(rows),
            })
            .unwrap()
    }

    #[test]
    fn values_confirm_mappings() {
        let rows = vec![
            json!({"ip": "10.0.0.1", "fqdn": "a.corp.example.com", "os": "Red Hat Enterprise Linux 8.8", "env": "PRD",
                   "cores": 4, "mem": "16 GB", "deps": "a;b", "crit": "High"}),
            json!({"ip": "10.0.0.2", "fqdn": "b.corp.example.com", "os": "Microsoft SQL Server 2012", "env": "Dev",
                   "cores": "8", "mem": 4096, "deps": ["x", "y"], "crit": "1 - most critical"}),
            json!({"ip": "fe80::1", "fqdn": "c.corp.example.com", "os": "AIX 7.1", "env": "production",
                   "cores": "2", "mem": "8GB", "deps": "app0003", "crit": "Tier 2"}),
            json!({"ip": null, "fqdn": "", "os": "Oracle Database 19c", "env": "QA", "cores": null, "mem": null, "deps": [],
                   "crit": null}),
        ];
        let mappings = vec![
            mapping("ip", Some("ip_address"), 0.95),
            mapping("fqdn", Some("fqdn"), 0.97),
            mapping("os", Some("operating_system"), 0.95),
            mapping("env", Some("environment"), 0.95),
            mapping("cores", Some("cpu_cores"), 0.95),
            mapping("mem", Some("memory_gb"), 0.97),
            mapping("deps", Some("depends_on"), 0.95),
            mapping("crit", Some("business_criticality"), 0.96),
        ];
        let out = recognise(mappings.clone(), rows);
        for (before, after) in mappings.iter().zip(&out.value) {
            assert_eq!(after.target_attribute, before.target_attribute);
            assert_eq!(after.agent, "field_mapping");
            assert!(
                after.confidence > before.confidence && after.confidence <= 0.99,
                "{}",
                after.source_field
            );
            assert!(
                after.reasoning.starts_with("r. Values confirm it"),
                "{}",
                after.reasoning
            );
        }
        assert!(out.reasoning.contains("8 confirmed"), "{}", out.reasoning);
    }

    #[test]
    fn contradicting_values_lower_confidence() {
        let rows = vec![
            json!({"IP Address": "web01", "Cores": "Intel Xeon", "Env": "10.0.0.1", "Memory": "lots"}),
            json!({"IP Address": "web02", "Cores": "AMD EPYC", "Env": "10.0.0.2", "Memory": "n/a"}),
            json!({"IP Address": "web03", "Cores": "Intel Xeon", "Env": "10.0.0.3", "Memory": "16 GB"}),
            json!({"IP Address": "web04", "Cores": "Intel Xeon", "Env": "10.0.0.4", "Memory": "32"}),
        ];
        let mappings = vec![
            mapping("IP Address", Some("ip_address"), 0.97),
            mapping("Cores", Some("cpu_cores"), 0.95),
            mapping("Env", Some("environment"), 0.95),
            mapping("Memory", Some("memory_gb"), 0.95),
        ];
        let out = recognise(mappings, rows);
        let v = &out.value;
        assert!((v[0].confidence - 0.67).abs() < 1e-9);
        assert!(v[0].reasoning.contains("contradict"), "{}", v[0].reasoning);
        assert!((v[1].confidence - 0.65).abs() < 1e-9);
        assert_eq!(
            v[2].target_attribute.as_deref(),
            Some("environment"),
            "lowered, not retargeted"
        );
        assert!(
            (v[3].confidence - 0.95).abs() < 1e-9,
            "half fitting leaves confidence alone"
        );
        assert!(v[3].reasoning.contains("partly"), "{}", v[3].reasoning);
        assert!(out.reasoning.contains("3 contradicted"), "{}", out.reasoning);
    }

    #[test]
    fn unmapped_columns_with_unmistakable_values_are_corrected() {
        let rows: Vec<Value> = (1..=6)
            .map(|i| {
                json!({"col7": format!("10.0.0.{i}"), "x_dns": format!("h{i}.corp.example.com"), "Tier": "prod",
                       "other_ip": format!("192.168.0.{i}"), "free": "hello world"})
            })
            .collect();
        let mappings = vec![
            mapping("col7", None, 0.4),
            mapping("x_dns", None, 0.4),
            mapping("Tier", None, 0.6),
            mapping("other_ip", None, 0.4),
            mapping("free", None, 0.8),
        ];
        let out = recognise(mappings, rows);
        let v = &out.value;
        assert_eq!(v[0].target_attribute.as_deref(), Some("ip_address"));
        assert_eq!(v[0].agent, "pattern_recognition");
        assert!((v[0].confidence - 0.75).abs() < 1e-9);
        assert!(
            v[0].reasoning.contains("no other column maps ip_address"),
            "{}",
            v[0].reasoning
        );
        assert_eq!(v[1].target_attribute.as_deref(), Some("fqdn"));
        assert_eq!(v[2].target_attribute.as_deref(), Some("environment"));
        assert_eq!(v[3].target_attribute, None, "ip_address is taken by the earlier column");
        assert_eq!(v[3].agent, "field_mapping");
        assert_eq!(v[4].target_attribute, None);
        assert!(out.reasoning.contains("3 corrected"), "{}", out.reasoning);
    }

    #[test]
    fn corrections_need_distinctive_values() {
        let rows: Vec<Value> = ["Windows Server 2019", "RHEL 8", "Ubuntu 22.04", "AIX 7.1"]
            .iter()
            .map(|os| json!({"platform_x": os, "state": "Live", "vendor": "Oracle", "db": "MySQL 8.0"}))
            .collect();
        let mappings = vec![
            mapping("state", None, 0.9),
            mapping("vendor", None, 0.9),
            mapping("db", None, 0.5),
            mapping("platform_x", None, 0.5),
        ];
        let out = recognise(mappings, rows);
        let t: Vec<Option<&str>> = out.value.iter().map(|m| m.target_attribute.as_deref()).collect();
        assert_eq!(t, vec![None, None, None, Some("operating_system")]);
    }

    #[test]
    fn corrections_never_take_a_mapped_attribute() {
        let rows: Vec<Value> = (1..=5)
            .map(|i| json!({"IP": format!("web{i}"), "mystery": format!("10.1.1.{i}")}))
            .collect();
        let mappings = vec![mapping("IP", Some("ip_address"), 0.95), mapping("mystery", None, 0.5)];
        let out = recognise(mappings, rows);
        assert_eq!(out.value[0].target_attribute.as_deref(), Some("ip_address"));
        assert!(out.value[0].confidence < 0.7);
        assert_eq!(out.value[1].target_attribute, None);
        assert_eq!(out.value[1].reasoning, "r.");
    }

    #[test]
    fn few_or_no_values_change_nothing() {
        let mappings = vec![mapping("ip", Some("ip_address"), 0.9), mapping("x", None, 0.5)];
        let out = recognise(
            mappings.clone(),
            vec![json!({"ip": "10.0.0.1", "x": "10.0.0.2"}), json!({"ip": null})],
        );
        assert_eq!(out.value[0].confidence, 0.9);
        assert!(out.value[0].reasoning.contains("Too few"));
        assert_eq!(out.value[1], mappings[1]);
        let out = recognise(mappings.clone(), vec![]);
        assert_eq!(out.value, mappings);
        let out = recognise(vec![], vec![json!({"a": 1})]);
        assert!(out.value.is_empty());
    }

    #[test]
    fn unmapped_names_without_detectors_pass_through() {
        let rows: Vec<Value> = (1..=4)
            .map(|i| json!({"Owner": format!("user{i}"), "App": [i, {"k": "v"}], "odd": {}}))
            .collect();
        let mappings = vec![
            mapping("Owner", Some("owner"), 0.97),
            mapping("App", Some("application"), 0.95),
            mapping("odd", None, 0.5),
        ];
        let out = recognise(mappings.clone(), rows);
        assert_eq!(out.value, mappings);
    }

    #[test]
    fn value_detectors() {
        assert!(is_ip_list("10.0.0.1, 10.0.0.2") && !is_ip_list(",") && !is_ip_list("10.0.0.1;web"));
        assert!(
            is_os_name("Win2k8 R2") && is_os_name("MySQL 5.6") && is_os_name("HP-UX 11i") && !is_os_name("Payroll")
        );
        assert!(is_core_count("4") && is_core_count("8 vCPU") && is_core_count("2.0") && !is_core_count("0"));
        assert!(!is_core_count("4096") && !is_core_count("2.5") && !is_core_count("Xeon"));
        assert!(
            is_environment("Pre-Prod")
                && is_environment("prod2")
                && is_environment("UAT")
                && !is_environment("Payroll")
        );
        assert!(is_criticality("1 - most critical") && is_criticality("Gold") && !is_criticality("12"));
        assert!(
            is_asset_type("cmdb_ci_linux_server") && is_asset_type("Virtual Machine") && !is_asset_type("10.0.0.1")
        );
        assert!(is_size_or_number("4096 MB") && is_size_or_number("16") && !is_size_or_number("-4"));
        assert!(is_name_list("a;b") && is_name_list("payroll_db") && !is_name_list("42"));
        assert!(is_host_name("web01") && !is_host_name("10.0.0.1") && !is_host_name("web 01"));
    }
}
