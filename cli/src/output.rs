//! Text for people: summaries and aligned tables. (`--json` prints the API's
//! own shapes instead.)

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tocsin_client::types::{Contact, Event, FireResponse, Notification};

/// Columns padded to their widest cell, two spaces apart.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&headers).chain(rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// How serde spells an enum value (`major`, `business_hours`).
pub fn label(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

pub fn fired(fired: &FireResponse) -> String {
    let mut out = if fired.attached {
        format!("attached to open notification {} (nobody paged again)\n", fired.notification_id)
    } else {
        let plural = if fired.deliveries == 1 { "delivery" } else { "deliveries" };
        format!("accepted: notification {}, {} {plural} queued\n", fired.notification_id, fired.deliveries)
    };
    for skipped in &fired.skipped {
        let _ = writeln!(out, "skipped {}: {} ({})", skipped.contact, skipped.reason, skipped.path);
    }
    out
}

pub fn notification(n: &Notification) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "notification {}", n.id);
    let _ = writeln!(out, "target:   {} {}", n.target_kind, n.target);
    let _ = writeln!(out, "state:    {}", n.state);
    let _ = writeln!(out, "severity: {}", n.severity);
    let _ = writeln!(out, "raised:   {} by {}", time(&n.created_at), n.raised_by);
    if !n.subject.is_empty() {
        let _ = writeln!(out, "subject:  {}", n.subject);
    }
    for skipped in &n.skipped {
        let _ = writeln!(out, "skipped:  {} ({}): {}", skipped.contact, skipped.reason, skipped.path);
    }
    out.push_str("\ndeliveries\n");
    let rows: Vec<Vec<String>> = n
        .deliveries
        .iter()
        .map(|d| {
            vec![
                d.id.to_string(),
                d.contact.clone().unwrap_or_else(|| "-".into()),
                d.medium.clone(),
                d.address.clone(),
                d.status.clone(),
                d.attempts.to_string(),
                d.last_error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str(&table(&["ID", "CONTACT", "MEDIUM", "ADDRESS", "STATUS", "ATTEMPTS", "LAST ERROR"], &rows));
    out.push_str("\ntimeline\n");
    let mut entries: Vec<(DateTime<Utc>, String, String, String)> =
        n.timeline.iter().map(|e| (e.at, "-".to_owned(), e.kind.clone(), e.detail.clone())).collect();
    for d in &n.deliveries {
        entries.extend(d.timeline.iter().map(|e| (e.at, d.id.to_string(), e.kind.clone(), e.detail.clone())));
    }
    entries.sort_by_key(|e| e.0);
    let rows: Vec<Vec<String>> =
        entries.into_iter().map(|(at, delivery, kind, detail)| vec![time(&at), delivery, kind, detail]).collect();
    out.push_str(&table(&["AT (UTC)", "DELIVERY", "KIND", "DETAIL"], &rows));
    out
}

pub fn events(events: &[Event]) -> String {
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let targets: Vec<String> = e
                .targets
                .contacts
                .iter()
                .map(|c| format!("contact {c}"))
                .chain(e.targets.groups.iter().map(|g| format!("group {g}")))
                .collect();
            vec![e.slug.clone(), e.name.clone(), label(&e.severity), yes_no(e.enabled), targets.join(", ")]
        })
        .collect();
    table(&["SLUG", "NAME", "SEVERITY", "ENABLED", "TARGETS"], &rows)
}

pub fn contacts(contacts: &[Contact]) -> String {
    let rows: Vec<Vec<String>> = contacts
        .iter()
        .map(|c| {
            let destinations: Vec<String> = c
                .destinations
                .iter()
                .map(|d| {
                    let off = if d.enabled { "" } else { " (disabled)" };
                    format!("{} {}{off}", d.medium, d.address)
                })
                .collect();
            vec![c.slug.clone(), c.name.clone(), yes_no(c.enabled), destinations.join(", ")]
        })
        .collect();
    table(&["SLUG", "NAME", "ENABLED", "DESTINATIONS"], &rows)
}

fn yes_no(flag: bool) -> String {
    if flag { "yes" } else { "no" }.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_and_lines_carry_no_trailing_spaces() {
        let rows = vec![
            vec!["1".to_owned(), "delivered".to_owned(), String::new()],
            vec!["10".into(), "failed".into(), "HTTP 400".into()],
        ];
        assert_eq!(
            table(&["ID", "STATUS", "LAST ERROR"], &rows),
            "ID  STATUS     LAST ERROR\n1   delivered\n10  failed     HTTP 400\n"
        );
    }
}
