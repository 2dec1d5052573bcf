//! `field_mapping` (attribute_mapping): maps each source column onto a canonical attribute by its
//! name: the synonym dictionary first (the whole name, then its dotted tails), then name
//! similarity; each attribute goes to its best column, the rest are kept as extra attributes.
//!
//! - `names.rs`: how a field name is normalised and compared.
//! - `synonyms.rs`: the dictionary.

mod names;
mod synonyms;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::agents::types::{Agent, AgentError, AgentOutput, CANONICAL_ATTRIBUTES, FieldMapping};
use crate::domain::PhaseName;
use names::NameParts;
use synonyms::{CANONICAL_WEIGHT, Dictionary, STRONG};

pub use names::{normalize_field_name, similarity};

/// The source columns to map, in source order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MappingInput {
    pub columns: Vec<String>,
}

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
        // A cloud vendor's import template is mapped by its own column list, at full confidence.
        if let Some(output) = crate::agents::attribute_mapping::templates::recognise(&input.columns) {
            return Ok(output);
        }
        let dictionary = Dictionary::get();
        let mut proposals: Vec<Proposal> = input.columns.iter().map(|c| propose(dictionary, c)).collect();

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
        let proposals_confidence: Vec<f64> = proposals.iter().map(|p| p.confidence).collect();
        for (i, proposal) in proposals.iter_mut().enumerate() {
            let Some(attr) = proposal.target else { continue };
            let w = winner.get(attr).copied().unwrap_or(i);
            if w != i {
                let reasoning = format!(
                    "{attr} already mapped from '{}'; kept as an extra attribute (this column matched it at {:.2}).",
                    input.columns[w], proposal.confidence
                );
                // As sure as the other column is the better match: a near tie is a close call.
                let margin = proposals_confidence[w] - proposal.confidence;
                *proposal = Proposal {
                    target: None,
                    confidence: margin.mul_add(2.0, 0.5).clamp(0.3, 0.9),
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
            let language = if e.language.is_empty() || e.language == "English" {
                String::new()
            } else {
                format!("{} ", e.language)
            };
            let (kind, weight) = match e.weight {
                w if w >= CANONICAL_WEIGHT => ("the canonical attribute".to_string(), w),
                w if w >= STRONG => (format!("a known {language}synonym of"), w),
                w => (format!("a looser {language}synonym of"), w),
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

#[cfg(test)]
mod tests {
    use super::names::{jaro_winkler, osa_distance};
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
    fn every_canonical_attribute_is_in_the_dictionary() {
        let dictionary = Dictionary::get();
        for attr in CANONICAL_ATTRIBUTES {
            assert!(
                dictionary
                    .entries
                    .iter()
                    .any(|e| e.attribute == *attr && !e.language.is_empty()),
                "{attr}"
            );
            assert_eq!(map_one(attr).target_attribute.as_deref(), Some(*attr));
        }
        // No synonym may mean two attributes, in any language, nor be a known extra or ambiguous.
        for e in &dictionary.entries {
            let first = &dictionary.entries[dictionary.by_compact[&e.words.concat()]];
            assert_eq!(first.attribute, e.attribute, "{} ({})", e.synonym, e.language);
            assert!(!dictionary.extras.contains(&e.words.concat()), "{}", e.synonym);
            assert!(!dictionary.ambiguous.contains_key(&e.words.concat()), "{}", e.synonym);
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
            ("Größe", "grosse"),
            ("ÉTAT.Ünïcode", "etat_unicode"),
            ("Nom d'hôte", "nom_d_hote"),
            ("Disque (Go)", "disque"),
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
        // The columns in the export's order, each with the attribute it should get.
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
        let columns: Vec<&str> = want.iter().map(|(c, _)| *c).collect();
        let got = targets(&columns);
        let want: Vec<(String, Option<String>)> = want
            .into_iter()
            .map(|(c, t)| (c.to_string(), t.map(str::to_string)))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn common_headers_map() {
        // Each group is mapped together, as one export's columns would be.
        #[rustfmt::skip]
        let groups: &[&[(&str, Option<&str>)]] = &[
            &[("Hostname", Some("hostname")), ("Server", Some("name"))],
            &[("Host", Some("hostname")), ("CI Name", Some("name"))],
            &[("Asset Name", Some("name")), ("IP", Some("ip_address")), ("DNS Name", Some("fqdn"))],
            &[("IPv4", Some("ip_address")), ("OS", Some("operating_system")), ("Env", Some("environment"))],
            &[("Primary IP", Some("ip_address")), ("Platform", Some("operating_system"))],
            &[("Stage", Some("environment")), ("Tier", None), ("App", Some("application"))],
            &[("Service", Some("application")), ("vCPU", Some("cpu_cores")), ("RAM (MB)", Some("memory_gb"))],
            &[("Business Service", Some("application")), ("Cores", Some("cpu_cores"))],
            &[("CPUs", Some("cpu_cores")), ("Memory", Some("memory_gb")), ("Disk", Some("storage_gb"))],
            &[("Mem", Some("memory_gb")), ("Disk (GB)", Some("storage_gb")), ("Owner", Some("owner"))],
            &[("Storage", Some("storage_gb")), ("Managed By", Some("owner")), ("Site", Some("location"))],
            &[("Support Group", Some("owner")), ("Dependencies", Some("depends_on"))],
            &[("Depends", Some("depends_on")), ("Criticality", Some("business_criticality"))],
            &[("Upstream", Some("depends_on")), ("Business Criticality", Some("business_criticality"))],
            &[("Data Center", Some("location")), ("Host Name", Some("hostname"))],
            &[("Datacenter", Some("location"))],
            &[("Location", Some("location")), ("Version", None), ("Serial Number", None)],
        ];
        for group in groups {
            assert_maps(group);
        }
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
}
