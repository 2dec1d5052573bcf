//! Cloud vendors' import templates, recognised by their headers and mapped at full confidence:
//! the Azure Migrate CSV import template and the AWS Application Discovery Service (Migration
//! Hub) import template. Their columns are data below; a file is taken as a template when
//! enough of the template's own column names are in it.

use crate::agents::types::{AgentOutput, FieldMapping};

/// One template column: its name as `normalise` writes it (or a per-disk pattern), the
/// canonical attribute it fills (`None`: kept as an extra attribute) and what it holds.
struct Column {
    name: Name,
    target: Option<&'static str>,
    holds: &'static str,
}

enum Name {
    Exact(&'static str),
    /// `Disk 1 size (In GB)`, `Disk 2 size (In GB)`, ...: prefix, number, suffix.
    Numbered(&'static str, &'static str),
}

struct Template {
    name: &'static str,
    /// Column names only this template uses; `needed` of them identify it.
    signature: &'static [&'static str],
    needed: usize,
    columns: &'static [Column],
}

const fn col(name: &'static str, target: Option<&'static str>, holds: &'static str) -> Column {
    Column {
        name: Name::Exact(name),
        target,
        holds,
    }
}

const fn per_disk(prefix: &'static str, suffix: &'static str, holds: &'static str) -> Column {
    Column {
        name: Name::Numbered(prefix, suffix),
        target: None,
        holds,
    }
}

/// Azure Migrate's "import servers using a CSV file" template (required columns start with `*`).
const AZURE_MIGRATE: Template = Template {
    name: "Azure Migrate CSV import template",
    signature: &[
        "server name",
        "cores",
        "memory (in mb)",
        "os name",
        "ip addresses",
        "number of disks",
    ],
    needed: 4,
    columns: &[
        col("server name", Some("name"), "the server's name"),
        col("ip addresses", Some("ip_address"), "its IP addresses, comma-separated"),
        col("cores", Some("cpu_cores"), "its CPU cores"),
        col(
            "memory (in mb)",
            Some("memory_gb"),
            "its memory in MB (converted to GB)",
        ),
        col("os name", Some("operating_system"), "its operating system"),
        col("os version", Some("os_version"), "its operating system's version"),
        col(
            "os architecture",
            None,
            "the operating system's architecture (x64, x86)",
        ),
        col("server type", None, "physical or virtual"),
        col("hypervisor", None, "the hypervisor it runs on"),
        col("cpu utilization percentage", None, "CPU utilisation, %"),
        col("memory utilization percentage", None, "memory utilisation, %"),
        col("network adapters", None, "its number of network adapters"),
        col("network in throughput", None, "network throughput in"),
        col("network out throughput", None, "network throughput out"),
        col("boot type", None, "BIOS or UEFI"),
        col("number of disks", None, "its number of disks"),
        col("storage in use (in gb)", None, "storage in use, GB (not its capacity)"),
        // The first disk carries the operating system; the template has no total.
        Column {
            name: Name::Exact("disk 1 size (in gb)"),
            target: Some("storage_gb"),
            holds: "its first disk's size in GB (the template gives each disk its own column and no \
                    total; the other disks' sizes are kept as extra attributes)",
        },
        per_disk("disk ", " size (in gb)", "a further disk's size in GB"),
        per_disk(
            "disk ",
            " read throughput (mb per second)",
            "a disk's read throughput, MB/s",
        ),
        per_disk(
            "disk ",
            " write throughput (mb per second)",
            "a disk's write throughput, MB/s",
        ),
        per_disk("disk ", " read ops (operations per second)", "a disk's read IOPS"),
        per_disk("disk ", " write ops (operations per second)", "a disk's write IOPS"),
    ],
};

/// AWS Application Discovery Service / Migration Hub import template.
const AWS_IMPORT: Template = Template {
    name: "AWS Application Discovery Service (Migration Hub) import template",
    signature: &[
        "externalid",
        "smbiosid",
        "vmware.morefid",
        "vmware.vcenterid",
        "vmware.vmname",
        "cpu.numberofprocessors",
        "cpu.numberofcores",
        "cpu.numberoflogicalcores",
        "os.name",
        "os.version",
        "ram.totalsizeinmb",
        "cpu.usagepct.avg",
        "ram.usedsizeinmb.avg",
    ],
    needed: 3,
    columns: &[
        col("externalid", None, "the record's key in your own inventory"),
        col("vmware.vmname", Some("name"), "the machine's name in vCenter"),
        col("hostname", Some("hostname"), "its host name"),
        col("ipaddress", Some("ip_address"), "its IP address"),
        col("macaddress", None, "its MAC address"),
        col("smbiosid", None, "its SMBIOS id"),
        col("vmware.morefid", None, "its vCenter managed object reference"),
        col("vmware.vcenterid", None, "its vCenter's id"),
        col("cpu.numberofcores", Some("cpu_cores"), "its CPU cores"),
        col("cpu.numberofprocessors", None, "its CPU sockets"),
        col("cpu.numberoflogicalcores", None, "its logical cores (threads)"),
        col("os.name", Some("operating_system"), "its operating system"),
        col("os.version", Some("os_version"), "its operating system's version"),
        col(
            "ram.totalsizeinmb",
            Some("memory_gb"),
            "its memory in MB (converted to GB)",
        ),
        col("ram.usedsizeinmb.avg", None, "memory used, MB, average"),
        col("ram.usedsizeinmb.max", None, "memory used, MB, peak"),
        col("cpu.usagepct.avg", None, "CPU utilisation, %, average"),
        col("cpu.usagepct.max", None, "CPU utilisation, %, peak"),
        col("diskreadspersecondinkb.avg", None, "disk reads, KB/s, average"),
        col("diskreadspersecondinkb.max", None, "disk reads, KB/s, peak"),
        col("diskwritespersecondinkb.avg", None, "disk writes, KB/s, average"),
        col("diskwritespersecondinkb.max", None, "disk writes, KB/s, peak"),
        col("diskreadopspersecond.avg", None, "disk read IOPS, average"),
        col("diskreadopspersecond.max", None, "disk read IOPS, peak"),
        col("diskwriteopspersecond.avg", None, "disk write IOPS, average"),
        col("diskwriteopspersecond.max", None, "disk write IOPS, peak"),
        col("networkreadspersecondinkb.avg", None, "network reads, KB/s, average"),
        col("networkreadspersecondinkb.max", None, "network reads, KB/s, peak"),
        col("networkwritespersecondinkb.avg", None, "network writes, KB/s, average"),
        col("networkwritespersecondinkb.max", None, "network writes, KB/s, peak"),
        col(
            "applications",
            Some("application"),
            "the applications it serves, comma-separated",
        ),
        col("applicationwave", None, "the migration wave of its application"),
        col("tags", None, "key:value tags, comma-separated"),
        col("serverid", None, "Migration Hub's own server id"),
    ],
};

const TEMPLATES: &[Template] = &[AZURE_MIGRATE, AWS_IMPORT];

/// `*Memory (In MB)` → `memory (in mb)`: required-field stars and spacing do not count.
fn normalise(column: &str) -> String {
    let trimmed = column.trim().trim_start_matches('*').trim();
    trimmed.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl Name {
    /// The disk number when a numbered column matches.
    fn matches(&self, normalised: &str) -> bool {
        match self {
            Name::Exact(name) => normalised == *name,
            Name::Numbered(prefix, suffix) => normalised
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(suffix))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
        }
    }
}

/// The template `columns` are, mapped; `None` when they are no known template.
pub fn recognise(columns: &[String]) -> Option<AgentOutput<Vec<FieldMapping>>> {
    let normalised: Vec<String> = columns.iter().map(|c| normalise(c)).collect();
    let template = TEMPLATES.iter().find(|t| {
        let found = t
            .signature
            .iter()
            .filter(|s| normalised.iter().any(|n| n == *s))
            .count();
        found >= t.needed
    })?;
    let mut known = 0;
    let mappings: Vec<FieldMapping> = columns
        .iter()
        .zip(&normalised)
        .map(|(column, n)| {
            let rule = template.columns.iter().find(|c| c.name.matches(n));
            let (target, confidence, reasoning) = match rule {
                Some(rule) => {
                    known += 1;
                    let what = match rule.target {
                        Some(attribute) => format!("mapped to {attribute}"),
                        None => "kept as an extra attribute".to_string(),
                    };
                    let reasoning = format!("{}: '{column}' is {}; {what}.", template.name, rule.holds);
                    (rule.target, 1.0, reasoning)
                }
                None => {
                    let reasoning = format!(
                        "{}: '{column}' is not one of its columns; kept as an extra attribute.",
                        template.name
                    );
                    (None, 0.9, reasoning)
                }
            };
            FieldMapping {
                source_field: column.clone(),
                target_attribute: target.map(str::to_string),
                confidence,
                agent: "field_mapping".to_string(),
                reasoning,
            }
        })
        .collect();
    let confidence = mappings.iter().map(|m| m.confidence).sum::<f64>() / mappings.len() as f64;
    let mapped = mappings.iter().filter(|m| m.target_attribute.is_some()).count();
    let reasoning = format!(
        "Recognised the {} by its headers: {known} of {} columns are the template's, {mapped} mapped to canonical attributes.",
        template.name,
        columns.len()
    );
    Some(AgentOutput::new(mappings, confidence, reasoning))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn target<'a>(output: &'a AgentOutput<Vec<FieldMapping>>, column: &str) -> (Option<&'a str>, f64, &'a str) {
        let m = output.value.iter().find(|m| m.source_field == column).unwrap();
        (m.target_attribute.as_deref(), m.confidence, m.reasoning.as_str())
    }

    #[test]
    fn azure_migrate_template_maps_at_full_confidence_with_its_per_disk_columns() {
        let columns = strings(&[
            "*Server name",
            "IP addresses",
            "*Cores",
            "*Memory (In MB)",
            "*OS name",
            "OS version",
            "OS architecture",
            "Number of disks",
            "Disk 1 size (In GB)",
            "Disk 1 read ops (operations per second)",
            "Disk 2 size (In GB)",
            "Disk 12 size (In GB)",
            "Cost centre",
        ]);
        let out = recognise(&columns).expect("the Azure Migrate template");
        assert!(
            out.reasoning.contains("Azure Migrate CSV import template"),
            "{}",
            out.reasoning
        );
        let (t, c, why) = target(&out, "*Memory (In MB)");
        assert_eq!((t, c), (Some("memory_gb"), 1.0));
        assert!(
            why.starts_with("Azure Migrate CSV import template:") && why.contains("MB"),
            "{why}"
        );
        assert_eq!(target(&out, "*Server name").0, Some("name"));
        assert_eq!(target(&out, "*Cores").0, Some("cpu_cores"));
        assert_eq!(target(&out, "Disk 1 size (In GB)").0, Some("storage_gb"));
        let (t, c, _) = target(&out, "Disk 12 size (In GB)");
        assert_eq!((t, c), (None, 1.0), "a further disk is the template's, kept as extra");
        let (t, c, why) = target(&out, "Cost centre");
        assert_eq!((t, c), (None, 0.9));
        assert!(why.contains("not one of its columns"));
        let targets: Vec<&str> = out.value.iter().filter_map(|m| m.target_attribute.as_deref()).collect();
        let unique: std::collections::HashSet<_> = targets.iter().collect();
        assert_eq!(targets.len(), unique.len(), "one column per attribute");
    }

    #[test]
    fn aws_import_template_maps_namespaced_columns_applications_and_tags() {
        let columns = strings(&[
            "ExternalId",
            "HostName",
            "IPAddress",
            "VMware.VMName",
            "CPU.NumberOfCores",
            "CPU.NumberOfLogicalCores",
            "OS.Name",
            "OS.Version",
            "RAM.TotalSizeInMB",
            "CPU.UsagePct.Avg",
            "Applications",
            "Tags",
        ]);
        let out = recognise(&columns).expect("the AWS template");
        let (t, c, why) = target(&out, "RAM.TotalSizeInMB");
        assert_eq!((t, c), (Some("memory_gb"), 1.0));
        assert!(why.contains("AWS Application Discovery Service"), "{why}");
        assert_eq!(target(&out, "HostName").0, Some("hostname"));
        assert_eq!(target(&out, "VMware.VMName").0, Some("name"));
        assert_eq!(target(&out, "Applications").0, Some("application"));
        assert_eq!(target(&out, "Tags").0, None);
        assert_eq!(target(&out, "CPU.NumberOfLogicalCores").0, None, "cores, not threads");
    }

    #[test]
    fn ordinary_exports_are_no_template() {
        assert!(recognise(&strings(&["Server Name", "IP", "OS", "Memory (MB)", "Cores"])).is_none());
        assert!(
            recognise(&strings(&["hostname", "os.name"])).is_none(),
            "one namespaced column is not enough"
        );
        assert!(recognise(&[]).is_none());
    }
}
