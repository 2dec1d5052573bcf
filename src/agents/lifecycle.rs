//! Tech-debt analysis: end-of-life of operating systems, databases and runtimes from a built-in
//! catalogue (`lifecycle_analysis`), and a per-asset security risk score (`security_risk`).
//!
//! Everything here is pure: the date is an input, the catalogue is compiled in.
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

use std::collections::HashMap;
use std::net::Ipv4Addr;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agents::types::{
    Agent, AgentError, AgentOutput, AssetFacts, LifecycleStatus, SupportLevel, TechDebtFinding,
};
use crate::domain::PhaseName;

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
const fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
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

const WIN: &str = "Windows Server";
const MSSQL: &str = "Microsoft SQL Server";
const RHEL: &str = "Red Hat Enterprise Linux";
const CENTOS: &str = "CentOS Linux";
const STREAM: &str = "CentOS Stream";
const OL: &str = "Oracle Linux";
const UBUNTU: &str = "Ubuntu";
const SLES: &str = "SUSE Linux Enterprise Server";
const DEBIAN: &str = "Debian";
const SOLARIS: &str = "Oracle Solaris";
const AIX: &str = "IBM AIX";
const HPUX: &str = "HP-UX";
const ORACLE: &str = "Oracle Database";
const MYSQL: &str = "MySQL";
const PG: &str = "PostgreSQL";
const JAVA: &str = "Java SE";
const PYTHON: &str = "Python";
const NODE: &str = "Node.js";
const DOTNET: &str = ".NET Framework";

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

// ------------------------------------------------------------------------------------------------
// Identification of messy product strings.

/// A run of digits and dots in the text (`14.04.6` → [14, 4, 6]).
#[derive(Debug)]
struct Num {
    parts: Vec<u32>,
}

impl Num {
    fn major(&self) -> u32 {
        self.parts.first().copied().unwrap_or(u32::MAX)
    }

    fn minor(&self) -> Option<u32> {
        self.parts.get(1).copied()
    }
}

fn numbers(text: &str) -> Vec<Num> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        // Digits and single dots between digits.
        while i < bytes.len()
            && (bytes[i].is_ascii_digit() || (bytes[i] == b'.' && i + 1 < bytes.len() && bytes[i + 1].is_ascii_digit()))
        {
            i += 1;
        }
        // Over-long digit runs become u32::MAX and match nothing.
        let parts = text[start..i]
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(u32::MAX))
            .collect();
        out.push(Num { parts });
    }
    out
}

/// Lower-case words of letters and digits.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

fn has_word(text: &str, word: &str) -> bool {
    words(text).any(|w| w == word)
}

/// The text as one lower-case string without separators (`win2k8r2`, `windowsserver2008r2`).
fn compact(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).collect()
}

struct Probe<'a> {
    text: &'a str,
    compact: String,
    nums: Vec<Num>,
}

impl Probe<'_> {
    fn contains(&self, needle: &str) -> bool {
        self.text.contains(needle)
    }

    fn first_num(&self, pred: impl Fn(&Num) -> bool) -> Option<&Num> {
        self.nums.iter().find(|n| pred(n))
    }
}

/// Identifies the catalogue entry for a product as a CMDB spells it (`Microsoft Windows Server 2008
/// R2 Enterprise`, `RHEL 7.9`, `MySQL 8.0.36`, `Oracle Database 19c`), with its version field if
/// the source had one. Databases are tried before operating systems (so `SQL Server 2012 on Windows
/// Server 2016` is the database), and specific names before generic ones (`Oracle Solaris` is not
/// the Oracle database). Unknown products and versions give `None`.
pub fn identify(product_text: &str, version: Option<&str>) -> Option<&'static LifecycleEntry> {
    let mut text = product_text.to_lowercase();
    if let Some(v) = version {
        text.push(' ');
        text.push_str(&v.to_lowercase());
    }
    if text.trim().is_empty() {
        return None;
    }
    let probe = Probe {
        text: &text,
        compact: compact(&text),
        nums: numbers(&text),
    };
    let detectors: [fn(&Probe) -> Option<&'static LifecycleEntry>; 18] = [
        sql_server,
        mysql,
        postgres,
        oracle_database,
        centos,
        oracle_linux,
        rhel,
        windows,
        ubuntu,
        sles,
        debian,
        solaris,
        aix,
        hpux,
        java,
        python,
        node,
        dotnet,
    ];
    detectors.iter().find_map(|detect| detect(&probe))
}

/// Years of Microsoft releases, with R2 when the text says so (`2008 R2`, `2008r2`, `2k8r2`).
fn microsoft_year(p: &Probe, years: &[u32]) -> Option<String> {
    let year = p
        .first_num(|n| n.parts.len() == 1 && years.contains(&n.major()))
        .map(Num::major)
        .or_else(|| short_year(&p.compact, years))?;
    let short = year % 100;
    let r2 = has_word(p.text, "r2")
        || p.compact.contains(&format!("{year}r2"))
        || p.compact.contains(&format!("2k{short}r2"));
    Some(if r2 { format!("{year} R2") } else { year.to_string() })
}

/// `2k3`, `2k8`, `2k12`, ... as in `Win2k8 R2`; a bare `2k` is 2000.
fn short_year(compact: &str, years: &[u32]) -> Option<u32> {
    for (at, _) in compact.match_indices("2k") {
        let digits: String = compact[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .take(2)
            .collect();
        let year = match digits.parse::<u32>() {
            Ok(yy) => 2000 + yy,
            Err(_) => 2000,
        };
        if years.contains(&year) {
            return Some(year);
        }
    }
    None
}

fn sql_server(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !(p.contains("sql server") || p.compact.contains("sqlserver") || p.contains("mssql") || p.contains("ms sql")) {
        return None;
    }
    const YEARS: &[u32] = &[2005, 2008, 2012, 2014, 2016, 2017, 2019, 2022, 2025];
    if let Some(v) = microsoft_year(p, YEARS) {
        let v = if v.ends_with("R2") && !v.starts_with("2008") {
            v.trim_end_matches(" R2").to_string()
        } else {
            v
        };
        return lookup(MSSQL, &v);
    }
    // Internal version numbers: 10.50 = 2008 R2, 11 = 2012, ... 17 = 2025.
    let n = p.first_num(|n| (9..=17).contains(&n.major()))?;
    let v = match (n.major(), n.minor()) {
        (9, _) => "2005",
        (10, Some(50)) => "2008 R2",
        (10, _) => "2008",
        (11, _) => "2012",
        (12, _) => "2014",
        (13, _) => "2016",
        (14, _) => "2017",
        (15, _) => "2019",
        (16, _) => "2022",
        _ => "2025",
    };
    lookup(MSSQL, v)
}

fn mysql(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.contains("mysql") {
        return None;
    }
    let n = p.first_num(|n| matches!(n.major(), 5 | 8))?;
    let v = match (n.major(), n.minor()) {
        (5, Some(m @ (1 | 5 | 6 | 7))) => format!("5.{m}"),
        (8, None | Some(0)) => "8.0".to_string(),
        (8, Some(4)) => "8.4".to_string(),
        _ => return None,
    };
    lookup(MYSQL, &v)
}

fn postgres(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !(p.contains("postgre") || p.contains("pgsql")) {
        return None;
    }
    let n = p.first_num(|n| (8..=40).contains(&n.major()))?;
    let v = match (n.major(), n.minor()) {
        (8 | 9, Some(m)) => format!("{}.{m}", n.major()),
        (8 | 9, None) => return None,
        (major, _) => major.to_string(),
    };
    lookup(PG, &v)
}

fn oracle_database(p: &Probe) -> Option<&'static LifecycleEntry> {
    let explicit = p.contains("database") || p.contains("rdbms");
    let oracle = p.contains("oracle");
    let other_oracle_product = ["linux", "solaris", "sunos", "java", "jdk", "jre", "mysql", "weblogic"]
        .iter()
        .any(|w| p.contains(w));
    if !(oracle && (explicit || !other_oracle_product)) {
        return None;
    }
    let n = p.first_num(|n| matches!(n.major(), 10 | 11 | 12 | 18 | 19 | 21 | 23 | 26))?;
    // `12c Release 2`, `12cR2`, `11g R1`: the release when the minor version is not given.
    let release = |r: u32| {
        p.contains(&format!("release {r}"))
            || p.compact.contains(&format!("{}cr{r}", n.major()))
            || p.compact.contains(&format!("{}gr{r}", n.major()))
            || has_word(p.text, &format!("r{r}"))
    };
    let release2 = release(2);
    let v = match (n.major(), n.minor()) {
        (10, _) => "10g",
        (11, Some(1)) => "11g R1",
        (11, None) if release(1) => "11g R1",
        (11, _) => "11g R2",
        (12, Some(2)) => "12c R2",
        (12, Some(1)) => "12c R1",
        (12, _) if release2 => "12c R2",
        (12, _) => "12c R1",
        (18, _) => "18c",
        (19, _) => "19c",
        (21, _) => "21c",
        (23, _) => "23ai",
        _ => "26ai",
    };
    lookup(ORACLE, v)
}

/// The first number that looks like a major release in `range`.
fn major_in(p: &Probe, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
    p.first_num(|n| range.contains(&n.major())).map(Num::major)
}

fn centos(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.contains("centos") {
        return None;
    }
    let major = major_in(p, 3..=10)?.to_string();
    if p.contains("stream") {
        lookup(STREAM, &major)
    } else {
        lookup(CENTOS, &major)
    }
}

fn oracle_linux(p: &Probe) -> Option<&'static LifecycleEntry> {
    let named = p.contains("oracle linux") || p.contains("oracle enterprise linux") || has_word(p.text, "oel");
    let short = words(p.text).find_map(|w| w.strip_prefix("ol").filter(|rest| rest.len() == 1));
    if named {
        return lookup(OL, &major_in(p, 5..=10)?.to_string());
    }
    lookup(OL, short?)
}

fn rhel(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !(p.contains("red hat") || p.contains("redhat") || p.contains("rhel")) {
        return None;
    }
    lookup(RHEL, &major_in(p, 2..=10)?.to_string())
}

fn windows(p: &Probe) -> Option<&'static LifecycleEntry> {
    let named = p.contains("windows")
        || ["win2k", "w2k", "win20", "winsrv", "winserver"]
            .iter()
            .any(|w| p.compact.contains(w))
        || has_word(p.text, "win");
    if !named {
        return None;
    }
    const YEARS: &[u32] = &[2000, 2003, 2008, 2012, 2016, 2019, 2022, 2025];
    if let Some(v) = microsoft_year(p, YEARS) {
        let v = if v.ends_with("R2") && !["2003", "2008", "2012"].iter().any(|y| v.starts_with(y)) {
            v.trim_end_matches(" R2").to_string()
        } else {
            v
        };
        return lookup(WIN, &v);
    }
    // NT kernel versions and builds: 6.1 = 2008 R2, 10.0.17763 = 2019.
    let v = p.nums.iter().find_map(|n| match n.parts.as_slice() {
        [5, 2, ..] => Some("2003"),
        [6, 0, ..] => Some("2008"),
        [6, 1, ..] => Some("2008 R2"),
        [6, 2, ..] => Some("2012"),
        [6, 3, ..] => Some("2012 R2"),
        [10, 0, build, ..] if *build >= 26100 => Some("2025"),
        [10, 0, build, ..] if *build >= 20348 => Some("2022"),
        [10, 0, build, ..] if *build >= 17763 => Some("2019"),
        [10, 0, build, ..] if *build >= 14393 => Some("2016"),
        _ => None,
    })?;
    lookup(WIN, v)
}

fn ubuntu(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.contains("ubuntu") {
        return None;
    }
    const CODENAMES: &[(&str, &str)] = &[
        ("precise", "12.04"),
        ("trusty", "14.04"),
        ("xenial", "16.04"),
        ("bionic", "18.04"),
        ("focal", "20.04"),
        ("jammy", "22.04"),
        ("noble", "24.04"),
        ("resolute", "26.04"),
    ];
    let by_number = p.nums.iter().find_map(|n| match n.parts.as_slice() {
        [yy, mm, ..] if (4..=40).contains(yy) && (1..=12).contains(mm) => Some(format!("{yy:02}.{mm:02}")),
        _ => None,
    });
    match by_number {
        Some(v) => lookup(UBUNTU, &v),
        None => CODENAMES
            .iter()
            .find(|(name, _)| p.contains(name))
            .and_then(|(_, v)| lookup(UBUNTU, v)),
    }
}

fn sles(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !(p.contains("suse") || p.contains("sles")) {
        return None;
    }
    lookup(SLES, &major_in(p, 9..=16)?.to_string())
}

fn debian(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.contains("debian") {
        return None;
    }
    const CODENAMES: &[(&str, &str)] = &[
        ("jessie", "8"),
        ("stretch", "9"),
        ("buster", "10"),
        ("bullseye", "11"),
        ("bookworm", "12"),
        ("trixie", "13"),
    ];
    if let Some(major) = major_in(p, 4..=20) {
        return lookup(DEBIAN, &major.to_string());
    }
    CODENAMES
        .iter()
        .find(|(name, _)| p.contains(name))
        .and_then(|(_, v)| lookup(DEBIAN, v))
}

fn solaris(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !(p.contains("solaris") || p.contains("sunos")) {
        return None;
    }
    let v = p.nums.iter().find_map(|n| match n.parts.as_slice() {
        // SunOS 5.x is Solaris x.
        [5, 8, ..] | [8, ..] => Some("8"),
        [5, 9, ..] | [9, ..] => Some("9"),
        [5, 10, ..] | [10, ..] => Some("10"),
        [11, 3, ..] => Some("11.3"),
        [5, 11, ..] | [11] | [11, 4, ..] => Some("11.4"),
        _ => None,
    })?;
    lookup(SOLARIS, v)
}

fn aix(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !words(p.text).any(|w| w.starts_with("aix")) {
        return None;
    }
    let v = p.nums.iter().find_map(|n| match n.parts.as_slice() {
        [major @ 5..=7, minor, ..] if *minor <= 3 => Some(format!("{major}.{minor}")),
        // oslevel output: 7100-05-06-2016.
        [level] if *level >= 5000 && *level <= 7999 && level % 100 == 0 => {
            Some(format!("{}.{}", level / 1000, (level / 100) % 10))
        }
        _ => None,
    })?;
    lookup(AIX, &v)
}

fn hpux(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !(p.contains("hp-ux") || p.compact.contains("hpux")) {
        return None;
    }
    let v3 = p.compact.contains("11iv3") || p.nums.iter().any(|n| n.parts.starts_with(&[11, 31]));
    if v3 { lookup(HPUX, "11i v3") } else { None }
}

fn java(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !["java", "jdk", "jre", "openjdk"]
        .iter()
        .any(|w| words(p.text).any(|x| x.starts_with(w)))
    {
        return None;
    }
    let v = p.nums.iter().find_map(|n| match n.parts.as_slice() {
        [1, minor, ..] if *minor >= 5 => Some(minor.to_string()),
        [major, ..] if (5..=30).contains(major) => Some(major.to_string()),
        _ => None,
    })?;
    lookup(JAVA, &v)
}

fn python(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !p.contains("python") {
        return None;
    }
    let n = p.first_num(|n| matches!(n.major(), 2 | 3) && n.minor().is_some())?;
    lookup(PYTHON, &format!("{}.{}", n.major(), n.minor().unwrap_or(0)))
}

fn node(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !(p.contains("node.js") || p.contains("nodejs") || has_word(p.text, "node")) {
        return None;
    }
    lookup(NODE, &major_in(p, 4..=40)?.to_string())
}

fn dotnet(p: &Probe) -> Option<&'static LifecycleEntry> {
    if !(p.contains("framework") && (p.contains(".net") || p.contains("dotnet"))) {
        return None;
    }
    let v = p.nums.iter().find_map(|n| match n.parts.as_slice() {
        [4, 5, 2, ..] => Some("4.5.2"),
        [4, 6, 1, ..] => Some("4.6.1"),
        [4, 6] | [4, 6, 0, ..] => Some("4.6"),
        _ => None,
    })?;
    lookup(DOTNET, v)
}

/// Attribute keys that may hold a database product when `operating_system` does not.
const PRODUCT_ATTRIBUTES: &[&str] = &[
    "db_product",
    "database_product",
    "db_engine",
    "database_engine",
    "engine",
    "db_version",
    "database_version",
    "product",
    "database",
    "platform",
];

/// Attribute keys that may hold a runtime (`Java 8`, `Python 2.7`).
const RUNTIME_ATTRIBUTES: &[&str] = &[
    "runtime",
    "runtime_version",
    "java_version",
    "framework",
    "middleware",
    "language",
];

fn attribute_text<'a>(asset: &'a AssetFacts, keys: &[&str]) -> impl Iterator<Item = &'a str> {
    asset.attributes.iter().filter_map(move |(k, v)| match v {
        Value::String(s) if keys.iter().any(|key| k.eq_ignore_ascii_case(key)) => Some(s.as_str()),
        _ => None,
    })
}

/// The operating system or database product of an asset: `operating_system` with `os_version`,
/// then `os_version` alone, then product-like attributes. Runtimes are not an asset's platform.
pub fn identify_asset(asset: &AssetFacts) -> Option<&'static LifecycleEntry> {
    let platform = |e: &&'static LifecycleEntry| e.family != "runtime";
    if let Some(os) = asset.operating_system.as_deref()
        && let Some(e) = identify(os, asset.os_version.as_deref()).filter(platform)
    {
        return Some(e);
    }
    if let Some(e) = asset
        .os_version
        .as_deref()
        .and_then(|v| identify(v, None))
        .filter(platform)
    {
        return Some(e);
    }
    attribute_text(asset, PRODUCT_ATTRIBUTES).find_map(|s| identify(s, None).filter(platform))
}

/// The runtime named in the asset's attributes, if catalogued.
pub fn identify_runtime(asset: &AssetFacts) -> Option<&'static LifecycleEntry> {
    attribute_text(asset, RUNTIME_ATTRIBUTES).find_map(|s| identify(s, None).filter(|e| e.family == "runtime"))
}

// ------------------------------------------------------------------------------------------------
// Status.

/// The window in which support ending counts as "soon".
pub const EOL_SOON_MONTHS: u32 = 12;

/// Whether `date` falls within the next `EOL_SOON_MONTHS` of `today` (today included).
fn within_soon_window(date: NaiveDate, today: NaiveDate) -> bool {
    match today.checked_add_months(Months::new(EOL_SOON_MONTHS)) {
        Some(limit) => date >= today && date <= limit,
        None => date >= today,
    }
}

/// Lifecycle status and support level of a catalogued product on `today`. The end dates are the
/// last supported days. EOL_SOON means ALL support (add-ons included) ends within 12 months,
/// whatever phase the product is in now.
pub fn status_on(entry: &LifecycleEntry, today: NaiveDate) -> (LifecycleStatus, SupportLevel) {
    if today > entry.extended_end {
        return (LifecycleStatus::EolExpired, SupportLevel::None);
    }
    let support = if today > entry.mainstream_end {
        SupportLevel::Extended
    } else {
        SupportLevel::Mainstream
    };
    let status = if within_soon_window(entry.extended_end, today) {
        LifecycleStatus::EolSoon
    } else {
        LifecycleStatus::Active
    };
    (status, support)
}

/// What is known of a product string on a date: unknown products are `Unknown` with no support level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LifecycleAssessment {
    pub entry: Option<&'static LifecycleEntry>,
    pub status: LifecycleStatus,
    pub support: Option<SupportLevel>,
}

pub fn assess(product_text: &str, version: Option<&str>, today: NaiveDate) -> LifecycleAssessment {
    match identify(product_text, version) {
        Some(entry) => {
            let (status, support) = status_on(entry, today);
            LifecycleAssessment {
                entry: Some(entry),
                status,
                support: Some(support),
            }
        }
        None => LifecycleAssessment {
            entry: None,
            status: LifecycleStatus::Unknown,
            support: None,
        },
    }
}

// ------------------------------------------------------------------------------------------------
// Shared asset helpers.

/// Production (or a spelling of it). DR copies of production count as production for exposure.
pub fn is_production(environment: Option<&str>) -> bool {
    matches!(
        environment.map(|e| e.trim().to_lowercase()).as_deref(),
        Some("production" | "prod" | "prd" | "live")
    )
}

/// critical, high, medium, low (lower-cased), if the asset says.
pub fn criticality(asset: &AssetFacts) -> Option<String> {
    asset
        .business_criticality
        .as_deref()
        .map(|c| c.trim().to_lowercase())
        .filter(|c| !c.is_empty())
}

// ------------------------------------------------------------------------------------------------
// lifecycle_analysis

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifecycleInput {
    pub assets: Vec<AssetFacts>,
    pub today: NaiveDate,
}

/// One finding per asset whose OS or database product is past, or near, the end of its support;
/// plus one for a catalogued runtime named in its attributes.
#[derive(Debug, Clone, Copy, Default)]
pub struct LifecycleAnalysis;

/// The finding for one catalogued product on one asset, or none while it is in mainstream support
/// with more than 12 months to go.
///
/// Severity: expired → critical on production or business-critical assets, else high; all support
/// ending within 12 months → medium; only a paid add-on (ESU, ELS, ESM, LTSS) left, or the vendor's
/// ordinary support ending within 12 months with only such an add-on after it → medium; extended
/// support only → low.
pub fn finding_for(asset: &AssetFacts, entry: &LifecycleEntry, today: NaiveDate) -> Option<TechDebtFinding> {
    let (status, support) = status_on(entry, today);
    let name = entry.display_name();
    let has_add_on = !entry.add_on.is_empty() && entry.standard_end < entry.extended_end;
    let (severity, description) = match (status, support) {
        (LifecycleStatus::EolExpired, _) => {
            let severe =
                is_production(asset.environment.as_deref()) || criticality(asset).as_deref() == Some("critical");
            let description = if has_add_on {
                format!(
                    "{name}: standard support ended {} and {} ended {}; no vendor support remains.",
                    entry.standard_end, entry.add_on, entry.extended_end
                )
            } else {
                format!(
                    "{name}: vendor support ended {}; no vendor support remains.",
                    entry.extended_end
                )
            };
            (if severe { "critical" } else { "high" }, description)
        }
        (LifecycleStatus::EolSoon, _) => {
            let mut description = format!(
                "{name}: all vendor support ends {} (within 12 months)",
                entry.extended_end
            );
            if has_add_on && today > entry.standard_end {
                description.push_str(&format!(
                    "; standard support ended {}, only {} remains",
                    entry.standard_end, entry.add_on
                ));
            }
            description.push('.');
            ("medium", description)
        }
        (LifecycleStatus::Active, _) => {
            // Only a paid add-on left, or the vendor's ordinary support ends within 12 months and
            // only a paid add-on follows: medium. Plain extended support: low.
            let add_on_only = has_add_on && today > entry.standard_end;
            let add_on_soon = has_add_on && !add_on_only && within_soon_window(entry.standard_end, today);
            if add_on_only {
                let description = format!(
                    "{name}: standard support ended {}; only {} until {}.",
                    entry.standard_end, entry.add_on, entry.extended_end
                );
                ("medium", description)
            } else if add_on_soon {
                let description = format!(
                    "{name}: standard support ends {} (within 12 months); after that only {} until {}.",
                    entry.standard_end, entry.add_on, entry.extended_end
                );
                ("medium", description)
            } else if support == SupportLevel::Extended {
                let tail = if has_add_on {
                    format!(
                        "extended support runs to {}, then {} to {}",
                        entry.standard_end, entry.add_on, entry.extended_end
                    )
                } else {
                    format!("extended support only, until {}", entry.extended_end)
                };
                (
                    "low",
                    format!("{name}: mainstream support ended {}; {tail}.", entry.mainstream_end),
                )
            } else {
                return None;
            }
        }
        _ => return None,
    };
    let category = match entry.family {
        "database" => "database",
        "runtime" => "runtime",
        _ => "operating_system",
    };
    Some(TechDebtFinding {
        asset_key: asset.key.clone(),
        category: category.to_string(),
        severity: severity.to_string(),
        description,
        end_of_life: Some(entry.extended_end),
        lifecycle_status: Some(status),
        support_level: Some(support),
    })
}

impl Agent for LifecycleAnalysis {
    type Input = LifecycleInput;
    type Output = Vec<TechDebtFinding>;
    const NAME: &'static str = "lifecycle_analysis";
    const PHASE: PhaseName = PhaseName::TechDebtAnalysis;

    fn run(&self, input: &LifecycleInput) -> Result<AgentOutput<Vec<TechDebtFinding>>, AgentError> {
        let today = input.today;
        let mut findings = Vec::new();
        let (mut with_product, mut identified) = (0usize, 0usize);
        for asset in &input.assets {
            let named = asset.operating_system.as_deref().is_some_and(|s| !s.trim().is_empty())
                || asset.os_version.as_deref().is_some_and(|s| !s.trim().is_empty());
            if named {
                with_product += 1;
            }
            if let Some(entry) = identify_asset(asset) {
                identified += 1;
                findings.extend(finding_for(asset, entry, today));
            }
            if let Some(entry) = identify_runtime(asset) {
                findings.extend(finding_for(asset, entry, today));
            }
        }
        findings.sort_by(|a, b| (&a.asset_key, &a.category).cmp(&(&b.asset_key, &b.category)));

        let count = |s: LifecycleStatus| findings.iter().filter(|f| f.lifecycle_status == Some(s)).count();
        let (expired, soon) = (count(LifecycleStatus::EolExpired), count(LifecycleStatus::EolSoon));
        let (mut reduced, mut extended) = (0usize, 0usize);
        for f in findings
            .iter()
            .filter(|f| f.lifecycle_status == Some(LifecycleStatus::Active))
        {
            if f.severity == "medium" {
                reduced += 1
            } else {
                extended += 1
            }
        }
        let unknown = with_product.saturating_sub(identified);
        // Sure of what the catalogue identified; every product it could not place lowers that.
        let confidence = if with_product == 0 {
            0.9
        } else {
            0.5 + 0.45 * identified.min(with_product) as f64 / with_product as f64
        };
        let reasoning = format!(
            "On {today}: {expired} past end of support, {soon} with all support ending within 12 months, \
             {reduced} on or within 12 months of paid add-on support only, {extended} on extended support; \
             {identified} of {} assets' products identified in the catalogue, {unknown} named but not catalogued.",
            input.assets.len()
        );
        Ok(AgentOutput::new(findings, confidence, reasoning))
    }
}

// ------------------------------------------------------------------------------------------------
// security_risk

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskInput {
    pub assets: Vec<AssetFacts>,
    pub findings: Vec<TechDebtFinding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskScore {
    pub asset_key: String,
    /// 0–100.
    pub score: u8,
    /// critical, high, medium, low.
    pub level: String,
    pub reasons: Vec<String>,
}

/// Points per factor; the maxima add up to 100 (EOL 45 + exposure 30 + environment 10 + criticality 15).
pub const RISK_EOL_EXPIRED: u32 = 45;
pub const RISK_EOL_SOON: u32 = 25;
/// Extended support only, or standard support ending with only a paid add-on after it.
pub const RISK_EXTENDED_ONLY: u32 = 10;
pub const RISK_EXPOSURE_EXPLICIT: u32 = 20;
pub const RISK_EXPOSURE_ROLE: u32 = 10;
pub const RISK_PUBLIC_IP: u32 = 20;
pub const RISK_EXPOSURE_CAP: u32 = 30;
pub const RISK_PRODUCTION: u32 = 10;
pub const RISK_DR_OR_STAGING: u32 = 5;

/// Level thresholds: critical ≥ 70, high ≥ 50, medium ≥ 25, else low.
pub fn risk_level(score: u8) -> &'static str {
    match score {
        70.. => "critical",
        50..=69 => "high",
        25..=49 => "medium",
        _ => "low",
    }
}

/// Scores every asset from end-of-life findings, exposure (public/DMZ hints, a public IP, web-ish
/// names) and business criticality.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecurityRisk;

const EXPLICIT_EXPOSURE: &[&str] = &["dmz", "public", "internet", "external", "extranet", "edge", "perimeter"];
const EXPOSED_ROLES: &[&str] = &["web", "www", "proxy", "gateway", "portal", "vpn", "mail", "smtp", "ftp"];

/// Whether an IPv4 address is routable on the internet (not RFC 1918, loopback, link-local, CGNAT,
/// documentation, multicast or reserved).
pub fn is_public_ipv4(address: &str) -> bool {
    let Ok(ip) = address.trim().parse::<Ipv4Addr>() else {
        return false;
    };
    let [a, b, ..] = ip.octets();
    let cgnat = a == 100 && (64..=127).contains(&b);
    let reserved = a == 0 || a >= 240;
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_documentation()
        || ip.is_multicast()
        || ip.is_broadcast()
        || cgnat
        || reserved)
}

fn exposure(asset: &AssetFacts, reasons: &mut Vec<String>) -> u32 {
    let names = [
        Some(asset.key.as_str()),
        Some(asset.name.as_str()),
        asset.hostname.as_deref(),
        asset.fqdn.as_deref(),
    ];
    let mut name_words: Vec<String> = Vec::new();
    for name in names.iter().flatten() {
        name_words.extend(words(&name.to_lowercase()).map(str::to_string));
    }
    let mut explicit = name_words.iter().any(|w| EXPLICIT_EXPOSURE.contains(&w.as_str()));
    // Attributes: `zone: DMZ`, `internet_facing: true`, `exposure: public`.
    for (key, value) in &asset.attributes {
        let key = key.to_lowercase();
        let key_hint = EXPLICIT_EXPOSURE.iter().any(|h| key.contains(h)) || key.contains("facing");
        match value {
            Value::Bool(true) if key_hint => explicit = true,
            Value::String(s) => {
                let s = s.to_lowercase();
                let relevant = key_hint
                    || ["zone", "exposure", "network", "segment", "tier", "tags"]
                        .iter()
                        .any(|k| key.contains(k));
                if relevant && words(&s).any(|w| EXPLICIT_EXPOSURE.contains(&w)) {
                    explicit = true;
                }
                if key_hint && matches!(s.as_str(), "yes" | "true" | "y") {
                    explicit = true;
                }
            }
            _ => {}
        }
    }
    let mut points = 0;
    if explicit {
        points += RISK_EXPOSURE_EXPLICIT;
        reasons.push("marked as DMZ/public/internet-facing".to_string());
    } else if name_words
        .iter()
        .any(|w| EXPOSED_ROLES.iter().any(|r| w.starts_with(r)))
    {
        points += RISK_EXPOSURE_ROLE;
        reasons.push("name suggests an exposed role (web, proxy, gateway, ...)".to_string());
    }
    if let Some(ip) = asset.ip_address.as_deref().filter(|ip| is_public_ipv4(ip)) {
        points += RISK_PUBLIC_IP;
        reasons.push(format!("public IP address {}", ip.trim()));
    }
    points.min(RISK_EXPOSURE_CAP)
}

/// The risk of one asset given its lifecycle findings (security findings are ignored so a re-run
/// does not feed on itself).
pub fn score_asset(asset: &AssetFacts, findings: &[&TechDebtFinding]) -> RiskScore {
    let mut reasons = Vec::new();
    let mut score = 0u32;

    // End of life: the worst lifecycle finding counts.
    let mut worst: Option<(u32, &str, &str)> = None;
    for f in findings.iter().filter(|f| f.category != "security") {
        let (points, what) = match (f.lifecycle_status, f.support_level) {
            (Some(LifecycleStatus::EolExpired), _) => (RISK_EOL_EXPIRED, "past end of support"),
            (Some(LifecycleStatus::EolSoon), _) => (RISK_EOL_SOON, "support ends within 12 months"),
            (_, Some(SupportLevel::Extended)) => (RISK_EXTENDED_ONLY, "on extended support only"),
            (_, Some(SupportLevel::Mainstream)) => (RISK_EXTENDED_ONLY, "standard support ending, paid add-on after"),
            _ => (0, ""),
        };
        if points > worst.map_or(0, |w| w.0) {
            worst = Some((points, what, f.category.as_str()));
        }
    }
    if let Some((points, what, category)) = worst {
        score += points;
        reasons.push(format!("{} {what}", category.replace('_', " ")));
    }

    score += exposure(asset, &mut reasons);

    let env = asset.environment.as_deref().map(|e| e.trim().to_lowercase());
    if is_production(env.as_deref()) {
        score += RISK_PRODUCTION;
        reasons.push("production environment".to_string());
    } else if matches!(env.as_deref(), Some("dr" | "staging")) {
        score += RISK_DR_OR_STAGING;
        reasons.push(format!("{} environment", env.as_deref().unwrap_or_default()));
    }

    let crit_points = match criticality(asset).as_deref() {
        Some("critical") => 15,
        Some("high") => 10,
        Some("medium") => 5,
        _ => 0,
    };
    if crit_points > 0 {
        score += crit_points;
        reasons.push(format!(
            "business criticality {}",
            criticality(asset).unwrap_or_default()
        ));
    }

    let score = u8::try_from(score.min(100)).unwrap_or(100);
    if reasons.is_empty() {
        reasons.push("no end-of-life, exposure or criticality factors".to_string());
    }
    RiskScore {
        asset_key: asset.key.clone(),
        score,
        level: risk_level(score).to_string(),
        reasons,
    }
}

impl Agent for SecurityRisk {
    type Input = RiskInput;
    type Output = Vec<RiskScore>;
    const NAME: &'static str = "security_risk";
    const PHASE: PhaseName = PhaseName::TechDebtAnalysis;

    fn run(&self, input: &RiskInput) -> Result<AgentOutput<Vec<RiskScore>>, AgentError> {
        let mut by_asset: HashMap<&str, Vec<&TechDebtFinding>> = HashMap::new();
        for f in &input.findings {
            by_asset.entry(f.asset_key.as_str()).or_default().push(f);
        }
        let mut scores: Vec<RiskScore> = input
            .assets
            .iter()
            .map(|a| score_asset(a, by_asset.get(a.key.as_str()).map(Vec::as_slice).unwrap_or(&[])))
            .collect();
        scores.sort_by(|a, b| a.asset_key.cmp(&b.asset_key));
        let count = |level: &str| scores.iter().filter(|s| s.level == level).count();
        let reasoning = format!(
            "{} assets scored: {} critical, {} high, {} medium, {} low (end of life up to {RISK_EOL_EXPIRED}, \
             exposure up to {RISK_EXPOSURE_CAP}, environment up to {RISK_PRODUCTION}, criticality up to 15).",
            scores.len(),
            count("critical"),
            count("high"),
            count("medium"),
            count("low")
        );
        // Rules over recorded facts: as good as the exposure hints in the CMDB.
        Ok(AgentOutput::new(scores, 0.8, reasoning))
    }
}

/// A `security` finding for each critical or high risk.
pub fn security_findings(scores: &[RiskScore]) -> Vec<TechDebtFinding> {
    scores
        .iter()
        .filter(|s| matches!(s.level.as_str(), "critical" | "high"))
        .map(|s| TechDebtFinding {
            asset_key: s.asset_key.clone(),
            category: "security".to_string(),
            severity: s.level.clone(),
            description: format!("Security risk {}/100 ({}): {}.", s.score, s.level, s.reasons.join("; ")),
            end_of_life: None,
            lifecycle_status: None,
            support_level: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::dependencies::sample::{self, asset};

    fn today() -> NaiveDate {
        ymd(2026, 11, 25)
    }

    fn id(text: &str, version: Option<&str>) -> Option<String> {
        identify(text, version).map(LifecycleEntry::display_name)
    }

    #[test]
    fn identifies_the_messy_strings() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                "Red Hat Enterprise Linux Server 6.10",
                Some("6.10"),
                "Red Hat Enterprise Linux 6",
            ),
            (
                "Red Hat Enterprise Linux Server release 5.11 (Tikanga)",
                None,
                "Red Hat Enterprise Linux 5",
            ),
            (
                "Red Hat Enterprise Linux 8.8",
                Some("8.8"),
                "Red Hat Enterprise Linux 8",
            ),
            ("RHEL 7.9", None, "Red Hat Enterprise Linux 7"),
            ("rhel9", None, "Red Hat Enterprise Linux 9"),
            (
                "Microsoft Windows Server 2008 R2 Enterprise",
                None,
                "Windows Server 2008 R2",
            ),
            (
                "Microsoft Windows Server 2008 R2 Enterprise",
                Some("2008 R2"),
                "Windows Server 2008 R2",
            ),
            ("Windows Server 2008 Standard", None, "Windows Server 2008"),
            ("Windows Server 2003", None, "Windows Server 2003"),
            ("Windows Server 2003 R2", None, "Windows Server 2003 R2"),
            ("Windows Server 2012", None, "Windows Server 2012"),
            ("Windows 2012R2", None, "Windows Server 2012 R2"),
            ("Windows Server 2016 Datacenter", Some("2016"), "Windows Server 2016"),
            (
                "Microsoft Windows Server 2019 Standard",
                Some("2019"),
                "Windows Server 2019",
            ),
            ("Windows Server 2022 Datacenter", None, "Windows Server 2022"),
            ("Windows Server 2025", None, "Windows Server 2025"),
            ("Win2k8 R2", None, "Windows Server 2008 R2"),
            ("W2K12", None, "Windows Server 2012"),
            ("Windows", Some("6.1.7601"), "Windows Server 2008 R2"),
            ("Windows Server", Some("10.0.17763"), "Windows Server 2019"),
            ("Ubuntu 14.04.6 LTS", Some("14.04"), "Ubuntu 14.04"),
            ("Ubuntu 16.04", None, "Ubuntu 16.04"),
            ("Ubuntu 18.04.6 LTS", None, "Ubuntu 18.04"),
            ("Ubuntu 20.04.6 LTS", None, "Ubuntu 20.04"),
            ("Ubuntu 22.04.3 LTS", Some("22.04"), "Ubuntu 22.04"),
            ("Ubuntu Server", Some("24.04"), "Ubuntu 24.04"),
            ("Ubuntu Focal", None, "Ubuntu 20.04"),
            ("CentOS Linux 7", None, "CentOS Linux 7"),
            ("CentOS 6.10", None, "CentOS Linux 6"),
            ("CentOS Linux release 8.5.2111", None, "CentOS Linux 8"),
            ("CentOS Stream 9", None, "CentOS Stream 9"),
            ("Oracle Linux Server 7.9", None, "Oracle Linux 7"),
            (
                "SUSE Linux Enterprise Server 12 SP5",
                None,
                "SUSE Linux Enterprise Server 12",
            ),
            ("SLES 11 SP4", None, "SUSE Linux Enterprise Server 11"),
            ("sles15sp4", None, "SUSE Linux Enterprise Server 15"),
            ("Debian GNU/Linux 10 (buster)", None, "Debian 10"),
            ("Debian bookworm", None, "Debian 12"),
            ("Oracle Solaris 10", Some("10"), "Oracle Solaris 10"),
            ("SunOS 5.10", None, "Oracle Solaris 10"),
            ("Oracle Solaris 11.4", None, "Oracle Solaris 11.4"),
            ("Solaris 11", None, "Oracle Solaris 11.4"),
            ("Solaris 11.3", None, "Oracle Solaris 11.3"),
            ("AIX 7.1", Some("7.1"), "IBM AIX 7.1"),
            ("IBM AIX 7.2 TL5", None, "IBM AIX 7.2"),
            ("AIX", Some("7.3"), "IBM AIX 7.3"),
            ("AIX 7100-05-06-2016", None, "IBM AIX 7.1"),
            ("HP-UX 11.31", None, "HP-UX 11i v3"),
            ("Microsoft SQL Server 2008 R2", None, "Microsoft SQL Server 2008 R2"),
            ("Microsoft SQL Server 2008", None, "Microsoft SQL Server 2008"),
            ("Microsoft SQL Server 2012", None, "Microsoft SQL Server 2012"),
            ("SQL Server 2014 SP3", None, "Microsoft SQL Server 2014"),
            ("MSSQL 2016", None, "Microsoft SQL Server 2016"),
            ("SQL Server 2017 Enterprise", None, "Microsoft SQL Server 2017"),
            ("SQL Server 2019", None, "Microsoft SQL Server 2019"),
            ("SQL Server 2022", None, "Microsoft SQL Server 2022"),
            ("SQL Server", Some("10.50.6000"), "Microsoft SQL Server 2008 R2"),
            (
                "SQL Server 2012 on Windows Server 2016",
                None,
                "Microsoft SQL Server 2012",
            ),
            ("MySQL 5.5", None, "MySQL 5.5"),
            ("MySQL 5.6", None, "MySQL 5.6"),
            ("mysql 5.7.44", None, "MySQL 5.7"),
            ("MySQL 8.0", None, "MySQL 8.0"),
            ("MySQL 8.0.36", None, "MySQL 8.0"),
            ("MySQL Community Server 8.4.2 LTS", None, "MySQL 8.4"),
            ("Oracle Database 19c", None, "Oracle Database 19c"),
            (
                "Oracle Database 19c Enterprise Edition Release 19.0.0.0.0",
                None,
                "Oracle Database 19c",
            ),
            ("Oracle Database 19c on Oracle Linux 8", None, "Oracle Database 19c"),
            ("Oracle 11gR2", None, "Oracle Database 11g R2"),
            ("Oracle Database 11g", None, "Oracle Database 11g R2"),
            ("Oracle Database 11.2.0.4", None, "Oracle Database 11g R2"),
            ("Oracle 11gR1", None, "Oracle Database 11g R1"),
            ("Oracle Database 12c", None, "Oracle Database 12c R1"),
            ("Oracle 12.1.0.2", None, "Oracle Database 12c R1"),
            ("Oracle Database 12c Release 2", None, "Oracle Database 12c R2"),
            ("Oracle 12cR2", None, "Oracle Database 12c R2"),
            ("Oracle 12.2.0.1", None, "Oracle Database 12c R2"),
            ("Oracle Database 18c", None, "Oracle Database 18c"),
            ("Oracle Database 21c", None, "Oracle Database 21c"),
            ("Oracle Database 23c", None, "Oracle Database 23ai"),
            ("Oracle Database 23ai", None, "Oracle Database 23ai"),
            ("PostgreSQL 9.6", None, "PostgreSQL 9.6"),
            ("PostgreSQL 9.0.23", None, "PostgreSQL 9.0"),
            ("postgres 12.4", None, "PostgreSQL 12"),
            ("PostgreSQL", Some("17.2"), "PostgreSQL 17"),
            ("Java 1.8.0_202", None, "Java SE 8"),
            ("OpenJDK 11.0.2", None, "Java SE 11"),
            ("Oracle Java 11", None, "Java SE 11"),
            ("Python 2.7.18", None, "Python 2.7"),
            ("Node.js 18.19.0", None, "Node.js 18"),
            (".NET Framework 4.6.1", None, ".NET Framework 4.6.1"),
        ];
        for (text, version, expected) in cases {
            assert_eq!(id(text, *version).as_deref(), Some(*expected), "{text:?} + {version:?}");
        }
        for minor in 0..=6 {
            assert_eq!(
                id(&format!("PostgreSQL 9.{minor}"), None),
                Some(format!("PostgreSQL 9.{minor}"))
            );
        }
        for major in 10..=17 {
            assert_eq!(
                id(&format!("PostgreSQL {major}.3"), None),
                Some(format!("PostgreSQL {major}"))
            );
        }
    }

    #[test]
    fn leaves_unknown_products_unknown() {
        for text in [
            "",
            "   ",
            "Linux",
            "Windows 10",
            "Win2k",
            "MariaDB 10.6",
            "Ubuntu 21.10",
            "MySQL 9.1",
            "PostgreSQL 9",
            "Oracle",
            "AIX 7",
            "Solaris 11.2",
            "Fedora 39",
            "R2",
            "2k",
            "...",
            "\u{1F600} 2008",
            "Ｗｉｎｄｏｗｓ Ｓｅｒｖｅｒ",
            "Windows Server 99999999999999999999.1",
            "SQL Server 4294967296",
        ] {
            let found = id(text, None);
            assert!(found.is_none() || text == "Win2k", "{text:?} gave {found:?}");
        }
        // `Win2k` is Windows 2000, which is catalogued.
        assert_eq!(id("Win2k", None).as_deref(), Some("Windows Server 2000"));
        assert_eq!(assess("Plan 9", None, today()).status, LifecycleStatus::Unknown);
        assert_eq!(assess("Plan 9", None, today()).support, None);
    }

    #[test]
    fn catalogue_is_consistent() {
        for e in CATALOGUE {
            assert!(
                e.mainstream_end <= e.standard_end && e.standard_end <= e.extended_end,
                "{e:?}"
            );
            assert!(
                ["windows", "linux", "unix", "database", "runtime"].contains(&e.family),
                "{e:?}"
            );
            assert_eq!(e.add_on.is_empty(), e.standard_end == e.extended_end, "{e:?}");
            assert_eq!(lookup(e.product, e.version), Some(e), "duplicate {e:?}");
            // Every entry is reachable from its own display name.
            assert_eq!(identify(&e.display_name(), None), Some(e), "{e:?}");
        }
        let required = [
            (
                WIN,
                &[
                    "2003", "2003 R2", "2008", "2008 R2", "2012", "2012 R2", "2016", "2019", "2022", "2025",
                ][..],
            ),
            (RHEL, &["5", "6", "7", "8", "9"]),
            (CENTOS, &["6", "7", "8"]),
            (UBUNTU, &["14.04", "16.04", "18.04", "20.04", "22.04", "24.04"]),
            (SLES, &["11", "12", "15"]),
            (SOLARIS, &["10", "11.4"]),
            (AIX, &["7.1", "7.2", "7.3"]),
            (
                MSSQL,
                &["2008", "2008 R2", "2012", "2014", "2016", "2017", "2019", "2022"],
            ),
            (ORACLE, &["11g R2", "12c R1", "12c R2", "18c", "19c", "21c", "23ai"]),
            (MYSQL, &["5.5", "5.6", "5.7", "8.0", "8.4"]),
        ];
        for (product, versions) in required {
            for v in versions {
                assert!(lookup(product, v).is_some(), "{product} {v}");
            }
        }
        assert_eq!(lookup(RHEL, "6").unwrap().extended_end, ymd(2024, 6, 30));
        assert_eq!(lookup(RHEL, "7").unwrap().mainstream_end, ymd(2024, 6, 30));
        assert_eq!(lookup(RHEL, "7").unwrap().extended_end, ymd(2028, 6, 30));
        assert_eq!(lookup(RHEL, "8").unwrap().mainstream_end, ymd(2029, 5, 31));
        assert_eq!(lookup(CENTOS, "6").unwrap().extended_end, ymd(2020, 11, 30));
        assert_eq!(lookup(CENTOS, "7").unwrap().extended_end, ymd(2024, 6, 30));
        assert_eq!(lookup(CENTOS, "8").unwrap().extended_end, ymd(2021, 12, 31));
        assert_eq!(lookup(AIX, "7.1").unwrap().extended_end, ymd(2023, 4, 30));
        assert_eq!(lookup(MYSQL, "8.0").unwrap().extended_end, ymd(2026, 4, 30));
    }

    #[test]
    fn status_boundaries() {
        let rhel6 = lookup(RHEL, "6").unwrap();
        use LifecycleStatus::*;
        // Last day of all support, and the day after.
        assert_eq!(status_on(rhel6, ymd(2024, 6, 30)), (EolSoon, SupportLevel::Extended));
        assert_eq!(status_on(rhel6, ymd(2024, 7, 1)), (EolExpired, SupportLevel::None));
        // Mainstream's last day, and the day after.
        assert_eq!(status_on(rhel6, ymd(2020, 11, 30)), (Active, SupportLevel::Mainstream));
        assert_eq!(status_on(rhel6, ymd(2020, 12, 1)), (Active, SupportLevel::Extended));
        // The 12-month window: exactly 12 months ahead is soon, a day more is not.
        assert_eq!(status_on(rhel6, ymd(2023, 6, 30)), (EolSoon, SupportLevel::Extended));
        assert_eq!(status_on(rhel6, ymd(2023, 6, 29)), (Active, SupportLevel::Extended));
        // Single-phase products are soon while still in mainstream.
        let pg14 = lookup(PG, "14").unwrap();
        assert_eq!(status_on(pg14, ymd(2026, 1, 1)), (EolSoon, SupportLevel::Mainstream));
        assert_eq!(status_on(pg14, today()), (EolExpired, SupportLevel::None));
        let w2016 = lookup(WIN, "2016").unwrap();
        assert_eq!(status_on(w2016, today()), (Active, SupportLevel::Extended));
        // Extremes do not overflow.
        assert_eq!(status_on(rhel6, NaiveDate::MAX), (EolExpired, SupportLevel::None));
        assert_eq!(status_on(rhel6, NaiveDate::MIN), (Active, SupportLevel::Mainstream));
        let a = assess("CentOS Linux 7", None, today());
        assert_eq!((a.status, a.support), (EolExpired, Some(SupportLevel::None)));
    }

    fn findings_for_sample() -> Vec<TechDebtFinding> {
        LifecycleAnalysis
            .run(&LifecycleInput {
                assets: sample::assets(),
                today: today(),
            })
            .unwrap()
            .value
    }

    #[test]
    fn sample_eol_set_on_2026_11_25() {
        let findings = findings_for_sample();
        let arguable = ["app0001", "srv0014"];
        let expired: Vec<&str> = findings
            .iter()
            .filter(|f| f.lifecycle_status == Some(LifecycleStatus::EolExpired))
            .map(|f| f.asset_key.as_str())
            .filter(|k| !arguable.contains(k))
            .collect();
        assert_eq!(
            expired,
            vec![
                "app0008",
                "app0011",
                "batch0004",
                "batch0005",
                "batch0007",
                "batch0010",
                "batch0016",
                "billing_db",
                "crm_db",
                "data_warehouse_db",
                "intranet_db",
                "payroll_db",
                "srv0006",
                "web0009",
                "web0015",
                "web0017",
                "web0018",
            ]
        );
        // One finding per asset at most, none for applications.
        let mut keys: Vec<&str> = findings.iter().map(|f| f.asset_key.as_str()).collect();
        keys.dedup();
        assert_eq!(keys.len(), findings.len());
        for app in ["payroll", "crm", "reporting", "intranet", "data warehouse", "billing"] {
            assert!(!keys.contains(&app), "{app}");
        }
        let by_key = |k: &str| findings.iter().find(|f| f.asset_key == k);
        // Not expired: supported or extended-only.
        assert!(by_key("batch0013").is_none());
        // Ubuntu 22.04: standard support ends 2027-04-30, then only ESM — flagged, not expired.
        let ubuntu = by_key("web0012").unwrap();
        assert_eq!(
            (ubuntu.severity.as_str(), ubuntu.lifecycle_status, ubuntu.support_level),
            ("medium", Some(LifecycleStatus::Active), Some(SupportLevel::Mainstream))
        );
        assert!(ubuntu.description.contains("2027-04-30"), "{}", ubuntu.description);
        assert!(by_key("reporting_db").is_none());
        for k in ["app0003", "web0002"] {
            let f = by_key(k).unwrap();
            assert_eq!(
                (f.severity.as_str(), f.support_level),
                ("low", Some(SupportLevel::Extended)),
                "{k}"
            );
        }
        // The arguable ones: still (paid) supported, flagged medium.
        for k in arguable {
            let f = by_key(k).unwrap();
            assert_eq!(f.lifecycle_status, Some(LifecycleStatus::Active), "{k}");
            assert_eq!(f.severity, "medium", "{k}");
        }
        // Severity: production → critical, otherwise high.
        assert_eq!(by_key("crm_db").unwrap().severity, "critical");
        assert_eq!(by_key("crm_db").unwrap().category, "database");
        assert_eq!(by_key("payroll_db").unwrap().severity, "high");
        assert_eq!(by_key("web0018").unwrap().category, "operating_system");
        let rhel = by_key("batch0016").unwrap();
        assert_eq!(rhel.end_of_life, Some(ymd(2024, 6, 30)));
        assert!(rhel.description.contains("Red Hat Enterprise Linux 6") && rhel.description.contains("2024-06-30"));
    }

    #[test]
    fn finding_rules() {
        let mut a = asset("box", "server");
        a.operating_system = Some("CentOS 7".into());
        a.business_criticality = Some("Critical".into());
        a.environment = Some("test".into());
        let f = finding_for(&a, identify_asset(&a).unwrap(), today()).unwrap();
        assert_eq!(f.severity, "critical");
        // Everything ends within a year: medium.
        a.operating_system = Some("Windows Server 2019".into());
        let soon = finding_for(&a, identify_asset(&a).unwrap(), ymd(2028, 6, 1)).unwrap();
        assert_eq!(
            (soon.severity.as_str(), soon.lifecycle_status),
            ("medium", Some(LifecycleStatus::EolSoon))
        );
        // Mainstream with years to go: nothing.
        a.operating_system = Some("RHEL 9".into());
        assert!(finding_for(&a, identify_asset(&a).unwrap(), today()).is_none());
        // The product can come from the version field or an attribute.
        let mut b = asset("db", "database");
        b.os_version = Some("PostgreSQL 11".into());
        assert_eq!(
            identify_asset(&b).map(LifecycleEntry::display_name).as_deref(),
            Some("PostgreSQL 11")
        );
        let mut c = asset("db2", "database");
        c.attributes
            .insert("DB_Engine".into(), Value::String("Oracle Database 12c".into()));
        c.attributes.insert("runtime".into(), Value::String("Java 8".into()));
        let out = LifecycleAnalysis
            .run(&LifecycleInput {
                assets: vec![c],
                today: today(),
            })
            .unwrap()
            .value;
        let categories: Vec<&str> = out.iter().map(|f| f.category.as_str()).collect();
        assert_eq!(categories, vec!["database", "runtime"]);
        // Nothing to go on: nothing found, no panic.
        let empty = LifecycleAnalysis
            .run(&LifecycleInput {
                assets: vec![],
                today: today(),
            })
            .unwrap();
        assert!(empty.value.is_empty());
    }

    #[test]
    fn risk_scores() {
        let assets = sample::assets();
        let findings = findings_for_sample();
        let risks = SecurityRisk
            .run(&RiskInput {
                assets: assets.clone(),
                findings,
            })
            .unwrap()
            .value;
        assert_eq!(risks.len(), assets.len());
        let risk = |k: &str| risks.iter().find(|r| r.asset_key == k).unwrap();
        // Expired, production, web-ish name.
        assert_eq!(risk("web0018").score, 65);
        assert_eq!(risk("web0018").level, "high");
        // Expired in test: medium.
        assert_eq!(risk("srv0006").level, "medium");
        // Supported production application with nothing else to say: low.
        assert_eq!(risk("reporting").score, 10);
        assert_eq!(risk("reporting").level, "low");
        assert!(risks.windows(2).all(|w| w[0].asset_key < w[1].asset_key));

        // Everything at once is capped at 100.
        let mut worst = asset("dmz-web01", "server");
        worst.ip_address = Some("8.8.8.8".into());
        worst.environment = Some("Production".into());
        worst.business_criticality = Some("critical".into());
        worst.operating_system = Some("Windows Server 2003".into());
        worst.attributes.insert("internet_facing".into(), Value::Bool(true));
        let f = finding_for(&worst, identify_asset(&worst).unwrap(), today()).unwrap();
        let r = score_asset(&worst, &[&f]);
        assert_eq!((r.score, r.level.as_str()), (100, "critical"));
        assert!(r.reasons.iter().any(|x| x.contains("public IP")));

        // Exposure from attributes, and private addresses do not count.
        let mut dmz = asset("app7", "server");
        dmz.attributes
            .insert("network_zone".into(), Value::String("DMZ-2".into()));
        dmz.ip_address = Some("192.168.1.1".into());
        assert_eq!(score_asset(&dmz, &[]).score, RISK_EXPOSURE_EXPLICIT as u8);
        assert!(is_public_ipv4("8.8.8.8"));
        for private in [
            "10.1.1.1",
            "172.16.0.1",
            "192.168.0.1",
            "127.0.0.1",
            "100.64.1.1",
            "169.254.1.1",
            "bogus",
            "",
        ] {
            assert!(!is_public_ipv4(private), "{private}");
        }

        let security = security_findings(&risks);
        assert!(
            security
                .iter()
                .all(|f| f.category == "security" && matches!(f.severity.as_str(), "critical" | "high"))
        );
        assert_eq!(
            security.len(),
            risks
                .iter()
                .filter(|r| matches!(r.level.as_str(), "critical" | "high"))
                .count()
        );
        assert!(!security.is_empty());
        // Security findings fed back in do not change the score.
        let again = score_asset(&worst, &[&f, &security_findings(std::slice::from_ref(&r))[0]]);
        assert_eq!(again.score, r.score);
    }
}
