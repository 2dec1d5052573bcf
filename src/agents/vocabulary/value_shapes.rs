//! What a value looks like: the shapes `format_detection` profiles columns by and
//! `pattern_recognition` checks mappings against. Each takes one trimmed, non-empty text.

use chrono::NaiveDate;

/// A whole number of up to 19 digits, optionally signed.
pub fn parse_integer(t: &str) -> bool {
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    !digits.is_empty() && digits.len() <= 19 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A finite decimal number (`-1.5e3`), not `inf` or `NaN`.
pub fn parse_number(t: &str) -> bool {
    // `f64::from_str` accepts `inf`/`NaN`; demand digits and number characters only.
    t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && t.parse::<f64>().is_ok_and(f64::is_finite)
}

const SIZE_UNITS: &[&str] = &[
    "b", "k", "kb", "kib", "m", "mb", "mib", "g", "gb", "gib", "t", "tb", "tib", "pb", "pib", "ko", "mo", "go", "to",
];

/// `16 GB`, `4096MB`, `1.5 TiB`.
pub fn parse_size(t: &str) -> bool {
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    if number.is_empty() || !parse_number(number) {
        return false;
    }
    let unit = unit.trim();
    SIZE_UNITS.iter().any(|u| unit.eq_ignore_ascii_case(u))
}

/// IPv4 or IPv6, optionally with a `/prefix`.
pub fn is_ip(t: &str) -> bool {
    if !t.starts_with(|c: char| c.is_ascii_hexdigit() || c == ':') {
        return false;
    }
    let addr = match t.split_once('/') {
        Some((addr, prefix)) if !prefix.is_empty() && prefix.len() <= 3 && parse_integer(prefix) => addr,
        Some(_) => return false,
        None => t,
    };
    addr.parse::<std::net::IpAddr>().is_ok()
}

/// A dotted host name with at least three labels (`web01.corp.example.com`), not an IP.
pub fn is_fqdn(t: &str) -> bool {
    let t = t.strip_suffix('.').unwrap_or(t);
    if t.len() > 253 || t.matches('.').count() < 2 || is_ip(t) {
        return false;
    }
    let labels_ok = t.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let tld = t.rsplit('.').next().unwrap_or("");
    labels_ok && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
}

const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
];

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A calendar date, optionally followed by a time (`2024-01-31T10:00:00Z`, `31/01/2024 10:00`).
pub fn is_date(t: &str) -> bool {
    // Cheap screen first: chrono's parser is the slow part of profiling free text.
    let starts_like_date = t.as_bytes().first().is_some_and(u8::is_ascii_digit)
        || MONTHS
            .iter()
            .any(|m| t.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(m)));
    if !starts_like_date || t.len() < 6 || t.len() > 40 || t.bytes().filter(u8::is_ascii_digit).count() < 4 {
        return false;
    }
    let parses = |s: &str| DATE_FORMATS.iter().any(|f| NaiveDate::parse_from_str(s, f).is_ok());
    parses(t) || t.split_once(['T', ' ']).is_some_and(|(date, _)| parses(date))
}

/// `a;b`, `a|b`, lines, or `a,b` whose items are single tokens (so `Smith, John Q` is text).
pub fn is_delimited_list(t: &str) -> bool {
    let items = |sep: &[char]| t.split(sep).map(str::trim).filter(|s| !s.is_empty()).count();
    if t.contains([';', '|', '\n']) {
        return items(&[';', '|', '\n']) >= 2;
    }
    t.contains(',') && items(&[',']) >= 2 && t.split(',').all(|s| !s.trim().contains(char::is_whitespace))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_patterns() {
        assert!(parse_size("16 GB") && parse_size("4096MB") && parse_size("1.5 tib") && parse_size("8GB"));
        assert!(!parse_size("GB") && !parse_size("16 cores") && !parse_size("16"));
        assert!(is_ip("10.1.2.3") && is_ip("::1") && is_ip("10.0.0.0/24") && !is_ip("10.1.2.256"));
        assert!(is_fqdn("web01.corp.example.com") && !is_fqdn("a.khan") && !is_fqdn("1.2.3.4") && !is_fqdn("8.8.1"));
        assert!(is_date("2024-02-29") && !is_date("2023-02-29") && !is_date("2008 R2") && !is_date("14.04"));
        assert!(!parse_number("inf") && !parse_number("NaN") && parse_number("-1.5e3"));
        assert!(is_delimited_list("a, b") && !is_delimited_list("Smith, John Q") && !is_delimited_list("a;"));
    }
}
