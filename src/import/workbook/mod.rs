//! Excel and OpenDocument workbooks (`.xlsx`, `.xlsm`, `.xls`, `.ods`): every sheet is looked
//! at, the ones listing machines are imported into one flow (each record remembering its sheet
//! and row), and the others are reported with the reason they were left.
//!
//! - `limits.rs`: what a workbook may cost (file size, unpacked size: ZIP bombs).
//! - `book.rs`: calamine, read a row at a time as typed values.
//! - `header.rs`: finding the header row; telling an inventory sheet.
//! - `rvtools.rs`: RVTools exports (`vInfo`, `vHost`).
//!
//! [`Workbook::open`] reads every sheet's top and decides; [`Workbook::read`] then streams the
//! chosen sheets' rows. Both run once when the file is uploaded (so a bad workbook is refused
//! before a flow exists) and again in the data_import phase.

mod book;
mod header;
mod limits;
mod rvtools;

use std::collections::HashSet;
use std::ops::ControlFlow;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{ImportError, ImportedRow, header_names};
use book::{Book, Row};
pub use book::{MAX_SHEET_COLUMNS, looks_like_workbook};
pub use limits::{MAX_PART_BYTES, MAX_UNPACKED_BYTES, MAX_WORKBOOK_BYTES, check_size};
use rvtools::{Cells, Kind, Vm};

/// Most named columns read from one sheet (an RVTools `vInfo` has about 100).
pub const MAX_COLUMNS: usize = 2_000;

/// The field each workbook record carries for the sheet it came from.
pub const SHEET_FIELD: &str = "source_sheet";

/// What became of one sheet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SheetReport {
    pub name: String,
    pub imported: bool,
    /// 1-based row of its header, when one was found.
    pub header_row: Option<u32>,
    /// Records it gave (after `read`).
    pub rows: u64,
    /// Why it was left out, or what its rows became.
    pub note: Option<String>,
}

/// The import report of a workbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkbookReport {
    /// `xlsx`, `xls` or `ods`.
    pub format: &'static str,
    /// The export recognised (`RVTools`), if any.
    pub recognised: Option<&'static str>,
    pub sheets: Vec<SheetReport>,
    pub rows: u64,
    pub blank_rows: u64,
    /// RVTools: virtual machine templates, left out of the inventory.
    pub templates_skipped: u64,
    /// RVTools: machines powered off (kept, with `power_state`).
    pub powered_off: u64,
}

enum Use {
    Generic,
    RvTools(Kind),
}

struct Plan {
    sheet: usize,
    header_row: u32,
    columns: Vec<(u32, String)>,
    custom: Vec<(u32, String)>,
    usage: Use,
}

/// A sheet with a header row and something under it.
struct Candidate {
    sheet: usize,
    header_row: u32,
    columns: Vec<(u32, String)>,
}

pub struct Workbook<'a> {
    book: Book<'a>,
    names: Vec<String>,
    plans: Vec<Plan>,
    columns: Vec<String>,
    hosts: Vec<String>,
    report: WorkbookReport,
}

impl<'a> Workbook<'a> {
    /// Opens the workbook and decides which sheets to import, reading each sheet's top rows.
    pub fn open(bytes: &'a [u8]) -> Result<Self, ImportError> {
        let (mut book, format) = Book::open(bytes)?;
        let sheets = book.sheets();
        let names: Vec<String> = sheets.iter().map(|s| s.name.clone()).collect();
        let mut reports: Vec<SheetReport> = names
            .iter()
            .map(|name| SheetReport {
                name: name.clone(),
                imported: false,
                header_row: None,
                rows: 0,
                note: None,
            })
            .collect();
        let mut candidates = Vec::new();
        for (index, sheet) in sheets.iter().enumerate() {
            let report = &mut reports[index];
            if let Some(what) = sheet.not_cells {
                report.note = Some(format!("{what}: no rows to read"));
                continue;
            }
            match find_candidate(&mut book, index, &sheet.name)? {
                Ok(candidate) => {
                    report.header_row = Some(candidate.header_row + 1);
                    candidates.push(candidate);
                }
                Err(reason) => report.note = Some(reason),
            }
        }
        let mut book = Workbook {
            book,
            names,
            plans: Vec::new(),
            columns: Vec::new(),
            hosts: Vec::new(),
            report: WorkbookReport {
                format,
                recognised: None,
                sheets: reports,
                rows: 0,
                blank_rows: 0,
                templates_skipped: 0,
                powered_off: 0,
            },
        };
        if rvtools::is_rvtools(&book.names) {
            book.plan_rvtools(candidates)?;
        } else {
            book.plan_generic(candidates);
        }
        if book.plans.is_empty() {
            return Err(book.nothing_to_import());
        }
        Ok(book)
    }

    /// The columns every record has, in order (the same for all sheets).
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    pub fn report(&self) -> &WorkbookReport {
        &self.report
    }

    fn plan_generic(&mut self, candidates: Vec<Candidate>) {
        let names = |c: &Candidate| c.columns.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>();
        let listing: Vec<bool> = candidates.iter().map(|c| header::names_items(&names(c))).collect();
        // Sheets naming their items win; a workbook with none such imports what it has.
        let any = listing.iter().any(|&l| l);
        for (candidate, listing) in candidates.into_iter().zip(listing) {
            // A lone column that names nothing is a title over a line of text, not a table.
            if !listing && (any || candidate.columns.len() < 2) {
                self.report.sheets[candidate.sheet].note = Some(
                    "no column names the items (a name, host name or IP address column): not an inventory sheet".into(),
                );
                continue;
            }
            self.plans.push(Plan {
                sheet: candidate.sheet,
                header_row: candidate.header_row,
                columns: candidate.columns,
                custom: Vec::new(),
                usage: Use::Generic,
            });
        }
        let mut seen = HashSet::new();
        for plan in &self.plans {
            for (_, name) in &plan.columns {
                if seen.insert(name.clone()) {
                    self.columns.push(name.clone());
                }
            }
        }
        self.push_sheet_column();
    }

    fn plan_rvtools(&mut self, candidates: Vec<Candidate>) -> Result<(), ImportError> {
        self.report.recognised = Some("RVTools");
        let mut custom_names: Vec<String> = Vec::new();
        for candidate in candidates {
            let sheet = &self.names[candidate.sheet];
            let names: Vec<String> = candidate.columns.iter().map(|(_, n)| n.clone()).collect();
            let Some(kind) = rvtools::kind(sheet, &names) else {
                self.report.sheets[candidate.sheet].note =
                    Some("RVTools detail sheet: the machines come from vInfo, their hosts from vHost".into());
                continue;
            };
            let custom = match kind {
                Kind::Vm => rvtools::custom_attributes(&candidate.columns),
                Kind::Host => Vec::new(),
            };
            for (_, name) in &custom {
                if !custom_names.contains(name) {
                    custom_names.push(name.clone());
                }
            }
            self.plans.push(Plan {
                sheet: candidate.sheet,
                header_row: candidate.header_row,
                columns: candidate.columns,
                custom,
                usage: Use::RvTools(kind),
            });
        }
        // The hosts are known before the machines are read, so each machine can name its host.
        self.plans.sort_by_key(|p| matches!(p.usage, Use::RvTools(Kind::Vm)));
        for plan in self
            .plans
            .iter()
            .filter(|p| matches!(p.usage, Use::RvTools(Kind::Host)))
        {
            let mut hosts = Vec::new();
            self.book.rows(&self.names[plan.sheet], &mut |(row, cells)| {
                if row > plan.header_row
                    && let Some(host) = rvtools::host_name(&Cells::new(&plan.columns, &cells))
                {
                    hosts.push(host);
                }
                ControlFlow::Continue(())
            })?;
            self.hosts.extend(hosts);
        }
        self.columns = rvtools::FIELDS.iter().map(|f| f.to_string()).collect();
        self.columns.extend(custom_names);
        self.push_sheet_column();
        Ok(())
    }

    fn push_sheet_column(&mut self) {
        if !self.columns.iter().any(|c| c == SHEET_FIELD) {
            self.columns.push(SHEET_FIELD.to_owned());
        }
    }

    fn nothing_to_import(&self) -> ImportError {
        let sheets = &self.report.sheets;
        if sheets
            .iter()
            .all(|s| s.note.as_deref().is_some_and(|n| n.starts_with("empty")))
        {
            return ImportError::Workbook(
                "the workbook is empty: none of its sheets has any cells. Check that you exported the \
                 right file"
                    .into(),
            );
        }
        let reasons: Vec<String> = sheets
            .iter()
            .map(|s| format!("`{}`: {}", s.name, s.note.as_deref().unwrap_or("not read")))
            .collect();
        ImportError::Workbook(format!(
            "the workbook has no sheet to import ({}). Put the inventory in a sheet with one header \
             row of column names above one row per machine",
            reasons.join("; ")
        ))
    }

    /// Streams every chosen sheet's records into `sink`, in sheet order (RVTools: hosts first).
    pub fn read(
        mut self,
        sink: &mut dyn FnMut(ImportedRow) -> Result<(), ImportError>,
    ) -> Result<WorkbookReport, ImportError> {
        let mut count = 0i64;
        let mut failed = None;
        for plan in &self.plans {
            let sheet = self.names[plan.sheet].clone();
            let mut previous = plan.header_row;
            let (mut rows, mut blank) = (0u64, 0u64);
            let report = &mut self.report;
            let (columns, hosts) = (&self.columns, &self.hosts);
            self.book.rows(&sheet, &mut |(row, cells)| {
                if row <= plan.header_row {
                    return ControlFlow::Continue(());
                }
                blank += u64::from(row - previous - 1);
                previous = row;
                let Some(mut data) = record(plan, &cells, columns, hosts, report) else {
                    return ControlFlow::Continue(());
                };
                data.insert(SHEET_FIELD.to_owned(), Value::String(sheet.clone()));
                count += 1;
                rows += 1;
                let row = ImportedRow {
                    row_number: count,
                    line_number: i64::from(row) + 1,
                    data,
                };
                match sink(row) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(err) => {
                        failed = Some(err);
                        ControlFlow::Break(())
                    }
                }
            })?;
            if let Some(err) = failed {
                return Err(err);
            }
            let sheet_report = &mut self.report.sheets[plan.sheet];
            sheet_report.imported = true;
            sheet_report.rows = rows;
            sheet_report.note = Some(match plan.usage {
                Use::Generic => format!("{rows} rows imported"),
                Use::RvTools(Kind::Vm) => format!("{rows} virtual machines imported"),
                Use::RvTools(Kind::Host) => format!("{rows} ESXi hosts imported"),
            });
            self.report.rows += rows;
            self.report.blank_rows += blank;
        }
        Ok(self.report)
    }
}

/// One row as a record with every column (null where the row has nothing); `None` when the row
/// is no record (an RVTools template, counted in the report).
fn record(
    plan: &Plan,
    cells: &[(u32, Value)],
    columns: &[String],
    hosts: &[String],
    report: &mut WorkbookReport,
) -> Option<Map<String, Value>> {
    let mut data: Map<String, Value> = columns.iter().map(|c| (c.clone(), Value::Null)).collect();
    match plan.usage {
        Use::Generic => {
            for (col, value) in cells {
                if let Some((_, name)) = plan.columns.iter().find(|(c, _)| c == col) {
                    data.insert(name.clone(), value.clone());
                }
            }
        }
        Use::RvTools(kind) => {
            let cells = Cells::new(&plan.columns, cells);
            let fields = match kind {
                Kind::Host => rvtools::host(&cells),
                Kind::Vm => match rvtools::vm(&cells, &plan.custom, hosts) {
                    Vm::Server(fields) => fields,
                    Vm::Template => {
                        report.templates_skipped += 1;
                        return None;
                    }
                },
            };
            if fields.get("power_state").and_then(Value::as_str) == Some("poweredOff") {
                report.powered_off += 1;
            }
            data.extend(fields);
        }
    }
    Some(data)
}

/// A sheet's header row and columns, or why it has none worth importing.
fn find_candidate(book: &mut Book<'_>, index: usize, sheet: &str) -> Result<Result<Candidate, String>, ImportError> {
    let mut sample: Vec<Row> = Vec::new();
    book.rows(sheet, &mut |row| {
        sample.push(row);
        if sample.len() >= header::SAMPLE_ROWS {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    if sample.is_empty() {
        return Ok(Err("empty".into()));
    }
    let Some(at) = header::find_header(&sample) else {
        return Ok(Err(format!(
            "no header row (a row of column names) in its first {} rows",
            header::SAMPLE_ROWS
        )));
    };
    let (header_row, cells) = &sample[at];
    if cells.len() > MAX_COLUMNS {
        return Err(ImportError::Workbook(format!(
            "the sheet `{sheet}` has {} column names; at most {MAX_COLUMNS} are read. Delete the \
             columns you do not need (or copy the inventory columns into a new sheet) and upload it again",
            cells.len()
        )));
    }
    if at + 1 == sample.len() {
        return Ok(Err(format!("nothing under its header row (row {})", header_row + 1)));
    }
    let cells = header::header_cells(cells);
    let texts: Vec<String> = cells.iter().map(|(_, n)| n.clone()).collect();
    let names = header_names(&texts)?;
    let columns = cells.into_iter().map(|(c, _)| c).zip(names).collect();
    Ok(Ok(Candidate {
        sheet: index,
        header_row: *header_row,
        columns,
    }))
}

#[cfg(test)]
mod tests;
