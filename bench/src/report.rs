//! The table, the JSON lines and the Tocsin/Alertmanager ratios.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::stats;
use crate::sut::System;
use crate::workload::{Figures, Workload};

/// The figures of one workload on one system: the median of its runs.
pub struct Row {
    pub workload: Workload,
    pub system: System,
    pub runs: usize,
    pub figures: Figures,
    /// /proc/loadavg before the first run and after the last.
    pub load_before: String,
    pub load_after: String,
}

impl Row {
    pub fn get(&self, name: &str) -> Option<f64> {
        self.figures.iter().find(|(n, _)| *n == name).and_then(|(_, v)| *v)
    }
}

/// Each figure's median over the runs (figures absent from a run are skipped).
pub fn median_of(runs: &[Figures]) -> Figures {
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    first
        .iter()
        .map(|(name, _)| {
            let values: Vec<f64> =
                runs.iter().filter_map(|r| r.iter().find(|(n, _)| n == name).and_then(|(_, v)| *v)).collect();
            (*name, stats::median(&values))
        })
        .collect()
}

fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// One JSON line for a row.
pub fn json_line(row: &Row, scale: f64) -> String {
    let mut object = Map::new();
    object.insert("workload".into(), row.workload.id.into());
    object.insert("what".into(), row.workload.what.clone().into());
    object.insert("system".into(), row.system.name().into());
    object.insert("durability".into(), row.system.durability().into());
    object.insert("scale".into(), scale.into());
    object.insert("runs".into(), row.runs.into());
    for (name, value) in &row.figures {
        object.insert((*name).into(), value.map_or(Value::Null, |v| json!(round(v))));
    }
    object.insert("load_average_before".into(), row.load_before.clone().into());
    object.insert("load_average_after".into(), row.load_after.clone().into());
    Value::Object(object).to_string()
}

fn cell(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

/// Columns of the table: header, figure, decimals.
const COLUMNS: [(&str, &str, usize); 14] = [
    ("accepted/s", "accepted_per_s", 0),
    ("delivered/s", "delivered_per_s", 0),
    ("p50 ms", "latency_p50_ms", 1),
    ("p99 ms", "latency_p99_ms", 1),
    ("max ms", "latency_max_ms", 1),
    ("first ms", "first_recipient_ms", 1),
    ("last ms", "last_recipient_ms", 1),
    ("missing", "missing", 0),
    ("dup", "duplicates", 0),
    ("CPU s/1k", "cpu_s_per_1000", 3),
    ("+DB s/1k", "database_cpu_s_per_1000", 3),
    ("peak MB", "peak_rss_mb", 1),
    ("idle MB", "idle_rss_mb", 1),
    ("runs", "", 0),
];

/// The table of every row, then what each system's acceptance means.
pub fn table(rows: &[Row]) -> String {
    let mut lines: Vec<Vec<String>> = vec![std::iter::once("workload".to_owned())
        .chain(std::iter::once("system".to_owned()))
        .chain(COLUMNS.iter().map(|(h, _, _)| (*h).to_owned()))
        .collect()];
    for row in rows {
        let mut line = vec![row.workload.id.to_owned(), row.system.name().to_owned()];
        for (_, name, decimals) in COLUMNS {
            line.push(if name.is_empty() { row.runs.to_string() } else { cell(row.get(name), decimals) });
        }
        lines.push(line);
    }
    let widths: Vec<usize> = (0..lines[0].len()).map(|c| lines.iter().map(|l| l[c].len()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for line in &lines {
        let cells: Vec<String> = line
            .iter()
            .enumerate()
            .map(|(c, v)| if c < 2 { format!("{v:<w$}", w = widths[c]) } else { format!("{v:>w$}", w = widths[c]) })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    let mut systems: Vec<System> = rows.iter().map(|r| r.system).collect();
    systems.dedup();
    for system in System::ALL.into_iter().filter(|s| systems.contains(s)) {
        let _ = writeln!(out, "  {}: {}", system.name(), system.durability());
    }
    out
}

/// Ratio lines, Tocsin over Alertmanager, for every workload both ran.
pub fn ratios(rows: &[Row]) -> String {
    const COMPARED: [(&str, &str); 8] = [
        ("accepted/s", "accepted_per_s"),
        ("delivered/s", "delivered_per_s"),
        ("p50", "latency_p50_ms"),
        ("p99", "latency_p99_ms"),
        ("last recipient", "last_recipient_ms"),
        ("CPU/1k", "cpu_s_per_1000"),
        ("peak RSS", "peak_rss_mb"),
        ("idle RSS", "idle_rss_mb"),
    ];
    let mut out = String::new();
    for am in rows.iter().filter(|r| r.system == System::Alertmanager) {
        for tocsin in rows.iter().filter(|r| r.system.is_tocsin() && r.workload.id == am.workload.id) {
            let parts: Vec<String> = COMPARED
                .iter()
                .filter_map(|(label, name)| {
                    let (t, a) = (tocsin.get(name)?, am.get(name)?);
                    (a > 0.0).then(|| format!("{label} {:.2}×", t / a))
                })
                .collect();
            let _ = writeln!(
                out,
                "{} {}/alertmanager: {} (Tocsin durable, Alertmanager in memory)",
                am.workload.id,
                tocsin.system.name(),
                parts.join(", ")
            );
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn medians_are_taken_figure_by_figure() {
        let runs = vec![
            vec![("a", Some(1.0)), ("b", None)],
            vec![("a", Some(5.0)), ("b", Some(2.0))],
            vec![("a", Some(3.0)), ("b", None)],
        ];
        assert_eq!(median_of(&runs), vec![("a", Some(3.0)), ("b", Some(2.0))]);
    }
}
