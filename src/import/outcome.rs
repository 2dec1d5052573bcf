//! What an import produced: the good rows, the bad ones with their line and reason, and the
//! source's format, delimiter, encoding and columns; or why the input as a whole is unusable.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

/// Longest `raw` excerpt kept for a bad row, in characters.
pub(super) const RAW_LIMIT: usize = 200;
pub(super) const BOM: char = '\u{FEFF}';

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Csv,
    Json,
    /// An Excel or OpenDocument workbook (`.xlsx`, `.xlsm`, `.xls`, `.ods`).
    Workbook,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportedRow {
    /// 1-based index among the good rows.
    pub row_number: i64,
    /// CSV: source line where the record starts (1-based). JSON: 1-based element index.
    pub line_number: i64,
    pub data: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadRow {
    pub line_number: i64,
    pub reason: String,
    /// The offending source text, at most 200 characters.
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportOutcome {
    pub format: SourceFormat,
    /// `","`, `";"` or `"\t"` for CSV; `None` for JSON.
    pub delimiter: Option<String>,
    /// `"utf-8"`, `"utf-8-bom"`, `"utf-16le"`, `"utf-16be"` or `"windows-1252"`.
    pub encoding: &'static str,
    pub columns: Vec<String>,
    pub rows: Vec<ImportedRow>,
    pub bad_rows: Vec<BadRow>,
    pub blank_lines: i64,
}

impl ImportOutcome {
    pub(super) fn new(format: SourceFormat, delimiter: Option<String>, encoding: &'static str) -> Self {
        let (columns, rows, bad_rows) = (Vec::new(), Vec::new(), Vec::new());
        let blank_lines = 0;
        Self {
            format,
            delimiter,
            encoding,
            columns,
            rows,
            bad_rows,
            blank_lines,
        }
    }

    pub(super) fn push_row(&mut self, line_number: i64, data: Map<String, Value>) {
        let row_number = to_i64(self.rows.len() + 1);
        self.rows.push(ImportedRow {
            row_number,
            line_number,
            data,
        });
    }

    pub(super) fn push_bad(&mut self, line_number: i64, reason: String, raw: &str) {
        let raw = raw.chars().take(RAW_LIMIT).collect();
        self.bad_rows.push(BadRow {
            line_number,
            reason,
            raw,
        });
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// No content, only whitespace, or only a byte-order mark.
    Empty,
    /// CSV whose first non-blank line holds no column names.
    NoHeader,
    /// CSV header record that cannot be read (e.g. an unterminated quote).
    BadHeader { line: usize, reason: String },
    InvalidJson {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON that is neither an array nor an object holding exactly one array.
    NotAnArray,
    /// A workbook that cannot be imported; the message says what to fix.
    Workbook(String),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the import is empty"),
            Self::NoHeader => f.write_str("the import has no header row"),
            Self::BadHeader { line, reason } => {
                write!(f, "the header row on line {line} is malformed: {reason}")
            }
            Self::InvalidJson { line, column, message } => {
                write!(f, "invalid JSON at line {line}, column {column}: {message}")
            }
            Self::NotAnArray => {
                f.write_str("JSON input must be an array of objects (or an object holding exactly one such array)")
            }
            Self::Workbook(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ImportError {}

pub(super) fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
