//! JSON imports: an array of objects (or an object holding exactly one array), nested objects
//! flattened into dotted keys.

use std::io;

use serde_json::{Map, Value};

use std::collections::HashSet;

use super::outcome::{ImportError, ImportOutcome, RAW_LIMIT, SourceFormat, to_i64};

pub(super) fn json_error(err: serde_json::Error) -> ImportError {
    let (line, column) = (err.line(), err.column());
    let full = err.to_string();
    // serde_json appends the position to its message; we report it in our own wording.
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    ImportError::InvalidJson { line, column, message }
}

pub(super) fn json_outcome(value: &Value, encoding: &'static str) -> Result<ImportOutcome, ImportError> {
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
