//! Randomised robustness ("fuzz") tests of the code that reads untrusted input: the CSV/JSON
//! importer and the attribute-mapping and cleansing agents. Many deterministic pseudo-random
//! cases: no panic, and output that stays proportional to the input. (`cargo fuzz` needs a
//! nightly toolchain, which these machines cannot fetch.)

use flowgraph::agents::attribute_mapping::{FieldMappingAgent, MappingInput, PatternInput, PatternRecognition};
use flowgraph::agents::data_cleansing::{DataStandardization, Deduplication, StandardizeInput};
use flowgraph::agents::types::{Agent, SourceRecord};
use flowgraph::import::{parse_bytes, parse_text};
use serde_json::{Map, Value};

/// xorshift64: deterministic, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const CSV_PIECES: &[&str] = &[
    "\"",
    "\"\"",
    ",",
    ";",
    "\t",
    "\n",
    "\r\n",
    " ",
    "web01",
    "10.0.0.1",
    "Prod",
    "4096 MB",
    "é",
    "[",
    "{",
    "}",
    "]",
    ":",
    "\u{FEFF}",
    "null",
    "Server Name",
    "IP Address",
    "Windows Server 2008 R2",
    "\u{0}",
    "💥",
];
const VALUES: &[&str] = &[
    "",
    " ",
    "web01",
    "WEB01",
    "web01.corp.example.com",
    "10.0.0.1",
    "999.1.1.1",
    "::1",
    "Prod",
    "PRD",
    "dev",
    "16",
    "4096 MB",
    "1 TB",
    "-5",
    "NaN",
    "Red Hat Enterprise Linux Server 6.10",
    "MySQL 5.6",
    "a;b;c",
    "x|y",
    "💥",
    "\"",
];
const NAMES: &[&str] = &[
    "Server Name",
    "hostname",
    "IP",
    "ip_address",
    "u_environment",
    "ram",
    "Memory (GB)",
    "os",
    "sys_class_name",
    "depends_on",
    "Depends On",
    "owner",
    "",
    " ",
    "network.ip",
    "a.b.c.d",
    "💥",
    "CPU Cores",
];

#[test]
fn the_importer_survives_random_text_and_bytes() {
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    for case in 0..20_000 {
        let len = rng.below(200);
        let text: String = (0..len).map(|_| rng.pick(CSV_PIECES)).collect();
        if let Ok(out) = parse_text(&text) {
            // Every row holds every column once; the output never outgrows the input much.
            assert!(
                out.rows.iter().all(|r| r.data.len() == out.columns.len()),
                "case {case}: {text:?}"
            );
            let cells: usize = out.rows.iter().map(|r| r.data.len()).sum();
            assert!(
                cells <= text.len() * 2 + 2 || out.columns.len() <= 1,
                "case {case}: {cells} cells from {text:?}"
            );
        }
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = parse_bytes(&bytes);
    }
}

fn record(rng: &mut Rng, columns: &[String], row: i64) -> SourceRecord {
    let mut fields = Map::new();
    for column in columns {
        let value = match rng.below(6) {
            0 => Value::Null,
            1 => Value::from(rng.below(100_000) as i64 - 50_000),
            2 => Value::Array((0..rng.below(3)).map(|_| Value::from(rng.pick(VALUES))).collect()),
            _ => Value::from(rng.pick(VALUES)),
        };
        fields.insert(column.clone(), value);
    }
    SourceRecord {
        row_number: row,
        line_number: row + 1,
        fields,
    }
}

#[test]
fn mapping_and_cleansing_survive_random_exports() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    for _ in 0..500 {
        let columns: Vec<String> = (0..rng.below(12))
            .map(|i| format!("{}{}", rng.pick(NAMES), i % 3))
            .collect();
        let records: Vec<SourceRecord> = (0..rng.below(40))
            .map(|row| record(&mut rng, &columns, row as i64 + 1))
            .collect();
        let mappings = FieldMappingAgent
            .run(&MappingInput {
                columns: columns.clone(),
            })
            .unwrap()
            .value;
        assert_eq!(mappings.len(), columns.len());
        let mut targets: Vec<&str> = mappings.iter().filter_map(|m| m.target_attribute.as_deref()).collect();
        targets.sort();
        let before = targets.len();
        targets.dedup();
        assert_eq!(
            before,
            targets.len(),
            "two columns mapped to one attribute: {mappings:?}"
        );
        let checked = PatternRecognition
            .run(&PatternInput {
                mappings: mappings.clone(),
                records: records.clone(),
            })
            .unwrap()
            .value;
        assert!(checked.iter().all(|m| (0.0..=1.0).contains(&m.confidence)));
        let clean = DataStandardization
            .run(&StandardizeInput {
                mappings: checked,
                records: records.clone(),
            })
            .unwrap()
            .value;
        assert_eq!(clean.len(), records.len());
        let merged = Deduplication.run(&clean[..]).unwrap().value;
        assert!(merged.records.len() <= clean.len());
    }
}
