//! IP addresses and host names as the agents compare them.

use std::net::{IpAddr, Ipv4Addr};

use serde_json::Value;

/// The attribute that keeps an asset's addresses after the first (its `ip_address`): a JSON array
/// of canonical addresses. Dependency resolution finds the asset by any of them.
pub const ADDITIONAL_IPS: &str = "additional_ip_addresses";

/// One address: brackets, a prefix length and an IPv6 zone are tolerated; `0.0.0.0` and `::` are
/// placeholders, not addresses.
pub fn ip_addr(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    let t = match t.split_once('/') {
        Some((addr, prefix)) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) => addr,
        _ => t,
    };
    let t = t.trim_start_matches('[').trim_end_matches(']');
    let t = t.split('%').next().unwrap_or(t);
    let ip: IpAddr = t.parse().ok()?;
    (!ip.is_unspecified()).then_some(ip)
}

/// One address in canonical form (see [`ip_addr`]).
pub fn parse_ip(text: &str) -> Option<String> {
    ip_addr(text).map(|ip| ip.to_string())
}

/// An IPv4 address in canonical form, tolerating a port or a prefix length (`10.0.0.5:8080`,
/// `10.0.0.5/24`); anything else after the address (`10.0.0.5/10.0.0.6`) is not one address.
pub fn canonical_ipv4(text: &str) -> Option<Ipv4Addr> {
    let mut host = text.trim();
    if let Some(at) = host.find(['/', ':']) {
        let suffix = &host[at + 1..];
        if suffix.is_empty() || !suffix.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        host = &host[..at];
    }
    host.parse::<Ipv4Addr>().ok()
}

/// An address written where a name could be (a dependency reference): IPv4 with a port or prefix
/// length, or IPv6 (see [`ip_addr`]).
pub fn referenced_ip(text: &str) -> Option<IpAddr> {
    match canonical_ipv4(text) {
        Some(v4) => Some(IpAddr::V4(v4)),
        None if text.contains(':') => ip_addr(text).filter(IpAddr::is_ipv6),
        None => None,
    }
}

/// The addresses of one cell, in order and without repeats, and the candidates that are not
/// addresses. Any of `,` `;` `|` `/`, whitespace or newlines separates them; a `/` followed by
/// digits only is a prefix length (`10.0.0.1/24`), not a separator.
pub fn ip_list(text: &str) -> (Vec<String>, Vec<String>) {
    let (mut valid, mut invalid) = (Vec::<String>::new(), Vec::new());
    for chunk in text.split([',', ';', '|']).flat_map(str::split_whitespace) {
        for candidate in prefix_aware_parts(chunk) {
            match parse_ip(candidate) {
                Some(ip) if !valid.contains(&ip) => valid.push(ip),
                Some(_) => {}
                None => invalid.push(candidate.to_string()),
            }
        }
    }
    (valid, invalid)
}

/// `a/b/c` cut at each `/` that is not an address's prefix length: `10.0.0.1/24/10.0.0.2` gives
/// `10.0.0.1/24` and `10.0.0.2`. The parts are trimmed slices of `chunk`, empty ones left out.
pub fn prefix_aware_parts(chunk: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(chunk.trim());
    std::iter::from_fn(move || {
        let text = rest?;
        let mut cut = 0;
        loop {
            match text[cut..].find('/') {
                None => {
                    rest = None;
                    break;
                }
                Some(at) => {
                    let slash = cut + at;
                    let after = &text[slash + 1..];
                    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
                    let is_prefix = (1..=3).contains(&digits)
                        && after
                            .as_bytes()
                            .get(digits)
                            .is_none_or(|&b| b == b'/' || b.is_ascii_whitespace())
                        && text[..slash]
                            .rsplit(char::is_whitespace)
                            .next()
                            .is_some_and(|word| ip_addr(word).is_some());
                    if is_prefix {
                        cut = slash + 1 + digits;
                        if cut == text.len() {
                            rest = None;
                            break;
                        }
                        continue;
                    }
                    rest = Some(&text[slash + 1..]);
                    return Some(&text[..slash]);
                }
            }
        }
        Some(text)
    })
    .map(str::trim)
    .filter(|p| !p.is_empty())
}

/// The addresses an [`ADDITIONAL_IPS`] attribute holds: an array of texts, or one text.
pub fn additional_ips(value: Option<&Value>) -> impl Iterator<Item = &str> {
    let (one, many) = match value {
        Some(Value::String(s)) => (Some(s.as_str()), None),
        Some(Value::Array(items)) => (None, Some(items.iter().filter_map(Value::as_str))),
        _ => (None, None),
    };
    one.into_iter().chain(many.into_iter().flatten())
}

/// Host names compare case-insensitively and an FQDN's trailing root dot is noise.
pub fn host_text(text: &str) -> String {
    text.trim().trim_end_matches('.').to_lowercase()
}

/// The host part of an FQDN (not of an IP address).
pub fn first_label(fqdn: &str) -> Option<&str> {
    if fqdn.parse::<IpAddr>().is_ok() {
        return None;
    }
    fqdn.split('.').next().filter(|label| !label.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_ipv4_with_a_port_or_prefix_is_one_address_but_two_addresses_are_not() {
        for ok in ["10.0.0.5", " 10.0.0.5 ", "10.0.0.5:8080", "10.0.0.5/24"] {
            assert_eq!(canonical_ipv4(ok), Some(Ipv4Addr::new(10, 0, 0, 5)), "{ok}");
        }
        for bad in [
            "10.0.0.5/10.0.0.6",
            "10.0.0.5/",
            "10.0.0.5:",
            "10.0.0.5/x",
            "10.0.0",
            "web01",
        ] {
            assert_eq!(canonical_ipv4(bad), None, "{bad}");
        }
    }

    #[test]
    fn referenced_addresses_include_ipv6() {
        assert_eq!(referenced_ip("2001:DB8::1"), "2001:db8::1".parse().ok());
        assert_eq!(referenced_ip("[2001:db8::1]/64"), "2001:db8::1".parse().ok());
        assert_eq!(referenced_ip("10.1.2.3:443"), "10.1.2.3".parse().ok());
        assert_eq!(referenced_ip("serveur:srv1"), None);
        assert_eq!(referenced_ip("::"), None);
    }

    #[test]
    fn a_cell_of_addresses_splits_on_any_separator() {
        let cases = [
            (
                "10.14.105.138, 192.168.187.213",
                vec!["10.14.105.138", "192.168.187.213"],
            ),
            ("10.0.0.1 10.0.0.2", vec!["10.0.0.1", "10.0.0.2"]),
            ("10.0.0.1;10.0.0.2|10.0.0.3", vec!["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
            (
                "10.0.0.1\n10.0.0.2\r\n10.0.0.3",
                vec!["10.0.0.1", "10.0.0.2", "10.0.0.3"],
            ),
            ("10.0.0.1 / 10.0.0.2", vec!["10.0.0.1", "10.0.0.2"]),
            ("10.0.0.1/10.0.0.2", vec!["10.0.0.1", "10.0.0.2"]),
            ("10.0.0.1/24, 10.0.0.2/16", vec!["10.0.0.1", "10.0.0.2"]),
            ("10.0.0.1/24/10.0.0.2/8", vec!["10.0.0.1", "10.0.0.2"]),
            ("fe80::1/64, 10.0.0.1", vec!["fe80::1", "10.0.0.1"]),
            ("10.0.0.1, 10.0.0.1", vec!["10.0.0.1"]),
        ];
        for (cell, expected) in cases {
            let (valid, invalid) = ip_list(cell);
            assert_eq!(valid, expected, "{cell:?}");
            assert!(invalid.is_empty(), "{cell:?}: {invalid:?}");
        }
        let (valid, invalid) = ip_list("10.0.0.300, 10.0.0.4 / x");
        assert_eq!(
            (valid, invalid),
            (
                vec!["10.0.0.4".to_string()],
                vec!["10.0.0.300".to_string(), "x".to_string()]
            )
        );
    }

    #[test]
    fn additional_addresses_read_from_an_array_or_a_text() {
        let many = json!(["10.0.0.2", 7, "10.0.0.3"]);
        assert_eq!(
            additional_ips(Some(&many)).collect::<Vec<_>>(),
            ["10.0.0.2", "10.0.0.3"]
        );
        let one = json!("10.0.0.2");
        assert_eq!(additional_ips(Some(&one)).collect::<Vec<_>>(), ["10.0.0.2"]);
        assert_eq!(additional_ips(None).count(), 0);
    }
}
