//! Every asset's identity in a flow, packed for the analyses that need all of them at once
//! (dependency resolution, grouping, topology): one text buffer and a fixed-size row per asset,
//! about 40 bytes plus the text, where a record of owned strings took about 1.9 KB once the
//! analyses' indexes were counted. Assets are numbered by their position (`u32`).

use serde_json::Value;

use crate::agents::types::{AgentError, AssetFacts};
use crate::agents::vocabulary::addresses::{ADDITIONAL_IPS, additional_ips};

/// The asset types the dependency analyses tell apart; any other spelling is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetKind {
    Server,
    Database,
    Application,
    NetworkDevice,
    Storage,
    Other,
}

impl AssetKind {
    /// From an asset type as recorded (trimmed, any case).
    pub fn of(asset_type: &str) -> Self {
        match asset_type.trim().to_lowercase().as_str() {
            "server" => AssetKind::Server,
            "database" => AssetKind::Database,
            "application" => AssetKind::Application,
            "network_device" => AssetKind::NetworkDevice,
            "storage" => AssetKind::Storage,
            _ => AssetKind::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Server => "server",
            AssetKind::Database => "database",
            AssetKind::Application => "application",
            AssetKind::NetworkDevice => "network_device",
            AssetKind::Storage => "storage",
            AssetKind::Other => "other",
        }
    }
}

/// What the table keeps of an asset, borrowed from wherever the asset is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Identity<'a> {
    pub key: &'a str,
    pub name: &'a str,
    pub asset_type: &'a str,
    pub hostname: Option<&'a str>,
    pub fqdn: Option<&'a str>,
    pub ip_address: Option<&'a str>,
    /// The asset's other addresses: its [`ADDITIONAL_IPS`] attribute (an array of texts, or one).
    pub additional_ips: Option<&'a Value>,
    pub application: Option<&'a str>,
    /// As recorded; entries that still hold several names (`a; b, c | d`) are split.
    pub depends_on: &'a [String],
}

// The text fields of a row, in the order they sit in the buffer.
const KEY: usize = 0;
const NAME: usize = 1;
const HOSTNAME: usize = 2;
const FQDN: usize = 3;
const IP: usize = 4;
const APPLICATION: usize = 5;
/// The other addresses, separated by spaces.
const OTHER_IPS: usize = 6;

#[derive(Debug, Clone, Copy)]
struct Row {
    start: u32,
    /// End of each text field in the buffer; a field starts where the one before it ends.
    ends: [u32; 7],
    /// This asset's references in `references`.
    refs: (u32, u32),
    kind: AssetKind,
}

#[derive(Debug, Default)]
pub struct AssetTable {
    text: String,
    rows: Vec<Row>,
    /// Each reference's span in `text`, split and trimmed.
    references: Vec<(u32, u32)>,
}

impl AssetTable {
    /// For tests and agent probes: a table of the given assets, in order.
    pub fn from_facts(assets: &[AssetFacts]) -> Self {
        let mut table = AssetTable::default();
        for a in assets {
            table
                .push(Identity {
                    key: &a.key,
                    name: &a.name,
                    asset_type: &a.asset_type,
                    hostname: a.hostname.as_deref(),
                    fqdn: a.fqdn.as_deref(),
                    ip_address: a.ip_address.as_deref(),
                    additional_ips: a.attributes.get(ADDITIONAL_IPS),
                    application: a.application.as_deref(),
                    depends_on: &a.depends_on,
                })
                .expect("a test table is small");
        }
        table
    }

    /// Appends an asset; its number is the table's length before. Fails past 4 GiB of text
    /// (a `u32` offset), some tens of millions of assets.
    pub fn push(&mut self, asset: Identity<'_>) -> Result<u32, AgentError> {
        let too_large = || AgentError("more asset identities than one analysis can hold".to_string());
        let index = u32::try_from(self.rows.len()).map_err(|_| too_large())?;
        let start = self.offset()?;
        let mut ends = [0u32; 7];
        let fields = [
            asset.key,
            asset.name,
            asset.hostname.unwrap_or_default(),
            asset.fqdn.unwrap_or_default(),
            asset.ip_address.unwrap_or_default(),
            asset.application.unwrap_or_default(),
        ];
        for (end, field) in ends.iter_mut().zip(fields) {
            self.text.push_str(field);
            *end = self.offset()?;
        }
        for ip in additional_ips(asset.additional_ips)
            .map(str::trim)
            .filter(|ip| !ip.is_empty())
        {
            if self.offset()? > ends[APPLICATION] {
                self.text.push(' ');
            }
            // An address holds no spaces; one that does is not an address.
            self.text.extend(ip.split_whitespace().take(1));
        }
        ends[OTHER_IPS] = self.offset()?;
        let first_reference = self.references.len();
        for reference in asset
            .depends_on
            .iter()
            .flat_map(|d| d.split([';', ',', '|', '\n', '\r']))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let from = self.offset()?;
            self.text.push_str(reference);
            self.references.push((from, self.offset()?));
        }
        let refs = (
            u32::try_from(first_reference).map_err(|_| too_large())?,
            u32::try_from(self.references.len()).map_err(|_| too_large())?,
        );
        self.rows.push(Row {
            start,
            ends,
            refs,
            kind: AssetKind::of(asset.asset_type),
        });
        Ok(index)
    }

    fn offset(&self) -> Result<u32, AgentError> {
        u32::try_from(self.text.len())
            .map_err(|_| AgentError("more asset identity text than one analysis can hold".to_string()))
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every asset's number.
    pub fn indices(&self) -> impl Iterator<Item = u32> + use<> {
        0..self.rows.len() as u32
    }

    fn field(&self, asset: u32, field: usize) -> &str {
        let row = &self.rows[asset as usize];
        let start = if field == 0 { row.start } else { row.ends[field - 1] };
        &self.text[start as usize..row.ends[field] as usize]
    }

    fn optional(&self, asset: u32, field: usize) -> Option<&str> {
        Some(self.field(asset, field)).filter(|s| !s.is_empty())
    }

    pub fn key(&self, asset: u32) -> &str {
        self.field(asset, KEY)
    }

    pub fn name(&self, asset: u32) -> &str {
        self.field(asset, NAME)
    }

    pub fn kind(&self, asset: u32) -> AssetKind {
        self.rows[asset as usize].kind
    }

    /// Hostname, FQDN, IP address and application: `None` when missing or empty.
    pub fn hostname(&self, asset: u32) -> Option<&str> {
        self.optional(asset, HOSTNAME)
    }

    pub fn fqdn(&self, asset: u32) -> Option<&str> {
        self.optional(asset, FQDN)
    }

    pub fn ip_address(&self, asset: u32) -> Option<&str> {
        self.optional(asset, IP)
    }

    pub fn application(&self, asset: u32) -> Option<&str> {
        self.optional(asset, APPLICATION)
    }

    /// The addresses after the first, as recorded.
    pub fn additional_ips(&self, asset: u32) -> impl Iterator<Item = &str> {
        self.field(asset, OTHER_IPS).split(' ').filter(|ip| !ip.is_empty())
    }

    /// The names this asset depends on, split and trimmed, each with its reference number.
    pub fn references(&self, asset: u32) -> impl Iterator<Item = (u32, &str)> {
        let (from, to) = self.rows[asset as usize].refs;
        (from..to).map(|r| (r, self.reference(r)))
    }

    pub fn reference(&self, reference: u32) -> &str {
        let (from, to) = self.references[reference as usize];
        &self.text[from as usize..to as usize]
    }

    /// How many references all assets make.
    pub fn reference_count(&self) -> usize {
        self.references.len()
    }

    /// Orders assets by key, then by number: how the analyses break ties, whatever the input
    /// order.
    pub fn key_order(&self, a: u32, b: u32) -> std::cmp::Ordering {
        self.key(a).cmp(self.key(b)).then(a.cmp(&b))
    }

    /// The first asset with this key; a linear search, for tests and probes.
    pub fn find(&self, key: &str) -> Option<u32> {
        self.indices().find(|&i| self.key(i) == key)
    }

    /// Assets' keys, in the given order.
    pub fn keys<'a>(&'a self, assets: &[u32]) -> Vec<&'a str> {
        assets.iter().map(|&a| self.key(a)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_field_and_splits_references() {
        let depends_on = vec!["a; b".to_string(), " c ".to_string(), String::new()];
        let more = serde_json::json!([" 10.0.0.2 ", "", "fe80::1"]);
        let mut table = AssetTable::default();
        let first = table
            .push(Identity {
                key: "web01",
                name: "WEB01",
                asset_type: " Server ",
                hostname: Some("web01"),
                fqdn: None,
                ip_address: Some(""),
                additional_ips: Some(&more),
                application: Some("CRM"),
                depends_on: &depends_on,
            })
            .unwrap();
        let second = table
            .push(Identity {
                key: "db",
                asset_type: "mainframe",
                ..Identity::default()
            })
            .unwrap();
        assert_eq!((first, second, table.len()), (0, 1, 2));
        assert_eq!(
            (table.key(0), table.name(0), table.kind(0)),
            ("web01", "WEB01", AssetKind::Server)
        );
        assert_eq!(
            (table.hostname(0), table.fqdn(0), table.ip_address(0)),
            (Some("web01"), None, None)
        );
        assert_eq!(table.application(0), Some("CRM"));
        assert_eq!(table.additional_ips(0).collect::<Vec<_>>(), ["10.0.0.2", "fe80::1"]);
        assert_eq!(table.additional_ips(1).count(), 0);
        let refs: Vec<(u32, &str)> = table.references(0).collect();
        assert_eq!(refs, vec![(0, "a"), (1, "b"), (2, "c")]);
        assert_eq!(
            (table.key(1), table.name(1), table.kind(1)),
            ("db", "", AssetKind::Other)
        );
        assert_eq!(table.references(1).count(), 0);
        assert_eq!(table.find("db"), Some(1));
        assert_eq!(table.keys(&[1, 0]), vec!["db", "web01"]);
    }
}
