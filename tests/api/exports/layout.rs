//! The file's form: the columns in an order of the team's own, each under one of its names,
//! CSV quoting, line ends and encoding.

use std::collections::BTreeMap;

use super::language::{Encoding, Language};
use super::rng::Rng;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Column {
    Name,
    Class,
    Ip,
    Fqdn,
    Os,
    Environment,
    Application,
    Cpu,
    Memory,
    Disk,
    Owner,
    Depends,
}

const COLUMNS: [Column; 12] = [
    Column::Name,
    Column::Class,
    Column::Ip,
    Column::Fqdn,
    Column::Os,
    Column::Environment,
    Column::Application,
    Column::Cpu,
    Column::Memory,
    Column::Disk,
    Column::Owner,
    Column::Depends,
];

/// One row's cells; a column it lacks is empty.
pub type Row = BTreeMap<Column, String>;

fn names(lang: &Language, column: Column) -> &'static [&'static str] {
    let h = &lang.headers;
    match column {
        Column::Name => h.name,
        Column::Class => h.class,
        Column::Ip => h.ip,
        Column::Fqdn => h.fqdn,
        Column::Os => h.os,
        Column::Environment => h.environment,
        Column::Application => h.application,
        Column::Cpu => h.cpu,
        Column::Memory => h.memory,
        Column::Disk => h.disk,
        Column::Owner => h.owner,
        Column::Depends => h.depends,
    }
}

fn quoted(cell: &str, delimiter: char) -> String {
    if cell.contains(delimiter) || cell.contains('"') || cell.contains('\n') {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

/// The export's bytes. Windows-1252 files end their lines as Windows does (a cell's own line
/// breaks stay `\n`, as spreadsheets write them).
pub fn write(lang: &Language, rng: &mut Rng, rows: &[Row]) -> Vec<u8> {
    let mut columns = COLUMNS.to_vec();
    rng.shuffle(&mut columns[1..]);
    if rng.chance(0.3) {
        columns.swap(0, 1);
    }
    let delimiter = lang.delimiter;
    let separator = delimiter.to_string();
    let newline = if lang.encoding == Encoding::Windows1252 {
        "\r\n"
    } else {
        "\n"
    };
    let header: Vec<String> = columns
        .iter()
        .map(|c| {
            let name: &&str = rng.pick(names(lang, *c));
            quoted(name, delimiter)
        })
        .collect();
    let mut text = header.join(&separator) + newline;
    for row in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| quoted(row.get(c).map(String::as_str).unwrap_or(""), delimiter))
            .collect();
        text.push_str(&cells.join(&separator));
        text.push_str(newline);
    }
    match lang.encoding {
        Encoding::Utf8 => text.into_bytes(),
        Encoding::Utf8Bom => format!("\u{feff}{text}").into_bytes(),
        Encoding::Windows1252 => {
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
            assert!(!unmappable, "{}: a character Windows-1252 lacks", lang.code);
            bytes.into_owned()
        }
    }
}
