//! The file import: turns a flow's raw CMDB export (CSV, tab-delimited text or JSON, in UTF-8,
//! UTF-16 or Windows-1252; or an Excel / OpenDocument workbook) into numbered records. The
//! `data_import` phase streams it; tests and tools parse whole texts.
//!
//! Parsing is forgiving on purpose: a malformed row becomes a [`BadRow`] carrying its line number
//! and reason while the rest of the file still imports. Only inputs that are unusable as a whole
//! (empty, no header, invalid JSON, wrong JSON shape) are [`ImportError`]s.

mod csv;
mod decode;
mod json;
mod outcome;
pub mod workbook;

use serde_json::Value;

pub use csv::CsvStream;
pub use decode::{Sniffed, TextDecoder, decode, sniff};
pub use outcome::{BadRow, ImportError, ImportOutcome, ImportedRow, SourceFormat};

pub(crate) use csv::header_names;
use csv::parse_csv;
use json::{json_error, json_outcome};
use outcome::BOM;

/// Decodes raw upload bytes (see `decode`) and parses them.
pub fn parse_bytes(bytes: &[u8]) -> Result<ImportOutcome, ImportError> {
    match decode(bytes) {
        (text, encoding @ ("windows-1252" | "utf-16le" | "utf-16be")) => parse_decoded(&text, encoding),
        (text, _) => parse_text(&text),
    }
}

/// Parses decoded text: JSON if it starts with `[` or `{` (after whitespace), CSV otherwise.
pub fn parse_text(text: &str) -> Result<ImportOutcome, ImportError> {
    match text.strip_prefix(BOM) {
        Some(rest) => parse_decoded(rest, "utf-8-bom"),
        None => parse_decoded(text, "utf-8"),
    }
}

/// Imports already-parsed JSON: an array of objects, or an object holding exactly one array.
pub fn parse_records(value: &Value) -> Result<ImportOutcome, ImportError> {
    json_outcome(value, "utf-8")
}

fn parse_decoded(text: &str, encoding: &'static str) -> Result<ImportOutcome, ImportError> {
    match text.trim_start().chars().next() {
        None => Err(ImportError::Empty),
        Some('[' | '{') => {
            let value: Value = serde_json::from_str(text).map_err(json_error)?;
            json_outcome(&value, encoding)
        }
        Some(_) => parse_csv(text, encoding),
    }
}

#[cfg(test)]
mod tests;
