//! The asset types a source's own type text names (one of `ASSET_TYPES`).

use crate::agents::vocabulary::text::words;

/// The asset type a source's type text names (`Server`, `VM`, `cmdb_ci_linux_server`, `DB`,
/// `Business Application`, `Load Balancer`, `SAN`, ...), or `None` when it names none we know.
pub fn asset_type_from_text(text: &str) -> Option<&'static str> {
    // `cmdb_ci_linux_server`, `Virtual-Machine` and `virtual machine` are one spelling here.
    let folded = words(&text.to_lowercase()).collect::<Vec<_>>().join(" ");
    if folded.is_empty() {
        return None;
    }
    type_of_folded(&folded).or_else(|| folded.strip_suffix('s').and_then(type_of_folded))
}

fn type_of_folded(t: &str) -> Option<&'static str> {
    let exact = match t {
        "server"
        | "virtual machine"
        | "vm"
        | "host"
        | "physical server"
        | "virtual server"
        | "computer"
        | "mainframe"
        | "hypervisor"
        | "esx host"
        | "esxi host"
        | "cmdb ci server"
        | "cmdb ci win server"
        | "cmdb ci linux server"
        | "cmdb ci unix server"
        | "cmdb ci esx server"
        | "cmdb ci aix server"
        | "cmdb ci solaris server"
        | "cmdb ci hpux server"
        | "cmdb ci vm instance"
        | "cmdb ci vmware instance"
        | "cmdb ci computer"
        | "cmdb ci mainframe" => Some("server"),
        "database"
        | "db"
        | "database instance"
        | "db instance"
        | "cmdb ci database"
        | "cmdb ci db instance"
        | "sql server"
        | "mssql"
        | "oracle"
        | "mysql"
        | "postgresql"
        | "postgres"
        | "mongodb" => Some("database"),
        "application"
        | "app"
        | "business application"
        | "business app"
        | "software"
        | "service"
        | "business service"
        | "application service"
        | "cmdb ci appl"
        | "cmdb ci business app"
        | "cmdb ci service"
        | "cmdb ci service auto"
        | "cmdb ci service discovered" => Some("application"),
        "router"
        | "switch"
        | "firewall"
        | "load balancer"
        | "network device"
        | "network"
        | "network gear"
        | "cmdb ci netgear"
        | "cmdb ci ip router"
        | "cmdb ci ip switch"
        | "cmdb ci ip firewall"
        | "cmdb ci lb" => Some("network_device"),
        "storage"
        | "san"
        | "nas"
        | "storage array"
        | "storage device"
        | "cmdb ci storage device"
        | "cmdb ci san"
        | "cmdb ci nas"
        | "cmdb ci storage server" => Some("storage"),
        _ => None,
    };
    exact
        .or_else(|| {
            // ServiceNow class families: `cmdb_ci_db_ora_instance`, `cmdb_ci_appl_tomcat`, ...
            let prefixes: &[(&str, &'static str)] = &[
                ("cmdb ci db ", "database"),
                ("cmdb ci appl ", "application"),
                ("cmdb ci storage ", "storage"),
                ("cmdb ci san ", "storage"),
                ("cmdb ci nas ", "storage"),
                ("cmdb ci ip ", "network_device"),
                ("cmdb ci lb ", "network_device"),
            ];
            prefixes.iter().find(|(p, _)| t.starts_with(p)).map(|(_, ty)| *ty)
        })
        .or_else(|| {
            // `Linux Server`, `Database Server`, `cmdb_ci_hpux_server`: a host whatever it hosts.
            (t.ends_with(" server") || t.ends_with(" vm")).then_some("server")
        })
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
