//! A workbook opened by calamine, read a row at a time as typed JSON values. `.xlsx` streams
//! its sheet XML cell by cell (rows are never held whole); `.xls` and `.ods` come as calamine's
//! ranges, which their readers build when the file is opened.

use std::io::Cursor;
use std::ops::ControlFlow;

use calamine::{Data, DataRef, ExcelDateTime, Ods, OdsError, Reader, SheetType, Xls, XlsError, Xlsx, XlsxError};
use serde_json::{Number, Value};

use super::limits::{check_zip, corrupt};
use crate::import::ImportError;

/// Excel's own widest sheet (column XFD); a cell past it is a damaged or hostile file.
pub const MAX_SHEET_COLUMNS: u32 = 16_384;

/// One non-blank row: its 0-based row index and its non-empty cells by 0-based column.
pub type Row = (u32, Vec<(u32, Value)>);

type Bytes<'a> = Cursor<&'a [u8]>;

pub enum Book<'a> {
    Xlsx(Box<Xlsx<Bytes<'a>>>),
    Xls(Box<Xls<Bytes<'a>>>),
    Ods(Box<Ods<Bytes<'a>>>),
}

/// A worksheet's name, or why it holds no rows to read (a chart or macro sheet).
pub struct SheetName {
    pub name: String,
    pub not_cells: Option<&'static str>,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// A ZIP (`.xlsx`, `.xlsm`, `.ods`) or OLE compound file (`.xls`, or an encrypted `.xlsx`).
pub fn looks_like_workbook(head: &[u8]) -> bool {
    head.starts_with(ZIP_MAGIC) || head.starts_with(CFB_MAGIC)
}

fn password() -> ImportError {
    ImportError::Workbook(
        "the workbook is password-protected, so it cannot be read: open it in Excel, remove the \
         password (File > Info > Protect Workbook > Encrypt with Password, clear the box), save it \
         and upload it again"
            .into(),
    )
}

impl<'a> Book<'a> {
    pub fn open(bytes: &'a [u8]) -> Result<(Book<'a>, &'static str), ImportError> {
        if bytes.starts_with(CFB_MAGIC) {
            return match Xls::new(Cursor::new(bytes)) {
                Ok(xls) => Ok((Book::Xls(Box::new(xls)), "xls")),
                Err(XlsError::Password) => Err(password()),
                // An encrypted .xlsx is an OLE file too; calamine's xlsx reader tells.
                Err(err) => match Xlsx::new(Cursor::new(bytes)) {
                    Err(XlsxError::Password) => Err(password()),
                    _ => Err(corrupt(&err.to_string())),
                },
            };
        }
        if !bytes.starts_with(ZIP_MAGIC) {
            return Err(corrupt("it is neither an Excel nor an OpenDocument file"));
        }
        check_zip(bytes)?;
        let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|err| corrupt(&err.to_string()))?;
        let has = |name: &str| archive.index_for_name(name).is_some();
        if has("xl/workbook.xml") {
            return match Xlsx::new(Cursor::new(bytes)) {
                Ok(xlsx) => Ok((Book::Xlsx(Box::new(xlsx)), "xlsx")),
                Err(XlsxError::Password) => Err(password()),
                Err(err) => Err(corrupt(&err.to_string())),
            };
        }
        if has("content.xml") {
            return match Ods::new(Cursor::new(bytes)) {
                Ok(ods) => Ok((Book::Ods(Box::new(ods)), "ods")),
                Err(OdsError::Password) => Err(password()),
                Err(err) => Err(corrupt(&err.to_string())),
            };
        }
        if has("xl/workbook.bin") {
            return Err(ImportError::Workbook(
                "binary Excel workbooks (.xlsb) are not read: open it in Excel, save it as .xlsx \
                 (Excel Workbook) and upload that"
                    .into(),
            ));
        }
        Err(corrupt("a ZIP archive without a workbook in it"))
    }

    pub fn sheets(&self) -> Vec<SheetName> {
        let metadata = match self {
            Book::Xlsx(book) => book.sheets_metadata(),
            Book::Xls(book) => book.sheets_metadata(),
            Book::Ods(book) => book.sheets_metadata(),
        };
        metadata
            .iter()
            .map(|sheet| SheetName {
                name: sheet.name.clone(),
                not_cells: match sheet.typ {
                    SheetType::WorkSheet => None,
                    SheetType::ChartSheet => Some("a chart sheet"),
                    SheetType::DialogSheet => Some("a dialog sheet"),
                    SheetType::MacroSheet | SheetType::Vba => Some("a macro sheet"),
                },
            })
            .collect()
    }

    /// Calls `each` with every non-blank row of `sheet`, in order, until it breaks.
    pub fn rows(&mut self, sheet: &str, each: &mut dyn FnMut(Row) -> ControlFlow<()>) -> Result<(), ImportError> {
        let failed = |err: String| sheet_error(sheet, &err);
        let range = match self {
            Book::Xlsx(book) => return stream_xlsx(book, sheet, each),
            Book::Xls(book) => book.worksheet_range(sheet).map_err(|e| failed(e.to_string()))?,
            Book::Ods(book) => book.worksheet_range(sheet).map_err(|e| failed(e.to_string()))?,
        };
        let Some((row0, col0)) = range.start() else {
            return Ok(());
        };
        for (i, cells) in range.rows().enumerate() {
            let row: Vec<(u32, Value)> = cells
                .iter()
                .enumerate()
                .filter_map(|(j, cell)| Some((col0 + j as u32, data_value(cell)?)))
                .collect();
            if !row.is_empty() && each((row0 + i as u32, row)).is_break() {
                break;
            }
        }
        Ok(())
    }
}

fn stream_xlsx(
    book: &mut Xlsx<Bytes<'_>>,
    sheet: &str,
    each: &mut dyn FnMut(Row) -> ControlFlow<()>,
) -> Result<(), ImportError> {
    let failed = |err: XlsxError| sheet_error(sheet, &err.to_string());
    let mut reader = book.worksheet_cells_reader(sheet).map_err(failed)?;
    let mut current: Option<Row> = None;
    while let Some(cell) = reader.next_cell().map_err(failed)? {
        let (row, col) = cell.get_position();
        if col >= MAX_SHEET_COLUMNS {
            return Err(too_wide(sheet, col));
        }
        let Some(value) = data_ref_value(cell.get_value()) else {
            continue;
        };
        match &mut current {
            Some((at, cells)) if *at == row => cells.push((col, value)),
            _ => {
                if let Some(done) = current.replace((row, vec![(col, value)]))
                    && each(done).is_break()
                {
                    return Ok(());
                }
            }
        }
    }
    if let Some(done) = current {
        let _ = each(done);
    }
    Ok(())
}

fn sheet_error(sheet: &str, detail: &str) -> ImportError {
    if detail.contains("Column") && detail.contains("verflow") {
        return too_wide(sheet, MAX_SHEET_COLUMNS);
    }
    corrupt(&format!("sheet `{sheet}`: {detail}"))
}

pub fn too_wide(sheet: &str, col: u32) -> ImportError {
    ImportError::Workbook(format!(
        "the sheet `{sheet}` has cells in column {} or further, past the {MAX_SHEET_COLUMNS} columns \
         a spreadsheet can have: the file is damaged. Copy the inventory rows into a new workbook, \
         save it as .xlsx and upload that",
        col.saturating_add(1)
    ))
}

fn number(f: f64) -> Option<Value> {
    // Whole numbers come as integers (a count of CPUs is `4`, not `4.0`).
    if f.fract() == 0.0 && f.abs() < 9e15 {
        return Some(Value::from(f as i64));
    }
    Number::from_f64(f).map(Value::Number)
}

fn text(s: &str) -> Option<Value> {
    let s = s.trim();
    (!s.is_empty()).then(|| Value::String(s.to_owned()))
}

/// A date as ISO 8601: `2024-03-01`, or `2024-03-01T08:30:00` when it has a time of day.
fn date(dt: &ExcelDateTime) -> Option<Value> {
    if dt.is_duration() {
        return number(dt.as_f64());
    }
    let at = dt.as_datetime()?;
    let formatted = if at.time() == chrono::NaiveTime::MIN {
        at.format("%Y-%m-%d").to_string()
    } else {
        at.format("%Y-%m-%dT%H:%M:%S").to_string()
    };
    Some(Value::String(formatted))
}

fn data_ref_value(cell: &DataRef<'_>) -> Option<Value> {
    match cell {
        DataRef::Int(i) => Some(Value::from(*i)),
        DataRef::Float(f) => number(*f),
        DataRef::String(s) => text(s),
        DataRef::SharedString(s) => text(s),
        DataRef::Bool(b) => Some(Value::Bool(*b)),
        DataRef::DateTime(dt) => date(dt),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => text(s),
        DataRef::Error(_) | DataRef::Empty => None,
    }
}

fn data_value(cell: &Data) -> Option<Value> {
    match cell {
        Data::Int(i) => Some(Value::from(*i)),
        Data::Float(f) => number(*f),
        Data::String(s) => text(s),
        Data::Bool(b) => Some(Value::Bool(*b)),
        Data::DateTime(dt) => date(dt),
        Data::DateTimeIso(s) | Data::DurationIso(s) => text(s),
        Data::Error(_) | Data::Empty => None,
    }
}
