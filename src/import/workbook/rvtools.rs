//! RVTools exports of a vSphere estate, recognised by their `vInfo` sheet: each `vInfo` row
//! becomes a virtual machine server, each `vHost` row the ESXi host it runs on, as records in
//! the field names the attribute mapping already knows, so no later agent needs RVTools.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// How an RVTools sheet is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Vm,
    Host,
}

/// The fields an RVTools record has, besides its custom attributes.
pub const FIELDS: &[&str] = &[
    "name",
    "asset_type",
    "operating_system",
    "cpu_cores",
    "memory_gb",
    "storage_gb",
    "ip_address",
    "fqdn",
    "location",
    "cluster",
    "hypervisor",
    "power_state",
    "depends_on",
    "vendor",
    "model",
];

/// The sheet's kind, when the workbook is an RVTools export and the sheet is one it reads.
pub fn kind(sheet: &str, columns: &[String]) -> Option<Kind> {
    let has = |name: &str| columns.iter().any(|c| c.eq_ignore_ascii_case(name));
    match sheet.to_ascii_lowercase().as_str() {
        "vinfo" if has("VM") && has("Powerstate") => Some(Kind::Vm),
        "vhost" if has("Host") && (has("ESX Version") || has("# Cores")) => Some(Kind::Host),
        _ => None,
    }
}

/// True when the sheet names are RVTools': `vInfo` with the other `v…` tabs around it.
pub fn is_rvtools(sheets: &[String]) -> bool {
    sheets.iter().any(|s| s.eq_ignore_ascii_case("vInfo"))
}

/// A `vInfo` sheet's custom attributes (`Application`, `Environment`, ...): RVTools writes them
/// between `Annotation` and `Datacenter`. vCenter's own (`com.vmware...`) are left out.
pub fn custom_attributes(columns: &[(u32, String)]) -> Vec<(u32, String)> {
    let at = |name: &str| columns.iter().position(|(_, c)| c.eq_ignore_ascii_case(name));
    let (Some(from), Some(to)) = (at("Annotation"), at("Datacenter")) else {
        return Vec::new();
    };
    if from >= to {
        return Vec::new();
    }
    columns[from + 1..to]
        .iter()
        .filter(|(_, name)| !name.starts_with("com.") && !FIELDS.contains(&name.to_lowercase().as_str()))
        .cloned()
        .collect()
}

/// A row's cells by lower-cased column name.
pub struct Cells<'a>(HashMap<String, &'a Value>);

impl<'a> Cells<'a> {
    pub fn new(columns: &[(u32, String)], row: &'a [(u32, Value)]) -> Self {
        let by_col: HashMap<u32, &Value> = row.iter().map(|(c, v)| (*c, v)).collect();
        let cells = columns
            .iter()
            .filter_map(|(col, name)| Some((name.to_lowercase(), *by_col.get(col)?)))
            .collect();
        Cells(cells)
    }

    /// The first of `names` that has a value.
    fn get(&self, names: &[&str]) -> Option<&'a Value> {
        names.iter().find_map(|n| self.0.get(&n.to_lowercase()).copied())
    }

    fn text(&self, names: &[&str]) -> Option<String> {
        match self.get(names)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    fn number(&self, names: &[&str]) -> Option<f64> {
        match self.get(names)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().replace(',', "").parse().ok(),
            _ => None,
        }
    }

    fn flag(&self, names: &[&str]) -> bool {
        match self.get(names) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.to_lowercase().as_str(), "true" | "yes" | "1"),
            Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
            _ => false,
        }
    }
}

/// MiB as GB (binary, as the mapping means it), to two decimals.
fn mib_to_gb(mib: f64) -> Value {
    let gb = (mib / 1024.0 * 100.0).round() / 100.0;
    if gb.fract() == 0.0 {
        Value::from(gb as i64)
    } else {
        Value::from(gb)
    }
}

fn put(record: &mut Map<String, Value>, field: &str, value: Option<Value>) {
    if let Some(value) = value {
        record.insert(field.to_owned(), value);
    }
}

/// What became of a `vInfo` row.
pub enum Vm {
    Server(Map<String, Value>),
    Template,
}

/// A `vInfo` row as a server record; `hosts` are the `vHost` sheet's host names (lower-cased),
/// which the machine then depends on.
pub fn vm(cells: &Cells<'_>, custom: &[(u32, String)], hosts: &[String]) -> Vm {
    if cells.flag(&["Template"]) {
        return Vm::Template;
    }
    let mut r = Map::new();
    put(&mut r, "name", cells.text(&["VM"]).map(Value::String));
    r.insert("asset_type".into(), Value::String("Virtual Machine".into()));
    // What the guest reports is what runs; the configuration file says what was chosen once.
    let os = cells
        .text(&["OS according to the VMware Tools"])
        .or_else(|| cells.text(&["OS according to the configuration file"]));
    put(&mut r, "operating_system", os.map(Value::String));
    put(
        &mut r,
        "cpu_cores",
        cells.number(&["CPUs"]).map(|n| Value::from(n as i64)),
    );
    put(&mut r, "memory_gb", cells.number(&["Memory"]).map(mib_to_gb));
    let provisioned = cells.number(&["Provisioned MiB", "Provisioned MB", "Total disk capacity MiB"]);
    put(&mut r, "storage_gb", provisioned.map(mib_to_gb));
    put(
        &mut r,
        "ip_address",
        cells.text(&["Primary IP Address"]).map(Value::String),
    );
    put(&mut r, "fqdn", cells.text(&["DNS Name"]).map(Value::String));
    put(&mut r, "location", cells.text(&["Datacenter"]).map(Value::String));
    put(&mut r, "cluster", cells.text(&["Cluster"]).map(Value::String));
    let host = cells.text(&["Host"]);
    put(&mut r, "hypervisor", host.clone().map(Value::String));
    put(&mut r, "power_state", cells.text(&["Powerstate"]).map(Value::String));
    if let Some(host) = host.filter(|h| hosts.contains(&h.to_lowercase())) {
        r.insert("depends_on".into(), Value::String(host));
    }
    for (_, name) in custom {
        put(&mut r, name, cells.text(&[name]).map(Value::String));
    }
    Vm::Server(r)
}

/// A `vHost` row as a physical server record, its ESXi version as its operating system.
pub fn host(cells: &Cells<'_>) -> Map<String, Value> {
    let mut r = Map::new();
    put(&mut r, "name", cells.text(&["Host"]).map(Value::String));
    r.insert("asset_type".into(), Value::String("ESXi Host".into()));
    put(
        &mut r,
        "operating_system",
        cells.text(&["ESX Version"]).map(Value::String),
    );
    put(
        &mut r,
        "cpu_cores",
        cells.number(&["# Cores"]).map(|n| Value::from(n as i64)),
    );
    put(&mut r, "memory_gb", cells.number(&["# Memory"]).map(mib_to_gb));
    put(&mut r, "location", cells.text(&["Datacenter"]).map(Value::String));
    put(&mut r, "cluster", cells.text(&["Cluster"]).map(Value::String));
    put(&mut r, "vendor", cells.text(&["Vendor"]).map(Value::String));
    put(&mut r, "model", cells.text(&["Model"]).map(Value::String));
    r
}

pub fn host_name(cells: &Cells<'_>) -> Option<String> {
    cells.text(&["Host"]).map(|h| h.to_lowercase())
}
