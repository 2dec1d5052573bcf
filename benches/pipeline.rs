//! The `pipeline` step: a generated CMDB uploaded and run through every phase by the server binary
//! in a process of its own, with each phase's rate and the server's memory; on PostgreSQL, raw
//! COPY of the same rows beside it.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection;

use super::measure::status_mb;
use super::server::{Server, drop_database, fresh_database};

/// The server binary in a process of its own on the bench's database, so the pipeline's memory
/// figures are the server's alone. Killed when dropped.
struct ServerProcess {
    child: std::process::Child,
    base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    async fn start(url: &str, secret: &str) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_flowgraph"))
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("FLOWGRAPH_ADDR", format!("127.0.0.1:{port}"))
            .env("FLOWGRAPH_JWT_SECRET", secret)
            .env("FLOWGRAPH_MAX_BODY_BYTES", (4u64 << 30).to_string())
            .env("FLOWGRAPH_REQUEST_TIMEOUT_SECONDS", "7200")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the server binary starts");
        let server = ServerProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        for _ in 0..300 {
            if http.get(format!("{}/health", server.base)).send().await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server process did not start");
    }

    /// A memory figure of the server process, in MB (`VmRSS` now, `VmHWM` its peak).
    fn memory_mb(&self, field: &str) -> f64 {
        status_mb(&format!("/proc/{}/status", self.child.id()), field)
    }
}

/// The generated CMDB as a one-sheet `.xlsx` (numbers as numbers), as Excel would save it.
fn as_workbook(csv: &str) -> Vec<u8> {
    let parsed = flowgraph::import::parse_text(csv).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("CMDB").unwrap();
    for (c, column) in parsed.columns.iter().enumerate() {
        sheet.write_string(0, c as u16, column).unwrap();
    }
    for (r, row) in parsed.rows.iter().enumerate() {
        for (c, column) in parsed.columns.iter().enumerate() {
            let Some(text) = row.data[column].as_str() else {
                continue;
            };
            let (r, c) = (r as u32 + 1, c as u16);
            match text.parse::<f64>() {
                Ok(n) => drop(sheet.write_number(r, c, n).unwrap()),
                Err(_) => drop(sheet.write_string(r, c, text).unwrap()),
            }
        }
    }
    book.save_to_buffer().unwrap()
}

pub async fn pipeline(server: &Server, rows: usize, workbook: bool) {
    // A database of its own: the in-process server's workers must not take the pipeline's runs.
    let (url, cleanup) = fresh_database(server.label).await.expect("a database for the pipeline");
    let process = ServerProcess::start(&url, &server.secret).await;
    let csv = flowgraph::fixtures::generated_cmdb(rows);
    let (file, name) = match workbook {
        true => (as_workbook(&csv), "cmdb.xlsx"),
        false => (csv.clone().into_bytes(), "cmdb.csv"),
    };
    let bytes = file.len();
    let clock = Instant::now();
    // The multipart upload a consultant's browser sends: the server spools it to a file.
    let operations = json!({
        "query": "mutation($file: Upload!) { createFlow(input: { flowType: DISCOVERY, name: \"bench\", file: $file }) { id } }",
        "variables": { "file": null }
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part("0", reqwest::multipart::Part::bytes(file).file_name(name));
    let created: Value = server
        .http
        .post(format!("{}/graphql", process.base))
        .bearer_auth(&server.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["createFlow"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_string();
    let created = clock.elapsed();
    let after_upload = process.memory_mb("VmHWM");
    // The server's resident memory, sampled while the phases run.
    let (done_tx, mut done_rx) = tokio::sync::oneshot::channel::<()>();
    let pid = process.child.id();
    let sampler = tokio::spawn(async move {
        let mut samples = Vec::new();
        loop {
            samples.push((chrono::Utc::now(), status_mb(&format!("/proc/{pid}/status"), "VmRSS")));
            tokio::select! {
                _ = &mut done_rx => return samples,
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
    });
    let done = server
        .gql_at(
            &process.base,
            "mutation($id: ID!) { executeFlow(flowId: $id, wait: true) { status performanceMetrics phases { name startedAt completedAt } assets { totalCount } } }",
            json!({ "id": id }),
        )
        .await;
    let total = clock.elapsed();
    let _ = done_tx.send(());
    let samples = sampler.await.unwrap();
    let flow = &done["executeFlow"];
    assert_eq!(flow["status"], "COMPLETED", "{done}");
    let assets = flow["assets"]["totalCount"].as_f64().unwrap();
    println!(
        "\n## pipeline: {rows} rows as {name} ({bytes} bytes) on {} ({} assets)",
        server.label, assets
    );
    println!("| phase | ms | items | items/s | server RSS max MB |\n|---|---:|---:|---:|---:|");
    println!(
        "| createFlow (upload) | {:.0} | {rows} | {:.0} | {after_upload:.0} |",
        created.as_secs_f64() * 1000.0,
        rows as f64 / created.as_secs_f64()
    );
    let metrics = &flow["performanceMetrics"];
    // Each phase's window of samples: from its run's start to its end, as the server recorded them.
    let window = |phase: &str| -> Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
        let run = flow["phases"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == phase.to_uppercase())?;
        Some((
            run["startedAt"].as_str()?.parse().ok()?,
            run["completedAt"].as_str()?.parse().ok()?,
        ))
    };
    for phase in [
        "data_import",
        "attribute_mapping",
        "data_cleansing",
        "inventory",
        "dependency_analysis",
        "tech_debt_analysis",
    ] {
        let m = &metrics[phase];
        let peak = window(phase).map_or(0.0, |(from, until)| {
            samples
                .iter()
                .filter(|(at, _)| *at >= from && *at <= until)
                .map(|(_, mb)| *mb)
                .fold(0.0, f64::max)
        });
        println!(
            "| {phase} | {} | {} | {} | {peak:.0} |",
            m["durationMs"], m["items"], m["itemsPerSecond"]
        );
    }
    println!(
        "| **end to end** | {:.0} | {assets} | **{:.0} assets/s** | |",
        total.as_secs_f64() * 1000.0,
        assets / total.as_secs_f64()
    );
    println!(
        "server peak RSS (its own process, VmHWM): {:.0} MB",
        process.memory_mb("VmHWM")
    );
    drop(process);

    if server.label == "postgres" {
        use futures_util::TryStreamExt;
        // The ceiling for the import: COPY of the same rows into an unindexed table.
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("CREATE UNLOGGED TABLE bench_copy (line TEXT)")
            .execute(&mut conn)
            .await
            .unwrap();
        let body: String = csv
            .lines()
            .skip(1)
            .map(|l| format!("{}\n", l.replace('\\', "\\\\").replace('\t', "\\t")))
            .collect();
        // Rows per second of one COPY … FROM STDIN of `data`.
        async fn timed_copy(conn: &mut sqlx::PgConnection, statement: &str, data: &[u8], rows: f64) -> f64 {
            let clock = Instant::now();
            let mut copy = conn.copy_in_raw(statement).await.unwrap();
            copy.send(data).await.unwrap();
            copy.finish().await.unwrap();
            rows / clock.elapsed().as_secs_f64()
        }
        let copy_rate = timed_copy(
            &mut conn,
            "COPY bench_copy (line) FROM STDIN",
            body.as_bytes(),
            rows as f64,
        )
        .await;
        let import_rate = metrics["data_import"]["itemsPerSecond"].as_f64().unwrap_or(0.0);
        println!(
            "raw COPY: {copy_rate:.0} rows/s; data_import / COPY = {:.2}",
            import_rate / copy_rate
        );
        // PostgreSQL's own floor for these rows: COPY of what data_import stored (the same JSONB,
        // primary key and tenant index, logged) into a table of the same shape. Only the
        // row-level security is missing: COPY FROM refuses tables that have it.
        sqlx::raw_sql("CREATE TABLE bench_same (LIKE raw_import_records INCLUDING ALL)")
            .execute(&mut conn)
            .await
            .unwrap();
        let stored: Vec<u8> = conn
            .copy_out_raw("COPY raw_import_records TO STDOUT")
            .await
            .unwrap()
            .try_fold(Vec::new(), |mut all, chunk| async move {
                all.extend_from_slice(&chunk);
                Ok(all)
            })
            .await
            .unwrap();
        let same_rate = timed_copy(&mut conn, "COPY bench_same FROM STDIN", &stored, rows as f64).await;
        println!(
            "COPY of the stored rows into a table of the same shape: {same_rate:.0} rows/s; data_import / it = {:.2}",
            import_rate / same_rate
        );
    }
    drop_database(&url, cleanup.as_ref()).await;
}
