//! The asset types a source's own type text names (one of `ASSET_TYPES`).

use crate::agents::vocabulary::languages::vocabulary;
use crate::agents::vocabulary::text::fold;

/// The asset type a source's type text names (`Server`, `VM`, `Serveur physique`,
/// `Datenbankserver`, `cmdb_ci_linux_server`, `Business Application`, `Load Balancer`, ...), or
/// `None` when it names none we know. The words are data (`data/vocabulary/`); ServiceNow's class
/// families are read here.
pub fn asset_type_from_text(text: &str) -> Option<&'static str> {
    vocabulary().asset_type(text).or_else(|| servicenow_family(&fold(text)))
}

/// ServiceNow class families: `cmdb_ci_db_ora_instance`, `cmdb_ci_appl_tomcat`, ...
fn servicenow_family(folded: &str) -> Option<&'static str> {
    const PREFIXES: &[(&str, &str)] = &[
        ("cmdb ci db ", "database"),
        ("cmdb ci appl ", "application"),
        ("cmdb ci storage ", "storage"),
        ("cmdb ci san ", "storage"),
        ("cmdb ci nas ", "storage"),
        ("cmdb ci ip ", "network_device"),
        ("cmdb ci lb ", "network_device"),
    ];
    PREFIXES.iter().find(|(p, _)| folded.starts_with(p)).map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_text_is_read() {
        for (text, expected) in [
            ("Server", "server"),
            ("Virtual Machine", "server"),
            ("VM", "server"),
            ("Host", "server"),
            ("cmdb_ci_linux_server", "server"),
            ("cmdb_ci_esx_server", "server"),
            ("Linux Servers", "server"),
            ("Database", "database"),
            ("DB", "database"),
            ("cmdb_ci_db_mssql_instance", "database"),
            ("cmdb_ci_db_ora_instance", "database"),
            ("Application", "application"),
            ("Business Application", "application"),
            ("cmdb_ci_appl", "application"),
            ("cmdb_ci_service", "application"),
            ("Load Balancer", "network_device"),
            ("cmdb_ci_ip_router", "network_device"),
            ("Firewall", "network_device"),
            ("SAN", "storage"),
            ("NAS", "storage"),
            ("cmdb_ci_storage_device", "storage"),
        ] {
            assert_eq!(asset_type_from_text(text), Some(expected), "{text}");
        }
        assert_eq!(asset_type_from_text("Widget"), None);
        assert_eq!(asset_type_from_text("  "), None);
    }
}
