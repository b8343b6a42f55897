//! The client address of a request, as `domain/client_addr.rs` decides it from
//! the peer, `X-Forwarded-For` and `http.trusted_proxies`. Everything that
//! counts per client (login throttles, callback limits, later reply limits)
//! asks here.

use std::net::IpAddr;

use actix_web::HttpRequest;

use super::state::AppState;
use crate::domain::client_addr::client_addr;

/// Where the request comes from; `None` only when the connection has no peer
/// address (never over TCP).
pub fn client_ip(req: &HttpRequest, state: &AppState) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    // Read lossily: a client may put bytes that are not text in the header it
    // sends, and the proxy appends its hop to that same header; dropping the
    // whole header would count the client as the proxy, locking out everyone
    // behind it.
    let forwarded: Vec<String> =
        req.headers().get_all("x-forwarded-for").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).collect();
    Some(client_addr(peer, forwarded.iter().map(String::as_str), &state.trusted_proxies))
}
