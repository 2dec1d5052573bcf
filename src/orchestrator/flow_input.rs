//! What a new flow starts from: its type, name and configuration, and the raw export (CSV text,
//! JSON records or an uploaded file), checked before anything is stored.

use std::io::{Read, Seek, SeekFrom};

use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::FlowType;
use crate::error::{AppError, AppResult};

/// The raw CMDB export a discovery flow starts from.
#[derive(Debug)]
pub enum RawInput {
    Csv(String),
    Records(Value),
    /// A multipart upload, spooled to a temporary file as it arrived.
    File {
        filename: String,
        file: std::fs::File,
    },
}

#[derive(Debug)]
pub struct NewFlow {
    pub flow_type: FlowType,
    pub name: String,
    pub engagement_id: Option<Uuid>,
    pub raw: Option<RawInput>,
    pub configuration: Option<Value>,
    pub master_flow_id: Option<Uuid>,
}

/// Normalises the raw input into the JSON kept in `raw_data`, refusing what can't be imported.
pub(super) fn raw_data_json(raw: RawInput) -> AppResult<Value> {
    match raw {
        RawInput::Csv(text) => {
            if text.trim_start_matches('\u{feff}').trim().is_empty() {
                return Err(AppError::bad_input("csv is empty"));
            }
            Ok(json!({ "source": "csv", "text": text }))
        }
        RawInput::Records(records @ (Value::Array(_) | Value::Object(_))) => {
            Ok(json!({ "source": "records", "records": records }))
        }
        RawInput::Records(_) => Err(AppError::bad_input("records must be a JSON array of objects")),
        RawInput::File { .. } => Err(AppError::bad_input("an upload is stored by upload_json")),
    }
}

/// Reads the uploaded file once (off the async workers) to tell its encoding and refuse an
/// empty one; a workbook is read through, so one that cannot be imported is refused before a
/// flow exists. The file itself is stored in chunks as it is read again (`Store::insert_flow`).
pub(super) async fn upload_json(filename: String, file: std::fs::File) -> AppResult<(Value, std::fs::File)> {
    let (checked, file) = tokio::task::spawn_blocking(move || {
        let mut file = file;
        let checked = match is_workbook(&mut file) {
            Ok(true) => Upload::Workbook(check_workbook(&filename, &mut file)),
            Ok(false) => Upload::Text(crate::import::sniff(&mut file), filename),
            Err(err) => Upload::Text(Err(err), filename),
        };
        (checked, file)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let (sniffed, filename) = match checked {
        Upload::Workbook(raw) => return Ok((raw?, file)),
        Upload::Text(sniffed, filename) => (sniffed, filename),
    };
    let sniffed = sniffed.map_err(|_| AppError::bad_input("the uploaded file could not be read"))?;
    if sniffed.empty {
        return Err(AppError::bad_input(format!("the file `{filename}` is empty")));
    }
    let raw = json!({
        "source": "file",
        "filename": filename,
        "encoding": sniffed.encoding,
        "bytes": sniffed.bytes,
        "stored": "chunks",
    });
    Ok((raw, file))
}

/// What the first read of an upload found.
enum Upload {
    Workbook(AppResult<Value>),
    Text(std::io::Result<crate::import::Sniffed>, String),
}

/// A ZIP or OLE file by its first bytes (then rewound).
fn is_workbook(file: &mut std::fs::File) -> std::io::Result<bool> {
    let mut head = [0u8; 8];
    let n = file.read(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(crate::import::workbook::looks_like_workbook(&head[..n]))
}

/// Reads an uploaded workbook through (its size checked first, from the file's length alone) and
/// returns its `raw_data`, with the sheets it will import; any problem is the uploader's to fix.
fn check_workbook(filename: &str, file: &mut std::fs::File) -> AppResult<Value> {
    use crate::import::workbook::{Workbook, check_size};
    let refused = |err: crate::import::ImportError| AppError::bad_input(format!("`{filename}`: {err}"));
    let unreadable = |_| AppError::bad_input("the uploaded file could not be read");
    let bytes = file.metadata().map_err(unreadable)?.len();
    check_size(filename, bytes).map_err(refused)?;
    let mut content = Vec::with_capacity(bytes as usize);
    file.read_to_end(&mut content).map_err(unreadable)?;
    file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    let book = Workbook::open(&content).map_err(refused)?;
    let report = book.read(&mut |_| Ok(())).map_err(refused)?;
    Ok(json!({
        "source": "file",
        "container": "workbook",
        "filename": filename,
        "bytes": bytes,
        "stored": "chunks",
        "workbook": report,
    }))
}
