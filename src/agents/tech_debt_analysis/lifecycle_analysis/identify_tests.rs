//! Spellings, from real exports and invented ones, in both directions between marketing names and
//! version numbers; and what must not be confused.

use super::identify::{identify, recognise};

/// The (product, cycle) a text is identified as.
fn cycle(text: &str) -> Option<(String, String)> {
    identify(text, None).map(|e| (e.slug.clone(), e.cycle.clone()))
}

fn check(cases: &[(&str, &str, &str)]) {
    let mut wrong = Vec::new();
    for (text, slug, cyc) in cases {
        let got = cycle(text);
        if got.as_ref().map(|(s, c)| (s.as_str(), c.as_str())) != Some((*slug, *cyc)) {
            wrong.push(format!("{text:?}: expected {slug} {cyc}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn operating_systems_by_name_short_form_and_number() {
    check(&[
        // Red Hat and its rebuilds.
        ("rhel-6.10", "rhel", "6"),
        ("Red Hat EL 9.2", "rhel", "9"),
        ("Red Hat EL 6", "rhel", "6"),
        ("rhel-9", "rhel", "9"),
        ("RHEL7", "rhel", "7"),
        ("RHEL 7.9", "rhel", "7"),
        ("Red Hat Enterprise Linux Server release 5.11 (Tikanga)", "rhel", "5"),
        ("Red Hat Enterprise Linux 8.8 (Ootpa)", "rhel", "8"),
        ("redhat8", "rhel", "8"),
        ("CentOS release 6.10 (Final)", "centos", "6"),
        ("Centos-6", "centos", "6"),
        ("CentOS Linux 7 (Core)", "centos", "7"),
        ("CentOS Linux release 8.5.2111", "centos", "8"),
        ("CentOS Stream 9", "centos-stream", "9"),
        ("OEL 7", "oracle-linux", "7"),
        ("Oracle Linux Server 7.9", "oracle-linux", "7"),
        ("Oracle Enterprise Linux 6.10", "oracle-linux", "6"),
        ("OL8", "oracle-linux", "8"),
        ("Rocky Linux 8.9 (Green Obsidian)", "rocky-linux", "8"),
        ("AlmaLinux 9.3", "almalinux", "9"),
        // Windows Server: years, R2, editions, short forms, NT versions and builds.
        ("MS Windows 2022", "windows-server", "2022"),
        ("MS Windows 2016", "windows-server", "2016"),
        ("Windows Srv 2008R2 Ent.", "windows-server", "2008-r2-sp1"),
        ("Windows Srv 2016 DC", "windows-server", "2016"),
        ("Windows 2012R2 Std", "windows-server", "2012-r2"),
        ("MS Windows 2019 Std (x64)", "windows-server", "2019"),
        ("MS Windows 2008 R2 (x64)", "windows-server", "2008-r2-sp1"),
        ("Windows Server 2008 Standard SP2", "windows-server", "2008-sp2"),
        ("Windows Server 2003 R2", "windows-server", "2003-sp2"),
        ("Windows Server 2016 Datacenter", "windows-server", "2016"),
        ("Microsoft Windows Server 2019 Standard", "windows-server", "2019"),
        ("W2K8R2", "windows-server", "2008-r2-sp1"),
        ("W2K12", "windows-server", "2012"),
        ("Win2k12", "windows-server", "2012"),
        ("Win2k12 R2", "windows-server", "2012-r2"),
        ("WS2019", "windows-server", "2019"),
        ("WinSrv2022", "windows-server", "2022"),
        ("Windows 6.1.7601", "windows-server", "2008-r2-sp1"),
        ("Windows Server 10.0.14393", "windows-server", "2016"),
        ("Windows 10.0.17763", "windows-server", "2019"),
        ("Microsoft Windows [Version 10.0.20348.2113]", "windows-server", "2022"),
        ("Windows Server 2025 Datacenter", "windows-server", "2025"),
        // Unix.
        ("Solaris 10 u11 (SPARC)", "oracle-solaris", "10"),
        ("SunOS 10", "oracle-solaris", "10"),
        ("SunOS 5.10", "oracle-solaris", "10"),
        ("SunOS 5.11", "oracle-solaris", "11.4"),
        ("Sol 11.4", "oracle-solaris", "11.4"),
        ("Oracle Solaris 11.3 SRU 36", "oracle-solaris", "11.3"),
        ("Solaris 11", "oracle-solaris", "11.4"),
        // AIX cycles are technology levels: the release is identified (update_tests.rs).
        ("IBM AIX 7.1", "ibm-aix", "7.1"),
        ("AIX 7.2 TL5", "ibm-aix", "7.2"),
        ("AIX 7100-05-06-2016", "ibm-aix", "7.1"),
        ("aix7.3", "ibm-aix", "7.3"),
        // SUSE, Ubuntu, Debian.
        ("SUSE 12 SP5", "sles", "12.5"),
        ("SLES 12.5", "sles", "12.5"),
        ("SLES15SP4", "sles", "15.4"),
        ("SUSE Linux Enterprise Server 15 SP6", "sles", "15.6"),
        ("SLES 12", "sles", "12.5"),
        ("ubuntu-14", "ubuntu", "14.04"),
        ("Ubuntu 14.04 LTS Trusty Tahr", "ubuntu", "14.04"),
        ("Ubuntu 22.04 LTS Jammy Jellyfish", "ubuntu", "22.04"),
        ("ubuntu-22.04", "ubuntu", "22.04"),
        ("Ubuntu Focal", "ubuntu", "20.04"),
        ("Ubuntu 18.04.6 LTS", "ubuntu", "18.04"),
        ("Debian GNU/Linux 10 (buster)", "debian", "10"),
        ("Debian bookworm", "debian", "12"),
        ("debian-11", "debian", "11"),
        // Hypervisors.
        ("VMware ESXi 6.7.0 build-8169922", "vmware-esxi", "6.7"),
        ("ESXi 7.0 U3", "vmware-esxi", "7.0"),
        ("VMware vCenter Server 8.0", "vmware-vcenter", "8.0"),
    ]);
}

#[test]
fn databases_by_name_short_form_and_number() {
    check(&[
        ("Oracle RDBMS 19c", "oracle-database", "19"),
        ("Oracle 19.18", "oracle-database", "19"),
        ("Oracle 11.2.0.4", "oracle-database", "11.2"),
        ("Oracle Database 12c Release 2", "oracle-database", "12.2"),
        ("Oracle 12cR2", "oracle-database", "12.2"),
        ("ora12c", "oracle-database", "12.1"),
        ("Oracle 11gR1", "oracle-database", "11.1"),
        ("Oracle Database 11g", "oracle-database", "11.2"),
        (
            "Oracle Database 19c Enterprise Edition Release 19.0.0.0.0",
            "oracle-database",
            "19",
        ),
        ("Oracle Database 23ai", "oracle-database", "23"),
        ("Oracle Database 19c on Oracle Linux 8", "oracle-database", "19"),
        ("SQL Srv 2019", "mssqlserver", "15.0"),
        ("Microsoft SQL 2012 SP4", "mssqlserver", "11.0-sp4"),
        ("Microsoft SQL Server 2012", "mssqlserver", "11.0-sp4"),
        ("MSSQL2014", "mssqlserver", "12.0-sp3"),
        ("SQL Server 2008 R2", "mssqlserver", "10.50-sp3"),
        ("SQL Server 2008", "mssqlserver", "10.0-sp4"),
        ("SQL Server 2016 SP2", "mssqlserver", "13.0-sp2"),
        ("SQL Server 11.0.7001", "mssqlserver", "11.0-sp4"),
        ("MS SQL 13.0", "mssqlserver", "13.0-sp3"),
        ("SQL Server 15.0.2000.5", "mssqlserver", "15.0"),
        ("SQL Server 2012 on Windows Server 2016", "mssqlserver", "11.0-sp4"),
        ("pgsql 9.6", "postgresql", "9.6"),
        ("PostgreSQL 14.9", "postgresql", "14"),
        ("PG 12", "postgresql", "12"),
        ("postgres-15.4", "postgresql", "15"),
        ("mysql-8.0", "mysql", "8.0"),
        ("MySQL 5.7.44", "mysql", "5.7"),
        ("MySQL Community Server 8.4.2 LTS", "mysql", "8.4"),
        ("MariaDB 10.6.12", "mariadb", "10.6"),
        ("IBM Db2 11.5", "ibm-db2", "11.5"),
        ("DB2 v10.5", "ibm-db2", "10.5"),
        ("MongoDB 4.4.29", "mongodb", "4.4"),
        ("Redis 6.2", "redis", "6.2"),
    ]);
}

#[test]
fn runtimes_and_middleware() {
    check(&[
        ("Java 1.8.0_202", "oracle-jdk", "8"),
        ("OpenJDK 11.0.2", "oracle-jdk", "11"),
        ("Temurin 17.0.9", "eclipse-temurin", "17"),
        ("Python 2.7.18", "python", "2.7"),
        ("Node.js 18.19.0", "nodejs", "18"),
        (".NET Framework 4.6.1", "dotnetfx", "4.6.1"),
        (".NET 6", "dotnet", "6"),
        ("Apache Tomcat 9.0.85", "tomcat", "9.0"),
        ("JBoss EAP 7.4", "red-hat-jboss-eap", "7"),
    ]);
}

#[test]
fn precision_what_must_not_be_confused() {
    // A desktop is not a server; Oracle Linux is not the database; a family is not a release.
    let windows10 = recognise("Windows 10 Enterprise", None).unwrap();
    assert_eq!((windows10.line.slug.as_str(), windows10.entry), ("windows", None));
    assert_eq!(cycle("Oracle Linux 7").unwrap().0, "oracle-linux");
    assert_eq!(cycle("Oracle Solaris 11.4").unwrap().0, "oracle-solaris");
    assert_eq!(cycle("MySQL 8.0 (Oracle)").unwrap().0, "mysql");
    let family = recognise("Microsoft Windows Server 2016 or later (64-bit)", None).unwrap();
    assert!(family.family_only && family.entry.is_none());
    assert_eq!(family.line.slug, "windows-server");
    for text in [
        "Red Hat Enterprise Linux 8 ou ultérieure",
        "Windows Server 2019+",
        "Oracle Linux 4/5/6/7 (64-bit)",
    ] {
        let r = recognise(text, None).unwrap();
        assert!(r.family_only && r.entry.is_none(), "{text}: {r:?}");
    }
    // Short forms need a version; a bare or unrelated word is nothing.
    for text in [
        "ws",
        "win",
        "pg",
        "ora",
        "Oracle",
        "sol",
        "el",
        "w",
        "SQL",
        "windows server 10.0",
        "AIX",
    ] {
        assert_eq!(cycle(text), None, "{text}");
    }
    // Bitness is not a version.
    assert_eq!(cycle("Red Hat Enterprise Linux (64-bit)"), None);
    // The version field completes the product field.
    assert_eq!(
        identify("Windows", Some("6.1.7601")).map(|e| e.cycle.as_str()),
        Some("2008-r2-sp1")
    );
    assert_eq!(
        identify("PostgreSQL", Some("17.2")).map(|e| e.cycle.as_str()),
        Some("17")
    );
    // Text less precise than the cycles: the longest-supported that fits, marked ambiguous.
    let ubuntu = recognise("ubuntu-14", None).unwrap();
    assert!(ubuntu.ambiguous && ubuntu.entry.unwrap().cycle == "14.04");
    assert!(!recognise("rhel-6.10", None).unwrap().ambiguous);
}

#[test]
fn products_the_snapshot_lacks_come_from_the_supplement() {
    check(&[("HP-UX 11.31", "hp-ux", "11.31"), ("HPUX B.11.23", "hp-ux", "11.23")]);
    assert_eq!(
        identify("HP-UX 11i v3", None).map(|e| e.display_name()).as_deref(),
        Some("HP-UX 11i v3")
    );
}
