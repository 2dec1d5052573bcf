//! Test inputs shared by the agents' unit tests: rows, records and assets built in one line, and the
//! 30-asset sample estate.

use serde_json::{Map, Value};

use crate::agents::types::{AssetFacts, CleanRecord, FieldMapping, ImportBatch, SourceRecord};

/// An imported row numbered `row` (on line `row + 1`) with the fields of a JSON object.
pub fn source_record(row: i64, fields: Value) -> SourceRecord {
    let fields: Map<String, Value> = match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    SourceRecord {
        row_number: row,
        line_number: row + 1,
        fields,
    }
}

/// `field_mapping`'s decision to map `source` onto `target`, with the reasoning `r.`.
pub fn mapping(source: &str, target: Option<&str>, confidence: f64) -> FieldMapping {
    FieldMapping {
        source_field: source.to_string(),
        target_attribute: target.map(str::to_string),
        confidence,
        agent: "field_mapping".to_string(),
        reasoning: "r.".to_string(),
    }
}

/// A CSV import: a header and lines split on commas, empty cells null.
pub fn csv_batch(header: &str, lines: &[&str]) -> ImportBatch {
    let columns: Vec<String> = header.split(',').map(str::to_string).collect();
    let records = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let mut fields = Map::new();
            for (column, cell) in columns.iter().zip(line.split(',')) {
                let value = if cell.is_empty() {
                    Value::Null
                } else {
                    Value::String(cell.to_string())
                };
                fields.insert(column.clone(), value);
            }
            SourceRecord {
                row_number: i as i64 + 1,
                line_number: i as i64 + 2,
                fields,
            }
        })
        .collect();
    ImportBatch { columns, records }
}

/// A clean record with only a name (its key lower-cased) from row 1.
pub fn clean_record(name: &str) -> CleanRecord {
    CleanRecord {
        key: name.to_lowercase(),
        name: name.to_string(),
        source_rows: vec![1],
        ..Default::default()
    }
}

/// An asset with only a name and a type.
pub fn asset(name: &str, asset_type: &str) -> AssetFacts {
    AssetFacts {
        key: name.to_lowercase(),
        name: name.to_string(),
        asset_type: asset_type.to_string(),
        hostname: None,
        fqdn: None,
        ip_address: None,
        operating_system: None,
        os_version: None,
        environment: None,
        application: None,
        business_criticality: None,
        depends_on: Vec::new(),
        attributes: Map::new(),
    }
}

/// An asset with only a name, a type and the names it depends on.
pub fn dep(name: &str, asset_type: &str, deps: &[&str]) -> AssetFacts {
    let mut a = asset(name, asset_type);
    a.depends_on = deps.iter().map(|d| d.to_string()).collect();
    a
}

/// The 30 assets of `tests/fixtures/cmdb_sample.csv` after cleansing and deduplication (the
/// duplicate `BATCH0007` row merged), environments standardised; shared by the agents' tests.
pub mod sample {
    use super::asset;
    use crate::agents::types::AssetFacts;

    /// name, type, IP, operating system (DB product for databases), OS version, environment,
    /// application, depends on.
    type Row = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    );

    #[rustfmt::skip]
    const ROWS: &[Row] = &[
        ("batch0013", "server", "10.1.105.244", "Red Hat Enterprise Linux 8.8", "8.8", "development", "Payroll", ""),
        ("Payroll", "application", "", "", "", "development", "Payroll", "batch0013;srv0014;web0015;payroll_db"),
        ("batch0004", "server", "10.19.127.204", "Ubuntu 14.04.6 LTS", "14.04", "test", "Billing", ""),
        ("data_warehouse_db", "database", "", "Microsoft SQL Server 2008 R2", "", "production", "Data Warehouse", "app0003"),
        ("CRM", "application", "", "", "", "production", "CRM", "batch0016;web0017;web0018;crm_db"),
        ("BATCH0016", "server", "10.39.0.123", "Red Hat Enterprise Linux Server 6.10", "6.10", "production", "CRM", ""),
        ("payroll_db", "database", "", "MySQL 5.6", "", "development", "Payroll", "web0015"),
        ("Reporting", "application", "", "", "", "production", "Reporting", "batch0010;app0011;web0012;reporting_db"),
        ("batch0010", "server", "10.30.205.16", "Oracle Solaris 10", "10", "production", "Reporting", ""),
        ("app0003", "server", "10.11.52.149", "Windows Server 2022 Datacenter", "2022", "production", "Data Warehouse", ""),
        ("WEB0009", "server", "10.14.6.125", "Red Hat Enterprise Linux Server 6.10", "6.10", "development", "Intranet", ""),
        ("web0018", "server", "10.9.242.169", "Microsoft Windows Server 2008 R2 Enterprise", "2008 R2", "production", "CRM", ""),
        ("srv0014", "server", "10.22.114.137", "Windows Server 2016 Datacenter", "2016", "development", "Payroll", ""),
        ("web0017", "server", "10.5.202.119", "AIX 7.1", "7.1", "production", "CRM", ""),
        ("web0015", "server", "10.1.14.203", "Red Hat Enterprise Linux Server 6.10", "6.10", "development", "Payroll", ""),
        ("Intranet", "application", "", "", "", "development", "Intranet", "batch0007;app0008;web0009;intranet_db"),
        ("APP0008", "server", "10.17.70.210", "AIX 7.1", "7.1", "development", "Intranet", ""),
        ("web0002", "server", "10.3.203.13", "Microsoft Windows Server 2019 Standard", "2019", "production", "Data Warehouse", ""),
        ("Data Warehouse", "application", "", "", "", "production", "Data Warehouse", "app0001;web0002;app0003;data_warehouse_db"),
        ("intranet_db", "database", "", "MySQL 8.0", "", "development", "Intranet", "web0009"),
        ("web0012", "server", "10.38.186.122", "Ubuntu 22.04.3 LTS", "22.04", "production", "Reporting", ""),
        ("crm_db", "database", "", "Microsoft SQL Server 2012", "", "production", "CRM", "web0018"),
        ("batch0007", "server", "10.31.30.56", "Microsoft Windows Server 2008 R2 Enterprise", "2008 R2", "development", "Intranet", ""),
        ("reporting_db", "database", "", "Oracle Database 19c", "", "production", "Reporting", "web0012"),
        ("srv0006", "server", "10.37.233.18", "Ubuntu 14.04.6 LTS", "14.04", "test", "Billing", ""),
        ("APP0011", "server", "10.34.51.243", "Ubuntu 14.04.6 LTS", "14.04", "production", "Reporting", ""),
        ("Billing", "application", "", "", "", "qa", "Billing", "batch0004;batch0005;srv0006;billing_db"),
        ("billing_db", "database", "", "MySQL 5.6", "", "qa", "Billing", "srv0006"),
        ("app0001", "server", "10.5.222.108", "Ubuntu 20.04.6 LTS", "20.04", "production", "Data Warehouse", ""),
        ("BATCH0005", "server", "10.7.214.43", "Ubuntu 14.04.6 LTS", "14.04", "qa", "Billing", ""),
    ];

    pub fn assets() -> Vec<AssetFacts> {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        ROWS.iter()
            .map(|&(name, asset_type, ip, os, version, env, app, deps)| {
                let mut a = asset(name, asset_type);
                a.ip_address = some(ip);
                a.fqdn = some(ip).map(|_| format!("{}.corp.example.com", name.to_lowercase()));
                a.operating_system = some(os);
                a.os_version = some(version);
                a.environment = some(env);
                a.application = some(app);
                a.depends_on = deps.split(';').filter(|d| !d.is_empty()).map(str::to_string).collect();
                a
            })
            .collect()
    }

    /// `dependencies` from `cmdb_sample.truth.json`.
    pub const TRUTH_EDGES: &[(&str, &str)] = &[
        ("billing", "batch0004"),
        ("billing", "batch0005"),
        ("billing", "billing_db"),
        ("billing", "srv0006"),
        ("billing_db", "srv0006"),
        ("crm", "batch0016"),
        ("crm", "crm_db"),
        ("crm", "web0017"),
        ("crm", "web0018"),
        ("crm_db", "web0018"),
        ("data warehouse", "app0001"),
        ("data warehouse", "app0003"),
        ("data warehouse", "data_warehouse_db"),
        ("data warehouse", "web0002"),
        ("data_warehouse_db", "app0003"),
        ("intranet", "app0008"),
        ("intranet", "batch0007"),
        ("intranet", "intranet_db"),
        ("intranet", "web0009"),
        ("intranet_db", "web0009"),
        ("payroll", "batch0013"),
        ("payroll", "payroll_db"),
        ("payroll", "srv0014"),
        ("payroll", "web0015"),
        ("payroll_db", "web0015"),
        ("reporting", "app0011"),
        ("reporting", "batch0010"),
        ("reporting", "reporting_db"),
        ("reporting", "web0012"),
        ("reporting_db", "web0012"),
    ];
}
