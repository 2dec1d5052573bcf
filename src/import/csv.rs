//! CSV imports: an RFC 4180 lexer that reads as the text arrives, with the delimiter and header
//! row found from the text and every malformed record kept as a bad row with its line and reason.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::outcome::{BadRow, ImportError, ImportOutcome, ImportedRow, RAW_LIMIT, SourceFormat, to_i64};

pub(super) const UNTERMINATED: &str = "unterminated quoted field";
pub(super) const AFTER_QUOTE: &str = "unexpected character after closing quote";

pub(super) fn parse_csv(text: &str, encoding: &'static str) -> Result<ImportOutcome, ImportError> {
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

pub(crate) fn header_names(fields: &[String]) -> Result<Vec<String>, ImportError> {
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
