//! The inventory phase's agents: `asset_classification` picks each record's asset type,
//! `criticality_assessment` its business criticality, `asset_inventory` turns both into asset
//! drafts with unique keys. Pure functions of their input.

pub mod asset_classification;
pub mod asset_inventory;
pub mod criticality_assessment;

pub use asset_classification::{AssetClassification, Classification, classify_record};
pub use asset_inventory::{AssetInventory, InventoryInput};
pub use criticality_assessment::{Basis, Criticality, CriticalityAssessment, CriticalityInput, assess_criticality};

/// The sample export's rows from mapping to asset drafts, through cleansing and this phase.
#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::agents::data_cleansing::data_quality::DataQuality;
    use crate::agents::data_cleansing::data_standardization::{DataStandardization, StandardizeInput};
    use crate::agents::data_cleansing::deduplication::Deduplication;
    use crate::agents::test_fixtures::mapping;
    use crate::agents::types::{Agent, SourceRecord};

    /// Eight rows of the sample export, with its traps: a duplicate in another case, sizes in MB and
    /// with glued units, applications listing their servers.
    const SAMPLE: &str = "\
Server Name,Asset Type,IP Address,FQDN,Operating System,OS Version,Environment,Application,CPU Cores,Memory (GB),Storage (GB),Owner,Depends On
batch0004,Server,10.19.127.204,batch0004.corp.example.com,Ubuntu 14.04.6 LTS,14.04,Test,Billing,4,4096 MB,1000,ops-team,
CRM,Application,,,,,PRD,CRM,,,,a.khan,batch0016;web0017;web0018;crm_db
batch0010,Server,10.30.205.16,batch0010.corp.example.com,Oracle Solaris 10,10,PRD,Reporting,2,8GB,100,j.smith,
web0018,Server,10.9.242.169,web0018.corp.example.com,Microsoft Windows Server 2008 R2 Enterprise,2008 R2,production,CRM,4,64 GB,50,j.smith,
Intranet,Application,,,,,DEV,Intranet,,,,j.smith,batch0007;app0008;web0009;intranet_db
batch0007,Server,10.31.30.56,batch0007.corp.example.com,Microsoft Windows Server 2008 R2 Enterprise,2008 R2,DEV,Intranet,4,128 GB,500,ops-team,
crm_db,Database,,,Microsoft SQL Server 2012,,Production,CRM,,,2000,dba-team,web0018
BATCH0007,Server,10.31.30.56,batch0007.corp.example.com,Microsoft Windows Server 2008 R2 Enterprise,2008 R2,DEV,Intranet,4,128 GB,500,ops-team,
intranet_db,Database,,,MySQL 8.0,,DEV,Intranet,,,2000,dba-team,web0009
";

    fn sample_input() -> StandardizeInput {
        let mut lines = SAMPLE.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let target = |column: &str| match column {
            "Server Name" => "name",
            "Asset Type" => "asset_type",
            "IP Address" => "ip_address",
            "FQDN" => "fqdn",
            "Operating System" => "operating_system",
            "OS Version" => "os_version",
            "Environment" => "environment",
            "Application" => "application",
            "CPU Cores" => "cpu_cores",
            "Memory (GB)" => "memory_gb",
            "Storage (GB)" => "storage_gb",
            "Owner" => "owner",
            _ => "depends_on",
        };
        let mappings = header
            .iter()
            .map(|column| mapping(column, Some(target(column)), 1.0))
            .collect();
        let records = lines
            .enumerate()
            .map(|(i, line)| SourceRecord {
                row_number: i as i64 + 1,
                line_number: i as i64 + 2,
                fields: header
                    .iter()
                    .zip(line.split(','))
                    .map(|(h, v)| (h.to_string(), if v.is_empty() { Value::Null } else { json!(v) }))
                    .collect(),
            })
            .collect();
        StandardizeInput { mappings, records }
    }

    #[test]
    fn sample_rows_through_the_pipeline() {
        let clean = DataStandardization.run(&sample_input()).unwrap().value;
        assert_eq!(clean.len(), 9);
        let by_name = |name: &str| clean.iter().find(|r| r.name == name).unwrap();
        assert_eq!(by_name("batch0004").memory_gb, Some(4.0));
        assert_eq!(by_name("batch0010").memory_gb, Some(8.0));
        assert_eq!(by_name("web0018").memory_gb, Some(64.0));
        assert_eq!(by_name("web0018").hostname.as_deref(), Some("web0018"));
        assert_eq!(by_name("crm_db").os_version.as_deref(), Some("2012"));
        assert_eq!(by_name("CRM").key, "crm");
        assert_eq!(by_name("CRM").environment.as_deref(), Some("production"));
        assert_eq!(
            by_name("CRM").depends_on,
            vec!["batch0016", "web0017", "web0018", "crm_db"]
        );
        assert!(clean.iter().all(|r| r.issues.is_empty()), "{clean:?}");

        let quality = DataQuality.run(&clean).unwrap().value;
        assert!(quality.records.iter().all(|r| r.quality_score == 1.0));
        assert_eq!(quality.overall, 1.0);

        let dedup = Deduplication.run(&quality.records).unwrap().value;
        assert_eq!(dedup.records.len(), 8);
        assert_eq!(dedup.merges.len(), 1);
        assert_eq!(dedup.merges[0].kept_key, "batch0007");
        assert_eq!(dedup.merges[0].merged_rows, vec![8]);
        let records = dedup.records;

        let types = AssetClassification.run(&records).unwrap();
        assert_eq!(types.confidence, 1.0);
        let asset_types = types.value;
        let count = |t: &str| asset_types.iter().filter(|a| *a == t).count();
        assert_eq!((count("server"), count("database"), count("application")), (4, 2, 2));

        let criticality = CriticalityAssessment
            .run(&CriticalityInput {
                records: records.clone(),
                asset_types: asset_types.clone(),
            })
            .unwrap()
            .value;
        let drafts = AssetInventory
            .run(&InventoryInput {
                records,
                asset_types,
                criticality,
            })
            .unwrap()
            .value;
        let got: Vec<(&str, &str, &str)> = drafts
            .iter()
            .map(|d| {
                (
                    d.record.key.as_str(),
                    d.asset_type.as_str(),
                    d.business_criticality.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("batch0004", "server", "medium"),
                ("crm", "application", "critical"),
                ("batch0010", "server", "high"),
                ("web0018", "server", "high"),
                ("intranet", "application", "low"),
                ("batch0007", "server", "low"),
                ("crm_db", "database", "critical"),
                ("intranet_db", "database", "medium"),
            ]
        );
        assert_eq!(drafts[5].record.source_rows, vec![6, 8]);
    }
}
