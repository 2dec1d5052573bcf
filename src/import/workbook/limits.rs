//! What a workbook may cost before it is read: its size on disk, and what its ZIP parts unpack
//! to (counted by unpacking them, since a ZIP's declared sizes can lie).

use std::io::{self, Cursor, Read};

use crate::import::ImportError;

/// Largest workbook file accepted. Calamine holds the file, the shared-string table and (for
/// `.xls` and `.ods`) each sheet's cells in memory: within the server's 512 MB, with the
/// unpacked limit below, this leaves room for the batches being written and other requests.
pub const MAX_WORKBOOK_BYTES: u64 = 64 << 20;

/// Most a workbook's ZIP parts may unpack to in total (an `.xlsx` of 64 MiB usually unpacks to
/// 200–400 MiB of XML, but it is streamed sheet by sheet; what stays in memory is far less).
pub const MAX_UNPACKED_BYTES: u64 = 1 << 30;

/// A single part larger than this (uncompressed) is refused: the shared strings and an `.ods`
/// `content.xml` are read whole.
pub const MAX_PART_BYTES: u64 = 128 << 20;

const MIB: u64 = 1 << 20;

/// Refuses a workbook too large to read, before a byte of it is.
pub fn check_size(filename: &str, bytes: u64) -> Result<(), ImportError> {
    if bytes > MAX_WORKBOOK_BYTES {
        return Err(ImportError::Workbook(format!(
            "the workbook `{filename}` is {} MiB; at most {} MiB are read. Save the inventory sheets \
             alone (or as CSV, which has no size limit here) and upload that",
            bytes.div_ceil(MIB),
            MAX_WORKBOOK_BYTES / MIB
        )));
    }
    Ok(())
}

/// Unpacks every part of a ZIP-based workbook into nothing, counting, so a ZIP bomb is refused
/// before calamine unpacks any part for real.
pub fn check_zip(bytes: &[u8]) -> Result<(), ImportError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|err| corrupt(&err.to_string()))?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        let mut part = archive.by_index(index).map_err(|err| corrupt(&err.to_string()))?;
        let name = part.name().to_owned();
        if part.size() > MAX_PART_BYTES {
            return Err(too_big(&name, part.size()));
        }
        let mut limited = (&mut part).take(MAX_PART_BYTES + 1);
        let counted = if name == "content.xml" {
            // An OpenDocument sheet: its repeat counts are checked before calamine expands them.
            let mut xml = Vec::new();
            limited.read_to_end(&mut xml).map_err(|err| corrupt(&err.to_string()))?;
            if xml.len() as u64 <= MAX_PART_BYTES {
                check_ods_repeats(&xml)?;
            }
            xml.len() as u64
        } else {
            io::copy(&mut limited, &mut io::sink()).map_err(|err| corrupt(&err.to_string()))?
        };
        if counted > MAX_PART_BYTES {
            return Err(too_big(&name, counted));
        }
        total += counted;
        if total > MAX_UNPACKED_BYTES {
            return Err(ImportError::Workbook(format!(
                "the workbook unpacks to more than {} MiB (it is compressed more than any spreadsheet \
                 is: a damaged file or a ZIP bomb). Save the inventory sheets alone as .xlsx or CSV \
                 and upload that",
                MAX_UNPACKED_BYTES / MIB
            )));
        }
    }
    Ok(())
}

/// Most cells an OpenDocument spreadsheet's repeat counts may expand to: calamine writes every
/// repeated valued cell out (a cell repeated a billion times would be a billion cells).
pub const MAX_ODS_CELLS: u64 = 20_000_000;

/// The numeric value of `attribute="N"` inside `tag`, if present.
fn repeat(tag: &[u8], attribute: &[u8]) -> u64 {
    let Some(at) = tag.windows(attribute.len()).position(|w| w == attribute) else {
        return 1;
    };
    let digits = tag[at + attribute.len()..].iter().take_while(|b| b.is_ascii_digit());
    digits
        .fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')))
        .max(1)
}

/// Walks an `.ods` `content.xml`'s row and cell tags, adding up the cells their
/// `number-rows-repeated` and `number-columns-repeated` counts expand to (valued cells only:
/// calamine leaves trailing empty repeats alone).
fn check_ods_repeats(xml: &[u8]) -> Result<(), ImportError> {
    let (mut total, mut row_repeat, mut row_cells, mut widest) = (0u64, 1u64, 0u64, 0u64);
    let mut rest = xml;
    while let Some(at) = rest.iter().position(|&b| b == b'<') {
        rest = &rest[at + 1..];
        let end = rest.iter().position(|&b| b == b'>').unwrap_or(rest.len());
        let tag = &rest[..end];
        if tag.starts_with(b"table:table-row") {
            row_repeat = repeat(tag, b"table:number-rows-repeated=\"");
        } else if tag.starts_with(b"/table:table-row") {
            total = total.saturating_add(row_cells.saturating_mul(row_repeat));
            widest = widest.max(row_cells);
            (row_cells, row_repeat) = (0, 1);
        } else if (tag.starts_with(b"table:table-cell") || tag.starts_with(b"table:covered-table-cell"))
            && tag.windows(17).any(|w| w == b"office:value-type")
        {
            row_cells = row_cells.saturating_add(repeat(tag, b"table:number-columns-repeated=\""));
        }
        if widest > u64::from(super::book::MAX_SHEET_COLUMNS) || row_cells > u64::from(super::book::MAX_SHEET_COLUMNS) {
            return Err(ImportError::Workbook(format!(
                "a sheet repeats its cells past the {} columns a spreadsheet can have: the file is \
                 damaged. Copy the inventory rows into a new workbook, save it and upload that",
                super::book::MAX_SHEET_COLUMNS
            )));
        }
        if total > MAX_ODS_CELLS {
            return Err(ImportError::Workbook(format!(
                "the spreadsheet repeats its cells into more than {MAX_ODS_CELLS} values: a damaged \
                 file, not an inventory. Copy the inventory rows into a new sheet, save it as .ods \
                 or .xlsx and upload that"
            )));
        }
        rest = &rest[end..];
    }
    Ok(())
}

fn too_big(part: &str, bytes: u64) -> ImportError {
    ImportError::Workbook(format!(
        "the workbook's part `{part}` unpacks to more than {} MiB ({} MiB or more): a damaged file \
         or a ZIP bomb, not a spreadsheet. Save the inventory sheets alone as .xlsx or CSV and \
         upload that",
        MAX_PART_BYTES / MIB,
        bytes.div_ceil(MIB)
    ))
}

pub(super) fn corrupt(detail: &str) -> ImportError {
    ImportError::Workbook(format!(
        "the file could not be read as a workbook ({detail}): it is damaged or not a spreadsheet. \
         Open it in Excel or LibreOffice, save it again as .xlsx, and upload that"
    ))
}
