//! The `data_import` phase: turns a flow's raw CMDB export (CSV or JSON) into numbered records.
//!
//! Parsing is forgiving on purpose: a malformed row becomes a [`BadRow`] carrying its line number
//! and reason while the rest of the file still imports. Only inputs that are unusable as a whole
//! (empty, no header, invalid JSON, wrong JSON shape) are [`ImportError`]s.

use std::collections::{HashMap, HashSet};
use std::{fmt, io};

use serde::Serialize;
use serde_json::{Map, Value};

/// Longest `raw` excerpt kept for a bad row, in characters.
const RAW_LIMIT: usize = 200;
const BOM: char = '\u{FEFF}';
const UNTERMINATED: &str = "unterminated quoted field";
const AFTER_QUOTE: &str = "unexpected character after closing quote";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Csv,
    Json,
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
    /// `"utf-8"`, `"utf-8-bom"` or `"windows-1252"`.
    pub encoding: &'static str,
    pub columns: Vec<String>,
    pub rows: Vec<ImportedRow>,
    pub bad_rows: Vec<BadRow>,
    pub blank_lines: i64,
}

impl ImportOutcome {
    fn new(format: SourceFormat, delimiter: Option<String>, encoding: &'static str) -> Self {
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

    fn push_row(&mut self, line_number: i64, data: Map<String, Value>) {
        let row_number = to_i64(self.rows.len() + 1);
        self.rows.push(ImportedRow {
            row_number,
            line_number,
            data,
        });
    }

    fn push_bad(&mut self, line_number: i64, reason: String, raw: &str) {
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
        }
    }
}

impl std::error::Error for ImportError {}

/// Decodes raw upload bytes: UTF-8 with or without BOM (kept, `parse_text` strips it), else
/// Windows-1252. Returns the text and the encoding name `ImportOutcome::encoding` uses.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    match std::str::from_utf8(bytes) {
        Ok(text) if text.starts_with(BOM) => (text.to_string(), "utf-8-bom"),
        Ok(text) => (text.to_string(), "utf-8"),
        // A BOM says the producer meant UTF-8, so stray bad bytes are replaced, not re-read as cp1252.
        Err(_) if bytes.starts_with(b"\xEF\xBB\xBF") => (String::from_utf8_lossy(bytes).into_owned(), "utf-8-bom"),
        Err(_) => (decode_windows_1252(bytes), "windows-1252"),
    }
}

/// Decodes raw upload bytes (see `decode`) and parses them.
pub fn parse_bytes(bytes: &[u8]) -> Result<ImportOutcome, ImportError> {
    match decode(bytes) {
        (text, "windows-1252") => parse_decoded(&text, "windows-1252"),
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

/// cp1252 as browsers read it (the WHATWG mapping: the five undefined bytes become the C1
/// controls, so nothing is lost).
fn decode_windows_1252(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

/// What `sniff` learned of an uploaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// As `decode` names it: `utf-8`, `utf-8-bom` or `windows-1252`.
    pub encoding: &'static str,
    /// Nothing but white space (and a byte-order mark).
    pub empty: bool,
    pub bytes: u64,
}

/// Reads a file once, a piece at a time, for what `decode` would decide on the whole of it
/// (UTF-8, with or without a BOM, else Windows-1252); then rewinds it.
pub fn sniff<F: io::Read + io::Seek>(file: &mut F) -> io::Result<Sniffed> {
    let mut piece = vec![0u8; 1 << 16];
    // The start of a UTF-8 sequence cut off at the end of the previous piece.
    let mut carry: Vec<u8> = Vec::new();
    let (mut bytes, mut utf8, mut empty, mut bom) = (0u64, true, true, false);
    loop {
        let n = file.read(&mut piece)?;
        if n == 0 {
            break;
        }
        let mut read = &piece[..n];
        if bytes == 0 && read.starts_with(b"\xEF\xBB\xBF") {
            (bom, read) = (true, &read[3..]);
        }
        bytes += n as u64;
        empty = empty && read.iter().all(u8::is_ascii_whitespace);
        if utf8 {
            carry.extend_from_slice(read);
            match std::str::from_utf8(&carry) {
                Ok(_) => carry.clear(),
                Err(err) if err.error_len().is_none() => {
                    carry.drain(..err.valid_up_to());
                }
                Err(_) => utf8 = false,
            }
        }
    }
    file.seek(io::SeekFrom::Start(0))?;
    let encoding = match (bom, utf8 && carry.is_empty()) {
        (true, _) => "utf-8-bom",
        (false, true) => "utf-8",
        (false, false) => "windows-1252",
    };
    Ok(Sniffed { encoding, empty, bytes })
}

/// Decodes an upload piece by piece in the encoding `sniff` found (a byte-order mark is
/// dropped; bad UTF-8 bytes become U+FFFD, as `decode` does).
pub struct TextDecoder(encoding_rs::Decoder);

impl TextDecoder {
    pub fn new(encoding: &str) -> Self {
        TextDecoder(match encoding {
            "windows-1252" => encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling(),
            _ => encoding_rs::UTF_8.new_decoder_with_bom_removal(),
        })
    }

    pub fn decode(&mut self, bytes: &[u8], last: bool) -> String {
        let capacity = self
            .0
            .max_utf8_buffer_length(bytes.len())
            .unwrap_or(bytes.len() * 3 + 16);
        let mut text = String::with_capacity(capacity);
        let _ = self.0.decode_to_string(bytes, &mut text, last);
        text
    }
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------------------------
// JSON

fn json_error(err: serde_json::Error) -> ImportError {
    let (line, column) = (err.line(), err.column());
    let full = err.to_string();
    // serde_json appends the position to its message; we report it in our own wording.
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    ImportError::InvalidJson { line, column, message }
}

fn json_outcome(value: &Value, encoding: &'static str) -> Result<ImportOutcome, ImportError> {
    let items = match value {
        Value::Array(items) => items,
        Value::Object(map) if map.len() == 1 => match map.values().next() {
            Some(Value::Array(items)) => items,
            _ => return Err(ImportError::NotAnArray),
        },
        _ => return Err(ImportError::NotAnArray),
    };
    let mut out = ImportOutcome::new(SourceFormat::Json, None, encoding);
    let mut seen = HashSet::new();
    for (index, item) in items.iter().enumerate() {
        let line_number = to_i64(index + 1);
        let Value::Object(object) = item else {
            let reason = format!("record {line_number} is not an object");
            out.push_bad(line_number, reason, &json_snippet(item));
            continue;
        };
        let mut data = Map::new();
        for (key, value) in flatten(object) {
            if !seen.contains(&key) {
                seen.insert(key.clone());
                out.columns.push(key.clone());
            }
            data.insert(key, value);
        }
        out.push_row(line_number, data);
    }
    // Same key set in every row, as for CSV, so consumers never tell "absent" from null.
    for row in &mut out.rows {
        for column in &out.columns {
            row.data.entry(column.clone()).or_insert(Value::Null);
        }
    }
    Ok(out)
}

/// Flattens nested objects into dotted keys. Iterative, so a deeply nested value built in code
/// (not bound by the parser's recursion limit) cannot overflow the stack here.
fn flatten(object: &Map<String, Value>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    // `None` marks the root, whose keys get no prefix (an empty prefix would misread a "" key).
    let mut stack: Vec<(Option<String>, _)> = vec![(None, object.iter())];
    while let Some((prefix, entries)) = stack.last_mut() {
        let Some((key, value)) = entries.next() else {
            stack.pop();
            continue;
        };
        let key = match prefix {
            None => key.clone(),
            Some(prefix) => format!("{prefix}.{key}"),
        };
        match value {
            Value::Object(inner) if !inner.is_empty() => stack.push((Some(key), inner.iter())),
            // An empty object has no leaves; keep its column rather than silently dropping it.
            Value::Object(_) => out.push((key, Value::Null)),
            other => out.push((key, other.clone())),
        }
    }
    out
}

/// A writer that refuses input past a cap, so serialising a huge element stops early.
struct Capped(Vec<u8>);

impl io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.0.len() >= RAW_LIMIT * 4 {
            return Err(io::Error::other("snippet is long enough"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn json_snippet(value: &Value) -> String {
    let mut out = Capped(Vec::new());
    // An error only means the cap was hit. Writes are kept whole, so the text is valid UTF-8.
    let _ = serde_json::to_writer(&mut out, value);
    String::from_utf8_lossy(&out.0).into_owned()
}

// ---------------------------------------------------------------------------------------------
// CSV

fn parse_csv(text: &str, encoding: &'static str) -> Result<ImportOutcome, ImportError> {
    let mut stream = CsvStream::new();
    stream.push(text);
    stream.finish();
    let mut out = ImportOutcome::new(SourceFormat::Csv, None, encoding);
    let mut rows = Vec::new();
    stream.pump(&mut rows, &mut out.bad_rows)?;
    out.rows = rows;
    out.delimiter = stream.delimiter();
    out.columns = stream.columns().to_vec();
    out.blank_lines = stream.blank_lines;
    Ok(out)
}

/// A record this long (bytes from its start) that still has not ended is given up on as an
/// unterminated quote, so one stray quote cannot make the parser hold the rest of a large file.
const MAX_RECORD_BYTES: usize = 1 << 20;

/// CSV parsed as its text arrives: `push` decoded text, `pump` the records it completes,
/// `finish` at the end of the input. The parser only ever sees whole lines, and a record that
/// runs past the text so far (a quoted field with line breaks) waits for more; so memory holds
/// a window of lines, not the file, and the records are the same as parsing the text at once.
pub struct CsvStream {
    /// Whole lines not parsed yet; starts where the next record starts.
    window: String,
    /// Text after the last line break (and a trailing `\r` that may start a `\r\n`).
    partial: String,
    /// 1-based line number of the window's first line.
    line: usize,
    finished: bool,
    /// `None` until the header row is read.
    header: Option<(Vec<String>, u8)>,
    rows: i64,
    pub blank_lines: i64,
}

impl Default for CsvStream {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvStream {
    pub fn new() -> Self {
        CsvStream {
            window: String::new(),
            partial: String::new(),
            line: 1,
            finished: false,
            header: None,
            rows: 0,
            blank_lines: 0,
        }
    }

    pub fn push(&mut self, text: &str) {
        self.partial.push_str(text);
        // Keep back the last incomplete line, and a final `\r` whose `\n` may come next.
        let cut = match self.partial.rfind(['\n', '\r']) {
            Some(at) if self.partial.as_bytes()[at] == b'\r' && at + 1 == self.partial.len() => at,
            Some(at) => at + 1,
            None => 0,
        };
        self.window.push_str(&self.partial[..cut]);
        self.partial.drain(..cut);
    }

    pub fn finish(&mut self) {
        self.window.push_str(&self.partial);
        self.partial.clear();
        self.finished = true;
    }

    pub fn columns(&self) -> &[String] {
        self.header.as_ref().map_or(&[], |(columns, _)| columns)
    }

    pub fn delimiter(&self) -> Option<String> {
        self.header.as_ref().map(|(_, delim)| char::from(*delim).to_string())
    }

    /// Bytes waiting in the window (what memory holds of the input).
    pub fn buffered(&self) -> usize {
        self.window.len() + self.partial.len()
    }

    /// Parses every record the text so far completes into `rows` and `bad`. After `finish`, an
    /// input without a header row is an error.
    pub fn pump(&mut self, rows: &mut Vec<ImportedRow>, bad: &mut Vec<BadRow>) -> Result<(), ImportError> {
        let mut p = CsvParser {
            text: &self.window,
            delim: self.header.as_ref().map_or(b',', |(_, d)| *d),
            pos: 0,
            line: self.line,
            more: !self.finished,
        };
        let result = Self::records(
            &mut p,
            &mut self.header,
            &mut self.rows,
            &mut self.blank_lines,
            rows,
            bad,
        );
        let (pos, line) = (p.pos, p.line);
        self.window.drain(..pos);
        self.line = line;
        result
    }

    fn records(
        p: &mut CsvParser<'_>,
        header: &mut Option<(Vec<String>, u8)>,
        count: &mut i64,
        blank_lines: &mut i64,
        rows: &mut Vec<ImportedRow>,
        bad: &mut Vec<BadRow>,
    ) -> Result<(), ImportError> {
        while !p.at_end() {
            let delimiters = match header {
                // Before the header, lines of only whitespace and candidate delimiters (`,,,,`
                // spreadsheet filler) are blank.
                None => ",;\t",
                Some((_, delim)) => match *delim {
                    b';' => ";",
                    b'\t' => "\t",
                    _ => ",",
                },
            };
            if is_blank(p.current_line(), delimiters) {
                p.skip_line();
                *blank_lines += 1;
                continue;
            }
            let (start, line) = (p.pos, p.line);
            if header.is_none() {
                p.delim = detect_delimiter(p.current_line());
            }
            let (fields, raw_end) = match p.record() {
                Some(read) => read,
                // The record runs past the text so far: wait for more, unless it is already
                // too long to be anything but a stray quote.
                None if p.text.len() - start <= MAX_RECORD_BYTES => {
                    (p.pos, p.line) = (start, line);
                    return Ok(());
                }
                None => {
                    (p.pos, p.line, p.more) = (start, line, false);
                    let read = p.record().unwrap_or((Err(UNTERMINATED), p.pos));
                    p.more = true;
                    read
                }
            };
            let Some((columns, _)) = header else {
                let fields = fields.map_err(|reason| ImportError::BadHeader {
                    line,
                    reason: reason.to_owned(),
                })?;
                *header = Some((header_names(&fields)?, p.delim));
                continue;
            };
            match fields
                .map_err(str::to_owned)
                .and_then(|fields| row_data(columns, fields))
            {
                Ok(data) => {
                    *count += 1;
                    rows.push(ImportedRow {
                        row_number: *count,
                        line_number: to_i64(line),
                        data,
                    });
                }
                Err(reason) => bad.push(BadRow {
                    line_number: to_i64(line),
                    reason,
                    raw: p.slice(start, raw_end).chars().take(RAW_LIMIT).collect(),
                }),
            }
        }
        if !p.more && header.is_none() {
            return Err(ImportError::NoHeader);
        }
        Ok(())
    }
}

fn is_blank(line: &str, delimiters: &str) -> bool {
    line.chars().all(|c| c.is_whitespace() || delimiters.contains(c))
}

/// Picks the delimiter occurring most often outside quotes in the header line; ties and
/// single-column headers fall back to the comma.
fn detect_delimiter(line: &str) -> u8 {
    const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];
    let (mut counts, mut quoted) = ([0usize; 3], false);
    for b in line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if let Some(i) = CANDIDATES.iter().position(|&c| c == b && !quoted) {
            counts[i] += 1;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0);
    let mut winners = CANDIDATES.iter().zip(counts).filter(|&(_, n)| n == max);
    match (winners.next(), winners.next()) {
        (Some((&c, _)), None) if max > 0 => c,
        _ => b',',
    }
}

fn header_names(fields: &[String]) -> Result<Vec<String>, ImportError> {
    if fields.iter().all(|f| f.trim().is_empty()) {
        return Err(ImportError::NoHeader);
    }
    let mut taken = HashSet::new();
    // Next suffix to try per base name, so many duplicates stay linear.
    let mut next_suffix: HashMap<String, usize> = HashMap::new();
    let mut names = Vec::with_capacity(fields.len());
    for (i, field) in fields.iter().enumerate() {
        let base = match field.trim() {
            "" => format!("column_{}", i + 1),
            name => name.to_owned(),
        };
        let mut name = base.clone();
        while taken.contains(&name) {
            let n = next_suffix.entry(base.clone()).or_insert(2);
            name = format!("{base}_{n}");
            *n += 1;
        }
        taken.insert(name.clone());
        names.push(name);
    }
    Ok(names)
}

fn row_data(columns: &[String], mut fields: Vec<String>) -> Result<Map<String, Value>, String> {
    // A trailing delimiter (one extra, empty last field) is an export quirk, not an error.
    if fields.len() == columns.len() + 1 && fields.last().is_some_and(|f| f.trim().is_empty()) {
        fields.pop();
    }
    if fields.len() != columns.len() {
        let noun = if columns.len() == 1 { "field" } else { "fields" };
        return Err(format!("expected {} {noun}, found {}", columns.len(), fields.len()));
    }
    let cells = columns.iter().zip(fields).map(|(column, field)| {
        let value = match field.trim() {
            "" => Value::Null,
            text => Value::String(text.to_owned()),
        };
        (column.clone(), value)
    });
    Ok(cells.collect())
}

/// RFC 4180 record lexer over the text's bytes. Every byte it branches on is ASCII, so each
/// offset it slices at is a char boundary.
struct CsvParser<'a> {
    text: &'a str,
    delim: u8,
    pos: usize,
    /// 1-based line of `pos`; `\n`, `\r\n` and a lone `\r` each end a line.
    line: usize,
    /// More text may follow `text` (streaming): a quoted field reaching its end waits for it.
    more: bool,
}

impl CsvParser<'_> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn slice(&self, from: usize, to: usize) -> &str {
        self.text.get(from..to).unwrap_or("")
    }

    /// First delimiter, `\r` or `\n` at or after `from` (or the end).
    fn field_end(&self, from: usize, stop_at_delim: bool) -> usize {
        let rest = self.text.as_bytes().get(from..).unwrap_or(&[]);
        let offset = rest
            .iter()
            .position(|&b| b == b'\n' || b == b'\r' || (stop_at_delim && b == self.delim));
        offset.map_or(self.text.len(), |o| from + o)
    }

    fn current_line(&self) -> &str {
        self.slice(self.pos, self.field_end(self.pos, false))
    }

    fn skip_terminator(&mut self) {
        match self.byte(self.pos) {
            Some(b'\r') if self.byte(self.pos + 1) == Some(b'\n') => self.pos += 2,
            Some(b'\r' | b'\n') => self.pos += 1,
            _ => return,
        }
        self.line += 1;
    }

    fn skip_line(&mut self) {
        self.pos = self.field_end(self.pos, false);
        self.skip_terminator();
    }

    /// Skips spaces (and tabs, unless tab is the delimiter) around quoted fields.
    fn skip_padding(&mut self) {
        let padding = |b: u8| b != self.delim && (b == b' ' || b == b'\t');
        while self.byte(self.pos).is_some_and(padding) {
            self.pos += 1;
        }
    }

    /// Reads one record: its fields, or why it is bad, and where its raw text ends; `None` when
    /// it runs past the text and more may follow.
    fn record(&mut self) -> Option<(Result<Vec<String>, &'static str>, usize)> {
        let (mut fields, mut error) = (Vec::new(), None);
        loop {
            let field_start = self.pos;
            self.skip_padding();
            if self.byte(self.pos) == Some(b'"') {
                match self.quoted() {
                    Ok((value, clean)) => {
                        fields.push(value);
                        if !clean {
                            error = error.or(Some(AFTER_QUOTE));
                        }
                    }
                    Err(None) => return None,
                    Err(Some(raw_end)) => return Some((Err(UNTERMINATED), raw_end)),
                }
            } else {
                // Unquoted: a `"` past the field's start is literal text.
                self.pos = self.field_end(self.pos, true);
                fields.push(self.slice(field_start, self.pos).to_owned());
            }
            if self.byte(self.pos) == Some(self.delim) {
                self.pos += 1;
                continue;
            }
            // Bad records are still read to their end, so the next one starts in the right place.
            let raw_end = self.pos;
            self.skip_terminator();
            return Some((error.map_or(Ok(fields), Err), raw_end));
        }
    }

    /// Reads a quoted field starting at its opening quote. `Ok((value, clean))`, where `clean`
    /// is false if text followed the closing quote. `Err(raw_end)` if the quote is stray: it
    /// reaches the end of input, or spans a line break and then closes badly (it most likely
    /// paired with an unrelated quote further down). Parsing then resumes after its first line.
    ///
    /// Recovery stays linear: every quote between the stray one and where it failed was part of
    /// a `""` pair, so re-reading that text can only open quotes that close on the same line:
    /// no text is re-read more than once, whatever the input.
    fn quoted(&mut self) -> Result<(String, bool), Option<usize>> {
        self.pos += 1;
        let (mut value, mut segment) = (String::new(), self.pos);
        // (raw_end, pos, line) just after the line this field opened on.
        let mut resume = None;
        loop {
            match self.byte(self.pos) {
                None if self.more => return Err(None),
                None => return Err(Some(self.give_up(resume))),
                Some(b'"') if self.byte(self.pos + 1) == Some(b'"') => {
                    value.push_str(self.slice(segment, self.pos + 1));
                    self.pos += 2;
                    segment = self.pos;
                }
                Some(b'"') => {
                    value.push_str(self.slice(segment, self.pos));
                    self.pos += 1;
                    self.skip_padding();
                    return match self.byte(self.pos) {
                        None | Some(b'\r' | b'\n') => Ok((value, true)),
                        Some(b) if b == self.delim => Ok((value, true)),
                        Some(_) if resume.is_some() => Err(Some(self.give_up(resume))),
                        Some(_) => {
                            self.pos = self.field_end(self.pos, true);
                            Ok((value, false))
                        }
                    };
                }
                Some(b'\r' | b'\n') => {
                    let at = self.pos;
                    self.skip_terminator();
                    resume.get_or_insert((at, self.pos, self.line));
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Moves to where parsing resumes after a stray quote; returns the end of its raw text.
    fn give_up(&mut self, resume: Option<(usize, usize, usize)>) -> usize {
        // Without a line break crossed, the quote opened on the last line: resume at the end.
        let end = self.text.len();
        let (raw_end, pos, line) = resume.unwrap_or((end, end, self.line));
        (self.pos, self.line) = (pos, line);
        raw_end
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn import(text: &str) -> ImportOutcome {
        parse_text(text).expect("input should import")
    }

    fn lines(rows: &[ImportedRow]) -> Vec<i64> {
        rows.iter().map(|r| r.line_number).collect()
    }

    fn bad_lines(out: &ImportOutcome) -> Vec<(i64, &str)> {
        out.bad_rows
            .iter()
            .map(|b| (b.line_number, b.reason.as_str()))
            .collect()
    }

    #[test]
    fn comma_delimited_csv() {
        let out = import("name,ip\nweb01,10.0.0.1\ndb01, \n");
        assert_eq!(out.format, SourceFormat::Csv);
        assert_eq!(out.delimiter.as_deref(), Some(","));
        assert_eq!(out.encoding, "utf-8");
        assert_eq!(out.columns, ["name", "ip"]);
        assert_eq!(lines(&out.rows), [2, 3]);
        assert_eq!(out.rows[1].row_number, 2);
        assert_eq!(out.rows[0].data["ip"], json!("10.0.0.1"));
        assert_eq!(out.rows[1].data["ip"], Value::Null);
        assert!(out.bad_rows.is_empty());
    }

    #[test]
    fn semicolon_and_tab_delimiters() {
        let out = import("\"a,b\";c;d\n1;2,5;3\n");
        assert_eq!(out.delimiter.as_deref(), Some(";"));
        assert_eq!(out.columns, ["a,b", "c", "d"]);
        assert_eq!(out.rows[0].data["c"], json!("2,5"));

        let out = import("name\tos version\nweb01\tRHEL 8\n");
        assert_eq!(out.delimiter.as_deref(), Some("\t"));
        assert_eq!(out.rows[0].data["os version"], json!("RHEL 8"));

        // Ties and single columns fall back to the comma.
        assert_eq!(import("a,b;c\n1,2;3\n").delimiter.as_deref(), Some(","));
        assert_eq!(import("name\nweb01\n").columns, ["name"]);
    }

    #[test]
    fn byte_order_mark_is_stripped_and_reported() {
        let out = import("\u{FEFF}name\nweb01\n");
        assert_eq!((out.encoding, out.columns[0].as_str()), ("utf-8-bom", "name"));
        let out = parse_bytes(b"\xEF\xBB\xBFname\nweb01\n").unwrap();
        assert_eq!((out.encoding, out.rows.len()), ("utf-8-bom", 1));
        // A BOM with a stray invalid byte stays UTF-8 (lossy) rather than becoming cp1252.
        let out = parse_bytes(b"\xEF\xBB\xBFname\nab\xFFc\n").unwrap();
        assert_eq!(out.encoding, "utf-8-bom");
        assert_eq!(out.rows[0].data["name"], json!("ab\u{FFFD}c"));
    }

    #[test]
    fn quoted_fields() {
        let text = "id,note,owner\n1,\"a, b\",x\n2,\"say \"\"hi\"\"\",y\n3,\"two\nlines\",z\n4,after,w\n";
        let out = import(text);
        assert!(out.bad_rows.is_empty());
        assert_eq!(lines(&out.rows), [2, 3, 4, 6]);
        assert_eq!(out.rows[0].data["note"], json!("a, b"));
        assert_eq!(out.rows[1].data["note"], json!("say \"hi\""));
        assert_eq!(out.rows[2].data["note"], json!("two\nlines"));
        assert_eq!(out.rows[3].data["note"], json!("after"));
        // Padding around quotes is allowed; a bare quote inside an unquoted field is text.
        let out = import("a,b,c\n  \"x\" , y ,5\" disk\n");
        assert_eq!(out.rows[0].data["a"], json!("x"));
        assert_eq!(out.rows[0].data["c"], json!("5\" disk"));
    }

    #[test]
    fn ragged_rows_are_reported_and_good_rows_kept() {
        let out = import("a,b,c\n1,2,3\n1,2\n1,2,3,4\n5,6,7\n8,9,\"\"\n");
        assert_eq!(lines(&out.rows), [2, 5, 6]);
        assert_eq!(out.rows[1].row_number, 2);
        assert_eq!(
            bad_lines(&out),
            [(3, "expected 3 fields, found 2"), (4, "expected 3 fields, found 4")]
        );
        assert_eq!(out.bad_rows[0].raw, "1,2");
        // One trailing empty field (a trailing delimiter) is tolerated; a filled one is not.
        let out = import("a,b\n1,2,\n1,2, \n1,2,x\n");
        assert_eq!(lines(&out.rows), [2, 3]);
        assert_eq!(bad_lines(&out), [(4, "expected 2 fields, found 3")]);
        assert_eq!(bad_lines(&import("a\n1,2\n")), [(2, "expected 1 field, found 2")]);
    }

    #[test]
    fn unterminated_quote_mid_file_keeps_later_rows() {
        let out = import("id,name\n1,\"broken\n2,b\n3,c\n");
        assert_eq!(bad_lines(&out), [(2, UNTERMINATED)]);
        assert_eq!(out.bad_rows[0].raw, "1,\"broken");
        assert_eq!(lines(&out.rows), [3, 4]);
        assert_eq!(out.rows[0].data["name"], json!("b"));

        // A stray quote that pairs with a later field's quote must not swallow the rows between.
        let out = import("id,name,note\n1,\"broken,x\n2,b,c\n3,\"ok\",d\n");
        assert_eq!(bad_lines(&out), [(2, UNTERMINATED)]);
        assert_eq!(lines(&out.rows), [3, 4]);
        assert_eq!(out.rows[1].data["name"], json!("ok"));

        // On the last line, without a final newline.
        let out = import("a,b\n1,2\n3,\"x");
        assert_eq!(bad_lines(&out), [(3, UNTERMINATED)]);
        assert_eq!(out.bad_rows[0].raw, "3,\"x");
    }

    #[test]
    fn text_after_closing_quote_is_a_bad_row() {
        let out = import("a,b\n\"abc\"def,1\n2,3\n");
        assert_eq!(bad_lines(&out), [(2, AFTER_QUOTE)]);
        assert_eq!(out.bad_rows[0].raw, "\"abc\"def,1");
        assert_eq!(lines(&out.rows), [3]);
    }

    #[test]
    fn blank_lines_are_counted_not_reported() {
        let out = import("\n \na,b\n\n1,2\n   \n,,\n3,4\n\n");
        assert_eq!(out.blank_lines, 6);
        assert_eq!(lines(&out.rows), [5, 8]);
        assert!(out.bad_rows.is_empty());
    }

    #[test]
    fn header_names_are_trimmed_filled_and_deduplicated() {
        let out = import(" a ,,a,A,a, column_2\n1,2,3,4,5,6\n");
        assert_eq!(out.columns, ["a", "column_2", "a_2", "A", "a_3", "column_2_2"]);
        assert_eq!(out.rows[0].data["a_3"], json!("5"));
        assert_eq!(parse_text("\"\"\n1\n"), Err(ImportError::NoHeader));
        assert_eq!(parse_text(",,;\n\n"), Err(ImportError::NoHeader));
        let err = parse_text("\n\"a,b\n").unwrap_err();
        let reason = UNTERMINATED.to_owned();
        assert_eq!(err, ImportError::BadHeader { line: 2, reason });
        assert_eq!(
            err.to_string(),
            "the header row on line 2 is malformed: unterminated quoted field"
        );
    }

    #[test]
    fn crlf_and_lone_cr_line_endings() {
        let out = import("a,b\r\n1,\"x\r\ny\"\r\n2,3\r\n");
        assert_eq!(lines(&out.rows), [2, 4]);
        assert_eq!(out.rows[0].data["b"], json!("x\r\ny"));
        assert_eq!(lines(&import("a,b\r1,2\r3,4").rows), [2, 3]);
    }

    #[test]
    fn header_only_csv_is_a_valid_empty_import() {
        let out = import("a,b,c\n");
        assert_eq!(out.columns.len(), 3);
        assert!(out.rows.is_empty() && out.bad_rows.is_empty());
    }

    #[test]
    fn empty_inputs() {
        for text in ["", "  \n\t \r\n", "\u{FEFF}", "\u{FEFF}  \n"] {
            assert_eq!(parse_text(text), Err(ImportError::Empty), "{text:?}");
        }
        assert_eq!(parse_bytes(b""), Err(ImportError::Empty));
        assert_eq!(parse_bytes(b"\xEF\xBB\xBF"), Err(ImportError::Empty));
        assert_eq!(ImportError::Empty.to_string(), "the import is empty");
    }

    #[test]
    fn windows_1252_fallback() {
        let out = parse_bytes(b"name;price\ncaf\xE9;\x80 5\n\x93q\x94;\x81\n").unwrap();
        assert_eq!(out.encoding, "windows-1252");
        assert_eq!(out.rows[0].data["name"], json!("café"));
        assert_eq!(out.rows[0].data["price"], json!("€ 5"));
        assert_eq!(out.rows[1].data["name"], json!("\u{201C}q\u{201D}"));
        assert_eq!(out.rows[1].data["price"], json!("\u{81}"));
    }

    #[test]
    fn json_array_with_nested_objects_is_flattened() {
        let text = r#" [
            {"host": "a", "os": {"name": "RHEL", "version": "8", "x": {"y": 1}}, "tags": ["t"], "n": null, "e": {}},
            {"host": "b", "cores": 4}
        ]"#;
        let out = import(text);
        assert_eq!((out.format, out.delimiter.clone()), (SourceFormat::Json, None));
        assert!(out.bad_rows.is_empty());
        for column in ["host", "os.name", "os.version", "os.x.y", "tags", "n", "e", "cores"] {
            assert!(out.columns.iter().any(|c| c == column), "{column}");
        }
        assert_eq!(out.columns.len(), 8);
        let (a, b) = (&out.rows[0], &out.rows[1]);
        assert_eq!((a.line_number, b.line_number, b.row_number), (1, 2, 2));
        assert_eq!(a.data["os.name"], json!("RHEL"));
        assert_eq!(a.data["os.x.y"], json!(1));
        assert_eq!(a.data["tags"], json!(["t"]));
        assert_eq!(a.data["e"], Value::Null);
        assert_eq!(a.data["cores"], Value::Null);
        assert_eq!(b.data["cores"], json!(4));
        assert_eq!(b.data["os.version"], Value::Null);
    }

    #[test]
    fn json_object_wrapping_one_array() {
        let out = import(r#"{"records": [{"a": 1}, {"a": 2}]}"#);
        assert_eq!(out.rows.len(), 2);
        assert_eq!(import("[]").rows.len(), 0);
        for text in [r#"{"a": [], "b": []}"#, r#"{"a": 1}"#, "{}", r#"{"a": {"b": []}}"#] {
            assert_eq!(parse_text(text), Err(ImportError::NotAnArray), "{text}");
        }
        assert!(
            ImportError::NotAnArray
                .to_string()
                .starts_with("JSON input must be an array of objects")
        );
    }

    #[test]
    fn json_non_object_elements_are_bad_rows() {
        let long = "x".repeat(500);
        let out = import(&format!(r#"[{{"a": 1}}, 5, "é", {{"a": 2}}, ["{long}"]]"#));
        assert_eq!(lines(&out.rows), [1, 4]);
        assert_eq!(out.rows[1].row_number, 2);
        assert_eq!(
            bad_lines(&out),
            [
                (2, "record 2 is not an object"),
                (3, "record 3 is not an object"),
                (5, "record 5 is not an object")
            ]
        );
        assert_eq!(out.bad_rows[0].raw, "5");
        assert_eq!(out.bad_rows[1].raw, "\"é\"");
        assert_eq!(out.bad_rows[2].raw.chars().count(), 200);
    }

    #[test]
    fn invalid_json_reports_position() {
        let err = parse_text("[\n  {\"a\": 1},\n  {\"a\" 2}\n]").unwrap_err();
        let ImportError::InvalidJson { line, column, message } = &err else {
            panic!("unexpected error {err:?}");
        };
        assert_eq!((*line, *column), (3, 8));
        assert_eq!(message, "expected `:`");
        assert_eq!(err.to_string(), "invalid JSON at line 3, column 8: expected `:`");
    }

    #[test]
    fn parse_records_accepts_a_value() {
        let out = parse_records(&json!([{"a": {"b": 1}}, {"": {"c": true}}])).unwrap();
        assert_eq!(out.columns, ["a.b", ".c"]);
        assert_eq!(out.encoding, "utf-8");
        assert_eq!(parse_records(&json!("nope")), Err(ImportError::NotAnArray));
        assert_eq!(parse_records(&json!({"items": []})).unwrap().rows.len(), 0);
    }

    #[test]
    fn outcome_serializes_for_the_api() {
        let value = serde_json::to_value(import("a\n1\n")).unwrap();
        assert_eq!(value["format"], json!("csv"));
        assert_eq!(value["encoding"], json!("utf-8"));
        assert_eq!(value["rows"][0]["data"]["a"], json!("1"));
    }

    #[test]
    fn arbitrary_input_never_panics() {
        const PIECES: [&str; 14] = [
            "\"", "\"\"", ",", ";", "\t", "\n", "\r", "\r\n", " ", "a", "é", "[", "{", "\u{FEFF}",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let len = next() % 40;
            let text: String = (0..len).map(|_| PIECES[(next() % 14) as usize]).collect();
            if let Ok(out) = parse_text(&text) {
                let all: Vec<i64> = out.rows.iter().map(|r| r.line_number).collect();
                assert!(all.windows(2).all(|w| w[0] < w[1]), "{text:?}");
                assert!(out.bad_rows.iter().all(|b| b.raw.chars().count() <= RAW_LIMIT));
                assert!(out.rows.iter().all(|r| r.data.len() == out.columns.len()));
            }
            let bytes: Vec<u8> = (0..len).map(|_| (next() % 256) as u8).collect();
            let _ = parse_bytes(&bytes);
        }
    }

    #[test]
    fn pathological_quotes_stay_linear() {
        for line in ["x,\"y\n", "\"\n", "a,\"\"\"\n", "\",\"\n", "\"a\"b\n"] {
            let text = format!("h1,h2\n{}", line.repeat(40_000));
            let out = import(&text);
            assert!(out.rows.len() + out.bad_rows.len() > 0, "{line:?}");
        }
        // Every line a stray quote: each is reported on its own line.
        let out = import(&format!("a,b\n{}", "1,\"x\n".repeat(40_000)));
        assert_eq!(out.bad_rows.len(), 40_000);
        assert_eq!(out.bad_rows[39_999].line_number, 40_001);
    }
}
