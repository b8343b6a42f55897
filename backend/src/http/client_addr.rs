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
    let forwarded = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok());
    Some(client_addr(peer, forwarded, &state.trusted_proxies))
}
