//! Workbooks written in code (rust_xlsxwriter), read back: header rows under titles and merged
//! cells, typed values, sheets chosen and skipped, RVTools, and the files that must be refused.

use std::io::{Cursor, Write};

use rust_xlsxwriter::{ExcelDateTime, Format};
use serde_json::{Value, json};

use super::*;

#[derive(Clone)]
enum C {
    S(&'static str),
    T(String),
    N(f64),
    B(bool),
    D(u16, u8, u8),
    E,
}

type Sheet = (&'static str, Vec<Vec<C>>);

fn xlsx(sheets: &[Sheet], merged_title: Option<&str>) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (index, (name, rows)) in sheets.iter().enumerate() {
        let ws = book.add_worksheet();
        ws.set_name(*name).unwrap();
        if index == 0
            && let Some(title) = merged_title
        {
            ws.merge_range(0, 0, 0, 3, title, &Format::new()).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    C::S(s) => ws.write_string(r, c, *s).map(|_| ()),
                    C::T(s) => ws.write_string(r, c, s).map(|_| ()),
                    C::N(n) => ws.write_number(r, c, *n).map(|_| ()),
                    C::B(b) => ws.write_boolean(r, c, *b).map(|_| ()),
                    C::D(y, m, d) => {
                        let at = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                        ws.write_datetime_with_format(r, c, &at, &date).map(|_| ())
                    }
                    C::E => Ok(()),
                }
                .unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn read_all(bytes: &[u8]) -> Result<(Vec<String>, Vec<ImportedRow>, WorkbookReport), ImportError> {
    let book = Workbook::open(bytes)?;
    let columns = book.columns().to_vec();
    let mut rows = Vec::new();
    let report = book.read(&mut |row| {
        rows.push(row);
        Ok(())
    })?;
    Ok((columns, rows, report))
}

fn error(bytes: &[u8]) -> String {
    match read_all(bytes) {
        Err(err) => err.to_string(),
        Ok((_, rows, _)) => panic!("expected an error, read {} rows", rows.len()),
    }
}

use C::*;

#[test]
fn header_under_a_merged_title_and_a_blank_line_with_typed_values() {
    let servers = vec![
        vec![E],
        vec![E],
        vec![S("Server Name"), S("IP"), S("CPUs"), S("Commissioned"), S("Virtual")],
        vec![S("web01"), S("10.0.0.1"), N(4.0), D(2019, 3, 1), B(true)],
        vec![E],
        vec![S("db01"), S("10.0.0.2"), N(2.5), D(2021, 12, 24), B(false)],
    ];
    let notes = vec![vec![S("Exported from the CMDB on Monday")]];
    let codes = vec![vec![S("Code"), S("Meaning")], vec![S("P"), S("Production")]];
    let bytes = xlsx(
        &[("Servers", servers), ("Notes", notes), ("Codes", codes)],
        Some("Estate report"),
    );
    let (columns, rows, report) = read_all(&bytes).unwrap();
    assert_eq!(
        columns,
        ["Server Name", "IP", "CPUs", "Commissioned", "Virtual", SHEET_FIELD]
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].line_number, 4, "Excel row of web01");
    assert_eq!(rows[1].line_number, 6);
    let web = &rows[0].data;
    assert_eq!(web["CPUs"], json!(4));
    assert_eq!(web["Commissioned"], json!("2019-03-01"), "a date, not the serial 43525");
    assert_eq!(web["Virtual"], json!(true));
    assert_eq!(web[SHEET_FIELD], json!("Servers"));
    assert_eq!(rows[1].data["CPUs"], json!(2.5));
    assert_eq!(report.format, "xlsx");
    assert_eq!(report.blank_rows, 1);
    let servers = &report.sheets[0];
    assert!(servers.imported);
    assert_eq!((servers.header_row, servers.rows), (Some(3), 2));
    let notes = &report.sheets[1];
    assert!(!notes.imported);
    assert!(
        notes.note.as_deref().unwrap().contains("nothing under its header"),
        "{notes:?}"
    );
    let codes = &report.sheets[2];
    assert!(!codes.imported);
    assert!(
        codes.note.as_deref().unwrap().contains("not an inventory sheet"),
        "{codes:?}"
    );
}

#[test]
fn inventory_sheets_share_one_column_set_and_remember_their_sheet() {
    let windows = vec![
        vec![S("Hostname"), S("OS")],
        vec![S("win01"), S("Windows Server 2012 R2")],
    ];
    let linux = vec![
        vec![S("Hostname"), S("Kernel"), S("OS")],
        vec![S("lin01"), S("5.14"), S("RHEL 9")],
        vec![S("lin02"), S("4.18"), S("RHEL 8")],
    ];
    let (columns, rows, _) = read_all(&xlsx(&[("Windows", windows), ("Linux", linux)], None)).unwrap();
    assert_eq!(columns, ["Hostname", "OS", "Kernel", SHEET_FIELD]);
    let sheets: Vec<(&str, i64, i64)> = rows
        .iter()
        .map(|r| (r.data[SHEET_FIELD].as_str().unwrap(), r.line_number, r.row_number))
        .collect();
    assert_eq!(sheets, [("Windows", 2, 1), ("Linux", 2, 2), ("Linux", 3, 3)]);
    assert_eq!(rows[0].data["Kernel"], Value::Null, "every record has every column");
}

fn rvtools() -> Vec<u8> {
    let vinfo_header = [
        "VM",
        "Powerstate",
        "Template",
        "DNS Name",
        "CPUs",
        "Memory",
        "Provisioned MiB",
        "Primary IP Address",
        "Annotation",
        "Application",
        "com.vrlcm.snapshot",
        "Datacenter",
        "Cluster",
        "Host",
        "OS according to the configuration file",
        "OS according to the VMware Tools",
    ];
    let vm = |name: &'static str, power: &'static str, template: bool, os_tools: C| {
        vec![
            S(name),
            S(power),
            B(template),
            T(format!("{name}.corp.local")),
            N(2.0),
            N(8192.0),
            N(51200.0),
            S("10.1.0.5"),
            S("note"),
            S("Payroll"),
            S("x"),
            S("DC1"),
            S("Prod"),
            S("esx01.corp.local"),
            S("Microsoft Windows Server 2008 R2 (64-bit)"),
            os_tools,
        ]
    };
    let vinfo = vec![
        vinfo_header.iter().map(|h| S(h)).collect(),
        vm("app01", "poweredOn", false, S("Red Hat Enterprise Linux 6 (64-bit)")),
        vm("app02", "poweredOff", false, E),
        vm("tmpl-w2k8", "poweredOff", true, E),
    ];
    let vhost = vec![
        vec![
            S("Host"),
            S("Datacenter"),
            S("Cluster"),
            S("# Cores"),
            S("# Memory"),
            S("ESX Version"),
        ],
        vec![
            S("esx01.corp.local"),
            S("DC1"),
            S("Prod"),
            N(32.0),
            N(524288.0),
            S("VMware ESXi 6.5.0 build-4564106"),
        ],
    ];
    let vdisk = vec![
        vec![S("VM"), S("Disk"), S("Capacity MiB")],
        vec![S("app01"), S("Hard disk 1"), N(51200.0)],
    ];
    xlsx(&[("vInfo", vinfo), ("vHost", vhost), ("vDisk", vdisk)], None)
}

#[test]
fn rvtools_machines_hosts_templates_and_custom_attributes() {
    let (columns, rows, report) = read_all(&rvtools()).unwrap();
    assert_eq!(report.recognised, Some("RVTools"));
    assert!(columns.contains(&"Application".to_string()));
    assert!(
        !columns.contains(&"com.vrlcm.snapshot".to_string()),
        "vCenter's own attribute"
    );
    assert_eq!(rows.len(), 3, "two machines and their host; the template is left out");
    assert_eq!(report.templates_skipped, 1);
    assert_eq!(report.powered_off, 1);
    let host = &rows[0].data;
    assert_eq!(host["name"], json!("esx01.corp.local"));
    assert_eq!(host["operating_system"], json!("VMware ESXi 6.5.0 build-4564106"));
    assert_eq!(host["memory_gb"], json!(512));
    assert_eq!(host[SHEET_FIELD], json!("vHost"));
    let app01 = &rows[1].data;
    assert_eq!(app01["name"], json!("app01"));
    assert_eq!(
        app01["operating_system"],
        json!("Red Hat Enterprise Linux 6 (64-bit)"),
        "VMware Tools first"
    );
    assert_eq!(
        (app01["cpu_cores"].clone(), app01["memory_gb"].clone()),
        (json!(2), json!(8))
    );
    assert_eq!(app01["storage_gb"], json!(50));
    assert_eq!(app01["fqdn"], json!("app01.corp.local"));
    assert_eq!(app01["depends_on"], json!("esx01.corp.local"));
    assert_eq!(app01["Application"], json!("Payroll"));
    assert_eq!(rows[1].line_number, 2);
    let app02 = &rows[2].data;
    assert_eq!(app02["power_state"], json!("poweredOff"));
    assert_eq!(
        app02["operating_system"],
        json!("Microsoft Windows Server 2008 R2 (64-bit)"),
        "else the configuration file's"
    );
    let vdisk = report.sheets.iter().find(|s| s.name == "vDisk").unwrap();
    assert!(!vdisk.imported && vdisk.note.as_deref().unwrap().contains("RVTools detail sheet"));
}

#[test]
fn empty_corrupt_and_xlsb_workbooks_are_refused_with_what_to_do() {
    let empty = error(&xlsx(&[("Sheet1", vec![])], None));
    assert!(empty.contains("the workbook is empty"), "{empty}");

    let bytes = rvtools();
    let truncated = error(&bytes[..bytes.len() / 2]);
    assert!(
        truncated.contains("could not be read as a workbook") && truncated.contains("save it again"),
        "{truncated}"
    );

    let not_a_sheet = error(&zip_of(&[("readme.txt", b"hello".to_vec())]));
    assert!(not_a_sheet.contains("without a workbook"), "{not_a_sheet}");

    let titles_only = error(&xlsx(
        &[("Cover", vec![vec![S("Estate report")], vec![S("2024")]])],
        None,
    ));
    assert!(
        titles_only.contains("no sheet to import") && titles_only.contains("`Cover`"),
        "{titles_only}"
    );
}

fn zip_of(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        out.start_file(*name, options).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A minimal `.xlsx` around one sheet's XML.
fn xlsx_with_sheet(sheet_xml: &str) -> Vec<u8> {
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    let workbook = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Wide" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    let workbook_rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
    zip_of(&[
        ("[Content_Types].xml", types.into()),
        ("_rels/.rels", rels.into()),
        ("xl/workbook.xml", workbook.into()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.into()),
        ("xl/worksheets/sheet1.xml", sheet_xml.as_bytes().to_vec()),
    ])
}

#[test]
fn a_sheet_with_a_million_columns_is_refused() {
    // Column BDWGN is the 1,000,000th.
    let sheet = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="BDWGN1" t="inlineStr"><is><t>far</t></is></c></row></sheetData></worksheet>"#;
    let message = error(&xlsx_with_sheet(sheet));
    assert!(
        message.contains("Wide") && message.contains("16384 columns"),
        "{message}"
    );

    // Within Excel's width, but more column names than an inventory has.
    let header: Vec<C> = (0..MAX_COLUMNS + 1).map(|i| T(format!("name {i}"))).collect();
    let row: Vec<C> = (0..MAX_COLUMNS + 1).map(|_| S("x")).collect();
    let message = error(&xlsx(&[("Wide", vec![header, row])], None));
    assert!(
        message.contains(&format!("at most {MAX_COLUMNS} are read")),
        "{message}"
    );
}

#[test]
fn a_zip_bomb_disguised_as_xlsx_is_refused_before_it_is_unpacked_for_real() {
    let zeros = vec![b' '; (MAX_PART_BYTES + (1 << 20)) as usize];
    let bomb = zip_of(&[
        ("xl/workbook.xml", b"<workbook/>".to_vec()),
        ("xl/sharedStrings.xml", zeros),
    ]);
    assert!(bomb.len() < 1 << 20, "a bomb is small: {} bytes", bomb.len());
    let message = error(&bomb);
    assert!(
        message.contains("ZIP bomb") && message.contains("sharedStrings"),
        "{message}"
    );
}

#[test]
fn size_limit_is_checked_from_the_size_alone() {
    assert!(check_size("big.xlsx", MAX_WORKBOOK_BYTES).is_ok());
    let message = check_size("big.xlsx", MAX_WORKBOOK_BYTES + 1).unwrap_err().to_string();
    assert!(
        message.contains("big.xlsx") && message.contains("at most 64 MiB"),
        "{message}"
    );
}

#[test]
fn rvtools_records_need_no_rvtools_knowledge_in_the_mapping() {
    use crate::agents::attribute_mapping::{FieldMappingAgent, MappingInput};
    use crate::agents::types::Agent;
    let (columns, _, _) = read_all(&rvtools()).unwrap();
    let out = FieldMappingAgent.run(&MappingInput { columns }).unwrap();
    for m in &out.value {
        let expected = match m.source_field.as_str() {
            "Application" => Some("application"),
            field if crate::agents::types::CANONICAL_ATTRIBUTES.contains(&field) => Some(field),
            _ => None,
        };
        assert_eq!(m.target_attribute.as_deref(), expected, "{m:?}");
    }
}

/// A minimal OpenDocument spreadsheet around one `<table:table>`.
fn ods_with_table(table: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>{table}</office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet".to_vec()),
        ("META-INF/manifest.xml", manifest.into()),
        ("content.xml", content.into_bytes()),
    ])
}

fn ods_cell(value: &str) -> String {
    match value.parse::<f64>() {
        Ok(n) => format!(
            r#"<table:table-cell office:value-type="float" office:value="{n}"><text:p>{value}</text:p></table:table-cell>"#
        ),
        Err(_) => {
            format!(r#"<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>"#)
        }
    }
}

#[test]
fn opendocument_spreadsheets_are_read_and_their_repeats_bounded() {
    let row = |cells: &[&str]| {
        format!(
            "<table:table-row>{}</table:table-row>",
            cells.iter().map(|c| ods_cell(c)).collect::<String>()
        )
    };
    // LibreOffice pads every sheet with empty repeated rows and cells: harmless.
    let padding = r#"<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#;
    let table = format!(
        r#"<table:table table:name="Servers">{}{}{}{}{padding}</table:table>"#,
        row(&["Inventory export"]),
        row(&["Hostname", "Cores", "OS"]),
        row(&["web01", "4", "Windows Server 2016"]),
        row(&["db01", "8", "RHEL 7"]),
    );
    let (columns, rows, report) = read_all(&ods_with_table(&table)).unwrap();
    assert_eq!(report.format, "ods");
    assert_eq!(columns, ["Hostname", "Cores", "OS", SHEET_FIELD]);
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].line_number, rows[0].data["Cores"].clone()), (3, json!(4)));

    let wide = format!(
        r#"<table:table table:name="Wide">{}<table:table-row><table:table-cell table:number-columns-repeated="1000000" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#,
        row(&["Hostname", "OS"])
    );
    let message = error(&ods_with_table(&wide));
    assert!(message.contains("16384 columns"), "{message}");
    let tall = format!(
        r#"<table:table table:name="Tall">{}<table:table-row table:number-rows-repeated="1048576">{}</table:table-row></table:table>"#,
        row(&["Hostname", "OS"]),
        (0..100).map(|_| ods_cell("x")).collect::<String>()
    );
    let message = error(&ods_with_table(&tall));
    assert!(message.contains("repeats its cells into more than"), "{message}");
}
