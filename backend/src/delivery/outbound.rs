//! HTTP requests to user-supplied URLs, guarded against server-side request
//! forgery (SSRF).
//!
//! Anyone who can configure a webhook could otherwise make the server call
//! its own admin ports, the cloud metadata service or hosts on the private
//! network. The guard sits in the DNS resolver, so the addresses checked are
//! exactly the addresses connected to: a name that resolves to a public
//! address when saved and to 127.0.0.1 when sent (DNS rebinding) is still
//! refused.

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Once};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use url::{Host, Url};

/// Most bytes of a response body that are read; receivers' answers are only
/// kept as diagnostics, and an endless body must not exhaust memory.
pub const MAX_RESPONSE: usize = 64 * 1024;

/// Longest delay honoured from a `Retry-After` header, so a receiver cannot
/// park a delivery for years or overflow the scheduler's time arithmetic.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Upper bound of the connect phase; a host that does not accept a TCP
/// connection within this is down, whatever the total timeout allows.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

const USER_AGENT: &str = concat!("Tocsin/", env!("CARGO_PKG_VERSION"));

/// IPv4 networks that are not reachable public unicast destinations.
const FORBIDDEN_V4: [(Ipv4Addr, u8); 15] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network", includes the unspecified address
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // carrier-grade NAT
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local, includes cloud metadata 169.254.169.254
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation TEST-NET-1
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // deprecated 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation TEST-NET-2
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation TEST-NET-3
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, includes broadcast 255.255.255.255
];

/// Parts of IPv6 global unicast (2000::/3) that are still not destinations.
/// Everything outside 2000::/3 (::1, fc00::/7, fe80::/10, ff00::/8, 100::/64,
/// 64:ff9b:1::/48, ...) is refused without being listed.
const FORBIDDEN_V6_GLOBAL: [(Ipv6Addr, u8); 3] = [
    // IETF protocol assignments: Teredo (which can tunnel to any IPv4
    // address), benchmarking, ORCHID, AS112; no webhook lives there.
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23),
    (Ipv6Addr::new(0x2001, 0x0db8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),      // documentation (RFC 9637)
];

/// Networks user-supplied URLs may reach in spite of the guard (from TOCSIN_OUTBOUND_ALLOW, e.g. "127.0.0.0/8").
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    allow: Vec<IpNet>,
}

impl OutboundPolicy {
    /// Parses allowed networks such as `"127.0.0.0/8"` or `"fd00::/8"`; a
    /// bare IP means that single address (/32 or /128). Blank entries are
    /// skipped so a trailing comma in the environment variable is harmless.
    pub fn parse(allow: &[String]) -> Result<Self, String> {
        let mut networks = Vec::with_capacity(allow.len());
        for entry in allow {
            let text = entry.trim();
            if text.is_empty() {
                continue;
            }
            let net = if text.contains('/') {
                text.parse::<IpNet>().ok().map(|net| net.trunc())
            } else {
                text.parse::<IpAddr>().ok().map(IpNet::from)
            };
            let net = net.ok_or_else(|| {
                format!("invalid network {text:?} in the outbound allow list: expected an IP address or CIDR such as 10.0.0.0/8")
            })?;
            networks.push(net);
        }
        Ok(Self { allow: networks })
    }

    /// Public unicast addresses are allowed; loopback, private (10/8, 172.16/12, 192.168/16), CGNAT 100.64/10, link-local 169.254/16 (includes cloud metadata 169.254.169.254), unspecified, broadcast, multicast, documentation/benchmark ranges, IPv6 ::1, fc00::/7, fe80::/10, multicast, and IPv4-mapped/compatible/NAT64 forms of the forbidden v4 ranges are refused — unless inside an allowed network.
    pub fn permits(&self, ip: IpAddr) -> bool {
        // An IPv4-mapped address is the IPv4 host itself to the kernel, so an
        // allowed IPv4 network covers it too.
        let unmapped = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        self.allow.iter().any(|net| net.contains(&ip) || net.contains(&unmapped)) || is_public(ip)
    }
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    !FORBIDDEN_V4.iter().any(|(net, len)| prefix_matches_v4(bits, u32::from(*net), *len))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    // Forms that carry an IPv4 address are judged by that address, since
    // the packets end up there (directly or through a translator).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if bits >> 32 == 0 {
        // IPv4-compatible ::a.b.c.d; :: and ::1 land in 0.0.0.0/8 and are refused.
        return is_public_v4(Ipv4Addr::from(bits as u32));
    }
    if prefix_matches_v6(bits, u128::from(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0)), 96) {
        return is_public_v4(Ipv4Addr::from(bits as u32)); // NAT64 well-known prefix
    }
    if prefix_matches_v6(bits, u128::from(Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0)), 16) {
        return is_public_v4(Ipv4Addr::from((bits >> 80) as u32)); // 6to4
    }
    // Only global unicast is a destination; the rest is loopback, unique
    // local, link-local, multicast or unassigned.
    prefix_matches_v6(bits, u128::from(Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0)), 3)
        && !FORBIDDEN_V6_GLOBAL.iter().any(|(net, len)| prefix_matches_v6(bits, u128::from(*net), *len))
}

fn prefix_matches_v4(bits: u32, net: u32, len: u8) -> bool {
    let shift = 32 - u32::from(len);
    bits.checked_shr(shift).unwrap_or(0) == net.checked_shr(shift).unwrap_or(0)
}

fn prefix_matches_v6(bits: u128, net: u128, len: u8) -> bool {
    let shift = 128 - u32::from(len);
    bits.checked_shr(shift).unwrap_or(0) == net.checked_shr(shift).unwrap_or(0)
}

/// Why an outbound request did not produce an HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The URL's host is, or resolves only to, addresses the policy refuses.
    #[error("refused destination address {0}: not a public address (allow it with TOCSIN_OUTBOUND_ALLOW)")]
    Refused(String),
    /// The URL cannot be requested at all (syntax, scheme, missing host).
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// A header name or value cannot be sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// No complete answer within the connect or total timeout.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The name did not resolve or the connection was not accepted.
    #[error("connection failed: {0}")]
    Connect(String),
    /// Any other transport failure (TLS, malformed response, reset).
    #[error("request failed: {0}")]
    Transport(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// The parts of an HTTP answer that delivery decisions and diagnostics need.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    /// HTTP status code.
    pub status: u16,
    /// The `Retry-After` header as a delay (seconds or HTTP date), capped at [`MAX_RETRY_AFTER`].
    pub retry_after: Option<Duration>,
    /// The first [`MAX_RESPONSE`] bytes of the response body, decoded as lossy UTF-8.
    pub body: String,
}

/// An HTTP client for user-supplied URLs: resolves names itself and refuses forbidden addresses (a custom `reqwest::dns::Resolve`), also for IP-literal URLs (check before sending, since reqwest skips the resolver for those); follows no redirects; connect timeout and total timeout; a User-Agent "Tocsin/<version>".
#[derive(Debug, Clone)]
pub struct OutboundClient {
    http: reqwest::Client,
    policy: Arc<OutboundPolicy>,
}

impl OutboundClient {
    /// Builds a client whose requests take at most `timeout` in total,
    /// response body included; connecting takes at most 10 s of that.
    pub fn new(policy: OutboundPolicy, timeout: Duration) -> Result<Self, OutboundError> {
        install_crypto_provider();
        let policy = Arc::new(policy);
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .dns_resolver(GuardedResolver { policy: Arc::clone(&policy) })
            // A proxy would do the resolving and connecting, bypassing the guard.
            .no_proxy()
            // A redirect target is another user-controlled URL; following it
            // would need the same checks, and receivers have no reason to redirect.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
            .timeout(timeout)
            .build()
            .map_err(|err| OutboundError::Client(describe(&err)))?;
        Ok(Self { http, policy })
    }

    /// POSTs `body` with these headers to `url`; returns status, headers and at most `MAX_RESPONSE` (64 KiB) of the response body (the rest is not read).
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<HttpReply, OutboundError> {
        // Errors never quote the URL: Slack and Teams URLs are credentials.
        let url = Url::parse(url).map_err(|err| OutboundError::InvalidUrl(err.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::InvalidUrl(format!("scheme {:?} is not http or https", url.scheme())));
        }
        // reqwest connects to IP literals without asking the resolver.
        let literal = match url.host() {
            None => return Err(OutboundError::InvalidUrl("no host".to_owned())),
            Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(Host::Domain(_)) => None,
        };
        if let Some(ip) = literal.filter(|ip| !self.policy.permits(*ip)) {
            return Err(OutboundError::Refused(ip.to_string()));
        }

        let mut header_map = HeaderMap::with_capacity(headers.len() + 1);
        for (name, value) in headers {
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| OutboundError::InvalidRequest(format!("invalid header name {name:?}")))?;
            let header_value = HeaderValue::from_str(value)
                .map_err(|_| OutboundError::InvalidRequest(format!("invalid value for header {name}")))?;
            header_map.insert(header_name, header_value);
        }
        let content_type = HeaderValue::from_str(content_type)
            .map_err(|_| OutboundError::InvalidRequest(format!("invalid content type {content_type:?}")))?;
        header_map.insert(CONTENT_TYPE, content_type);

        let mut response =
            self.http.post(url).headers(header_map).body(body).send().await.map_err(classify_reqwest_error)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, Utc::now()));

        let mut bytes = Vec::new();
        while bytes.len() < MAX_RESPONSE {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_RESPONSE - bytes.len();
                    bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) => break,
                // The status has arrived and decides the outcome; failing the
                // request over a broken or slow body would make a receiver that
                // accepted the message get it again on retry.
                Err(_) => break,
            }
        }
        // Dropping the response here closes the connection instead of reading the rest.
        Ok(HttpReply { status, retry_after, body: String::from_utf8_lossy(&bytes).into_owned() })
    }
}

/// Parses `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3).
fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    let delay = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long digit strings overflow u64; they mean "very long".
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
        (at - now).to_std().unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

fn classify_reqwest_error(err: reqwest::Error) -> OutboundError {
    let err = err.without_url();
    let mut source: Option<&(dyn StdError + 'static)> = Some(&err);
    while let Some(current) = source {
        if let Some(OutboundError::Refused(address)) = current.downcast_ref::<OutboundError>() {
            return OutboundError::Refused(address.clone());
        }
        source = current.source();
    }
    let message = describe(&err);
    if err.is_timeout() {
        OutboundError::Timeout(message)
    } else if err.is_connect() {
        OutboundError::Connect(message)
    } else {
        OutboundError::Transport(message)
    }
}

/// The error and its causes on one line; reqwest's own message alone is
/// usually just "error sending request".
fn describe(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // An error means another part of the process installed a provider
        // first; reqwest then uses that one, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Resolves names with the system resolver and keeps only the addresses the
/// policy permits, so reqwest can only ever connect to those.
struct GuardedResolver {
    policy: Arc<OutboundPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let permitted = permitted_addrs(&policy, &host, resolved)?;
            Ok(Box::new(permitted.into_iter()) as Addrs)
        })
    }
}

/// The permitted subset of `resolved`; a refusal when nothing is left.
fn permitted_addrs(
    policy: &OutboundPolicy,
    host: &str,
    resolved: Vec<SocketAddr>,
) -> Result<Vec<SocketAddr>, OutboundError> {
    let first_refused = resolved.iter().find(|addr| !policy.permits(addr.ip())).copied();
    let permitted: Vec<SocketAddr> = resolved.into_iter().filter(|addr| policy.permits(addr.ip())).collect();
    match (permitted.is_empty(), first_refused) {
        (false, _) => Ok(permitted),
        (true, Some(refused)) => Err(OutboundError::Refused(format!("{} ({host})", refused.ip()))),
        (true, None) => Err(OutboundError::Connect(format!("{host} resolved to no address"))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::delivery::fake_http::{FakeServer, Reply};

    const SHORT: Duration = Duration::from_secs(10);

    fn allow(entries: &[&str]) -> OutboundPolicy {
        OutboundPolicy::parse(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_default_policy_permits_public_unicast_and_refuses_everything_else() {
        let table: &[(&str, bool)] = &[
            ("8.8.8.8", true),
            ("1.1.1.1", true),
            ("93.184.216.34", true),
            ("172.15.255.255", true),
            ("172.32.0.0", true),
            ("100.63.255.255", true),
            ("100.128.0.0", true),
            ("223.255.255.255", true),
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("127.0.0.1", false),
            ("127.255.255.254", false),
            ("10.0.0.1", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("192.168.1.1", false),
            ("100.64.0.1", false),
            ("100.127.255.255", false),
            ("169.254.169.254", false),
            ("169.254.0.1", false),
            ("192.0.0.8", false),
            ("192.0.2.10", false),
            ("198.18.0.1", false),
            ("198.19.255.255", false),
            ("198.51.100.7", false),
            ("203.0.113.9", false),
            ("224.0.0.1", false),
            ("239.255.255.250", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            ("2606:4700:4700::1111", true),
            ("2a00:1450:4001:80b::200e", true),
            ("::", false),
            ("::1", false),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
            ("100::1", false),
            ("2001:db8::1", false),
            ("2001::1", false),
            ("3fff::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:169.254.169.254", false),
            ("::ffff:10.1.2.3", false),
            ("::ffff:8.8.8.8", true),
            ("::127.0.0.1", false),
            ("::10.0.0.1", false),
            ("::8.8.8.8", true),
            ("64:ff9b::127.0.0.1", false),
            ("64:ff9b::a9fe:a9fe", false),
            ("64:ff9b::8.8.8.8", true),
            ("64:ff9b:1::a00:1", false),
            ("2002:7f00:0001::", false),
            ("2002:c0a8:0101::1", false),
            ("2002:0808:0808::1", true),
        ];
        let policy = OutboundPolicy::default();
        for (address, expected) in table {
            assert_eq!(policy.permits(ip(address)), *expected, "{address}");
        }
    }

    #[test]
    fn allowed_networks_override_the_guard_only_inside_them() {
        let policy = allow(&["127.0.0.0/8", "10.1.0.0/16", "fd00::/8"]);
        assert!(policy.permits(ip("127.0.0.1")));
        assert!(policy.permits(ip("127.9.9.9")));
        assert!(policy.permits(ip("::ffff:127.0.0.1")));
        assert!(policy.permits(ip("10.1.200.3")));
        assert!(!policy.permits(ip("10.2.0.1")));
        assert!(policy.permits(ip("fd00::5")));
        assert!(!policy.permits(ip("fc00::5")));
        assert!(!policy.permits(ip("::1")));
        assert!(!policy.permits(ip("169.254.169.254")));
        assert!(policy.permits(ip("8.8.8.8")));
    }

    #[test]
    fn a_bare_address_in_the_allow_list_means_that_single_host() {
        let policy = allow(&[" 192.168.1.10 ", "::1", ""]);
        assert!(policy.permits(ip("192.168.1.10")));
        assert!(!policy.permits(ip("192.168.1.11")));
        assert!(policy.permits(ip("::1")));
        assert!(!policy.permits(ip("::2")));
    }

    #[test]
    fn a_network_with_host_bits_set_is_taken_as_its_whole_network() {
        let policy = allow(&["192.168.1.77/24"]);
        assert!(policy.permits(ip("192.168.1.1")));
        assert!(!policy.permits(ip("192.168.2.1")));
    }

    #[test]
    fn parse_errors_name_the_bad_entry() {
        for bad in ["localhost", "10.0.0.0/33", "300.1.1.1", "10.0.0.0/", "::1/129"] {
            let err = OutboundPolicy::parse(&["127.0.0.0/8".to_owned(), bad.to_owned()]).unwrap_err();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn resolved_names_keep_only_permitted_addresses() {
        let policy = OutboundPolicy::default();
        let public: SocketAddr = "8.8.8.8:0".parse().unwrap();
        let private: SocketAddr = "10.0.0.1:0".parse().unwrap();
        assert_eq!(permitted_addrs(&policy, "x.example", vec![private, public]).unwrap(), vec![public]);
        let err = permitted_addrs(&policy, "evil.example", vec![private]).unwrap_err();
        assert!(matches!(&err, OutboundError::Refused(a) if a == "10.0.0.1 (evil.example)"), "{err:?}");
        assert!(matches!(permitted_addrs(&policy, "x", vec![]), Err(OutboundError::Connect(_))));
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_an_http_date_and_capped() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:29:30 GMT", now), Some(Duration::from_secs(90)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("99999999999999999999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[tokio::test]
    async fn a_loopback_url_is_refused_without_an_allow_entry() {
        let server = FakeServer::start(Reply::status(200)).await;
        let client = OutboundClient::new(OutboundPolicy::default(), SHORT).unwrap();
        let err = client.post(&server.url("/"), &[], "text/plain", b"x".to_vec()).await.unwrap_err();
        assert!(matches!(&err, OutboundError::Refused(a) if a == "127.0.0.1"), "{err:?}");
        assert!(err.to_string().contains("TOCSIN_OUTBOUND_ALLOW"));
        assert_eq!(server.requests().len(), 0);
    }

    #[tokio::test]
    async fn an_ipv6_loopback_literal_is_refused() {
        let client = OutboundClient::new(OutboundPolicy::default(), SHORT).unwrap();
        let err = client.post("http://[::1]:9/", &[], "text/plain", vec![]).await.unwrap_err();
        assert!(matches!(&err, OutboundError::Refused(a) if a == "::1"), "{err:?}");
    }

    #[tokio::test]
    async fn a_loopback_url_is_delivered_when_loopback_is_allowed() {
        let server = FakeServer::start(Reply::status(201).body("created")).await;
        let client = OutboundClient::new(allow(&["127.0.0.0/8"]), SHORT).unwrap();
        let headers = [("x-extra", "yes".to_owned())];
        let reply = client.post(&server.url("/hook?a=1"), &headers, "text/plain", b"hello".to_vec()).await.unwrap();
        assert_eq!(reply, HttpReply { status: 201, retry_after: None, body: "created".to_owned() });
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/hook?a=1"));
        assert_eq!(request.header("content-type"), Some("text/plain"));
        assert_eq!(request.header("x-extra"), Some("yes"));
        assert_eq!(request.header("user-agent"), Some(USER_AGENT));
        assert!(USER_AGENT.starts_with("Tocsin/"));
        assert_eq!(request.body, b"hello");
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused() {
        let server = FakeServer::start(Reply::status(200)).await;
        let client = OutboundClient::new(OutboundPolicy::default(), SHORT).unwrap();
        let url = format!("http://localhost:{}/", server.port());
        let err = client.post(&url, &[], "text/plain", vec![]).await.unwrap_err();
        assert!(matches!(&err, OutboundError::Refused(a) if a.ends_with("(localhost)")), "{err:?}");
        assert_eq!(server.requests().len(), 0);
    }

    #[tokio::test]
    async fn a_name_resolving_to_an_allowed_network_is_delivered() {
        let server = FakeServer::start(Reply::status(204)).await;
        let client = OutboundClient::new(allow(&["127.0.0.0/8"]), SHORT).unwrap();
        let url = format!("http://localhost:{}/", server.port());
        assert_eq!(client.post(&url, &[], "text/plain", vec![]).await.unwrap().status, 204);
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn a_redirect_is_returned_rather_than_followed() {
        let server = FakeServer::start(Reply::status(302).header("location", "/elsewhere")).await;
        let client = OutboundClient::new(allow(&["127.0.0.0/8"]), SHORT).unwrap();
        let reply = client.post(&server.url("/start"), &[], "text/plain", vec![]).await.unwrap();
        assert_eq!(reply.status, 302);
        let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/start"]);
    }

    #[tokio::test]
    async fn a_huge_response_body_is_read_only_up_to_the_cap() {
        let server = FakeServer::start(Reply::status(200).body("x".repeat(10 * 1024 * 1024))).await;
        let client = OutboundClient::new(allow(&["127.0.0.0/8"]), SHORT).unwrap();
        let reply = client.post(&server.url("/"), &[], "text/plain", vec![]).await.unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body.len(), MAX_RESPONSE);
    }

    #[tokio::test]
    async fn a_receiver_that_never_answers_times_out_within_the_configured_limit() {
        let server = FakeServer::start(Reply::Stall).await;
        let timeout = Duration::from_millis(500);
        let client = OutboundClient::new(allow(&["127.0.0.0/8"]), timeout).unwrap();
        let started = Instant::now();
        let err = client.post(&server.url("/"), &[], "text/plain", b"x".to_vec()).await.unwrap_err();
        let elapsed = started.elapsed();
        assert!(matches!(err, OutboundError::Timeout(_)), "{err:?}");
        assert!(elapsed >= timeout, "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
        // The request did arrive: the stall was the receiver's, not ours.
        assert_eq!(server.wait_for_requests(1).await.len(), 1);
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connection_failure() {
        let port = FakeServer::unused_port().await;
        let client = OutboundClient::new(allow(&["127.0.0.0/8"]), SHORT).unwrap();
        let err = client.post(&format!("http://127.0.0.1:{port}/"), &[], "text/plain", vec![]).await.unwrap_err();
        assert!(matches!(err, OutboundError::Connect(_)), "{err:?}");
    }

    #[tokio::test]
    async fn an_https_url_to_a_plain_http_receiver_fails_in_the_tls_handshake() {
        // Exercises the rustls set-up (ring provider, platform verifier) without the internet.
        let server = FakeServer::start(Reply::status(200)).await;
        let client = OutboundClient::new(allow(&["127.0.0.0/8"]), SHORT).unwrap();
        let url = format!("https://127.0.0.1:{}/", server.port());
        let err = client.post(&url, &[], "text/plain", vec![]).await.unwrap_err();
        assert!(matches!(err, OutboundError::Connect(_) | OutboundError::Transport(_)), "{err:?}");
    }

    #[tokio::test]
    async fn urls_that_cannot_be_requested_are_invalid_and_not_quoted() {
        let client = OutboundClient::new(OutboundPolicy::default(), SHORT).unwrap();
        for url in ["not a url", "ftp://example.com/secret-token", "file:///etc/passwd", "http://"] {
            let err = client.post(url, &[], "text/plain", vec![]).await.unwrap_err();
            assert!(matches!(err, OutboundError::InvalidUrl(_)), "{url}: {err:?}");
            assert!(!err.to_string().contains("secret-token"), "{err}");
        }
    }

    #[tokio::test]
    async fn a_header_value_with_a_newline_is_an_invalid_request() {
        let server = FakeServer::start(Reply::status(200)).await;
        let client = OutboundClient::new(allow(&["127.0.0.0/8"]), SHORT).unwrap();
        let headers = [("x-a", "one\r\nx-b: two".to_owned())];
        let err = client.post(&server.url("/"), &headers, "text/plain", vec![]).await.unwrap_err();
        assert!(matches!(err, OutboundError::InvalidRequest(_)), "{err:?}");
    }
}
