//! Generated CMDB exports for benchmarks and load tests (deterministic: the same rows every time).

/// A CMDB export of `rows` rows: applications over web and app servers and a database, each
/// database on a host, a mix of supported and end-of-life platforms, some messy spellings.
pub fn generated_cmdb(rows: usize) -> String {
    const OS: &[&str] = &[
        "Windows Server 2008 R2 Enterprise",
        "Windows Server 2019 Standard",
        "Red Hat Enterprise Linux Server 6.10",
        "Red Hat Enterprise Linux 8.8",
        "Ubuntu 22.04.3 LTS",
        "Ubuntu 14.04.6 LTS",
        "AIX 7.1",
    ];
    const DB: &[&str] = &[
        "MySQL 5.6",
        "Microsoft SQL Server 2012",
        "Oracle Database 19c",
        "PostgreSQL 16",
    ];
    const ENV: &[&str] = &["Prod", "PRD", "production", "DEV", "Test", "QA"];
    let mut csv = String::from(
        "Server Name,Asset Type,IP Address,FQDN,Operating System,OS Version,Environment,Application,CPU Cores,Memory (GB),Storage (GB),Owner,Depends On\n",
    );
    let apps = rows.div_ceil(6);
    let mut written = 0;
    'outer: for a in 0..apps {
        let env = ENV[a % ENV.len()];
        let app = format!("App{a:06}");
        let hosts: Vec<String> = (0..4).map(|h| format!("srv{a:06}{h}")).collect();
        let db = format!("db{a:06}");
        for (h, host) in hosts.iter().enumerate() {
            if written == rows {
                break 'outer;
            }
            let ip = format!("10.{}.{}.{}", (a >> 16) & 255, (a >> 8) & 255, (a * 4 + h) % 250 + 1);
            csv.push_str(&format!(
                "{host},Server,{ip},{host}.corp.example.com,{},,{env},{app},{},{} GB,{},ops-{},\n",
                OS[(a + h) % OS.len()],
                2 << (h % 3),
                8 << (a % 4),
                100 * (h + 1),
                a % 17
            ));
            written += 1;
        }
        if written == rows {
            break;
        }
        csv.push_str(&format!(
            "{db},Database,,,{},,{env},{app},,,500,dba-team,{}\n",
            DB[a % DB.len()],
            hosts[0]
        ));
        written += 1;
        if written == rows {
            break;
        }
        csv.push_str(&format!(
            "{app},Application,,,,,{env},{app},,,,owner-{},{};{db}\n",
            a % 31,
            hosts.join(";")
        ));
        written += 1;
    }
    csv
}

/// What a correct discovery of `generated_cmdb(rows)` finds: (assets, dependency edges).
pub fn generated_truth(rows: usize) -> (usize, usize) {
    // Per application: 4 servers, a database, the application; it depends on its servers and
    // database (5 edges) and the database on its first server (1 edge).
    let full = rows / 6;
    let rest = rows % 6;
    let edges = full * 6
        + match rest {
            0..=4 => 0,
            _ => 1, // the database row made it in
        };
    (rows, edges)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_generator_writes_exactly_the_rows_asked() {
        for rows in [1, 5, 6, 7, 100, 1001] {
            let csv = super::generated_cmdb(rows);
            assert_eq!(csv.lines().count(), rows + 1, "{rows}");
        }
    }
}
