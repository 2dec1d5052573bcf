//! How each product's versions are written, in both directions between marketing names and
//! version numbers. A product's `scheme` (products.tsv) names one of these readers; a new product
//! whose versions are plain numbers needs none (`generic`).

use super::catalogue::{LifecycleEntry, ProductLine, catalogue};
use super::identify::{Num, Probe, Request};

/// The version the text asks for, by the product's scheme; `None` when it gives none.
pub(super) fn request(line: &ProductLine, p: &Probe) -> Option<Request> {
    match line.scheme.as_str() {
        "none" => Some(Request::default()),
        "windows" => windows(line, p),
        "year" => microsoft_year(p, &years(line)).map(|(year, r2)| year_request(year, r2, p)),
        "mssql" => mssql(line, p),
        "oracle-db" => oracle_database(p),
        "solaris" => solaris(p),
        "aix" => aix(p),
        "sles" => with_sub(p.nums.first()?, p, &["sp"]),
        "java" => java(p),
        _ => generic(line, p),
    }
}

/// The text without the words a scheme knows are not versions, or `None` when it has none. Only
/// words after the release's number are dropped: `Solaris 10/11` stays a list of releases.
pub(super) fn without_noise(line: &ProductLine, text: &str) -> Option<String> {
    let noise: fn(&str) -> bool = match line.scheme.as_str() {
        "solaris" => solaris_noise,
        _ => return None,
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut kept: Vec<&str> = Vec::new();
    for w in &words {
        let versioned = kept.iter().any(|k| k.contains(|c: char| c.is_ascii_digit()));
        if !(versioned && noise(w.trim_matches(|c: char| !c.is_alphanumeric()))) {
            kept.push(w);
        }
    }
    (kept.len() < words.len()).then(|| kept.join(" "))
}

/// Solaris update strings: the update's release month (`9/05`, `1/13`, `10/2013`), the build
/// (`s10x_u11wos_24a`, `s10s_u9wos_14a`, `s28s_hw4wos_05a`) and the kernel patch (`Generic_147147-26`)
/// say which update of a release is installed; none is the release's version.
fn solaris_noise(word: &str) -> bool {
    let all_digits =
        |s: &str, len: std::ops::RangeInclusive<usize>| len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    let update_date = word
        .split_once('/')
        .is_some_and(|(m, y)| all_digits(m, 1..=2) && (all_digits(y, 2..=2) || all_digits(y, 4..=4)));
    let build = word.strip_prefix('s').is_some_and(|rest| {
        rest.starts_with(|c: char| c.is_ascii_digit()) && rest.contains('_') && rest.contains("wos")
    });
    update_date || build || word.starts_with("generic_")
}

fn shown(parts: &[u32]) -> String {
    parts.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

fn plain(parts: Vec<u32>) -> Request {
    Request {
        shown: shown(&parts),
        nums: parts,
        ..Request::default()
    }
}

fn as_written(n: &Num) -> Request {
    Request {
        shown: n.raw.clone(),
        ..plain(n.parts.clone())
    }
}

/// A cycle named by its codename (`bookworm`, `jammy`), from the snapshot's data.
fn by_codename(line: &ProductLine, p: &Probe) -> Option<Request> {
    let entry = catalogue().cycles(&line.slug).find(|e| {
        e.codename
            .split_whitespace()
            .next()
            .is_some_and(|first| first.len() > 3 && p.has_word(first))
    })?;
    Some(Request {
        shown: entry.version.clone(),
        entry: Some(entry),
        ..Request::default()
    })
}

/// The first number, all its parts; or a codename.
fn generic(line: &ProductLine, p: &Probe) -> Option<Request> {
    match p.nums.first() {
        Some(n) => Some(as_written(n)),
        None => by_codename(line, p),
    }
}

/// `12 SP5`, `7.1 TL5`: the service pack or technology level as the next version part.
fn with_sub(n: &Num, p: &Probe, markers: &[&str]) -> Option<Request> {
    let mut req = as_written(n);
    if let Some(sub) = p.after_marker(markers)
        && n.parts.len() == 1
    {
        req.nums.push(sub);
        req.shown = format!("{} SP{sub}", n.parts[0]);
    }
    Some(req)
}

/// The four-digit years among a product's cycles (2008, 2012, ...).
fn years(line: &ProductLine) -> Vec<u32> {
    let mut years: Vec<u32> = catalogue()
        .cycles(&line.slug)
        .filter_map(|e| e.key.nums.first().copied())
        .filter(|y| (1990..2100).contains(y))
        .collect();
    years.dedup();
    years
}

/// A Microsoft release year, and whether the text says R2 (`2008 R2`, `2008r2`, `W2K8R2`).
fn microsoft_year(p: &Probe, years: &[u32]) -> Option<(u32, bool)> {
    let year = p
        .nums
        .iter()
        .find(|n| n.parts.len() == 1 && years.contains(&n.parts[0]))
        .map(|n| n.parts[0])
        .or_else(|| short_year(&p.compact, years))?;
    let short = year % 100;
    let r2 = p.has_word("r2")
        || p.compact.contains(&format!("{year}r2"))
        || p.compact.contains(&format!("2k{short}r2"))
        || p.compact.contains(&format!("2k{short:02}r2"));
    Some((year, r2))
}

/// `2k3`, `2k8`, `2k12` as in `Win2k8 R2`; a bare `2k` is 2000.
fn short_year(compact: &str, years: &[u32]) -> Option<u32> {
    compact.match_indices("2k").find_map(|(at, _)| {
        let digits: String = compact[at + 2..]
            .chars()
            .take_while(char::is_ascii_digit)
            .take(2)
            .collect();
        let year = digits.parse::<u32>().map_or(2000, |yy| 2000 + yy);
        years.contains(&year).then_some(year)
    })
}

fn year_request(year: u32, r2: bool, p: &Probe) -> Request {
    let mut req = plain(vec![year]);
    if r2 {
        req.tags.push("r2".into());
        req.shown = format!("{year} R2");
    }
    req.sub = p.after_marker(&["sp"]);
    req
}

fn windows(line: &ProductLine, p: &Probe) -> Option<Request> {
    if let Some((year, r2)) = microsoft_year(p, &years(line)) {
        // Only 2003, 2008 and 2012 had an R2.
        let r2 = r2
            && catalogue()
                .cycles(&line.slug)
                .any(|e| e.key.nums == [year] && e.key.tags == ["r2"]);
        return Some(year_request(year, r2, p));
    }
    // NT version and build (6.1.7601, 10.0.17763), matched to the builds the snapshot records.
    p.nums.iter().find_map(|n| {
        let v = &n.parts;
        if v.len() < 2 || !(5..=10).contains(&v[0]) || (v[0] == 10 && v.len() < 3) {
            return None;
        }
        // A build shared with a semi-annual release goes to the long-term one (the later end).
        let same =
            |e: &&LifecycleEntry| e.latest.len() >= 3 && e.latest[..2] == v[..2] && (v[0] < 10 || e.latest[2] == v[2]);
        let entry = catalogue()
            .cycles(&line.slug)
            .filter(same)
            .max_by_key(|e| e.extended_end)?;
        Some(Request {
            shown: format!("{} (build {})", entry.version, shown(v)),
            entry: Some(entry),
            ..Request::default()
        })
    })
}

fn mssql(line: &ProductLine, p: &Probe) -> Option<Request> {
    let sub = p.after_marker(&["sp"]);
    // The marketing year, matched to the internal version through the snapshot's labels.
    let label_years: Vec<u32> = catalogue()
        .cycles(&line.slug)
        .filter_map(|e| e.version.split_whitespace().next()?.parse().ok())
        .collect();
    if let Some((year, r2)) = microsoft_year(p, &label_years) {
        let r2 = r2 && year == 2008;
        let head = if r2 { format!("{year} R2") } else { year.to_string() };
        let entry = catalogue().cycles(&line.slug).find(|e| {
            e.version == head
                || e.version
                    .strip_prefix(&head)
                    .is_some_and(|rest| rest.starts_with(" SP") || rest.starts_with(" R"))
                    && (r2 || !e.version.contains("R2"))
        })?;
        return Some(Request {
            nums: entry.key.nums.clone(),
            sub,
            shown: match sub {
                Some(sp) => format!("{head} SP{sp}"),
                None => head,
            },
            ..Request::default()
        });
    }
    // Internal version numbers: 10.50 = 2008 R2, 11.0 = 2012, ... 17.0 = 2025.
    let n = p.nums.iter().find(|n| (6..=30).contains(&n.parts[0]))?;
    let mut req = plain(n.parts.iter().copied().take(2).collect());
    req.sub = sub;
    Some(req)
}

fn oracle_database(p: &Probe) -> Option<Request> {
    let n = p.nums.iter().find(|n| (7..=30).contains(&n.parts[0]))?;
    let major = n.parts[0];
    // `23ai`/`23c`/`26ai` are one release line (cycle 23).
    let major = if major == 26 { 23 } else { major };
    let release = p.after_marker(&["release", "r"]).or_else(|| {
        ["c", "g", "i"]
            .iter()
            .find_map(|l| p.after_marker(&[&format!("{major}{l}r")]))
    });
    let mut nums = vec![major];
    match (n.parts.get(1), release) {
        // Before 18c the second number is the release (11.2, 12.1); from 18c on it is the update.
        (Some(&minor), _) if major < 18 => nums.push(minor),
        (None, Some(r)) if major < 18 => nums.push(r),
        _ => {}
    }
    let letter = match major {
        8 | 9 => "i",
        10 | 11 => "g",
        12 | 18 | 19 | 21 => "c",
        _ => "ai",
    };
    let shown = match nums.get(1) {
        Some(r) => format!("{major}{letter} R{r}"),
        None => format!("{major}{letter}"),
    };
    Some(Request {
        nums,
        shown,
        ..Request::default()
    })
}

fn solaris(p: &Probe) -> Option<Request> {
    let n = p.nums.first()?;
    // SunOS 5.x is Solaris x (5.10 = 10, 5.11 = 11).
    let parts = match n.parts.as_slice() {
        [5, minor, rest @ ..] if *minor >= 6 => [&[*minor][..], rest].concat(),
        parts => parts.to_vec(),
    };
    let mut req = plain(parts);
    if n.parts[0] != 5 {
        req.shown = n.raw.clone();
    }
    // `Solaris 11` is any 11.x.
    req.whole_line = req.nums == [11];
    Some(req)
}

fn aix(p: &Probe) -> Option<Request> {
    let n = p.nums.first()?;
    // oslevel: 7100-05-06-2016 is 7.1 TL5.
    if let [level] = n.parts.as_slice()
        && (5000..=7999).contains(level)
        && level % 100 == 0
    {
        let release = vec![level / 1000, (level / 100) % 10];
        let tl = p.nums.get(1).filter(|t| t.parts.len() == 1).map(|t| t.parts[0]);
        let mut req = plain(release.iter().copied().chain(tl).collect());
        if let Some(tl) = tl {
            req.shown = format!("{} TL{tl}", shown(&release));
        }
        return Some(req);
    }
    // Technology level, or maintenance level as AIX 5 called it (`TL2`, `TL 02`, `ML12`,
    // `Technology Level 2`).
    let mut req = as_written(n);
    if n.parts.len() == 2
        && let Some(tl) = p.after_marker(&["tl", "ml", "level"])
    {
        req.nums.push(tl);
        req.shown = format!("{} TL{tl}", shown(&n.parts));
    }
    req.whole_line = req.nums.len() == 1;
    Some(req)
}

fn java(p: &Probe) -> Option<Request> {
    let n = p.nums.first()?;
    // 1.8.0_202 is Java 8.
    let major = match n.parts.as_slice() {
        [1, minor, ..] if *minor >= 5 => *minor,
        [major, ..] => *major,
        [] => return None,
    };
    Some(plain(vec![major]))
}
