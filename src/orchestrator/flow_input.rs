//! What a new flow starts from: its type, name and configuration, and the raw export (CSV text,
//! JSON records or an uploaded file), checked before anything is stored.

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
/// empty one; the file itself is stored in chunks as it is read again (`Store::insert_flow`).
pub(super) async fn upload_json(filename: String, file: std::fs::File) -> AppResult<(Value, std::fs::File)> {
    let (sniffed, file) = tokio::task::spawn_blocking(move || {
        let mut file = file;
        let sniffed = crate::import::sniff(&mut file);
        (sniffed, file)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
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
