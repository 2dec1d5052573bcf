//! data_import: parse the raw export into numbered rows (bad rows reported, not fatal), then
//! data_validation and format_detection look at what was read.
//!
//! CSV streams: an uploaded file is read back chunk by chunk, decoded and parsed as it comes,
//! and every `BATCH_ROWS` rows are written (with the agents' running tallies updated) before
//! the next are read, so memory holds a batch, not the export. JSON is parsed whole: it comes
//! inline in a request, bounded by the request size limit. A workbook (`workbook.rs`) is read
//! back whole (its size was capped at upload) and its rows streamed the same way.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::types::Json;

use super::supervise;
use crate::agents::data_import::{DataValidation, FormatDetection, ProfileState, ValidationState};
use crate::agents::flow_supervisor::SupervisorInput;
use crate::agents::types::SourceRecord;
use crate::domain::PhaseName;
use crate::import::workbook::{Workbook, WorkbookReport};
use crate::import::{self, BadRow, CsvStream, ImportError, ImportedRow, TextDecoder};
use crate::phases::input::{BATCH_ROWS, PhaseInput};
use crate::phases::outcome::{PhaseFailure, PhaseSuccess, share};
use crate::store::{ImportRecord, PhaseOutput};

/// Most bad rows listed in the import summary; all of them are counted.
const BAD_ROWS_LISTED: usize = 100;

/// Where the export's text comes from.
enum Source {
    /// Text kept whole in the flow (a `csv` argument, or a file uploaded before chunks).
    Text(Option<String>),
    /// An uploaded file stored in chunks, read from chunk `next` on; once all are read, the
    /// source becomes an exhausted `Text(None)`.
    Chunks { next: i32, decoder: TextDecoder },
}

/// What the import has read so far, moved to the blocking pool for each piece of text.
#[derive(Default)]
struct Import {
    format: Option<import::SourceFormat>,
    csv: CsvStream,
    /// JSON text, kept until the end (parsed whole).
    json: String,
    /// Parsed rows not yet written.
    rows: Vec<ImportedRow>,
    bad_rows: Vec<BadRow>,
    bad_count: usize,
    columns: Vec<String>,
    delimiter: Option<String>,
    blank_lines: i64,
    validation: ValidationState,
    profile: Option<ProfileState>,
    /// Time the two agents spent on the rows so far.
    validation_time: Duration,
    profile_time: Duration,
}

impl Import {
    /// Takes the next piece of text (`None`: the end) and parses what it completes.
    fn feed(&mut self, piece: Option<&str>) -> Result<(), ImportError> {
        let piece = piece.unwrap_or_default();
        if self.format.is_none() {
            match piece.trim_start().chars().next() {
                Some('[' | '{') => self.format = Some(import::SourceFormat::Json),
                Some(_) => self.format = Some(import::SourceFormat::Csv),
                None => {}
            }
        }
        match self.format {
            Some(import::SourceFormat::Json) => self.json.push_str(piece),
            _ => {
                self.csv.push(piece);
                let mut bad = Vec::new();
                self.csv.pump(&mut self.rows, &mut bad)?;
                self.keep_bad(bad);
            }
        }
        Ok(())
    }

    /// The end of the text: the last rows, or the whole JSON.
    fn finish(&mut self) -> Result<(), ImportError> {
        // No format yet: nothing but white space was read.
        match self.format {
            None => return Err(ImportError::Empty),
            Some(import::SourceFormat::Workbook) => {}
            Some(import::SourceFormat::Json) => {
                let json = std::mem::take(&mut self.json);
                let outcome = import::parse_text(&json)?;
                self.columns = outcome.columns;
                self.rows = outcome.rows;
                self.keep_bad(outcome.bad_rows);
            }
            Some(import::SourceFormat::Csv) => {
                self.csv.finish();
                let mut bad = Vec::new();
                self.csv.pump(&mut self.rows, &mut bad)?;
                self.keep_bad(bad);
                self.columns = self.csv.columns().to_vec();
                self.delimiter = self.csv.delimiter();
                self.blank_lines = self.csv.blank_lines;
            }
        }
        Ok(())
    }

    fn keep_bad(&mut self, bad: Vec<BadRow>) {
        self.bad_count += bad.len();
        let room = BAD_ROWS_LISTED.saturating_sub(self.bad_rows.len());
        self.bad_rows.extend(bad.into_iter().take(room));
    }

    /// Up to `limit` parsed rows as stored records, run past the two agents on the way.
    fn take(&mut self, limit: usize) -> Vec<ImportRecord> {
        let rest = self.rows.split_off(limit.min(self.rows.len()));
        let rows = std::mem::replace(&mut self.rows, rest);
        let profile = self.profile.get_or_insert_with(|| {
            ProfileState::new(match self.format {
                Some(import::SourceFormat::Csv) | None => self.csv.columns().to_vec(),
                _ => self.columns.clone(),
            })
        });
        rows.into_iter()
            .map(|row| {
                let record = SourceRecord {
                    row_number: row.row_number,
                    line_number: row.line_number,
                    fields: row.data,
                };
                let clock = Instant::now();
                self.validation.add(&record);
                let checked = clock.elapsed();
                profile.add(&record);
                self.validation_time += checked;
                self.profile_time += clock.elapsed() - checked;
                ImportRecord {
                    row_number: record.row_number,
                    line_number: record.line_number,
                    data: Json(Value::Object(record.fields)),
                }
            })
            .collect()
    }
}

impl Source {
    fn open(raw: &mut Value) -> (Self, &'static str) {
        let encoding = match raw.get("encoding").and_then(Value::as_str) {
            Some("windows-1252") => "windows-1252",
            Some("utf-8-bom") => "utf-8-bom",
            Some("utf-16le") => "utf-16le",
            Some("utf-16be") => "utf-16be",
            _ => "utf-8",
        };
        if raw.get("stored").and_then(Value::as_str) == Some("chunks") {
            let decoder = TextDecoder::new(encoding);
            return (Source::Chunks { next: 0, decoder }, encoding);
        }
        let text = match raw.get_mut("text").map(Value::take) {
            Some(Value::String(text)) => text,
            _ => String::new(),
        };
        // Text given inline says its byte-order mark itself.
        let (text, encoding) = match text.strip_prefix('\u{FEFF}') {
            Some(rest) => (rest.to_string(), "utf-8-bom"),
            None => (text, encoding),
        };
        (Source::Text(Some(text)), encoding)
    }

    /// The next piece of text; `None` at the end.
    async fn next(&mut self, input: &PhaseInput<'_>) -> Result<Option<String>, PhaseFailure> {
        match self {
            Source::Text(text) => Ok(text.take()),
            Source::Chunks { next: seq, decoder } => {
                let chunk = input
                    .store
                    .upload_chunk(input.scope, input.flow.id, *seq)
                    .await
                    .map_err(PhaseFailure::internal)?;
                Ok(Some(match chunk {
                    Some(bytes) => {
                        *seq += 1;
                        decoder.decode(&bytes, false)
                    }
                    // Past the last chunk: the decoder's last call flushes a sequence cut off
                    // at the very end (usually nothing).
                    None => {
                        let rest = decoder.decode(&[], true);
                        *self = Source::Text(None);
                        rest
                    }
                }))
            }
        }
    }
}

fn failed(err: ImportError) -> PhaseFailure {
    PhaseFailure::user(err.to_string())
}

pub async fn run(input: &mut PhaseInput<'_>) -> Result<PhaseSuccess, PhaseFailure> {
    let mut raw = input
        .store
        .raw_data(input.scope, input.flow.id)
        .await
        .map_err(PhaseFailure::internal)?
        .ok_or_else(|| PhaseFailure::user("the flow has no raw data to import"))?;
    let total_bytes = raw.get("bytes").and_then(Value::as_u64);
    let mut state = Import::default();
    if raw.get("container").and_then(Value::as_str) == Some("workbook") {
        drop(raw);
        let (state, report) = import_workbook(input, state).await?;
        return summarize(input, state, None, Some(report)).await;
    }
    let encoding = match raw.get("source").and_then(Value::as_str) {
        Some("records") => {
            let outcome = import::parse_records(&raw["records"]).map_err(failed)?;
            state.format = Some(import::SourceFormat::Json);
            state.columns = outcome.columns;
            state.rows = outcome.rows;
            state.keep_bad(outcome.bad_rows);
            "utf-8"
        }
        _ => {
            let (mut source, encoding) = Source::open(&mut raw);
            drop(raw);
            let (mut read, mut written) = (0u64, 0usize);
            loop {
                let piece = source.next(input).await?;
                let end = piece.is_none();
                read += piece.as_ref().map_or(0, |p| p.len() as u64);
                let (rows, back) = parse(state, piece, end).await?;
                state = back;
                for batch in rows {
                    written += batch.len();
                    let progress = total_bytes.map(|total| share(read.min(total) as usize, total as usize));
                    let message = format!("{written} rows imported");
                    input
                        .write_batch(PhaseOutput::ImportRecords(batch), progress, message)
                        .await?;
                }
                if end {
                    break;
                }
            }
            encoding
        }
    };
    // What remains: the inline JSON rows, or a last short batch.
    let mut rows_total = state.validation.rows_checked();
    while !state.rows.is_empty() {
        let (batch, back) = take(state).await?;
        state = back;
        rows_total += batch.len();
        let message = format!("{rows_total} rows imported");
        input
            .write_batch(PhaseOutput::ImportRecords(batch), None, message)
            .await?;
    }
    input.clear_if_unwritten(PhaseOutput::ImportRecords(Vec::new())).await?;
    summarize(input, state, Some(encoding), None).await
}

/// What the workbook reader hands the phase: the columns, then the rows a batch at a time.
enum FromWorkbook {
    Columns(Vec<String>),
    Rows(Vec<ImportedRow>),
}

/// A workbook upload: its chunks read back whole (its size was capped at upload), its rows
/// read on the blocking pool and written a batch at a time as they come.
async fn import_workbook(
    input: &mut PhaseInput<'_>,
    mut state: Import,
) -> Result<(Import, WorkbookReport), PhaseFailure> {
    let mut bytes = Vec::new();
    let mut seq = 0;
    while let Some(chunk) = input
        .store
        .upload_chunk(input.scope, input.flow.id, seq)
        .await
        .map_err(PhaseFailure::internal)?
    {
        bytes.extend_from_slice(&chunk);
        seq += 1;
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel(2);
    let reader = tokio::task::spawn_blocking(move || {
        let book = Workbook::open(&bytes)?;
        let stopped = |_| ImportError::Workbook("the import was stopped".into());
        tx.blocking_send(FromWorkbook::Columns(book.columns().to_vec()))
            .map_err(stopped)?;
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        let report = book.read(&mut |row| {
            batch.push(row);
            if batch.len() >= BATCH_ROWS {
                let rows = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
                tx.blocking_send(FromWorkbook::Rows(rows)).map_err(stopped)?;
            }
            Ok(())
        })?;
        if !batch.is_empty() {
            tx.blocking_send(FromWorkbook::Rows(batch)).map_err(stopped)?;
        }
        Ok::<_, ImportError>(report)
    });
    state.format = Some(import::SourceFormat::Workbook);
    let mut written = 0;
    while let Some(message) = rx.recv().await {
        match message {
            FromWorkbook::Columns(columns) => state.columns = columns,
            FromWorkbook::Rows(rows) => {
                state.rows = rows;
                let (batch, back) = take(state).await?;
                state = back;
                written += batch.len();
                let message = format!("{written} rows imported");
                input
                    .write_batch(PhaseOutput::ImportRecords(batch), None, message)
                    .await?;
            }
        }
    }
    let report = reader.await.map_err(PhaseFailure::internal)?.map_err(failed)?;
    input.clear_if_unwritten(PhaseOutput::ImportRecords(Vec::new())).await?;
    Ok((state, report))
}

/// Parses one piece off the async workers; returns the full batches it completed.
async fn parse(
    mut state: Import,
    piece: Option<String>,
    end: bool,
) -> Result<(Vec<Vec<ImportRecord>>, Import), PhaseFailure> {
    tokio::task::spawn_blocking(move || {
        state.feed(piece.as_deref()).map_err(failed)?;
        if end {
            state.finish().map_err(failed)?;
        }
        let mut batches = Vec::new();
        // JSON rows are all there at the end; CSV rows go out in full batches as they come.
        while state.format != Some(import::SourceFormat::Json) && state.rows.len() >= BATCH_ROWS {
            batches.push(state.take(BATCH_ROWS));
        }
        Ok((batches, state))
    })
    .await
    .map_err(PhaseFailure::internal)?
}

async fn take(mut state: Import) -> Result<(Vec<ImportRecord>, Import), PhaseFailure> {
    tokio::task::spawn_blocking(move || (state.take(BATCH_ROWS), state))
        .await
        .map_err(PhaseFailure::internal)
}

async fn summarize(
    input: &mut PhaseInput<'_>,
    state: Import,
    encoding: Option<&'static str>,
    workbook: Option<WorkbookReport>,
) -> Result<PhaseSuccess, PhaseFailure> {
    input
        .compute(move |log| {
            let Import {
                format,
                columns,
                delimiter,
                blank_lines,
                bad_rows,
                bad_count,
                validation,
                profile,
                validation_time,
                profile_time,
                ..
            } = state;
            let profile = profile.unwrap_or_else(|| ProfileState::new(columns.clone()));
            let validation = log
                .run_streamed::<DataValidation, _>(validation_time, || Ok(validation.finish()))?
                .value;
            let profile = log
                .run_streamed::<FormatDetection, _>(profile_time, || Ok(profile.finish()))?
                .value;
            let rows = validation.rows_checked;
            let anomalies = supervise(
                log,
                SupervisorInput::new(PhaseName::DataImport)
                    .with("rows", rows as f64)
                    .with("bad_rows", bad_count as f64)
                    .with("duplicates", validation.exact_duplicates.len() as f64),
            )?;
            let bad_rows: Vec<Value> = bad_rows
                .iter()
                .map(|bad| json!({ "line": bad.line_number, "reason": bad.reason, "raw": bad.raw }))
                .collect();
            let mut summary = json!({
                "format": format.unwrap_or(import::SourceFormat::Csv),
                "delimiter": delimiter,
                "encoding": encoding,
                "rows": rows,
                "columns": columns,
                "columnCount": columns.len(),
                "badRows": bad_count,
                "badRowDetails": bad_rows,
                "blankLines": blank_lines,
                "validation": validation,
                "columnProfile": profile,
                "supervisor": anomalies,
            });
            if let Some(workbook) = workbook {
                summary["workbook"] = json!(workbook);
            }
            Ok(PhaseSuccess::streamed("dataImport", summary, rows))
        })
        .await
}
