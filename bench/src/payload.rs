//! What is sent: one alert of about 250 bytes (title, severity, 2–4 labels, a
//! timestamp and a marker), shaped as a Tocsin fire or an Alertmanager alert;
//! and how the marker is found again in what reaches the sinks.

use serde_json::{json, Map, Value};

/// Every marker starts with this; the digits after it number the alert.
const MARKER_PREFIX: &str = "bm-";

const HOSTS: [&str; 5] = ["web", "db", "cache", "queue", "edge"];
const SEVERITIES: [&str; 3] = ["critical", "major", "warning"];

/// The marker of alert `n`, as it appears in payloads.
pub fn marker(n: u64) -> String {
    format!("{MARKER_PREFIX}{n}")
}

/// The first marker in `bytes` (a webhook body, an email), if any.
pub fn find_marker(bytes: &[u8]) -> Option<u64> {
    let prefix = MARKER_PREFIX.as_bytes();
    let mut from = 0;
    while let Some(at) = bytes[from..].windows(prefix.len()).position(|w| w == prefix) {
        let start = from + at + prefix.len();
        let digits = bytes[start..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 && digits <= 19 {
            return std::str::from_utf8(&bytes[start..start + digits]).ok()?.parse().ok();
        }
        from = start;
    }
    None
}

/// One alert of the benchmark.
#[derive(Debug, Clone)]
pub struct Alert {
    pub title: String,
    pub severity: &'static str,
    /// 2–4 labels; `host` and `team` always.
    pub labels: Vec<(&'static str, String)>,
    /// RFC 3339, UTC.
    pub timestamp: String,
    pub marker: String,
}

impl Alert {
    /// Alert number `n`: its labels vary with `n` so that every alert is distinct.
    pub fn new(n: u64, now: chrono::DateTime<chrono::Utc>) -> Self {
        let host = format!("{}-{:02}.dc1.example.net", HOSTS[(n % 5) as usize], n % 97);
        let mut labels = vec![("host", host.clone()), ("team", "platform-operations".to_owned())];
        if n % 3 >= 1 {
            labels.push(("service", "storage".to_owned()));
        }
        if n % 3 == 2 {
            labels.push(("region", "eu-west".to_owned()));
        }
        Self {
            title: format!("Disk /var almost full on {host}"),
            severity: SEVERITIES[(n % 3) as usize],
            labels,
            timestamp: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            marker: marker(n),
        }
    }

    /// The body of `POST /api/v1/events/{slug}/fire`: every field is a template
    /// argument.
    pub fn tocsin_fire(&self) -> Vec<u8> {
        let mut args = Map::new();
        args.insert("title".into(), self.title.clone().into());
        args.insert("severity".into(), self.severity.into());
        for (k, v) in &self.labels {
            args.insert((*k).into(), v.clone().into());
        }
        args.insert("timestamp".into(), self.timestamp.clone().into());
        args.insert("marker".into(), self.marker.clone().into());
        json!({ "args": Value::Object(args) }).to_string().into_bytes()
    }

    /// The body of Alertmanager's `POST /api/v2/alerts`: a list of one alert
    /// whose labels identify it (so each alert is its own group).
    pub fn alertmanager_alert(&self) -> Vec<u8> {
        let mut labels = Map::new();
        labels.insert("alertname".into(), "DiskFull".into());
        labels.insert("severity".into(), self.severity.into());
        for (k, v) in &self.labels {
            labels.insert((*k).into(), v.clone().into());
        }
        labels.insert("marker".into(), self.marker.clone().into());
        json!([{ "labels": labels, "annotations": { "title": self.title }, "startsAt": self.timestamp }])
            .to_string()
            .into_bytes()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-11-23T16:50:00.123Z").unwrap().into()
    }

    #[test]
    fn payloads_are_about_250_bytes_for_both_systems() {
        for n in [0, 1, 2, 29_999, 1_000_000] {
            let alert = Alert::new(n, now());
            for body in [alert.tocsin_fire(), alert.alertmanager_alert()] {
                assert!((200..=300).contains(&body.len()), "{} bytes: {}", body.len(), String::from_utf8_lossy(&body));
            }
            assert!((2..=4).contains(&alert.labels.len()));
        }
    }

    #[test]
    fn the_marker_is_found_again_in_each_payload() {
        let alert = Alert::new(12_345, now());
        assert_eq!(find_marker(&alert.tocsin_fire()), Some(12_345));
        assert_eq!(find_marker(&alert.alertmanager_alert()), Some(12_345));
    }

    #[test]
    fn marker_parsing_skips_a_prefix_without_digits() {
        assert_eq!(find_marker(b"bm-x and then bm-42, bm-7"), Some(42));
        assert_eq!(find_marker(b"Subject: Disk full [bm-0]\r\n"), Some(0));
        assert_eq!(find_marker(b"no marker bm-"), None);
        assert_eq!(find_marker(b""), None);
    }
}
