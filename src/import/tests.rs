//! The importer against malformed, oddly encoded and oddly shaped inputs.

use super::csv::{AFTER_QUOTE, UNTERMINATED};
use super::outcome::RAW_LIMIT;
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

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut bytes = if big_endian { vec![0xFE, 0xFF] } else { vec![0xFF, 0xFE] };
    for unit in text.encode_utf16() {
        let pair = if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        };
        bytes.extend_from_slice(&pair);
    }
    bytes
}

#[test]
fn utf16_tab_delimited_text_with_its_byte_order_mark() {
    // Excel's "Unicode Text" and PowerShell's Out-File: UTF-16 with a BOM, tab-delimited.
    let text = "Server\tOS\tOwner\nweb01\tWindows Server 2012 R2\tJosé Müller\nbad\trow\n";
    for (big_endian, name) in [(false, "utf-16le"), (true, "utf-16be")] {
        let out = parse_bytes(&utf16(text, big_endian)).unwrap();
        assert_eq!((out.encoding, out.delimiter.as_deref()), (name, Some("\t")));
        assert_eq!(out.columns, ["Server", "OS", "Owner"]);
        assert_eq!(out.rows[0].data["Owner"], json!("José Müller"));
        // The same per-line report as any CSV.
        assert_eq!(bad_lines(&out), [(3, "expected 3 fields, found 2")]);
    }
}

#[test]
fn utf16_uploads_are_sniffed_and_decoded_piece_by_piece() {
    let text = "name\tnote\nweb01\tcafé ☕\n";
    let bytes = utf16(text, false);
    let sniffed = sniff(&mut std::io::Cursor::new(&bytes)).unwrap();
    assert_eq!((sniffed.encoding, sniffed.empty), ("utf-16le", false));
    // Pieces cut mid code unit still decode to the whole text.
    let mut decoder = TextDecoder::new(sniffed.encoding);
    let mut decoded: String = bytes.chunks(3).map(|piece| decoder.decode(piece, false)).collect();
    decoded.push_str(&decoder.decode(&[], true));
    assert_eq!(decoded, text);
    let blank = utf16("  \n", true);
    assert!(sniff(&mut std::io::Cursor::new(&blank)).unwrap().empty);
}
