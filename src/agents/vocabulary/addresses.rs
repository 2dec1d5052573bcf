//! IP addresses and host names as the agents compare them.

use std::net::{IpAddr, Ipv4Addr};

/// One address in canonical form: brackets, a prefix length and an IPv6 zone are tolerated;
/// `0.0.0.0` and `::` are placeholders, not addresses.
pub fn parse_ip(text: &str) -> Option<String> {
    let t = text.trim().trim_start_matches('[').trim_end_matches(']');
    let t = match t.split_once('/') {
        Some((addr, prefix)) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) => addr,
        _ => t,
    };
    let t = t.split('%').next().unwrap_or(t);
    let ip: IpAddr = t.parse().ok()?;
    (!ip.is_unspecified()).then(|| ip.to_string())
}

/// An IPv4 address in canonical form, tolerating a port or a prefix length (`10.0.0.5:8080`,
/// `10.0.0.5/24`).
pub fn canonical_ipv4(text: &str) -> Option<Ipv4Addr> {
    let text = text.trim();
    let host = text.split(['/', ':']).next().unwrap_or(text);
    host.parse::<Ipv4Addr>().ok()
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
