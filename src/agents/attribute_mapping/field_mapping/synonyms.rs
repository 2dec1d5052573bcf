//! The synonym dictionary: for each canonical attribute the field names that mean it, by how
//! surely; the common fields that are no attribute; the names too ambiguous to guess.

use std::collections::{HashMap, HashSet};

use super::names::{NameParts, words_similarity};

/// Synonyms of one canonical attribute, in normalised form, by how surely they mean it.
pub(super) struct Synonyms {
    pub(super) attribute: &'static str,
    strong: &'static [&'static str],
    /// Usually but not always the attribute (`assigned_to`, `business_service`).
    medium: &'static [&'static str],
    /// Plausible, often something near it (`support_group` for owner).
    weak: &'static [&'static str],
}

pub(super) const CANONICAL_WEIGHT: f64 = 0.97;
pub(super) const STRONG: f64 = 0.95;
const MEDIUM: f64 = 0.85;
const WEAK: f64 = 0.75;

pub(super) const SYNONYMS: &[Synonyms] = &[
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
pub(super) struct Entry {
    pub(super) attribute: &'static str,
    pub(super) synonym: &'static str,
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
    pub(super) fn build() -> Dictionary {
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

fn entry(attribute: &'static str, synonym: &'static str, weight: f64) -> Entry {
    Entry {
        attribute,
        synonym,
        words: NameParts::parse(synonym).words,
        weight,
    }
}
