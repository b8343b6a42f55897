//! Who a request comes from, behind reverse proxies that are trusted.
//!
//! `X-Forwarded-For` is written by whoever sends the request, so only the hops
//! added by proxies Tocsin trusts (`http.trusted_proxies`) can be believed:
//! walking the header from the right, the first address that is not a trusted
//! proxy is the client. A request whose peer is not a trusted proxy is taken
//! at its peer address, whatever the header says, so nobody can pick the
//! address their throttles and limits are counted under. With no trusted
//! proxies (the default) the peer address is always the client.

use std::net::IpAddr;

use ipnet::IpNet;

/// The client address of a request from `peer` carrying these
/// `X-Forwarded-For` header values (in the order received).
pub fn client_addr<'a>(peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for.into_iter().flat_map(|value| value.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A hop a trusted proxy wrote that is not an address: nothing to its
        // left can be believed either.
        let Some(ip) = parse_hop(hop) else { return client };
        client = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    client
}

/// One hop: an address, possibly with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip())
}

/// Parses `http.trusted_proxies`: networks (`10.0.0.0/8`) or single addresses.
pub fn parse_networks(items: &[String]) -> Result<Vec<IpNet>, String> {
    items
        .iter()
        .map(|item| {
            let item = item.trim();
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{item:?} is not a network or an address"))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(items: &[&str]) -> Vec<IpNet> {
        parse_networks(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        assert_eq!(client_addr(ip("203.0.113.9"), ["1.2.3.4"], &[]), ip("203.0.113.9"));
    }

    #[test]
    fn the_right_most_hop_that_is_not_a_trusted_proxy_is_the_client() {
        let trusted = nets(&["127.0.0.1", "10.0.0.0/8"]);
        // The client forged a first hop; the proxies appended theirs.
        let header = ["6.6.6.6, 198.51.100.7, 10.1.2.3"];
        assert_eq!(client_addr(ip("127.0.0.1"), header, &trusted), ip("198.51.100.7"));
        // Several headers count as one list, in order.
        assert_eq!(client_addr(ip("127.0.0.1"), ["6.6.6.6", "198.51.100.7"], &trusted), ip("198.51.100.7"));
    }

    #[test]
    fn a_peer_that_is_not_trusted_is_taken_at_its_word_only() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(client_addr(ip("192.0.2.1"), ["10.0.0.1"], &trusted), ip("192.0.2.1"));
    }

    #[test]
    fn malformed_or_missing_hops_leave_the_last_address_believed() {
        let trusted = nets(&["127.0.0.1", "10.0.0.0/8"]);
        assert_eq!(client_addr(ip("127.0.0.1"), ["junk, 10.0.0.5"], &trusted), ip("10.0.0.5"));
        assert_eq!(client_addr(ip("127.0.0.1"), [""], &trusted), ip("127.0.0.1"));
        assert_eq!(client_addr(ip("127.0.0.1"), std::iter::empty::<&str>(), &trusted), ip("127.0.0.1"));
        assert_eq!(client_addr(ip("127.0.0.1"), ["[2001:db8::1]:443"], &trusted), ip("2001:db8::1"));
        assert_eq!(client_addr(ip("127.0.0.1"), ["198.51.100.7:5000"], &trusted), ip("198.51.100.7"));
    }

    #[test]
    fn networks_and_single_addresses_parse_and_garbage_does_not() {
        assert_eq!(nets(&["10.0.0.0/8", "::1"]).len(), 2);
        assert!(parse_networks(&["nope".to_owned()]).is_err());
    }
}
