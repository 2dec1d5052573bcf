//! The real server driven in headless Chromium: the GraphiQL playground and the console.
//! Each runs on SQLite and on PostgreSQL (when `TEST_DATABASE_URL` is set), like `tests/api`.
//! Each test skips, saying so, when no Chromium binary is installed (`.ci/run` installs one).
//! Screenshots land in `target/screenshots/`. Every scenario fails on any Content-Security-Policy
//! violation its pages report (`Browser::assert_no_csp_violations`).

mod cdp;
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

use std::path::PathBuf;

use cdp::Browser;
use flowgraph::auth::{Claims, JwtKeys};
use flowgraph::domain::Role;
use helpers::{Backend, SAMPLE_CSV, Tenant, TestApp};
use serde_json::json;

/// A file with `contents` under a fresh temporary folder, for an `<input type=file>`.
fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowgraph-upload-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// GraphiQL 3's editors are CodeMirror 5 instances; the page script reads and writes them.
const QUERY_EDITOR: &str = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror";
const RESULT: &str = "(document.querySelector('.graphiql-response .CodeMirror') || {CodeMirror: {getValue: () => ''}}).CodeMirror.getValue()";

/// Clicks the run button once GraphiQL has parsed the editor's one operation, of `kind`: it
/// parses after a debounce, and it sends whatever it parsed last (a subscription parsed as the
/// previous query goes over HTTP; several operations turn the button into a menu).
async fn run_in_graphiql(browser: &mut Browser, kind: &str) {
    browser
        .wait_for(
            "GraphiQL to parse the operation",
            &format!(
                "{QUERY_EDITOR}.operations && {QUERY_EDITOR}.operations.length === 1 \
                 && {QUERY_EDITOR}.operations[0].operation === '{kind}' \
                 && !document.querySelector('.graphiql-execute-button[aria-haspopup]')"
            ),
            30,
        )
        .await;
    browser
        .eval("document.querySelector('.graphiql-execute-button').click()")
        .await;
}

/// The page's policy is in force and the test hears about its refusals: an inline script, a
/// script and connections (fetch and websocket) to another host are refused and reported. Then
/// the record is cleared, so the scenario's own check counts only what the page itself does.
async fn assert_the_policy_refuses_and_reports(browser: &mut Browser) {
    browser.assert_no_csp_violations().await;
    browser
        .eval(
            "(() => { \
               const inline = document.createElement('script'); \
               inline.textContent = 'window.__inlineRan = true'; \
               document.head.appendChild(inline); \
               const remote = document.createElement('script'); \
               remote.src = 'http://elsewhere.invalid/x.js'; \
               document.head.appendChild(remote); \
               fetch('http://elsewhere.invalid/steal').catch(() => {}); \
               try { new WebSocket('ws://elsewhere.invalid/graphql/ws'); } catch (e) {} \
             })()",
        )
        .await;
    let refused = browser
        .wait_for(
            "the four refusals",
            "window.__cspViolations.length >= 4 && window.__cspViolations.map(v => v.directive).sort()",
            10,
        )
        .await;
    assert_eq!(
        refused,
        json!(["connect-src", "connect-src", "script-src-elem", "script-src-elem"]),
        "{:#}",
        browser.eval("window.__cspViolations").await
    );
    assert_eq!(browser.eval("window.__inlineRan === undefined").await, json!(true));
    browser.eval("window.__cspViolations.length = 0").await;
}

async fn playground_runs_a_query_and_receives_a_subscription_event(app: TestApp) {
    let Some(mut browser) = Browser::launch().await else {
        return;
    };
    let token = app.token(Tenant::new(), Role::Analyst);
    let flow = app.sample_flow(&token).await;

    browser.goto(&app.url(&format!("/playground#token={token}"))).await;
    browser
        .wait_for("the GraphiQL editor", &format!("!!{QUERY_EDITOR}"), 30)
        .await;
    // The token left the address bar and sits in the Headers tab.
    assert_eq!(browser.eval("location.hash").await, json!(""));
    assert_the_policy_refuses_and_reports(&mut browser).await;

    let query = "query Flows {\n  flows(first: 5) {\n    totalCount\n    nodes { id name status }\n  }\n}\n";
    browser
        .eval(&format!("{QUERY_EDITOR}.setValue({})", json!(query)))
        .await;
    run_in_graphiql(&mut browser, "query").await;
    let result = browser
        .wait_for(
            "the query's result",
            &format!("{RESULT}.includes('totalCount') && {RESULT}"),
            30,
        )
        .await;
    let result: serde_json::Value = serde_json::from_str(result.as_str().unwrap()).unwrap();
    assert_eq!(result["data"]["flows"]["totalCount"], json!(1), "{result:#}");
    assert_eq!(result["data"]["flows"]["nodes"][0]["id"], json!(flow));

    // A subscription from the page; the test makes the event over HTTP. The page subscribes
    // asynchronously, so the phase is run again (it is idempotent) until an event shows.
    let subscription = format!(
        "subscription Phases {{\n  phaseUpdates(flowId: \"{flow}\") {{\n    phase status progress sequence at\n  }}\n}}\n"
    );
    browser
        .eval(&format!("{QUERY_EDITOR}.setValue({})", json!(subscription)))
        .await;
    run_in_graphiql(&mut browser, "subscription").await;
    browser
        .wait_for(
            "the subscription to run",
            "document.querySelector('.graphiql-execute-button').getAttribute('aria-label').startsWith('Stop')",
            30,
        )
        .await;
    let mut event = None;
    for _ in 0..20 {
        app.data(
            &token,
            "mutation($id: ID!) { executePhase(flowId: $id, phase: DATA_IMPORT, wait: true) { status } }",
            json!({ "id": flow }),
        )
        .await;
        let shown = browser.eval(RESULT).await;
        if shown.as_str().is_some_and(|s| s.contains("phaseUpdates")) {
            event = Some(shown);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let Some(event) = event else {
        let shot = browser.screenshot("failed-playground-subscription.png").await;
        panic!(
            "no phaseUpdates event in the result pane ({}): {}",
            shot.display(),
            browser.eval(RESULT).await
        );
    };
    let event: serde_json::Value = serde_json::from_str(event.as_str().unwrap()).unwrap();
    assert_eq!(
        event["data"]["phaseUpdates"]["phase"],
        json!("DATA_IMPORT"),
        "{event:#}"
    );
    screenshot(&mut browser, &app, "playground.png").await;
    // GraphiQL's panels and dialogs work under the page's policy (its dialogs add the one inline
    // style the policy allows by hash, src/http/pages.rs).
    browser
        .eval("document.querySelector('[aria-label=\"Show Documentation Explorer\"]').click()")
        .await;
    browser
        .wait_for(
            "the documentation explorer",
            "!!document.querySelector('.graphiql-doc-explorer')",
            10,
        )
        .await;
    for button in ["Open settings dialog", "Open short keys dialog"] {
        browser
            .eval(&format!("document.querySelector('[aria-label=\"{button}\"]').click()"))
            .await;
        browser
            .wait_for(button, "!!document.querySelector('[role=dialog]')", 10)
            .await;
        browser
            .eval("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))")
            .await;
        browser
            .wait_for("the dialog to close", "!document.querySelector('[role=dialog]')", 10)
            .await;
    }
    // The subscription's websocket to this server was allowed by connect-src 'self'.
    browser.assert_no_csp_violations().await;
}

/// Counts rows matching `selector` in the page.
fn count(selector: &str) -> String {
    format!("document.querySelectorAll({}).length", json!(selector))
}

/// A screenshot without the passing notifications (the README shows some of these); the
/// PostgreSQL run's names start with `postgres-`.
async fn screenshot(browser: &mut Browser, app: &TestApp, name: &str) {
    browser
        .eval("document.querySelectorAll('.toasts .msg').forEach(m => m.remove())")
        .await;
    let name = match app.backend {
        Backend::Sqlite => name.to_string(),
        Backend::Postgres => format!("postgres-{name}"),
    };
    browser.screenshot(&name).await;
}

fn text(selector: &str) -> String {
    format!("(document.querySelector({}) || {{}}).textContent", json!(selector))
}

async fn console_runs_a_discovery_live_from_upload_to_dependency_map(mut app: TestApp) {
    let Some(mut browser) = Browser::launch().await else {
        return;
    };
    let tenant = Tenant::new();
    let token = app.token(tenant, Role::Analyst);

    browser.goto(&app.url(&format!("/console#token={token}"))).await;
    browser
        .wait_for("the role to show", &format!("{} === 'analyst'", text("#role")), 30)
        .await;
    assert_eq!(
        browser.eval("location.hash").await,
        json!("#/flows"),
        "the token left the address bar"
    );
    // A marker that a reload would wipe: everything below happens in this one page.
    browser.eval("window.__sameDocument = true").await;
    assert_the_policy_refuses_and_reports(&mut browser).await;

    // A file that is neither CSV nor JSON gets a message, not an upload.
    let picture = temp_file("estate.png", b"\x89PNG\r\n\x1a\nnot a spreadsheet");
    browser.set_file("#upload-file", &picture).await;
    browser
        .wait_for(
            "the not-a-CSV message",
            &format!(
                "{}.includes('is not a workbook, CSV or JSON file')",
                text("#upload-message")
            ),
            10,
        )
        .await;

    // Upload the sample CSV; the page creates the flow (multipart) and starts it.
    let csv = temp_file("cmdb_sample.csv", SAMPLE_CSV.as_bytes());
    browser.set_file("#upload-file", &csv).await;
    browser.eval("document.querySelector('#upload-start').click()").await;
    browser
        .wait_for("the approval gate", "document.querySelector('#approve')", 60)
        .await;
    let flow_id = browser.eval("location.hash.split('/')[2]").await;
    let flow_id = flow_id.as_str().unwrap().to_string();
    // The import's report and the mappings with their confidence and reasoning.
    assert_eq!(browser.eval(&text("#import-rows")).await, json!("31"));
    assert!(browser.eval(&count("#mapping-review tbody tr")).await.as_u64().unwrap() >= 10);
    let reasoning = browser.eval(&text("#mapping-review tbody tr td:last-child")).await;
    assert!(
        reasoning.as_str().is_some_and(|r| r.len() > 10),
        "reasoning shown: {reasoning}"
    );
    let pending = browser.eval(&count("#timeline li[data-status='PENDING']")).await;
    assert_eq!(pending, json!(4), "four phases wait behind the gate");
    screenshot(&mut browser, &app, "console-approval.png").await;

    // The server goes away at the gate: the page says so and keeps trying; a server on the same
    // address (same database) brings the live view back, and the approval below is watched
    // over the resumed subscription.
    let addr = app.base.trim_start_matches("http://").to_string();
    drop(app.stop.take());
    browser
        .wait_for(
            "the reconnecting banner",
            "!document.querySelector('#conn-banner').hidden",
            30,
        )
        .await;
    screenshot(&mut browser, &app, "console-reconnecting.png").await;
    let _back = app.replica(|settings| settings.addr = addr).await;
    browser
        .wait_for("the banner to go", "document.querySelector('#conn-banner').hidden", 60)
        .await;

    // The consultant keeps `Owner` as an extra attribute instead of its suggested mapping, and
    // approves; every phase completes without a reload, driven by phaseUpdates.
    browser
        .eval("const o = document.querySelector('#mappings select[data-source=\"Owner\"]'); o.value = ''; o.dispatchEvent(new Event('change'))")
        .await;
    browser.eval("document.querySelector('#approve').click()").await;
    browser
        .wait_for(
            "every phase to complete",
            &format!("{} === 6", count("#timeline li[data-status='COMPLETED']")),
            90,
        )
        .await;
    browser
        .wait_for("the asset count", &format!("{} === '30'", text("#flow-assets")), 30)
        .await;
    browser
        .wait_for(
            "the completed status",
            "document.querySelector('#flow-status [data-status=COMPLETED]')",
            30,
        )
        .await;
    assert_eq!(browser.eval("window.__sameDocument").await, json!(true), "no reload");
    // The server agrees with what the page shows.
    let flow = app
        .data(
            &token,
            "query($id: ID!) { flow(id: $id) { status fieldMappings { sourceField targetAttribute agent status } } }",
            json!({ "id": flow_id }),
        )
        .await;
    assert_eq!(flow["flow"]["status"], json!("COMPLETED"));
    let mappings = flow["flow"]["fieldMappings"].as_array().unwrap();
    let owner = mappings.iter().find(|m| m["sourceField"] == "Owner").unwrap();
    assert_eq!(
        owner["targetAttribute"],
        json!(null),
        "the override reached the server: {owner}"
    );
    assert_eq!(owner["agent"], json!("user"));
    assert!(mappings.iter().all(|m| m["status"] == "approved"), "{mappings:?}");
    screenshot(&mut browser, &app, "console-flow.png").await;

    // The flow list shows it, completed.
    browser.eval("location.hash = '#/flows'").await;
    browser
        .wait_for(
            "the completed flow in the list",
            &format!("document.querySelector('tr[data-flow=\"{flow_id}\"] [data-status=COMPLETED]')"),
            30,
        )
        .await;
    screenshot(&mut browser, &app, "console-flows.png").await;

    // Inventory: 30 assets, paged by 25, searchable.
    browser.eval(&format!("location.hash = '#/inventory/{flow_id}'")).await;
    browser
        .wait_for("the inventory", &format!("{} === '30'", text("#asset-count")), 30)
        .await;
    assert_eq!(browser.eval(&count("#assets tbody tr")).await, json!(25));
    screenshot(&mut browser, &app, "console-inventory.png").await;
    // Sorted by risk, highest first, over all 30 (not just the page shown).
    browser
        .eval("document.querySelector('th[data-sort=risk]').click()")
        .await;
    let risks = browser
        .eval("[...document.querySelectorAll('#assets tbody tr td:last-child')].map(td => Number(td.textContent) || 0)")
        .await;
    let risks: Vec<u64> = serde_json::from_value(risks).unwrap();
    assert!(
        risks.windows(2).all(|w| w[0] >= w[1]) && risks[0] > risks[24],
        "{risks:?}"
    );
    browser
        .eval("const s = document.querySelector('#asset-search'); s.value = 'db'; s.dispatchEvent(new Event('input'))")
        .await;
    let matches = browser.eval(&count("#assets tbody tr")).await.as_u64().unwrap();
    assert!((1..25).contains(&matches), "search narrows the table: {matches} rows");
    // Export: the rows shown, as CSV (the test reads the file's blob instead of the download).
    let csv = browser
        .eval(
            "new Promise(done => { const make = URL.createObjectURL.bind(URL); \
             URL.createObjectURL = blob => { blob.text().then(done); return make(blob); }; \
             document.querySelector('#export-csv').click(); })",
        )
        .await;
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("name,assetType,environment,"), "{csv}");
    assert_eq!(csv.lines().count() as u64, matches + 1, "{csv}");

    // An assessment made from the discovery flow plans waves; the map shows them.
    let assessment = app
        .create_flow(
            &token,
            json!({ "flowType": "ASSESSMENT", "name": "Wave plan", "masterFlowId": flow_id }),
        )
        .await;
    app.data(
        &token,
        "mutation($id: ID!) { executeFlow(flowId: $id, wait: true) { status } }",
        json!({ "id": assessment["id"] }),
    )
    .await;

    // Dependencies: every asset and the sample's 30 edges drawn.
    browser
        .eval(&format!("location.hash = '#/dependencies/{flow_id}'"))
        .await;
    let drawn = browser
        .wait_for(
            "the dependency picture",
            "window.__cy && !window.__cy.destroyed() && [window.__cy.nodes().length, window.__cy.edges().length]",
            30,
        )
        .await;
    assert_eq!(drawn, json!([30, 30]));
    let waves = browser.eval(&count("#waves .wave")).await.as_u64().unwrap();
    assert!(waves >= 2, "{waves} waves listed");
    let marked = browser
        .eval("window.__cy.nodes().filter(n => / W\\d+$/.test(n.data('label'))).length")
        .await;
    assert_eq!(marked, json!(30), "every asset is marked with its wave");
    screenshot(&mut browser, &app, "console-dependencies.png").await;

    // Agents: seventeen, live from agentHealth.
    browser.eval("location.hash = '#/agents'").await;
    browser
        .wait_for(
            "seventeen agents",
            &format!("{} === 17", count("#agents [data-agent]")),
            30,
        )
        .await;
    screenshot(&mut browser, &app, "console-agents.png").await;

    assert_eq!(browser.eval("window.__sameDocument").await, json!(true), "no reload");

    // A token the server refuses (a bad signature) sends the page back to sign-in with why.
    let forged = format!("{}x", &token[..token.len() - 1]);
    browser.goto(&app.url(&format!("/console#token={forged}"))).await;
    browser
        .wait_for(
            "the refused-token message",
            &format!("{}.includes('refused your token')", text("#signin-message")),
            30,
        )
        .await;

    // An expired token is turned away before any request.
    let keys = JwtKeys::new(app.settings.jwt_secret.as_ref().unwrap().expose().as_bytes());
    let expired = keys
        .issue(&Claims {
            sub: uuid::Uuid::new_v4(),
            client_account_id: tenant.client_account_id,
            engagement_id: Some(tenant.engagement_id),
            role: Role::Viewer,
            exp: chrono::Utc::now().timestamp() - 3600,
        })
        .unwrap();
    browser.goto(&app.url(&format!("/console#token={expired}"))).await;
    browser
        .wait_for(
            "the expired-token message",
            &format!("{}.includes('expired')", text("#signin-message")),
            30,
        )
        .await;
    screenshot(&mut browser, &app, "console-signin.png").await;
    browser.assert_no_csp_violations().await;
}

async fn console_shows_a_viewer_no_buttons_it_may_not_press(app: TestApp) {
    let Some(mut browser) = Browser::launch().await else {
        return;
    };
    let tenant = Tenant::new();
    let analyst = app.token(tenant, Role::Analyst);
    // One short line at the end (line 33) for the import report.
    let csv = format!("{SAMPLE_CSV}broken_host,Server\n");
    let flow = app
        .create_flow(
            &analyst,
            json!({ "flowType": "DISCOVERY", "name": "gated", "csv": csv,
                    "configuration": { "requireMappingApproval": true } }),
        )
        .await;
    let id = flow["id"].as_str().unwrap();
    app.data(
        &analyst,
        "mutation($id: ID!) { executeFlow(flowId: $id, wait: true) { status } }",
        json!({ "id": id }),
    )
    .await;

    // No link this time: the viewer pastes the token into the sign-in form.
    let viewer = app.token(tenant, Role::Viewer);
    browser.goto(&app.url("/console")).await;
    browser
        .wait_for("the sign-in form", "document.querySelector('#token-input')", 30)
        .await;
    browser
        .eval(&format!(
            "document.querySelector('#token-input').value = {}; document.querySelector('#signin').click()",
            json!(format!("Bearer {viewer}"))
        ))
        .await;
    browser
        .wait_for("the flow list", &format!("{} === 1", count("tr[data-flow]")), 30)
        .await;
    assert_eq!(browser.eval(&text("#role")).await, json!("viewer"));
    assert_eq!(
        browser.eval(&count("#upload-file")).await,
        json!(0),
        "no upload for a viewer"
    );
    browser.eval(&format!("location.hash = '#/flows/{id}'")).await;
    browser
        .wait_for("the mapping review", "document.querySelector('#mapping-review')", 30)
        .await;
    assert_eq!(browser.eval(&count("#approve")).await, json!(0), "no approve button");
    // The import report lists the refused line and why.
    assert_eq!(browser.eval(&text("#import-bad")).await, json!("1"));
    let refused = browser.eval(&text("#bad-rows tbody")).await;
    let refused = refused.as_str().unwrap();
    assert!(
        refused.starts_with("33") && refused.contains("expected 13 fields"),
        "{refused}"
    );
    browser
        .eval("document.querySelector('#import-report').scrollIntoView()")
        .await;
    screenshot(&mut browser, &app, "console-viewer-import-report.png").await;
    assert_eq!(
        browser.eval(&count("#flow-actions button")).await,
        json!(0),
        "no lifecycle buttons"
    );
    browser.assert_no_csp_violations().await;
}

on_both_databases!(
    playground_runs_a_query_and_receives_a_subscription_event,
    console_runs_a_discovery_live_from_upload_to_dependency_map,
    console_shows_a_viewer_no_buttons_it_may_not_press,
);
