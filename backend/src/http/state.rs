//! What every handler can reach.

use std::sync::{Arc, Mutex};

use crate::delivery::dispatcher::Dispatcher;
use crate::delivery::intake::FireWriter;
use crate::domain::keyring::Keyring;
use crate::domain::login_throttle::LoginThrottle;
use crate::domain::tokens::TokenKeys;
use crate::settings::Settings;
use crate::store::Store;

use super::callback_limit::CallbackLimiter;
use super::server_metrics::Metrics;

pub struct AppState {
    pub store: Store,
    pub tokens: TokenKeys,
    pub settings: Arc<Settings>,
    pub login_throttle: Mutex<LoginThrottle>,
    /// `http.trusted_proxies`, parsed: whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub metrics: Metrics,
    pub dispatcher: Dispatcher,
    pub fires: FireWriter,
    /// Keys for everything Tocsin signs (receipt references, later links).
    pub keyring: Keyring,
    /// Unverified provider callbacks per source.
    pub callback_limiter: CallbackLimiter,
}
