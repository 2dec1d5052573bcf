//! The built-in lifecycle catalogue: the support dates of operating systems, databases and
//! runtimes, version by version.
//!
//! Catalogue conventions (see `CATALOGUE`):
//! - `mainstream_end`: end of mainstream / premier / full-and-maintenance support (for RHEL: end of
//!   the Maintenance phase; for Ubuntu LTS: end of standard support; for PostgreSQL and other
//!   community projects: the final release, as there is only one phase).
//! - `standard_end`: end of the support the vendor sells as part of the ordinary lifecycle (Microsoft
//!   extended support, Oracle extended support, ...), before any add-on programme.
//! - `extended_end`: the last date ANY vendor support exists, including vendor add-on programmes
//!   (Microsoft ESU, Red Hat ELS, Canonical ESM, SUSE LTSS), but not custom or cloud-only deals
//!   (Azure-only ESU years, Ubuntu Legacy add-on, Oracle Sustaining / Market Driven Support).
//! - Where a vendor gives only a month, the last day of that month is used.

use chrono::NaiveDate;
use serde::Serialize;

/// One product version's support dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LifecycleEntry {
    /// Display name: `Windows Server`, `Red Hat Enterprise Linux`, `Oracle Database`, ...
    pub product: &'static str,
    /// Display version: `2008 R2`, `6`, `14.04`, `19c`, ...
    pub version: &'static str,
    /// windows, linux, unix, database, runtime.
    pub family: &'static str,
    pub mainstream_end: NaiveDate,
    /// End of the vendor's ordinary lifecycle, before any add-on programme (== `extended_end` when
    /// there is none).
    pub standard_end: NaiveDate,
    /// Last date any vendor support (add-ons included) exists.
    pub extended_end: NaiveDate,
    /// The add-on programme covering `standard_end..extended_end`; empty when there is none.
    pub add_on: &'static str,
}

impl LifecycleEntry {
    /// `Windows Server 2008 R2`, `Oracle Database 19c`.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.product, self.version)
    }
}

/// A date known at compile time; an impossible date fails the build, not a run.
pub(super) const fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("catalogue dates are valid")
}

#[allow(clippy::too_many_arguments)]
const fn entry(
    product: &'static str,
    version: &'static str,
    family: &'static str,
    mainstream_end: NaiveDate,
    standard_end: NaiveDate,
    extended_end: NaiveDate,
    add_on: &'static str,
) -> LifecycleEntry {
    LifecycleEntry {
        product,
        version,
        family,
        mainstream_end,
        standard_end,
        extended_end,
        add_on,
    }
}

/// A product whose ordinary lifecycle is all there is.
const fn plain(
    product: &'static str,
    version: &'static str,
    family: &'static str,
    mainstream_end: NaiveDate,
    extended_end: NaiveDate,
) -> LifecycleEntry {
    entry(product, version, family, mainstream_end, extended_end, extended_end, "")
}

pub(super) const WIN: &str = "Windows Server";
pub(super) const MSSQL: &str = "Microsoft SQL Server";
pub(super) const RHEL: &str = "Red Hat Enterprise Linux";
pub(super) const CENTOS: &str = "CentOS Linux";
pub(super) const STREAM: &str = "CentOS Stream";
pub(super) const OL: &str = "Oracle Linux";
pub(super) const UBUNTU: &str = "Ubuntu";
pub(super) const SLES: &str = "SUSE Linux Enterprise Server";
pub(super) const DEBIAN: &str = "Debian";
pub(super) const SOLARIS: &str = "Oracle Solaris";
pub(super) const AIX: &str = "IBM AIX";
pub(super) const HPUX: &str = "HP-UX";
pub(super) const ORACLE: &str = "Oracle Database";
pub(super) const MYSQL: &str = "MySQL";
pub(super) const PG: &str = "PostgreSQL";
pub(super) const JAVA: &str = "Java SE";
pub(super) const PYTHON: &str = "Python";
pub(super) const NODE: &str = "Node.js";
pub(super) const DOTNET: &str = ".NET Framework";

const ESU: &str = "Extended Security Updates (paid)";
const ELS: &str = "Extended Life-cycle Support add-on";
const ESM: &str = "Expanded Security Maintenance (Ubuntu Pro)";
const LTSS: &str = "Long Term Service Pack Support (paid)";
const ORACLE_EXT: &str = "Oracle Extended Support (paid)";
const DEBIAN_LTS: &str = "Debian LTS";

/// The built-in catalogue. Sources: the vendors' published lifecycle pages as summarised by
/// endoflife.date; dates marked "estimate" were not announced when this was written.
#[rustfmt::skip]
pub static CATALOGUE: &[LifecycleEntry] = &[
    // --- Windows Server (Microsoft fixed lifecycle; ESU = 3 paid years where offered on-premises).
    plain(WIN, "2000", "windows", ymd(2005, 6, 30), ymd(2010, 7, 13)),
    plain(WIN, "2003", "windows", ymd(2010, 7, 13), ymd(2015, 7, 14)),
    plain(WIN, "2003 R2", "windows", ymd(2010, 7, 13), ymd(2015, 7, 14)),
    entry(WIN, "2008", "windows", ymd(2015, 1, 13), ymd(2020, 1, 14), ymd(2023, 1, 10), ESU),
    entry(WIN, "2008 R2", "windows", ymd(2015, 1, 13), ymd(2020, 1, 14), ymd(2023, 1, 10), ESU),
    entry(WIN, "2012", "windows", ymd(2018, 10, 9), ymd(2023, 10, 10), ymd(2026, 10, 13), ESU),
    entry(WIN, "2012 R2", "windows", ymd(2018, 10, 9), ymd(2023, 10, 10), ymd(2026, 10, 13), ESU),
    // ESU for 2016 is sold for up to three years after 2027-01-12.
    entry(WIN, "2016", "windows", ymd(2022, 1, 11), ymd(2027, 1, 12), ymd(2030, 1, 12), ESU),
    plain(WIN, "2019", "windows", ymd(2024, 1, 9), ymd(2029, 1, 9)),
    plain(WIN, "2022", "windows", ymd(2026, 10, 13), ymd(2031, 10, 14)),
    plain(WIN, "2025", "windows", ymd(2029, 10, 9), ymd(2034, 10, 10)),
    // --- Red Hat Enterprise Linux: mainstream = end of Maintenance Support; then the ELS add-on.
    entry(RHEL, "4", "linux", ymd(2012, 2, 29), ymd(2012, 2, 29), ymd(2017, 3, 31), ELS),
    entry(RHEL, "5", "linux", ymd(2017, 3, 31), ymd(2017, 3, 31), ymd(2020, 11, 30), ELS),
    entry(RHEL, "6", "linux", ymd(2020, 11, 30), ymd(2020, 11, 30), ymd(2024, 6, 30), ELS),
    entry(RHEL, "7", "linux", ymd(2024, 6, 30), ymd(2024, 6, 30), ymd(2028, 6, 30), ELS),
    entry(RHEL, "8", "linux", ymd(2029, 5, 31), ymd(2029, 5, 31), ymd(2032, 5, 31), ELS),
    entry(RHEL, "9", "linux", ymd(2032, 5, 31), ymd(2032, 5, 31), ymd(2035, 5, 31), ELS),
    entry(RHEL, "10", "linux", ymd(2035, 5, 31), ymd(2035, 5, 31), ymd(2038, 5, 31), ELS),
    // --- CentOS Linux (community rebuild; mainstream = end of full updates).
    plain(CENTOS, "5", "linux", ymd(2014, 1, 31), ymd(2017, 3, 31)),
    plain(CENTOS, "6", "linux", ymd(2017, 5, 10), ymd(2020, 11, 30)),
    plain(CENTOS, "7", "linux", ymd(2020, 8, 6), ymd(2024, 6, 30)),
    plain(CENTOS, "8", "linux", ymd(2021, 12, 31), ymd(2021, 12, 31)),
    plain(STREAM, "8", "linux", ymd(2024, 5, 31), ymd(2024, 5, 31)),
    plain(STREAM, "9", "linux", ymd(2027, 5, 31), ymd(2027, 5, 31)),
    // --- Oracle Linux: Premier, then paid Extended Support (OL8/OL9 extended: premier + 3 years).
    entry(OL, "6", "linux", ymd(2021, 3, 31), ymd(2021, 3, 31), ymd(2024, 12, 31), ORACLE_EXT),
    entry(OL, "7", "linux", ymd(2024, 12, 31), ymd(2024, 12, 31), ymd(2028, 6, 30), ORACLE_EXT),
    entry(OL, "8", "linux", ymd(2029, 7, 31), ymd(2029, 7, 31), ymd(2032, 7, 31), ORACLE_EXT),
    entry(OL, "9", "linux", ymd(2032, 6, 30), ymd(2032, 6, 30), ymd(2035, 6, 30), ORACLE_EXT),
    // --- Ubuntu LTS: standard support, then ESM. The paid Legacy add-on beyond ESM is not counted.
    entry(UBUNTU, "12.04", "linux", ymd(2017, 4, 30), ymd(2017, 4, 30), ymd(2019, 4, 30), ESM),
    entry(UBUNTU, "14.04", "linux", ymd(2019, 4, 30), ymd(2019, 4, 30), ymd(2024, 4, 30), ESM),
    entry(UBUNTU, "16.04", "linux", ymd(2021, 4, 30), ymd(2021, 4, 30), ymd(2026, 4, 30), ESM),
    entry(UBUNTU, "18.04", "linux", ymd(2023, 5, 31), ymd(2023, 5, 31), ymd(2028, 4, 30), ESM),
    entry(UBUNTU, "20.04", "linux", ymd(2025, 5, 31), ymd(2025, 5, 31), ymd(2030, 4, 30), ESM),
    entry(UBUNTU, "22.04", "linux", ymd(2027, 4, 30), ymd(2027, 4, 30), ymd(2032, 4, 30), ESM),
    entry(UBUNTU, "24.04", "linux", ymd(2029, 5, 31), ymd(2029, 5, 31), ymd(2034, 4, 30), ESM),
    entry(UBUNTU, "26.04", "linux", ymd(2031, 4, 30), ymd(2031, 4, 30), ymd(2036, 4, 30), ESM),
    // --- SLES: general support of the last service pack, then LTSS.
    entry(SLES, "11", "linux", ymd(2019, 3, 31), ymd(2019, 3, 31), ymd(2022, 3, 31), LTSS),
    entry(SLES, "12", "linux", ymd(2024, 10, 31), ymd(2024, 10, 31), ymd(2027, 10, 31), LTSS),
    entry(SLES, "15", "linux", ymd(2031, 7, 31), ymd(2031, 7, 31), ymd(2034, 7, 31), LTSS),
    // --- Debian: regular security support, then Debian LTS (third-party ELTS not counted).
    entry(DEBIAN, "8", "linux", ymd(2018, 6, 17), ymd(2018, 6, 17), ymd(2020, 6, 30), DEBIAN_LTS),
    entry(DEBIAN, "9", "linux", ymd(2020, 7, 6), ymd(2020, 7, 6), ymd(2022, 6, 30), DEBIAN_LTS),
    entry(DEBIAN, "10", "linux", ymd(2022, 9, 10), ymd(2022, 9, 10), ymd(2024, 6, 30), DEBIAN_LTS),
    entry(DEBIAN, "11", "linux", ymd(2024, 8, 14), ymd(2024, 8, 14), ymd(2026, 8, 31), DEBIAN_LTS),
    entry(DEBIAN, "12", "linux", ymd(2026, 6, 10), ymd(2026, 6, 10), ymd(2028, 6, 30), DEBIAN_LTS),
    // Debian 13: estimate (three years after release, then LTS).
    entry(DEBIAN, "13", "linux", ymd(2028, 8, 9), ymd(2028, 8, 9), ymd(2030, 6, 30), DEBIAN_LTS),
    // --- Oracle Solaris: Premier, then paid Extended Support; Sustaining (indefinite) not counted.
    plain(SOLARIS, "8", "unix", ymd(2009, 3, 31), ymd(2012, 3, 31)),
    plain(SOLARIS, "9", "unix", ymd(2011, 10, 31), ymd(2014, 10, 31)),
    // Solaris 10 Extended Support as originally published (January 2024). Oracle has since sold a
    // further limited extension to January 2027; it is treated as a custom deal here.
    entry(SOLARIS, "10", "unix", ymd(2018, 1, 31), ymd(2018, 1, 31), ymd(2024, 1, 31), ORACLE_EXT),
    entry(SOLARIS, "11.3", "unix", ymd(2021, 1, 31), ymd(2021, 1, 31), ymd(2027, 1, 31), ORACLE_EXT),
    entry(SOLARIS, "11.4", "unix", ymd(2031, 11, 30), ymd(2031, 11, 30), ymd(2037, 11, 30), ORACLE_EXT),
    // --- IBM AIX: end of standard support of the release's last Technology Level.
    plain(AIX, "5.3", "unix", ymd(2012, 4, 30), ymd(2012, 4, 30)),
    plain(AIX, "6.1", "unix", ymd(2017, 4, 30), ymd(2017, 4, 30)),
    plain(AIX, "7.1", "unix", ymd(2023, 4, 30), ymd(2023, 4, 30)),
    // AIX 7.2 and 7.3: no end of support announced; estimates (IBM announces about a year ahead).
    plain(AIX, "7.2", "unix", ymd(2027, 11, 30), ymd(2027, 11, 30)),
    plain(AIX, "7.3", "unix", ymd(2031, 11, 30), ymd(2031, 11, 30)),
    plain(HPUX, "11i v3", "unix", ymd(2025, 12, 31), ymd(2025, 12, 31)),
    // --- Microsoft SQL Server (mainstream, extended, ESU where sold).
    plain(MSSQL, "2005", "database", ymd(2011, 4, 12), ymd(2016, 4, 12)),
    entry(MSSQL, "2008", "database", ymd(2014, 7, 8), ymd(2019, 7, 9), ymd(2022, 7, 12), ESU),
    entry(MSSQL, "2008 R2", "database", ymd(2014, 7, 8), ymd(2019, 7, 9), ymd(2022, 7, 12), ESU),
    entry(MSSQL, "2012", "database", ymd(2017, 7, 11), ymd(2022, 7, 12), ymd(2025, 7, 8), ESU),
    entry(MSSQL, "2014", "database", ymd(2019, 7, 9), ymd(2024, 7, 9), ymd(2027, 7, 12), ESU),
    entry(MSSQL, "2016", "database", ymd(2021, 7, 13), ymd(2026, 7, 14), ymd(2029, 7, 17), ESU),
    plain(MSSQL, "2017", "database", ymd(2022, 10, 11), ymd(2027, 10, 12)),
    plain(MSSQL, "2019", "database", ymd(2025, 2, 28), ymd(2030, 1, 8)),
    plain(MSSQL, "2022", "database", ymd(2028, 1, 11), ymd(2033, 1, 11)),
    plain(MSSQL, "2025", "database", ymd(2031, 1, 6), ymd(2036, 1, 6)),
    // --- Oracle Database (Premier, then Extended; innovation releases have Premier only).
    plain(ORACLE, "10g", "database", ymd(2010, 7, 31), ymd(2015, 7, 31)),
    plain(ORACLE, "11g R1", "database", ymd(2012, 8, 31), ymd(2015, 8, 31)),
    plain(ORACLE, "11g R2", "database", ymd(2015, 1, 31), ymd(2020, 12, 31)),
    plain(ORACLE, "12c R1", "database", ymd(2018, 7, 31), ymd(2022, 7, 31)),
    plain(ORACLE, "12c R2", "database", ymd(2020, 11, 30), ymd(2022, 3, 31)),
    plain(ORACLE, "18c", "database", ymd(2021, 6, 30), ymd(2021, 6, 30)),
    plain(ORACLE, "19c", "database", ymd(2029, 12, 31), ymd(2032, 12, 31)),
    plain(ORACLE, "21c", "database", ymd(2027, 7, 31), ymd(2027, 7, 31)),
    // 23ai / 26ai: Premier to 2031-12-31; Extended not yet published, so not assumed.
    plain(ORACLE, "23ai", "database", ymd(2031, 12, 31), ymd(2031, 12, 31)),
    plain(ORACLE, "26ai", "database", ymd(2031, 12, 31), ymd(2031, 12, 31)),
    // --- MySQL (Oracle Premier, then Extended).
    plain(MYSQL, "5.1", "database", ymd(2010, 12, 31), ymd(2013, 12, 31)),
    plain(MYSQL, "5.5", "database", ymd(2015, 12, 31), ymd(2018, 12, 31)),
    plain(MYSQL, "5.6", "database", ymd(2018, 2, 28), ymd(2021, 2, 28)),
    plain(MYSQL, "5.7", "database", ymd(2020, 10, 31), ymd(2023, 10, 31)),
    plain(MYSQL, "8.0", "database", ymd(2025, 4, 30), ymd(2026, 4, 30)),
    plain(MYSQL, "8.4", "database", ymd(2029, 4, 30), ymd(2032, 4, 30)),
    // --- PostgreSQL: one phase, five years, ending with the final minor release.
    plain(PG, "8.4", "database", ymd(2014, 7, 24), ymd(2014, 7, 24)),
    plain(PG, "9.0", "database", ymd(2015, 10, 8), ymd(2015, 10, 8)),
    plain(PG, "9.1", "database", ymd(2016, 10, 27), ymd(2016, 10, 27)),
    plain(PG, "9.2", "database", ymd(2017, 11, 9), ymd(2017, 11, 9)),
    plain(PG, "9.3", "database", ymd(2018, 11, 8), ymd(2018, 11, 8)),
    plain(PG, "9.4", "database", ymd(2020, 2, 13), ymd(2020, 2, 13)),
    plain(PG, "9.5", "database", ymd(2021, 2, 11), ymd(2021, 2, 11)),
    plain(PG, "9.6", "database", ymd(2021, 11, 11), ymd(2021, 11, 11)),
    plain(PG, "10", "database", ymd(2022, 11, 10), ymd(2022, 11, 10)),
    plain(PG, "11", "database", ymd(2023, 11, 9), ymd(2023, 11, 9)),
    plain(PG, "12", "database", ymd(2024, 11, 21), ymd(2024, 11, 21)),
    plain(PG, "13", "database", ymd(2025, 11, 13), ymd(2025, 11, 13)),
    plain(PG, "14", "database", ymd(2026, 11, 12), ymd(2026, 11, 12)),
    plain(PG, "15", "database", ymd(2027, 11, 11), ymd(2027, 11, 11)),
    plain(PG, "16", "database", ymd(2028, 11, 9), ymd(2028, 11, 9)),
    plain(PG, "17", "database", ymd(2029, 11, 8), ymd(2029, 11, 8)),
    plain(PG, "18", "database", ymd(2030, 11, 14), ymd(2030, 11, 14)),
    // --- Runtimes (found in a `runtime`-like attribute).
    entry(JAVA, "8", "runtime", ymd(2022, 3, 31), ymd(2022, 3, 31), ymd(2030, 12, 31), ORACLE_EXT),
    entry(JAVA, "11", "runtime", ymd(2023, 9, 30), ymd(2023, 9, 30), ymd(2032, 1, 31), ORACLE_EXT),
    entry(JAVA, "17", "runtime", ymd(2026, 9, 30), ymd(2026, 9, 30), ymd(2029, 9, 30), ORACLE_EXT),
    entry(JAVA, "21", "runtime", ymd(2028, 9, 30), ymd(2028, 9, 30), ymd(2031, 9, 30), ORACLE_EXT),
    entry(JAVA, "25", "runtime", ymd(2030, 9, 30), ymd(2030, 9, 30), ymd(2033, 9, 30), ORACLE_EXT),
    plain(PYTHON, "2.7", "runtime", ymd(2020, 1, 1), ymd(2020, 1, 1)),
    plain(PYTHON, "3.6", "runtime", ymd(2021, 12, 23), ymd(2021, 12, 23)),
    plain(PYTHON, "3.7", "runtime", ymd(2023, 6, 27), ymd(2023, 6, 27)),
    plain(PYTHON, "3.8", "runtime", ymd(2024, 10, 7), ymd(2024, 10, 7)),
    plain(PYTHON, "3.9", "runtime", ymd(2025, 10, 31), ymd(2025, 10, 31)),
    plain(PYTHON, "3.10", "runtime", ymd(2026, 10, 31), ymd(2026, 10, 31)),
    plain(PYTHON, "3.11", "runtime", ymd(2027, 10, 31), ymd(2027, 10, 31)),
    plain(PYTHON, "3.12", "runtime", ymd(2028, 10, 31), ymd(2028, 10, 31)),
    plain(PYTHON, "3.13", "runtime", ymd(2029, 10, 31), ymd(2029, 10, 31)),
    plain(PYTHON, "3.14", "runtime", ymd(2030, 10, 31), ymd(2030, 10, 31)),
    plain(NODE, "12", "runtime", ymd(2022, 4, 30), ymd(2022, 4, 30)),
    plain(NODE, "14", "runtime", ymd(2023, 4, 30), ymd(2023, 4, 30)),
    plain(NODE, "16", "runtime", ymd(2023, 9, 11), ymd(2023, 9, 11)),
    plain(NODE, "18", "runtime", ymd(2025, 4, 30), ymd(2025, 4, 30)),
    plain(NODE, "20", "runtime", ymd(2026, 4, 30), ymd(2026, 4, 30)),
    plain(NODE, "22", "runtime", ymd(2027, 4, 30), ymd(2027, 4, 30)),
    plain(NODE, "24", "runtime", ymd(2028, 4, 30), ymd(2028, 4, 30)),
    // .NET Framework 4.6.2 and later follow the Windows version they run on: not catalogued.
    plain(DOTNET, "4.5.2", "runtime", ymd(2022, 4, 26), ymd(2022, 4, 26)),
    plain(DOTNET, "4.6", "runtime", ymd(2022, 4, 26), ymd(2022, 4, 26)),
    plain(DOTNET, "4.6.1", "runtime", ymd(2022, 4, 26), ymd(2022, 4, 26)),
];

/// The catalogue entry for a product and its display version.
pub fn lookup(product: &str, version: &str) -> Option<&'static LifecycleEntry> {
    CATALOGUE.iter().find(|e| e.product == product && e.version == version)
}
