//! Workbooks and UTF-16 text through the real server: an RVTools export discovered end to end,
//! and the files that must be refused before a flow exists.

use std::collections::BTreeSet;
use std::io::{Cursor, Write};

use flowgraph::domain::Role;
use rust_xlsxwriter::Workbook;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp, dependency_edges, error_code, nodes};
use crate::on_both_databases;

const EXECUTE_FLOW: &str = "mutation($id: ID!) { executeFlow(flowId: $id, wait: true) {
    status phases { name status error result } } }";

const ASSETS: &str = "query($id: ID!) { flow(id: $id) { assets(first: 500) { totalCount edges { node {
    name assetType operatingSystem application environment cpuCores memoryGb storageGb ipAddress attributes
    techDebt { lifecycleStatus } dependencies { target { name } } } } } } }";

const HOSTS: usize = 6;
const MACHINES: usize = 300;

/// What the generated estate should be found to hold.
struct Truth {
    templates: usize,
    powered_off: BTreeSet<String>,
    /// (machine, application, environment)
    applications: Vec<(String, String, String)>,
    edges: BTreeSet<(String, String)>,
    end_of_life: BTreeSet<String>,
    supported: BTreeSet<String>,
}

/// An RVTools-shaped workbook: a cover line and RVTools' own columns in `vInfo` (templates,
/// powered-off machines, `Application` and `Environment` custom attributes), `vHost`, and
/// detail sheets that are not read.
fn rvtools_export() -> (Vec<u8>, Truth) {
    let mut book = Workbook::new();
    let vinfo = book.add_worksheet();
    vinfo.set_name("vInfo").unwrap();
    let header = [
        "VM",
        "Powerstate",
        "Template",
        "SRM Placeholder",
        "Config status",
        "DNS Name",
        "Connection state",
        "CPUs",
        "Memory",
        "NICs",
        "Disks",
        "Total disk capacity MiB",
        "Primary IP Address",
        "Provisioned MiB",
        "In Use MiB",
        "Annotation",
        "Application",
        "Environment",
        "com.vrlcm.snapshot",
        "Datacenter",
        "Cluster",
        "Host",
        "OS according to the configuration file",
        "OS according to the VMware Tools",
        "VM UUID",
    ];
    for (c, h) in header.iter().enumerate() {
        vinfo.write_string(0, c as u16, *h).unwrap();
    }
    let apps = ["Payroll", "CRM", "Intranet"];
    let mut truth = Truth {
        templates: 0,
        powered_off: BTreeSet::new(),
        applications: Vec::new(),
        edges: BTreeSet::new(),
        end_of_life: BTreeSet::new(),
        supported: BTreeSet::new(),
    };
    for i in 0..MACHINES {
        let r = i as u32 + 1;
        let name = format!("vm{i:03}");
        let template = i % 25 == 0;
        let power = if i % 10 == 3 { "poweredOff" } else { "poweredOn" };
        let host = format!("esx{:02}.corp.local", i % HOSTS);
        // These two are versioned names the lifecycle catalogue already knows as past support;
        // the `... or later (64-bit)` family wording is the catalogue's own work (not asserted).
        let (config_os, tools_os) = match i % 7 {
            0 => ("Microsoft Windows Server 2008 R2 (64-bit)", ""),
            1 => ("Other Linux (64-bit)", "Red Hat Enterprise Linux 6 (64-bit)"),
            _ => ("Microsoft Windows Server 2022 (64-bit)", ""),
        };
        let (app, env) = (apps[i % 3], if i % 2 == 0 { "Production" } else { "Test" });
        let row: Vec<Value> = vec![
            json!(name),
            json!(power),
            json!(template),
            json!(false),
            json!("green"),
            json!(format!("{name}.corp.local")),
            json!("connected"),
            json!(2 + (i % 3) * 2),
            json!(8192),
            json!(1),
            json!(1),
            json!(40960),
            json!(format!("10.20.{}.{}", i / 200, i % 200 + 10)),
            json!(40960),
            json!(20480),
            json!(""),
            json!(app),
            json!(env),
            json!(""),
            json!("DC1"),
            json!("Prod"),
            json!(host),
            json!(config_os),
            json!(tools_os),
            json!(format!("4210{i:04}")),
        ];
        for (c, v) in row.iter().enumerate() {
            let c = c as u16;
            match v {
                Value::String(s) if s.is_empty() => {}
                Value::String(s) => drop(vinfo.write_string(r, c, s).unwrap()),
                Value::Bool(b) => drop(vinfo.write_boolean(r, c, *b).unwrap()),
                other => drop(vinfo.write_number(r, c, other.as_f64().unwrap()).unwrap()),
            }
        }
        if template {
            truth.templates += 1;
            continue;
        }
        if power == "poweredOff" {
            truth.powered_off.insert(name.clone());
        }
        truth.applications.push((name.clone(), app.into(), env.into()));
        truth.edges.insert((name.clone(), host));
        if i % 7 < 2 {
            truth.end_of_life.insert(name);
        } else {
            truth.supported.insert(name);
        }
    }
    let vhost = book.add_worksheet();
    vhost.set_name("vHost").unwrap();
    let header = [
        "Host",
        "Datacenter",
        "Cluster",
        "CPU Model",
        "# CPU",
        "# Cores",
        "# Memory",
        "ESX Version",
        "Vendor",
        "Model",
    ];
    for (c, h) in header.iter().enumerate() {
        vhost.write_string(0, c as u16, *h).unwrap();
    }
    for h in 0..HOSTS {
        let r = h as u32 + 1;
        let version = if h < 3 {
            "VMware ESXi 6.5.0 build-4564106"
        } else {
            "VMware ESXi 8.0.2 build-22380479"
        };
        vhost.write_string(r, 0, format!("esx{h:02}.corp.local")).unwrap();
        vhost.write_string(r, 1, "DC1").unwrap();
        vhost.write_string(r, 2, "Prod").unwrap();
        vhost.write_string(r, 3, "Intel(R) Xeon(R) Gold 6248").unwrap();
        vhost.write_number(r, 4, 2).unwrap();
        vhost.write_number(r, 5, 40).unwrap();
        vhost.write_number(r, 6, 786_432).unwrap();
        vhost.write_string(r, 7, version).unwrap();
        vhost.write_string(r, 8, "Dell Inc.").unwrap();
        vhost.write_string(r, 9, "PowerEdge R740").unwrap();
    }
    for detail in ["vDisk", "vNetwork", "vSnapshot"] {
        let sheet = book.add_worksheet();
        sheet.set_name(detail).unwrap();
        sheet.write_string(0, 0, "VM").unwrap();
        sheet.write_string(0, 1, "Details").unwrap();
        sheet.write_string(1, 0, "vm001").unwrap();
        sheet.write_string(1, 1, "x").unwrap();
    }
    (book.save_to_buffer().unwrap(), truth)
}

fn lower(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_lowercase()
}

async fn rvtools_export_is_discovered_end_to_end(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let (bytes, truth) = rvtools_export();
    let id = app.upload_flow(&token, "RVTools_export_all.xlsx", bytes).await;
    let done = app.data(&token, EXECUTE_FLOW, json!({ "id": id })).await["executeFlow"].clone();
    assert_eq!(done["status"], "COMPLETED", "{done:#}");

    // The import report: what was recognised, read and left.
    let import = done["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "DATA_IMPORT")
        .unwrap();
    let workbook = &import["result"]["workbook"];
    assert_eq!(workbook["recognised"], "RVTools", "{import:#}");
    assert_eq!(workbook["templatesSkipped"], truth.templates);
    assert_eq!(workbook["poweredOff"], truth.powered_off.len());
    let sheets: Vec<(String, bool)> = workbook["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["imported"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(sheets[..2], [("vInfo".to_string(), true), ("vHost".to_string(), true)]);
    assert!(sheets[2..].iter().all(|(_, imported)| !imported));

    let data = app.data(&token, ASSETS, json!({ "id": id })).await;
    let assets: Vec<Value> = nodes(&data["flow"]["assets"]);
    assert_eq!(
        assets.len(),
        MACHINES - truth.templates + HOSTS,
        "machines and hosts, no templates"
    );
    assert!(assets.iter().all(|a| a["assetType"] == "server"));
    let by_name = |name: &str| assets.iter().find(|a| lower(&a["name"]) == name).unwrap();

    for (machine, application, environment) in &truth.applications {
        let asset = by_name(machine);
        assert_eq!(asset["application"], *application, "{asset:#}");
        assert_eq!(lower(&asset["environment"]), environment.to_lowercase());
    }
    let vm001 = by_name("vm001");
    // Stored normalised, with the VMware Tools text (taken before the configuration file's) as written.
    assert_eq!(vm001["operatingSystem"], "Red Hat Enterprise Linux 6");
    assert_eq!(
        vm001["attributes"]["operating_system_raw"], "Red Hat Enterprise Linux 6 (64-bit)",
        "VMware Tools first"
    );
    assert_eq!(
        (vm001["cpuCores"].clone(), vm001["memoryGb"].clone()),
        (json!(4), json!(8.0))
    );
    assert_eq!(vm001["storageGb"], 40.0);
    for machine in &truth.powered_off {
        assert_eq!(by_name(machine)["attributes"]["power_state"], "poweredOff");
    }
    let host = by_name("esx00.corp.local");
    assert_eq!(host["operatingSystem"], "VMware ESXi 6.5.0");
    assert_eq!(
        host["attributes"]["operating_system_raw"],
        "VMware ESXi 6.5.0 build-4564106"
    );
    assert_eq!(host["cpuCores"], 40);

    let edges: BTreeSet<(String, String)> = dependency_edges(&assets);
    assert_eq!(edges, truth.edges, "each machine depends on the host it runs on");

    let expired = |a: &Value| {
        a["techDebt"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["lifecycleStatus"] == "EOL_EXPIRED")
    };
    for machine in &truth.end_of_life {
        assert!(
            expired(by_name(machine)),
            "{machine} runs an OS past its end of support"
        );
    }
    for machine in &truth.supported {
        assert!(!expired(by_name(machine)), "{machine} runs Windows Server 2022");
    }
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

async fn unreadable_workbooks_are_refused_before_a_flow_exists(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let (good, _) = rvtools_export();
    let mut empty_book = Workbook::new();
    empty_book.add_worksheet();
    let mut wide = Workbook::new();
    let sheet = wide.add_worksheet();
    for c in 0..2_500u16 {
        sheet.write_string(0, c, format!("field {c}")).unwrap();
        sheet.write_string(1, c, "x").unwrap();
    }
    let bomb = zip_of(&[
        ("xl/workbook.xml", b"<workbook/>".to_vec()),
        ("xl/sharedStrings.xml", vec![b' '; 200 << 20]),
    ]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "damaged.xlsx",
            good[..good.len() / 3].to_vec(),
            "save it again as .xlsx",
        ),
        (
            "locked.xlsx",
            include_bytes!("../fixtures/password-protected.xlsx").to_vec(),
            "remove the password",
        ),
        (
            "empty.xlsx",
            empty_book.save_to_buffer().unwrap(),
            "the workbook is empty",
        ),
        (
            "wide.xlsx",
            wide.save_to_buffer().unwrap(),
            "Delete the columns you do not need",
        ),
        ("bomb.xlsx", bomb, "ZIP bomb"),
    ];
    for (name, bytes, says) in cases {
        let response: Value = app.upload(&token, name, bytes).await.unwrap().json().await.unwrap();
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{name}: {response:#}");
        let message = response["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(name) && message.contains(says), "{name}: {message}");
    }
    let flows = app.data(&token, "{ flows { totalCount } }", json!({})).await;
    assert_eq!(flows["flows"]["totalCount"], 0, "nothing half-imported");
}

async fn utf16_tab_delimited_upload_imports_with_its_line_report(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let text = "Server Name\tIP Address\tOperating System\r\nweb01\t10.0.0.1\tWindows Server 2019\r\nbroken\r\ndb01\t10.0.0.2\tRed Hat Enterprise Linux 8\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let id = app.upload_flow(&token, "servers.txt", bytes).await;
    let run = "mutation($id: ID!) { executePhase(flowId: $id, phase: DATA_IMPORT, wait: true) { status result } }";
    let phase = app.data(&token, run, json!({ "id": id })).await["executePhase"].clone();
    assert_eq!(phase["status"], "COMPLETED", "{phase:#}");
    let result = &phase["result"];
    assert_eq!(
        (result["encoding"].clone(), result["delimiter"].clone()),
        (json!("utf-16le"), json!("\t"))
    );
    assert_eq!(result["rows"], 2);
    assert_eq!(
        result["columns"],
        json!(["Server Name", "IP Address", "Operating System"])
    );
    assert_eq!(result["badRowDetails"][0]["line"], 3);
}

on_both_databases!(
    rvtools_export_is_discovered_end_to_end,
    unreadable_workbooks_are_refused_before_a_flow_exists,
    utf16_tab_delimited_upload_imports_with_its_line_report,
);
