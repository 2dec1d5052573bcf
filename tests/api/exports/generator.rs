//! Generates a CMDB export in a language's words and spellings, deterministically from a seed,
//! with its truth computed as the rows are written: applications, each with its servers and a
//! database hosted on one of them; duplicate server rows spelled differently; dependency cells
//! naming their items by host, FQDN or IP address with any separator or a short phrase.

use std::collections::{BTreeMap, BTreeSet};

use super::catalogue::{DATABASES, OPERATING_SYSTEMS, Release, Status};
use super::language::Language;
use super::layout::{self, Column, Row};
use super::rng::Rng;
use super::score::Truth;

pub struct Export {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub truth: Truth,
}

/// Servers' roles in their names.
const ROLES: [&str; 6] = ["web", "app", "bat", "srv", "sql", "fs"];
const MEMORY_GB: [u32; 6] = [4, 8, 16, 32, 64, 128];
const SEPARATORS: [&str; 9] = [", ", ";", "; ", " / ", "/", " | ", " + ", "\n", ","];

struct Server {
    name: String,
    /// Only when the export has it: a reference by FQDN must be resolvable from the file.
    fqdn: Option<String>,
    ips: Vec<String>,
}

struct Writer<'a> {
    lang: &'a Language,
    rng: Rng,
    truth: Truth,
    next_host: u32,
    name_style: usize,
    ips: BTreeSet<String>,
}

impl Writer<'_> {
    /// A canonical environment, production most often, as real estates are.
    fn environment(&mut self) -> &'static str {
        const WEIGHTED: [&str; 10] = [
            "production",
            "production",
            "production",
            "staging",
            "test",
            "test",
            "qa",
            "development",
            "development",
            "dr",
        ];
        self.rng.pick_copied(&WEIGHTED)
    }

    /// The canonical environment as this team writes it, in any case.
    fn spell_environment(&mut self, canonical: &str, not: Option<&str>) -> String {
        let spellings: Vec<&str> = self
            .lang
            .environments
            .iter()
            .filter(|(_, c)| *c == canonical)
            .map(|(s, _)| *s)
            .collect();
        assert!(!spellings.is_empty(), "{}: no word for {canonical}", self.lang.code);
        let others: Vec<&str> = spellings.iter().copied().filter(|s| Some(*s) != not).collect();
        let word = *self.rng.pick(if others.is_empty() { &spellings } else { &others });
        self.vary_case(word, 0.2)
    }

    fn vary_case(&mut self, word: &str, odds: f64) -> String {
        if !self.rng.chance(odds) {
            return word.to_string();
        }
        if self.rng.chance(0.5) {
            word.to_uppercase()
        } else {
            word.to_lowercase()
        }
    }

    fn host_name(&mut self) -> String {
        self.next_host += 1 + self.rng.below(3) as u32;
        let n = self.next_host;
        let site = *self.rng.pick(self.lang.sites);
        let role = *self.rng.pick(&ROLES);
        match self.name_style {
            0 => format!("{site}{role}{n:03}"),
            1 => format!("{site}-{role}-{n:03}"),
            _ => format!("{role}{n:04}"),
        }
    }

    fn server(&mut self, app: &str, env: &'static str, rows: &mut Vec<Row>) -> Server {
        let name = self.host_name();
        let fqdn = self.rng.chance(0.85).then(|| format!("{name}.{}", self.lang.domain));
        let mut ips = vec![self.ip(10)];
        if self.rng.chance(0.35) {
            ips.push(self.ip(192));
        }
        let release = self.release(OPERATING_SYSTEMS);
        let env = if self.rng.chance(0.8) { env } else { self.environment() };
        self.record(&name, "server", env, release.status);

        let mut row = Row::new();
        row.insert(Column::Name, self.vary_case(&name, 0.15));
        row.insert(Column::Class, self.class("server"));
        row.insert(Column::Ip, self.ip_cell(&ips));
        row.insert(Column::Fqdn, fqdn.clone().unwrap_or_default());
        row.insert(Column::Os, self.rng.pick(release.spellings).to_string());
        row.insert(Column::Environment, self.spell_environment(env, None));
        row.insert(Column::Application, app.to_string());
        row.insert(Column::Cpu, self.rng.pick(&["2", "4", "8", "16", "32"]).to_string());
        row.insert(Column::Memory, self.memory());
        row.insert(Column::Disk, self.disk());
        row.insert(Column::Owner, self.rng.pick(self.lang.owners).to_string());
        rows.push(row);
        Server { name, fqdn, ips }
    }

    /// A copy of a server row as another hand typed it: the name in another case or with
    /// spaces around, the environment in another spelling, the memory in other units.
    fn duplicate(&mut self, row: &Row) -> Row {
        let mut copy = row.clone();
        let name = row[&Column::Name].to_lowercase();
        let name = match self.rng.below(4) {
            0 => name.to_uppercase(),
            1 => format!("{name} "),
            2 => format!(" {}", name.to_uppercase()),
            _ => {
                let mut chars = name.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        };
        copy.insert(Column::Name, name);
        let written = row[&Column::Environment].clone();
        let canonical = self
            .lang
            .environments
            .iter()
            .find(|(s, _)| s.to_lowercase() == written.to_lowercase())
            .map(|(_, c)| *c)
            .unwrap();
        let respelled = self
            .lang
            .environments
            .iter()
            .find(|(s, _)| s.to_lowercase() == written.to_lowercase())
            .map(|(s, _)| *s);
        copy.insert(Column::Environment, self.spell_environment(canonical, respelled));
        copy.insert(Column::Memory, self.memory());
        self.truth.duplicate_rows += 1;
        copy
    }

    /// An address no other server has.
    fn ip(&mut self, first: u8) -> String {
        loop {
            let ip = if first == 10 {
                format!(
                    "10.{}.{}.{}",
                    self.rng.below(50),
                    self.rng.below(250),
                    1 + self.rng.below(250)
                )
            } else {
                format!("192.168.{}.{}", self.rng.below(250), 1 + self.rng.below(250))
            };
            if self.ips.insert(ip.clone()) {
                return ip;
            }
        }
    }

    fn ip_cell(&mut self, ips: &[String]) -> String {
        let separator = *self.rng.pick(&[", ", "; ", " ", "\n", " / "]);
        ips.join(separator)
    }

    fn memory(&mut self) -> String {
        let gb = *self.rng.pick(&MEMORY_GB);
        match self.rng.below(5) {
            0 => format!("{gb} GB"),
            1 => format!("{gb}GB"),
            2 => format!("{} MB", gb * 1024),
            3 => gb.to_string(),
            _ => format!("{gb} {}", self.rng.pick(self.lang.memory_units)),
        }
    }

    fn disk(&mut self) -> String {
        let gb = *self.rng.pick(&[50, 100, 250, 500, 1000, 2000]);
        if self.rng.chance(0.5) {
            gb.to_string()
        } else {
            format!("{gb} GB")
        }
    }

    fn class(&mut self, kind: &str) -> String {
        let words: Vec<&str> = self
            .lang
            .classes
            .iter()
            .filter(|(_, k)| *k == kind)
            .map(|(w, _)| *w)
            .collect();
        let word = *self.rng.pick(&words);
        self.vary_case(word, 0.1)
    }

    /// Expired releases a third of the time, arguable ones a sixth, as in an old estate.
    fn release(&mut self, releases: &'static [Release]) -> &'static Release {
        let status = match self.rng.below(6) {
            0 | 1 => Status::Expired,
            2 => Status::Arguable,
            _ => Status::Supported,
        };
        let of: Vec<&'static Release> = releases.iter().filter(|r| r.status == status).collect();
        self.rng.pick_copied(&of)
    }

    fn record(&mut self, name: &str, kind: &str, env: &str, status: Status) {
        let truth = &mut self.truth;
        truth.unique_assets += 1;
        *truth.by_type.entry(kind.to_string()).or_default() += 1;
        let key = name.to_lowercase();
        truth
            .types
            .get_or_insert_with(BTreeMap::new)
            .insert(key.clone(), kind.to_string());
        truth.environments.insert(key.clone(), env.to_string());
        match status {
            Status::Expired => truth.eol_assets.insert(key),
            Status::Arguable => truth.eol_arguable.insert(key),
            Status::Supported => false,
        };
    }

    /// How a dependency cell names a server: host name (any case), FQDN or one of its addresses.
    fn reference(&mut self, server: &Server) -> String {
        match self.rng.below(10) {
            0..=3 => self.vary_case(&server.name, 0.3),
            4..=6 if server.fqdn.is_some() => server.fqdn.clone().unwrap(),
            4..=6 => server.name.clone(),
            _ => self.rng.pick(&server.ips).clone(),
        }
    }

    fn application(&mut self, app: &str, rows: &mut Vec<Row>, originals: &mut Vec<usize>) {
        let env = self.environment();
        let count = 4 + self.rng.below(6);
        let mut servers = Vec::new();
        for _ in 0..count {
            originals.push(rows.len());
            servers.push(self.server(app, env, rows));
        }
        let slug = slug(app);
        let db = match self.rng.below(4) {
            0 => format!("{slug}_db"),
            1 => format!("db_{slug}"),
            2 => format!("{slug}-db"),
            _ => format!("{slug}db01"),
        };
        let release = self.release(DATABASES);
        self.record(&db, "database", env, release.status);
        let host = self.rng.below(servers.len() as u64) as usize;
        let host_ref = self.reference(&servers[host]);
        let hosted = if self.rng.chance(0.75) {
            self.rng.pick(self.lang.hosted_on).replace("{}", &host_ref)
        } else {
            host_ref
        };
        self.truth.dependencies.insert((db.clone(), servers[host].name.clone()));

        let mut items: Vec<String> = servers.iter().map(|s| self.reference(s)).collect();
        items.push(db.clone());
        self.rng.shuffle(&mut items);
        let separator = *self.rng.pick(&SEPARATORS);
        let app_key = app.to_lowercase();
        for server in &servers {
            self.truth.dependencies.insert((app_key.clone(), server.name.clone()));
        }
        self.truth.dependencies.insert((app_key, db.clone()));
        self.record(app, "application", env, Status::Supported);

        let mut db_row = Row::new();
        db_row.insert(Column::Name, db);
        db_row.insert(Column::Class, self.class("database"));
        db_row.insert(Column::Os, self.rng.pick(release.spellings).to_string());
        db_row.insert(Column::Environment, self.spell_environment(env, None));
        db_row.insert(Column::Application, app.to_string());
        db_row.insert(Column::Disk, self.disk());
        db_row.insert(Column::Owner, self.rng.pick(self.lang.owners).to_string());
        db_row.insert(Column::Depends, hosted);
        rows.push(db_row);

        let mut app_row = Row::new();
        app_row.insert(Column::Name, app.to_string());
        app_row.insert(Column::Class, self.class("application"));
        app_row.insert(Column::Environment, self.spell_environment(env, None));
        app_row.insert(Column::Application, app.to_string());
        app_row.insert(Column::Owner, self.rng.pick(self.lang.owners).to_string());
        app_row.insert(Column::Depends, items.join(separator));
        rows.push(app_row);
    }
}

/// A name fit for a database: lower case, ASCII letters and digits, `_` between words.
fn slug(name: &str) -> String {
    let folded: String = name
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ß' => 's',
            c if c.is_ascii_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join("_")
}

/// The export of `lang` made from `seed`: 60 to 150 rows, with its truth.
pub fn generate(lang: &Language, seed: u64) -> Export {
    let mut rng = Rng::new(seed);
    let name_style = rng.below(3) as usize;
    let mut writer = Writer {
        lang,
        rng,
        truth: Truth::default(),
        next_host: 0,
        name_style,
        ips: BTreeSet::new(),
    };
    let mut apps: Vec<&str> = lang.applications.to_vec();
    writer.rng.shuffle(&mut apps);
    let app_count = 8 + writer.rng.below(4) as usize;
    let mut rows = Vec::new();
    let mut servers = Vec::new();
    for app in &apps[..app_count.min(apps.len())] {
        writer.application(app, &mut rows, &mut servers);
    }
    for _ in 0..4 + writer.rng.below(4) {
        let original = *writer.rng.pick(&servers);
        let copy = writer.duplicate(&rows[original]);
        rows.push(copy);
    }
    writer.rng.shuffle(&mut rows);
    writer.truth.rows = rows.len();

    let bytes = layout::write(lang, &mut writer.rng, &rows);
    let truth = writer.truth;
    // Every edge ends at an asset of the export.
    let known: BTreeSet<String> = truth.names();
    assert!(
        truth
            .dependencies
            .iter()
            .all(|(a, b)| known.contains(a) && known.contains(b))
    );
    Export {
        file_name: format!("cmdb_{}.csv", lang.code),
        bytes,
        truth,
    }
}
