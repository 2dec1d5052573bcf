//! Operating systems and databases as CMDB exports write them, with their support status on
//! 2026-12-03 (`run::AS_OF`), written from vendors' published lifecycles, not from the project's
//! tables. `Arguable`: in extended, paid or just-ended support, so flagging it either way is
//! defensible; the scorer leaves those out of both precision and recall.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Expired,
    Arguable,
    Supported,
}

/// One release and the ways teams write it: marketing names, abbreviations, version and
/// kernel or build numbers.
pub struct Release {
    pub status: Status,
    pub spellings: &'static [&'static str],
}

const fn r(status: Status, spellings: &'static [&'static str]) -> Release {
    Release { status, spellings }
}

use Status::{Arguable, Expired, Supported};

pub const OPERATING_SYSTEMS: &[Release] = &[
    // Windows Server: 2003 and 2008 long gone; 2012/2012 R2 paid updates ended 2026-10-13;
    // 2016's extended support runs to 2027-01-12; 2019 to 2029, 2022 to 2031, 2025 beyond.
    r(
        Expired,
        &[
            "Windows Server 2003 R2 SP2",
            "Win2k3",
            "W2K3 Std",
            "Microsoft Windows Server 2003 (5.2.3790)",
            "Windows NT 5.2",
        ],
    ),
    r(
        Expired,
        &[
            "Windows Server 2008 SP2",
            "Win2k8 Ent",
            "W2K8 SP2 x64",
            "Microsoft Windows Server 2008 (6.0.6002)",
        ],
    ),
    r(
        Expired,
        &[
            "Windows Server 2008 R2 Enterprise",
            "W2K8R2",
            "Win 2008R2 SP1",
            "MS Win2k8 R2 x64",
            "Windows 6.1.7601",
            "Microsoft Windows Server 2008 R2 Standard (64-bit)",
        ],
    ),
    r(
        Expired,
        &[
            "Windows Server 2012 Standard",
            "W2K12",
            "Win2012 DC",
            "Windows 6.2.9200",
        ],
    ),
    r(
        Expired,
        &[
            "Windows Server 2012 R2 Datacenter",
            "W2K12R2",
            "Win2012R2",
            "Windows 6.3.9600",
            "MS Windows 2012 R2 Std",
        ],
    ),
    r(Expired, &["Windows 2000 Server SP4", "Win2000 Srv"]),
    r(
        Arguable,
        &[
            "Windows Server 2016 Standard",
            "W2K16",
            "Win2016 DC",
            "Windows 10.0.14393",
            "WS2016",
        ],
    ),
    r(
        Supported,
        &[
            "Windows Server 2019 Datacenter",
            "W2K19",
            "Win2019",
            "Windows 10.0.17763",
            "WS2019 Std",
        ],
    ),
    r(
        Supported,
        &[
            "Windows Server 2022 Standard",
            "W2K22",
            "Win 2022 DC",
            "Windows 10.0.20348",
            "Microsoft Windows Server 2022 Datacenter: Azure Edition",
        ],
    ),
    r(
        Supported,
        &["Windows Server 2025 Standard", "W2K25", "Windows 10.0.26100"],
    ),
    // Red Hat: 5 ended (ELS too, 2020); 6 and 7 only under paid ELS; 8 and 9 in full support.
    r(
        Expired,
        &[
            "Red Hat Enterprise Linux Server release 5.11 (Tikanga)",
            "RHEL5",
            "RHEL 5.8",
            "redhat-5",
        ],
    ),
    r(
        Arguable,
        &[
            "RHEL 6.10",
            "Red Hat Enterprise Linux Server release 6.10 (Santiago)",
            "rhel6",
        ],
    ),
    r(
        Arguable,
        &["RHEL 7.9", "Red Hat Enterprise Linux Server 7.9 (Maipo)", "RedHat 7"],
    ),
    r(
        Supported,
        &["RHEL 8.10", "Red Hat Enterprise Linux 8.8 (Ootpa)", "rhel8"],
    ),
    r(
        Supported,
        &["RHEL 9.4", "Red Hat Enterprise Linux release 9.2 (Plow)", "redhat-9"],
    ),
    // CentOS: every Linux release is over (7 on 2024-06-30, Stream 8 on 2024-05-31).
    r(Expired, &["CentOS 5.11", "CentOS release 5.11 (Final)"]),
    r(Expired, &["CentOS 6.10", "CentOS release 6.10 (Final)", "centos6"]),
    r(
        Expired,
        &["CentOS 7.9.2009", "CentOS Linux 7 (Core)", "centos-7.6", "CentOS7"],
    ),
    r(
        Expired,
        &["CentOS Linux release 8.5.2111", "CentOS 8", "CentOS Stream 8"],
    ),
    r(Supported, &["Rocky Linux 9.3 (Blue Onyx)", "AlmaLinux 8.9", "Rocky 9"]),
    // Ubuntu: 12.04 and interim releases are over; 14.04 to 20.04 live on under ESM or Legacy.
    r(Expired, &["Ubuntu 12.04.5 LTS", "Ubuntu Precise Pangolin (12.04)"]),
    r(
        Expired,
        &["Ubuntu 21.04 (Hirsute Hippo)", "Ubuntu 23.04", "ubuntu-19.10"],
    ),
    r(
        Arguable,
        &[
            "Ubuntu 16.04.7 LTS",
            "Ubuntu 18.04 Bionic",
            "ubuntu-20.04",
            "Ubuntu 14.04 Trusty",
        ],
    ),
    r(
        Supported,
        &["Ubuntu 22.04.4 LTS", "Ubuntu Jammy Jellyfish", "ubuntu-22.04"],
    ),
    r(Supported, &["Ubuntu 24.04 LTS (Noble Numbat)", "ubuntu 24.04.1"]),
    // Debian: 7 and 8 are over (ELTS too); 9 to 11 only under paid ELTS; 12 supported.
    r(
        Expired,
        &["Debian GNU/Linux 7 (wheezy)", "Debian 8.11 jessie", "debian-8"],
    ),
    r(
        Arguable,
        &["Debian 10 (buster)", "Debian GNU/Linux 9.13", "Debian 11 bullseye"],
    ),
    r(Supported, &["Debian GNU/Linux 12 (bookworm)", "debian-12.5"]),
    // SUSE: 10 over; 11 and 12 under LTSS only; 15 SP7 current.
    r(Expired, &["SLES 10 SP4", "SUSE Linux Enterprise Server 10"]),
    r(Arguable, &["SLES 11 SP4", "SLES 12 SP5", "SUSE 12.5"]),
    r(Supported, &["SLES 15 SP7", "SUSE Linux Enterprise Server 15 SP7"]),
    // Unix: Solaris 8 to 10 over (SunOS 5.8 to 5.10), 11.4 supported; AIX 5.3 and 6.1 over,
    // 7.1 and 7.2 arguable, 7.3 supported; HP-UX 11i v2 over, v3 ended 2025-12-31 (arguable).
    r(
        Expired,
        &[
            "SunOS 5.10",
            "Solaris 10 10/13 s10x_u11wos_24a X86",
            "Oracle Solaris 10 1/13",
            "Sol10",
        ],
    ),
    r(Expired, &["SunOS 5.9", "Solaris 9 9/05", "Solaris 8", "SunOS 5.8"]),
    r(Supported, &["Oracle Solaris 11.4", "Solaris 11.4 SRU 60"]),
    r(Expired, &["AIX 6.1 TL9 SP12", "IBM AIX 6100-09", "AIX 5.3"]),
    r(Arguable, &["AIX 7.1 TL5", "IBM AIX 7200-05"]),
    r(Supported, &["AIX 7.3 TL2", "IBM AIX 7300-02"]),
    r(Expired, &["HP-UX B.11.23", "HP-UX 11i v2"]),
    r(Arguable, &["HP-UX B.11.31", "HP-UX 11i v3"]),
    // VMware ESXi: 6.0 and 6.5 over; 8.0 supported.
    r(Expired, &["VMware ESXi 6.5.0 build-4564106", "ESXi 6.0 U3"]),
    r(Supported, &["VMware ESXi 8.0.2 build-22380479", "ESXi 8.0 U3"]),
];

pub const DATABASES: &[Release] = &[
    // SQL Server by name, short form or version number (9.0 = 2005, 10.0 = 2008, 10.50 =
    // 2008 R2, 11.0 = 2012, 12.0 = 2014, 13.0 = 2016, 14.0 = 2017, 15.0 = 2019, 16.0 = 2022).
    r(Expired, &["SQL Server 2005 SP4", "MSSQL 2005", "SQL Server 9.0.5000"]),
    r(Expired, &["SQL Server 2008 SP4", "MSSQL2008", "MSSQL 10.0.6000"]),
    r(
        Expired,
        &[
            "SQL Server 2008 R2 SP3",
            "MSSQL 2008R2",
            "SQL Server 10.50.6000.34",
            "MS SQL 10.50",
        ],
    ),
    r(
        Expired,
        &[
            "SQL Server 2012 SP4",
            "MSSQL 11.0.7001",
            "SQL2012 Std",
            "Microsoft SQL Server 11.0",
        ],
    ),
    r(Arguable, &["SQL Server 2014 SP3", "MSSQL 12.0.6024", "SQL2014"]),
    r(Arguable, &["SQL Server 2016 SP3", "MSSQL 13.0.6300", "SQL Srv 2016"]),
    r(Arguable, &["SQL Server 2017 CU31", "MSSQL 14.0.3456"]),
    r(
        Supported,
        &["SQL Server 2019 Enterprise", "MSSQL 15.0.4355", "SQL2019 CU25"],
    ),
    r(
        Supported,
        &["SQL Server 2022 Standard", "MSSQL 16.0.4125", "SQL Srv 2022"],
    ),
    // Oracle Database: everything before 19c is over; 19c and 23ai supported.
    r(Expired, &["Oracle 10g", "Oracle 10.2.0.5", "ORA10g"]),
    r(
        Expired,
        &[
            "Oracle 11.2.0.4",
            "Oracle Database 11g Release 2",
            "ORA 11gR2",
            "oracle-11.2",
        ],
    ),
    r(
        Expired,
        &[
            "Oracle 12.1.0.2",
            "Oracle Database 12c Enterprise Edition",
            "ORA 12.2.0.1",
            "Oracle 12cR2",
        ],
    ),
    r(Expired, &["Oracle 18c", "Oracle 18.3"]),
    r(
        Supported,
        &[
            "Oracle 19c",
            "Oracle 19.22",
            "Oracle Database 19c Enterprise Edition Release 19.0.0.0.0",
            "ORA19",
        ],
    ),
    r(Supported, &["Oracle Database 23ai", "Oracle 23.5"]),
    // MySQL: 8.0 ended 2026-04-30; 8.4 LTS supported.
    r(
        Expired,
        &[
            "MySQL 5.6.51",
            "mysql-5.7",
            "MySQL Community Server 5.7.44",
            "MySQL 5.5",
        ],
    ),
    r(Expired, &["MySQL 8.0.36", "mysql 8.0", "MySQL Server 8.0"]),
    r(Supported, &["MySQL 8.4 LTS", "mysql-8.4.2"]),
    // PostgreSQL: 13 and older over; 14 ended 2026-11-12 (arguable so soon after); 15+ supported.
    r(
        Expired,
        &[
            "PostgreSQL 9.6.24",
            "Postgres 10",
            "pgsql-11",
            "PG 12.17",
            "postgres 13.14",
        ],
    ),
    r(Arguable, &["PostgreSQL 14.12", "pg14"]),
    r(Supported, &["PostgreSQL 15.7", "postgres-16", "PG 17.2", "pgsql 16.3"]),
    // MariaDB: 10.5 and older over; 10.6 ended mid-2026 (arguable); 10.11 and 11.4 supported.
    r(Expired, &["MariaDB 10.3.39", "mariadb-10.4", "MariaDB Server 10.5.23"]),
    r(Arguable, &["MariaDB 10.6.18"]),
    r(Supported, &["MariaDB 10.11.8", "mariadb 11.4"]),
    // MongoDB: 6.0 and older over; 7.0 and 8.0 supported.
    r(
        Expired,
        &[
            "MongoDB 4.4.29",
            "mongo 4.2",
            "MongoDB Enterprise 5.0.24",
            "mongodb-6.0",
        ],
    ),
    r(Supported, &["MongoDB 7.0.12", "mongo 8.0"]),
];
