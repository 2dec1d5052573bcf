//! Where a sheet's header row is (under title lines, blank lines and merged cells), and whether
//! the sheet lists machines at all.

use serde_json::Value;

use super::book::Row;

/// Rows looked at for the header; a report with more lines above its table than this is rare.
pub const SAMPLE_ROWS: usize = 30;

/// Words of a column name that say the sheet lists machines or other configuration items.
const IDENTITY_WORDS: &[&str] = &[
    "name",
    "hostname",
    "host",
    "server",
    "servername",
    "computer",
    "computername",
    "machine",
    "vm",
    "fqdn",
    "dns",
    "ip",
    "ipaddress",
    "ipv4",
    "ci",
    "asset",
    "device",
    "node",
    "instance",
    "system",
];

/// The index in `sample` of the header row: the first whose cells are nearly all text and span
/// at least half the widest row (a title line or a merged heading holds one cell).
pub fn find_header(sample: &[Row]) -> Option<usize> {
    let widest = sample.iter().map(|(_, cells)| cells.len()).max()?;
    let need = if widest <= 1 { 1 } else { 2.max(widest.div_ceil(2)) };
    sample.iter().position(|(_, cells)| {
        let texts = cells.iter().filter(|(_, v)| v.is_string()).count();
        texts >= need && texts * 5 >= cells.len() * 4
    })
}

/// The header row's cells as column names (numbers and dates written out), in column order.
pub fn header_cells(cells: &[(u32, Value)]) -> Vec<(u32, String)> {
    cells
        .iter()
        .map(|(col, value)| {
            let name = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (*col, name)
        })
        .collect()
}

/// True when a column name says what machine (or item) a row is.
pub fn names_items(columns: &[String]) -> bool {
    columns.iter().any(|column| {
        let lower = column.to_lowercase();
        lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|word| IDENTITY_WORDS.contains(&word))
    })
}
