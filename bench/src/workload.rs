//! The workloads of issue 6 and how one run of one is driven and measured.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::procfs;
use crate::sink;
use crate::stats;
use crate::sut::{self, Binaries, Directory, Medium, System, Target};

/// How alerts are sent.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// `events` alerts, one per request, from `clients` clients each waiting for
    /// its answer before sending the next.
    Closed { events: u64, clients: usize },
    /// `rate` alerts per second for `seconds`, each sent at its scheduled time
    /// whether or not earlier ones were answered (latency counts from then).
    Open { rate: f64, seconds: f64 },
}

/// One workload.
#[derive(Debug, Clone)]
pub struct Workload {
    pub id: &'static str,
    pub what: String,
    pub medium: Medium,
    /// Recipients of every alert.
    pub recipients: u32,
    pub shape: Shape,
    /// How long the webhook sink waits before answering.
    pub sink_delay: Duration,
}

impl Workload {
    pub fn fan_out(&self) -> bool {
        self.recipients > 1
    }

    fn events(&self) -> u64 {
        match self.shape {
            Shape::Closed { events, .. } => events,
            Shape::Open { rate, seconds } => (rate * seconds).round() as u64,
        }
    }
}

fn scaled(n: f64, scale: f64) -> u64 {
    ((n * scale).round() as u64).max(1)
}

/// Every workload at `scale` (1 = the sizes of the issue), W5 as its two parts.
pub fn all(scale: f64, clients: usize) -> Vec<Workload> {
    let w1 = scaled(30_000.0, scale);
    let fan = scaled(10_000.0, scale) as u32;
    let slow = Duration::from_millis(200);
    let closed = |events, clients| Shape::Closed { events, clients };
    let single = closed(1, 1);
    let open_seconds = (20.0 * scale).max(1.0);
    vec![
        Workload {
            id: "W1",
            what: format!("{w1} events, 1 webhook recipient each, {clients} clients"),
            medium: Medium::Webhook,
            recipients: 1,
            shape: closed(w1, clients),
            sink_delay: Duration::ZERO,
        },
        Workload {
            id: "W1-light",
            what: format!("{} events, 1 webhook recipient each, 1 client", scaled(2_000.0, scale)),
            medium: Medium::Webhook,
            recipients: 1,
            shape: closed(scaled(2_000.0, scale), 1),
            sink_delay: Duration::ZERO,
        },
        Workload {
            id: "W2",
            what: format!("{} events, 1 email recipient each, {clients} clients", scaled(5_000.0, scale)),
            medium: Medium::Email,
            recipients: 1,
            shape: closed(scaled(5_000.0, scale), clients),
            sink_delay: Duration::ZERO,
        },
        Workload {
            id: "W3",
            what: format!("1 event to {fan} webhook recipients"),
            medium: Medium::Webhook,
            recipients: fan,
            shape: single,
            sink_delay: Duration::ZERO,
        },
        Workload {
            id: "W4",
            what: format!("1 event to {fan} email recipients"),
            medium: Medium::Email,
            recipients: fan,
            shape: single,
            sink_delay: Duration::ZERO,
        },
        Workload {
            id: "W5-W1",
            what: format!("W1 with the webhook answering after 200 ms ({w1} events)"),
            medium: Medium::Webhook,
            recipients: 1,
            shape: closed(w1, clients),
            sink_delay: slow,
        },
        Workload {
            id: "W5-W3",
            what: format!("W3 with the webhook answering after 200 ms ({fan} recipients)"),
            medium: Medium::Webhook,
            recipients: fan,
            shape: single,
            sink_delay: slow,
        },
        Workload {
            id: "W6",
            what: format!("open loop, 1000 events/s for {open_seconds:.0} s, 1 webhook recipient each"),
            medium: Medium::Webhook,
            recipients: 1,
            shape: Shape::Open { rate: 1000.0, seconds: open_seconds },
            sink_delay: Duration::ZERO,
        },
    ]
}

/// The figures of one run, or the median of several, by name; `None` where a
/// figure does not apply (first/last recipient outside fan-outs).
pub type Figures = Vec<(&'static str, Option<f64>)>;

/// One alert sent: its number, when it was (or was due to be) sent, when the
/// answer came and whether it was accepted.
struct Sent {
    marker: u64,
    at: Instant,
    answered: Instant,
    accepted: bool,
}

async fn closed(target: Arc<Target>, events: u64, clients: usize) -> Vec<Sent> {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients.max(1) {
        let (target, next) = (target.clone(), next.clone());
        tasks.spawn(async move {
            let mut sent = Vec::new();
            loop {
                let marker = next.fetch_add(1, Ordering::Relaxed);
                if marker >= events {
                    return sent;
                }
                let body = target.body(marker);
                let at = Instant::now();
                let accepted = target.post(body).await;
                sent.push(Sent { marker, at, answered: Instant::now(), accepted });
            }
        });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        if let Ok(sent) = done {
            all.extend(sent);
        }
    }
    all
}

/// Requests in flight at most in the open loop; beyond it a request waits, and
/// its latency still counts from its scheduled time.
const OPEN_LOOP_IN_FLIGHT: usize = 4096;

async fn open(target: Arc<Target>, rate: f64, seconds: f64) -> Vec<Sent> {
    let events = (rate * seconds).round() as u64;
    let permits = Arc::new(tokio::sync::Semaphore::new(OPEN_LOOP_IN_FLIGHT));
    let start = tokio::time::Instant::now() + Duration::from_millis(20);
    let mut tasks = tokio::task::JoinSet::new();
    for marker in 0..events {
        let due = start + Duration::from_secs_f64(marker as f64 / rate);
        tokio::time::sleep_until(due).await;
        let (target, permits) = (target.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let accepted = target.post(target.body(marker)).await;
            Sent { marker, at: due.into_std(), answered: Instant::now(), accepted }
        });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        if let Ok(sent) = done {
            all.push(sent);
        }
    }
    all
}

/// Waits until the sink holds `expected` distinct deliveries; gives up when
/// nothing new arrived for `stall`. True when all arrived.
async fn wait_for_deliveries(recorder: &sink::Recorder, expected: u64, stall: Duration) -> bool {
    let mut seen = recorder.total();
    let mut progress = Instant::now();
    loop {
        if recorder.distinct() >= expected {
            return true;
        }
        let total = recorder.total();
        if total != seen {
            seen = total;
            progress = Instant::now();
        } else if progress.elapsed() > stall {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Options of every run.
pub struct RunOptions {
    pub binaries: Binaries,
    pub stall: Duration,
    pub ticks: f64,
}

/// Runs `workload` once on `system`: fresh sinks, a fresh system with its
/// directory, the load, then the wait for every delivery.
pub async fn run_once(system: System, workload: &Workload, options: &RunOptions) -> Result<Figures> {
    let webhook = sink::webhook(workload.sink_delay)?;
    let smtp = sink::smtp()?;
    let recorder = match workload.medium {
        Medium::Webhook => webhook.recorder.clone(),
        Medium::Email => smtp.recorder.clone(),
    };
    let directory = Directory {
        medium: workload.medium,
        recipients: workload.recipients,
        webhook_port: webhook.port,
        smtp_port: smtp.port,
    };
    let running = sut::start(system, directory, &options.binaries).await?;
    let pid = running.pid;
    let peak_reset = procfs::reset_peak_rss(pid);
    let cpu_before = procfs::cpu_seconds(pid, options.ticks)?;
    // The PostgreSQL server's work for Tocsin, which Tocsin's own CPU time leaves out.
    let database = running.database().map(|name| format!(" {name} "));
    let database_cpu = || database.as_deref().map(|needle| procfs::cpu_seconds_matching(needle, options.ticks));
    let database_cpu_before = database_cpu();
    let started = Instant::now();
    let sent = match workload.shape {
        Shape::Closed { events, clients } => closed(running.target.clone(), events, clients).await,
        Shape::Open { rate, seconds } => open(running.target.clone(), rate, seconds).await,
    };
    let accepted: Vec<&Sent> = sent.iter().filter(|s| s.accepted).collect();
    let expected = accepted.len() as u64 * u64::from(workload.recipients);
    let complete = wait_for_deliveries(&recorder, expected, options.stall).await;
    let cpu = procfs::cpu_seconds(pid, options.ticks)? - cpu_before;
    let database_cpu = database_cpu().zip(database_cpu_before).map(|(after, before)| after - before);
    let peak_rss = procfs::status_mb(pid, if peak_reset { "VmHWM" } else { "VmRSS" })?;
    // Late duplicates (a retry after a timeout) get a moment to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (arrivals, unknown) = recorder.snapshot();
    let (idle_rss, setup_seconds) = (running.idle_rss_mb, running.setup_seconds);
    drop(running);

    let mut latencies = Vec::with_capacity(expected as usize);
    let mut last_arrival = started;
    let mut missing = 0u64;
    for s in &accepted {
        for r in 0..workload.recipients {
            match arrivals.get(&(s.marker, r)) {
                Some(a) => {
                    latencies.push(ms(a.first.saturating_duration_since(s.at)));
                    last_arrival = last_arrival.max(a.first);
                }
                None => missing += 1,
            }
        }
    }
    let delivered = expected - missing;
    let duplicates: u64 = arrivals.values().map(|a| u64::from(a.count - 1)).sum();
    let sent_markers: std::collections::HashSet<u64> = accepted.iter().map(|s| s.marker).collect();
    let unexpected = unknown
        + arrivals.keys().filter(|(m, r)| !sent_markers.contains(m) || *r >= workload.recipients).count() as u64;
    let last_answer = sent.iter().map(|s| s.answered).max().unwrap_or(started);
    let answers: Vec<f64> = accepted.iter().map(|s| ms(s.answered.saturating_duration_since(s.at))).collect();
    let (p50, p99, max) =
        stats::summary(&latencies).map_or((None, None, None), |(a, b, c)| (Some(a), Some(b), Some(c)));
    let (ack50, ack99) = stats::summary(&answers).map_or((None, None), |(a, b, _)| (Some(a), Some(b)));
    let fan = workload.fan_out();
    let first = latencies.iter().copied().reduce(f64::min).filter(|_| fan);
    let per_second = |n: u64, until: Instant| {
        let secs = until.saturating_duration_since(started).as_secs_f64();
        (secs > 0.0).then(|| n as f64 / secs)
    };
    if !complete {
        eprintln!(
            "  {} {}: gave up waiting after {:?} without progress: {missing} of {expected} missing",
            workload.id,
            system.name(),
            options.stall
        );
    }
    Ok(vec![
        ("events", Some(workload.events() as f64)),
        ("accepted", Some(accepted.len() as f64)),
        ("refused", Some((sent.len() - accepted.len()) as f64)),
        ("expected_deliveries", Some(expected as f64)),
        ("delivered", Some(delivered as f64)),
        ("accepted_per_s", if fan { None } else { per_second(accepted.len() as u64, last_answer) }),
        ("delivered_per_s", per_second(delivered, last_arrival)),
        ("latency_p50_ms", p50),
        ("latency_p99_ms", p99),
        ("latency_max_ms", max),
        ("first_recipient_ms", first),
        ("last_recipient_ms", max.filter(|_| fan)),
        ("answer_p50_ms", ack50),
        ("answer_p99_ms", ack99),
        ("missing", Some(missing as f64)),
        ("duplicates", Some(duplicates as f64)),
        ("unexpected", Some(unexpected as f64)),
        ("cpu_seconds", Some(cpu)),
        ("cpu_s_per_1000", (expected > 0).then(|| cpu / (expected as f64 / 1000.0))),
        ("database_cpu_s_per_1000", database_cpu.filter(|_| expected > 0).map(|c| c / (expected as f64 / 1000.0))),
        ("peak_rss_mb", Some(peak_rss)),
        ("idle_rss_mb", Some(idle_rss)),
        ("setup_s", Some(setup_seconds)),
    ])
}
