//! tocsin-bench: the benchmark of issue 6. Starts each system under test on a
//! fresh database with its own webhook and SMTP sinks on loopback, drives the
//! workloads over HTTP and prints a table, Tocsin/Alertmanager ratios and one
//! JSON line per workload and system. Run it with `scripts/bench`; see
//! docs/PERFORMANCE.md.

mod payload;
mod procfs;
mod report;
mod sink;
mod stats;
mod sut;
mod workload;

use std::time::Duration;

use anyhow::{bail, Result};
use clap::Parser;

use crate::report::Row;
use crate::sut::{Binaries, System};
use crate::workload::{RunOptions, Workload};

/// Tocsin's benchmark, side by side with Prometheus Alertmanager.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Systems under test, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "tocsin-sqlite,tocsin-postgres,alertmanager")]
    system: Vec<String>,
    /// Workloads, comma-separated: W1, W1-light, W2, W3, W4, W5 (= W5-W1 and W5-W3), W6.
    #[arg(long, value_delimiter = ',', default_value = "W1,W1-light,W2,W3,W4,W5,W6")]
    workloads: Vec<String>,
    /// Runs of each workload on each system; the report gives the median.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Multiplies the sizes of the workloads (0.1 for a quick run).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Print only the JSON lines.
    #[arg(long)]
    json_only: bool,
    /// Concurrent clients of the closed-loop workloads (W1, W2, W5).
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// The Tocsin binary (a release build).
    #[arg(long, default_value = "target/release/tocsin")]
    tocsin_bin: String,
    /// The Alertmanager binary.
    #[arg(long, default_value = "prometheus-alertmanager")]
    alertmanager_bin: String,
    /// PostgreSQL server for tocsin-postgres; each run gets a fresh database on it, dropped afterwards.
    #[arg(long, env = "TOCSIN_BENCH_POSTGRES_URL", default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres_url: String,
    /// Give up waiting for deliveries after this many seconds without a new one.
    #[arg(long, default_value_t = 60)]
    stall_seconds: u64,
}

/// The workloads named on the command line, in the order of the issue. A name
/// that is not a workload selects its parts (`W5` → `W5-W1`, `W5-W3`).
fn select(names: &[String], all: Vec<Workload>) -> Result<Vec<Workload>> {
    let mut wanted = Vec::new();
    for name in names.iter().map(|n| n.trim().to_ascii_uppercase()) {
        let exact: Vec<&'static str> = all.iter().filter(|w| w.id.to_ascii_uppercase() == name).map(|w| w.id).collect();
        let chosen = if exact.is_empty() {
            all.iter().filter(|w| w.id.to_ascii_uppercase().starts_with(&format!("{name}-"))).map(|w| w.id).collect()
        } else {
            exact
        };
        if chosen.is_empty() {
            bail!("unknown workload {name:?}");
        }
        wanted.extend(chosen);
    }
    Ok(all.into_iter().filter(|w| wanted.contains(&w.id)).collect())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    // reqwest is built with rustls and no provider of its own; the benchmark
    // only speaks plain HTTP, but building a client needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    if args.runs == 0 || args.scale <= 0.0 {
        bail!("--runs must be at least 1 and --scale positive");
    }
    let systems = args.system.iter().map(|s| System::parse(s)).collect::<Result<Vec<_>>>()?;
    let workloads = select(&args.workloads, workload::all(args.scale, args.clients))?;
    let options = RunOptions {
        binaries: Binaries {
            tocsin: args.tocsin_bin.clone(),
            alertmanager: args.alertmanager_bin.clone(),
            postgres_url: args.postgres_url.trim_end_matches('/').to_owned(),
        },
        stall: Duration::from_secs(args.stall_seconds),
        ticks: procfs::clock_ticks(),
    };
    if !args.json_only {
        println!(
            "tocsin-bench: {} × {} run(s), scale {}, {} CPU(s), load average {}",
            workloads.iter().map(|w| w.id).collect::<Vec<_>>().join(","),
            args.runs,
            args.scale,
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            procfs::load_average()
        );
    }
    let mut rows = Vec::new();
    let mut failed = false;
    for workload in &workloads {
        let load_before = procfs::load_average();
        let mut runs: Vec<Vec<workload::Figures>> = vec![Vec::new(); systems.len()];
        // Systems take turns within each round so that the machine's other
        // load weighs on all of them alike.
        for round in 1..=args.runs {
            for (i, system) in systems.iter().enumerate() {
                eprintln!("{} ({}) on {}, run {round}/{}", workload.id, workload.what, system.name(), args.runs);
                match workload::run_once(*system, workload, &options).await {
                    Ok(figures) => {
                        eprintln!("  {}", brief(&figures));
                        runs[i].push(figures);
                    }
                    Err(err) => {
                        failed = true;
                        eprintln!("  failed: {err:#}");
                    }
                }
            }
        }
        let load_after = procfs::load_average();
        for (i, system) in systems.iter().enumerate() {
            if runs[i].is_empty() {
                continue;
            }
            let row = Row {
                workload: workload.clone(),
                system: *system,
                runs: runs[i].len(),
                figures: report::median_of(&runs[i]),
                load_before: load_before.clone(),
                load_after: load_after.clone(),
            };
            println!("{}", report::json_line(&row, args.scale));
            failed |= row.get("missing").unwrap_or(0.0) > 0.0;
            rows.push(row);
        }
    }
    if !args.json_only {
        println!("\n{}", report::table(&rows));
        let ratios = report::ratios(&rows);
        if !ratios.is_empty() {
            println!("Tocsin / Alertmanager (same run; below 1 is better for latency, CPU and memory):\n{ratios}");
        }
        println!("load average at the end: {}", procfs::load_average());
    }
    if failed {
        bail!("some runs failed or lost deliveries (see above)");
    }
    Ok(())
}

fn brief(figures: &workload::Figures) -> String {
    figures
        .iter()
        .filter_map(|(name, v)| {
            v.map(|v| format!("{name} {}", if v.fract() == 0.0 { format!("{v}") } else { format!("{v:.2}") }))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<&'static str> {
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        select(&names, workload::all(1.0, 16)).unwrap().iter().map(|w| w.id).collect()
    }

    #[test]
    fn a_workload_name_selects_itself_or_its_parts() {
        assert_eq!(ids(&["W1"]), ["W1"]);
        assert_eq!(ids(&["w5", "W1-light"]), ["W1-light", "W5-W1", "W5-W3"]);
        assert!(select(&["W9".to_owned()], workload::all(1.0, 16)).is_err());
    }
}
