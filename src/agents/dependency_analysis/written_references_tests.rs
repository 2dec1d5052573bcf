//! `dependency_mapping` on references as clients write them: lists joined by any separator,
//! short phrases in several languages, items named by host name, FQDN or any of an asset's
//! addresses, and names that hold a separator themselves.

use serde_json::json;

use super::dependency_mapping::{CONFIDENCE_HOST, CONFIDENCE_IP, CONFIDENCE_NAME, DependencyMap};
use super::test_support::map;
use crate::agents::asset_table::AssetTable;
use crate::agents::test_fixtures::{asset, dep};
use crate::agents::types::AssetFacts;
use crate::agents::vocabulary::addresses::ADDITIONAL_IPS;

fn server(name: &str, ip: &str, more_ips: &[&str]) -> AssetFacts {
    let mut a = asset(name, "server");
    a.hostname = Some(name.to_lowercase());
    a.fqdn = Some(format!("{}.corp.example.com", name.to_lowercase()));
    a.ip_address = (!ip.is_empty()).then(|| ip.to_string());
    if !more_ips.is_empty() {
        a.attributes.insert(ADDITIONAL_IPS.into(), json!(more_ips));
    }
    a
}

/// web01 (10.0.0.1, also 192.168.0.1 and fe80::1), web02 (10.0.0.2), db01 (no address), the
/// application `HR Portal` and the asset `ERP/CRM + Gateway`, whose name holds separators.
fn estate() -> Vec<AssetFacts> {
    vec![
        server("WEB01", "10.0.0.1", &["192.168.0.1", "fe80::1"]),
        server("web02", "10.0.0.2", &[]),
        server("db01", "", &[]),
        asset("HR Portal", "application"),
        asset("ERP/CRM + Gateway", "application"),
    ]
}

fn targets(t: &AssetTable, m: &DependencyMap, source: &str) -> Vec<String> {
    m.edges
        .iter()
        .filter(|e| t.key(e.source) == source)
        .map(|e| t.key(e.target).to_string())
        .collect()
}

fn unresolved(t: &AssetTable, m: &DependencyMap) -> Vec<String> {
    m.unresolved.iter().map(|u| u.text(t).to_string()).collect()
}

/// The targets and unresolved texts of one application depending on `cell`.
fn resolve(cell: &str) -> (Vec<String>, Vec<String>) {
    let mut assets = estate();
    assets.push(dep("app", "application", &[cell]));
    let (t, m) = map(&assets);
    (targets(&t, &m, "app"), unresolved(&t, &m))
}

#[test]
fn lists_resolve_whatever_joins_them() {
    for cell in [
        "web01 + web02",
        "web01+web02",
        "web01/web02",
        "web01 / web02",
        "web01 | web02",
        "web01\nweb02",
        "web01\r\nweb02",
        "web01 ; web02",
        "web01,web02",
        "web01 & web02",
        "web01 and web02",
        "web01 web02",
        "web01\tweb02",
        " web01 +\n web02 / ",
        "web01.corp.example.com + 10.0.0.2",
        "WEB01 / Web02.Corp.Example.Com.",
        "10.0.0.1/24 + 10.0.0.2/24",
        "10.0.0.1/10.0.0.2",
        "(web01) (web02)",
        "web01 -> web02",
        "\"web01\"; 'web02'",
    ] {
        assert_eq!(
            resolve(cell),
            (vec!["web01".to_string(), "web02".to_string()], vec![]),
            "{cell:?}"
        );
    }
}

#[test]
fn a_name_that_holds_a_separator_resolves_whole_first() {
    assert_eq!(
        resolve("ERP/CRM + Gateway"),
        (vec!["erp/crm + gateway".to_string()], vec![])
    );
    assert_eq!(
        resolve("erp/crm + gateway; web02 / db01"),
        (
            vec!["db01".to_string(), "erp/crm + gateway".to_string(), "web02".to_string()],
            vec![]
        )
    );
}

#[test]
fn short_phrases_in_any_language_resolve_by_the_words_that_name_an_asset() {
    for cell in [
        // French
        "hébergée sur web01",
        "serveur : web01",
        "tourne sur web01.corp.example.com",
        "Hébergé sur le serveur WEB01.",
        // German
        "läuft auf web01",
        "Server: 10.0.0.1",
        "gehostet auf WEB01",
        "installiert auf Host web01",
        // Spanish
        "alojado en web01",
        "depende de web01",
        "servidor: web01.corp.example.com",
        // Italian
        "ospitato su web01",
        "gira su web01",
        // Portuguese
        "hospedado em web01",
        "executa em 192.168.0.1",
        // Dutch
        "draait op web01",
        "gehost op web01",
        // English
        "runs on web01",
        "hosted on web01 (primary)",
        "depends on: web01",
        "host=web01",
    ] {
        assert_eq!(resolve(cell), (vec!["web01".to_string()], vec![]), "{cell:?}");
    }
    assert_eq!(resolve("läuft auf web01 und web02").0, ["web01", "web02"]);
    assert_eq!(resolve("uses HR Portal").0, ["hr portal"]);
    assert_eq!(resolve("hébergée sur web01 + db01").0, ["db01", "web01"]);
}

#[test]
fn unresolved_parts_are_reported_as_written() {
    // A whole reference, a list item and a phrase that name nothing.
    assert_eq!(resolve("ghost"), (vec![], vec!["ghost".to_string()]));
    assert_eq!(
        resolve("web01 + ghost + 10.9.9.9"),
        (
            vec!["web01".to_string()],
            vec!["10.9.9.9".to_string(), "ghost".to_string()]
        )
    );
    assert_eq!(
        resolve("läuft auf srv0099"),
        (vec![], vec!["läuft auf srv0099".to_string()])
    );
    // Beside a word that resolved, a leftover that looks like a name is reported; a word of the
    // language is not.
    assert_eq!(
        resolve("läuft auf web01 und srv0099"),
        (vec!["web01".to_string()], vec!["srv0099".to_string()])
    );
}

#[test]
fn every_address_of_an_asset_resolves_and_a_primary_wins() {
    for cell in [
        "10.0.0.1",
        "192.168.0.1",
        "fe80::1",
        "FE80::1",
        "[fe80::1]",
        "::ffff:10.0.0.1",
        "10.0.0.1:8080",
        "192.168.0.1/24",
    ] {
        let mut assets = estate();
        assets.push(dep("app", "application", &[cell]));
        let (t, m) = map(&assets);
        assert_eq!(targets(&t, &m, "app"), ["web01"], "{cell:?}");
        assert_eq!(m.edges[0].confidence, CONFIDENCE_IP, "{cell:?}");
    }
    // Another asset's primary address wins over web01's additional one, whatever the order.
    let mut assets = estate();
    assets.insert(0, server("zz-mgmt", "192.168.0.1", &[]));
    assets.push(dep("app", "application", &["192.168.0.1"]));
    let (t, m) = map(&assets);
    assert_eq!(targets(&t, &m, "app"), ["zz-mgmt"]);
    // An IPv6 primary address.
    let assets = vec![
        server("v6", "2001:db8::10", &[]),
        dep("app", "application", &["2001:DB8:0::10"]),
    ];
    let (t, m) = map(&assets);
    assert_eq!(targets(&t, &m, "app"), ["v6"]);
}

#[test]
fn confidence_follows_how_each_item_resolved() {
    let mut assets = estate();
    assets.push(dep("app", "application", &["db01 + web02.corp.example.com + 10.0.0.1"]));
    let (t, m) = map(&assets);
    let confidence: Vec<(&str, f64)> = m.edges.iter().map(|e| (t.key(e.target), e.confidence)).collect();
    assert_eq!(
        confidence,
        [
            ("db01", CONFIDENCE_NAME),
            ("web01", CONFIDENCE_IP),
            ("web02", CONFIDENCE_HOST)
        ]
    );
    assert_eq!(m.references, 3);
}

/// A tiny deterministic generator (a linear congruential one): the same cells every run.
struct Dice(u64);

impl Dice {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        &items[(self.0 >> 33) as usize % items.len()]
    }
}

/// Applications whose dependency cells are written in every way above, mixed at random: every
/// server they name is found, and nothing else.
#[test]
fn generated_cells_resolve_with_full_recall_and_precision() {
    const JOINERS: &[&str] = &[
        " + ", "+", " / ", "/", " | ", "; ", ", ", "\n", " ", " & ", " und ", " et ",
    ];
    const PHRASES: &[&str] = &[
        "",
        "hébergée sur ",
        "läuft auf ",
        "alojado en ",
        "ospitato su ",
        "hospedado em ",
        "draait op ",
        "runs on ",
        "serveur : ",
        "Server: ",
    ];
    let mut dice = Dice(21);
    let mut assets = Vec::new();
    for s in 0..60 {
        let name = format!("{}{s:04}", dice.pick(&["srv", "WEB", "App", "batch"]));
        let ip = format!("10.{}.{}.{}", s / 7, s % 7, s + 1);
        let more = format!("192.168.{}.{}", s / 5, s + 10);
        assets.push(server(&name, &ip, &[&more]));
    }
    let spellings = |a: &AssetFacts, dice: &mut Dice| -> String {
        let forms = [
            a.name.clone(),
            a.name.to_uppercase(),
            a.fqdn.clone().unwrap_or_default(),
            a.ip_address.clone().unwrap_or_default(),
            a.attributes[ADDITIONAL_IPS][0].as_str().unwrap_or_default().to_string(),
        ];
        dice.pick(&forms).clone()
    };
    let mut truth = Vec::new();
    for app in 0..25 {
        let name = format!("application {app}");
        let mut items = Vec::new();
        for _ in 0..1 + app % 5 {
            let target = dice.pick(&assets[..60]).clone();
            truth.push((name.to_lowercase(), target.key.clone()));
            let phrase = dice.pick(PHRASES);
            items.push(format!("{phrase}{}", spellings(&target, &mut dice)));
        }
        let mut cell = String::new();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                let joiner: &&str = dice.pick(JOINERS);
                cell.push_str(joiner);
            }
            cell.push_str(item);
        }
        assets.push(dep(&name, "application", &[&cell]));
    }
    truth.sort();
    truth.dedup();
    let (t, m) = map(&assets);
    let got: Vec<(String, String)> = m
        .edges
        .iter()
        .map(|e| (t.key(e.source).to_string(), t.key(e.target).to_string()))
        .collect();
    assert_eq!(got, truth);
    assert!(m.unresolved.is_empty(), "{:?}", unresolved(&t, &m));
}
