#!/usr/bin/env python3
"""Failure harness: breaks things around a real Tocsin server and counts what was
lost. Every scenario starts its own server (release binary) on a fresh database
with its own sinks on loopback, and prints one line of figures (and a JSON line).

  kill9        kill -9 the server at a random moment of a fan-out, restart, repeat
  smtp-down    the SMTP server goes down for a while mid-run (port closed, connections cut)
  webhook-500  the webhook receiver answers 500 to half of the requests
  pg-restart   PostgreSQL (a private cluster made with initdb) restarts under load
  receipts     delivery receipts replayed shuffled, with duplicates
  backlog      a large backlog behind a receiver that answers after 2 s: peak memory

lost = accepted − delivered must be 0; duplicates are counted at the sinks
(at-least-once delivery: bounded by what was in flight at a kill).
"""

import argparse
import concurrent.futures
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from sinks import SmtpSink, WebhookSink  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.path.join(ROOT, "target", "release", "tocsin")
PASSWORD = "failure-harness-password"
FINAL = {"delivered", "sent", "failed", "expired", "cancelled"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, check, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"failure harness: timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Server:
    """`tocsin serve` on a fixed port, so that a restarted server keeps its URL."""

    def __init__(self, database_url, env, workdir):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(workdir, "server.log"), "ab")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")},
            "TOCSIN_CONFIG": "/nonexistent/tocsin.toml",
            "TOCSIN_DATABASE_URL": database_url,
            "TOCSIN_ADMIN_PASSWORD": PASSWORD,
            "TOCSIN_OUTBOUND_ALLOW": "127.0.0.0/8",
            "TOCSIN_PUBLIC_URL": self.url,
            "TOCSIN_HTTP__MAX_BODY_BYTES": str(4 << 20),
            # A dead instance's leases lapse quickly; retries come back fast.
            "TOCSIN_DELIVERY__LEASE_MS": "2000",
            "TOCSIN_DELIVERY__RETRY_BASE_MS": "100",
            "TOCSIN_DELIVERY__RETRY_MAX_MS": "2000",
            "TOCSIN_DELIVERY__POLL_INTERVAL_MS": "500",
            "RUST_LOG": "warn",
            **env,
        }
        self.process = None
        self.token = None

    def start(self):
        self.process = subprocess.Popen(
            [BINARY, "serve", "--bind", f"127.0.0.1:{self.port}"], env=self.env, stdout=self.log, stderr=self.log
        )
        wait_until("the server to be ready", self._ready, 120)
        if self.token is None:
            self.token = self.call("POST", "/api/v1/session", {"username": "admin", "password": PASSWORD})[1]["token"]

    def _ready(self):
        if self.process.poll() is not None:
            raise SystemExit(f"failure harness: the server exited with {self.process.returncode}; see server.log")
        try:
            with urllib.request.urlopen(self.url + "/readyz", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()

    def call(self, method, path, body=None, form=None, timeout=30):
        """(status, parsed JSON or text); network errors give status 0."""
        data, headers = None, {}
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        if form is not None:
            data, headers["Content-Type"] = form.encode(), "application/x-www-form-urlencoded"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return 0, None
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def must(self, method, path, body=None, expect=(200, 201)):
        status, answer = self.call(method, path, body)
        if status not in expect:
            raise SystemExit(f"failure harness: {method} {path} answered {status}: {answer}")
        return answer

    def directory(self, n, destination, group="crowd"):
        """n contacts, each with one destination made by `destination(i)`, in one group."""

        def one(i):
            self.must("POST", "/api/v1/contacts", {"slug": f"c{i}", "name": f"Contact {i}"})
            self.must("POST", f"/api/v1/contacts/c{i}/destinations", destination(i))

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(one, range(n)))
        self.must("POST", "/api/v1/groups", {"slug": group, "name": group, "members": [f"c{i}" for i in range(n)]})
        self.must(
            "POST",
            "/api/v1/events",
            {"slug": "outage", "name": "Outage", "targets": {"groups": [group]},
             "templates": {"subject": "{{ title }}", "body": "{{ title }} ({{ marker }})"}},
        )

    def deliveries(self, notification_id):
        status, n = self.call("GET", f"/api/v1/notifications/{notification_id}", timeout=120)
        return n["deliveries"] if status == 200 else None

    def wait_all(self, notification_id, statuses, timeout):
        """Waits until every delivery of the notification is in one of `statuses`."""

        def done():
            d = self.deliveries(notification_id)
            return d if d is not None and all(x["status"] in statuses for x in d) else None

        return wait_until(f"every delivery of {notification_id} to be {'/'.join(sorted(statuses))}", done, timeout)

    def wait_final(self, notification_id, timeout):
        return self.wait_all(notification_id, FINAL, timeout)


def report(name, figures):
    print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    print(json.dumps({"scenario": name, **figures}))
    return figures.get("lost", 0) == 0 and figures.get("not_final", 0) == 0 and figures.get("regressions", 0) == 0


def new_database(args, workdir):
    return os.path.join(workdir, "tocsin.db") if args.backend == "sqlite" else args.postgres_database()


# ---- scenarios ---------------------------------------------------------------


def kill9(args, workdir):
    sink = WebhookSink(free_port())
    server = Server(new_database(args, workdir), {}, workdir)
    server.start()
    server.directory(args.recipients, lambda i: {"medium": "webhook", "settings": {"url": f"{sink.url}/hook"}})
    accepted, kills = set(), 0
    rng = random.Random(args.seed)
    for round_ in range(args.rounds):
        fired = server.must("POST", "/api/v1/events/outage/fire", {"args": {"title": "down", "marker": str(round_)}})
        ids = {f"dlv_{d['id']}" for d in server.deliveries(fired["notification_id"])}
        accepted |= ids
        # A random moment while the fan-out is being sent: after a random share
        # of it has arrived.
        target = rng.randint(1, max(1, len(ids) - 1))
        wait_until("the fan-out to progress", lambda: len(sink.delivered() & ids) >= target, 120, 0.002)
        server.kill9()
        kills += 1
        in_flight = len(ids - sink.delivered())
        server.start()
        server.wait_final(fired["notification_id"], args.timeout)
        print(f"  round {round_ + 1}/{args.rounds}: killed with {in_flight} of {len(ids)} not yet received", flush=True)
    server.stop()
    delivered = sink.delivered()
    return report("kill9", {"rounds": args.rounds, "recipients": args.recipients, "accepted": len(accepted),
                            "delivered": len(accepted & delivered), "lost": len(accepted - delivered),
                            "duplicates": sink.duplicates(), "kills": kills})


def smtp_down(args, workdir):
    smtp = SmtpSink(free_port())
    env = {"TOCSIN_SMTP__HOST": "127.0.0.1", "TOCSIN_SMTP__PORT": str(smtp.port), "TOCSIN_SMTP__TLS": "none",
           "TOCSIN_SMTP__FROM": "tocsin@example.com"}
    server = Server(new_database(args, workdir), env, workdir)
    server.start()
    n = args.email_recipients
    server.directory(n, lambda i: {"medium": "email", "settings": {"address": f"c{i}@example.com"}})
    fired = server.must("POST", "/api/v1/events/outage/fire", {"args": {"title": "mail", "marker": "1"}})
    wait_until("the first emails", lambda: len(smtp.delivered()) >= max(1, n // 10), 60)
    smtp.stop()
    down_at = len(smtp.delivered())
    time.sleep(args.smtp_down_seconds)
    smtp.start()
    deliveries = server.wait_final(fired["notification_id"], args.timeout + args.smtp_down_seconds)
    server.stop()
    statuses = [d["status"] for d in deliveries]
    received = {rcpt for (_, rcpt) in smtp.delivered()}
    return report("smtp-down", {"down_seconds": args.smtp_down_seconds, "accepted": len(deliveries),
                                "received_before_outage": down_at, "sent": statuses.count("sent"),
                                "lost": len(deliveries) - len(received), "not_final": sum(s not in FINAL for s in statuses),
                                "duplicates": smtp.duplicates(),
                                "attempts_max": max(d["attempts"] for d in deliveries)})


def webhook_500(args, workdir):
    sink = WebhookSink(free_port())
    sink.fail_ratio = 0.5
    server = Server(new_database(args, workdir), {}, workdir)
    server.start()
    n = args.webhook_recipients
    server.directory(n, lambda i: {"medium": "webhook", "settings": {"url": f"{sink.url}/hook"}})
    fired = server.must("POST", "/api/v1/events/outage/fire", {"args": {"title": "flaky", "marker": "1"}})
    deliveries = server.wait_final(fired["notification_id"], args.timeout)
    server.stop()
    ids = {f"dlv_{d['id']}" for d in deliveries}
    return report("webhook-500", {"accepted": len(ids), "delivered": sum(d["status"] == "delivered" for d in deliveries),
                                  "lost": len(ids - sink.delivered()), "answered_500": sink.refused,
                                  "requests": sink.requests, "duplicates": sink.duplicates()})


class PrivateCluster:
    """A PostgreSQL cluster of the harness's own, never the machine's shared one."""

    def __init__(self, workdir):
        bindir = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
        self.bin = f"/usr/lib/postgresql/{bindir}/bin"
        self.dir = os.path.join(workdir, "pg")
        self.port = free_port()
        os.makedirs(self.dir)
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(workdir, "postgres")
            shutil.chown(self.dir, "postgres")
        subprocess.run(self.as_postgres + [f"{self.bin}/initdb", "-D", self.dir, "-A", "trust", "-U", "postgres"],
                       check=True, stdout=subprocess.DEVNULL)
        self.pg_ctl("start")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, action):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        subprocess.run(self.as_postgres + [f"{self.bin}/pg_ctl", "-D", self.dir, "-o", options, "-w", "-m", "fast",
                                           "-l", os.path.join(self.dir, "log"), action],
                       check=True, stdout=subprocess.DEVNULL)

    def close(self):
        try:
            self.pg_ctl("stop")
        except subprocess.CalledProcessError:
            pass


def pg_restart(args, workdir):
    cluster = PrivateCluster(workdir)
    try:
        sink = WebhookSink(free_port())
        server = Server(cluster.url, {"TOCSIN_DATABASE__ACQUIRE_TIMEOUT_MS": "2000"}, workdir)
        server.start()
        server.directory(1, lambda i: {"medium": "webhook", "settings": {"url": f"{sink.url}/hook"}})
        accepted, refused = [], 0
        deadline = time.monotonic() + args.load_seconds
        restart_at = time.monotonic() + args.load_seconds / 2

        def fire(k):
            status, answer = server.call("POST", "/api/v1/events/outage/fire",
                                         {"args": {"title": "load", "marker": str(k)}}, timeout=10)
            return answer["notification_id"] if status == 201 else None

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            k, restarted = 0, False
            while time.monotonic() < deadline:
                if not restarted and time.monotonic() >= restart_at:
                    pool.submit(cluster.pg_ctl, "restart")
                    restarted = True
                batch = list(pool.map(fire, range(k, k + 32)))
                k += 32
                accepted += [n for n in batch if n]
                refused += sum(n is None for n in batch)
        not_final = 0
        delivery_ids = set()
        for n in accepted:
            d = server.wait_final(n, args.timeout)
            not_final += sum(x["status"] not in FINAL for x in d)
            delivery_ids |= {f"dlv_{x['id']}" for x in d}
        server.stop()
        return report("pg-restart", {"load_seconds": args.load_seconds, "accepted": len(accepted),
                                     "refused_during_restart": refused,
                                     "lost": len(delivery_ids - sink.delivered()), "not_final": not_final,
                                     "duplicates": sink.duplicates()})
    finally:
        cluster.close()


def receipts(args, workdir):
    gateway = WebhookSink(free_port())
    env = {"TOCSIN_SMS__PROVIDER": "vonage", "TOCSIN_SMS__VONAGE__BASE_URL": gateway.url,
           "TOCSIN_SMS__VONAGE__API_KEY": "key", "TOCSIN_SMS__VONAGE__API_SECRET": "secret"}
    server = Server(new_database(args, workdir), env, workdir)
    server.start()
    # Three receipts per message plus 20 % duplicates make up the total.
    n = max(1, round(args.receipts / 1.2 / 3))
    server.directory(n, lambda i: {"medium": "sms", "settings": {"phone": f"+1650253{i:04d}"}})
    fired = server.must("POST", "/api/v1/events/outage/fire", {"args": {"title": "sms", "marker": "1"}})
    deliveries = server.wait_all(fired["notification_id"], {"sent"}, args.timeout)
    # The signed reference each message carried, as the gateway saw it: tocsin-<id>-<tag>.
    references = {int(ref.split("-")[1]): ref for ref in gateway.delivered() if ref.startswith("tocsin-")}
    rng = random.Random(args.seed)
    expected, replay = {}, []
    for d in deliveries:
        final = rng.choice(["delivered", "delivered", "expired"])
        expected[d["id"]] = final
        ref = references[d["id"]]
        replay += [f"client-ref={ref}&status={s}&err-code=0" for s in ("accepted", "buffered", final)]
    replay += rng.sample(replay, len(replay) // 5)
    rng.shuffle(replay)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda form: server.call("POST", "/ack/", form=form)[0], replay))
    final = {d["id"]: d["status"] for d in server.deliveries(fired["notification_id"])}
    server.stop()
    wrong = sum(final[i] != expected[i] for i in expected)
    return report("receipts", {"messages": n, "receipts": len(replay), "answered_200": answers.count(200),
                               "final_as_expected": len(expected) - wrong, "regressions": wrong})


def memory_kb(pid, field):
    """VmRSS (now) or VmHWM (peak) of a process, in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def backlog(args, workdir):
    sink = WebhookSink(free_port())
    sink.delay = args.receiver_delay
    env = {"TOCSIN_DELIVERY__QUEUE_PER_MEDIUM": str(args.queue_per_medium),
           # Long enough that no lease lapses while the backlog waits.
           "TOCSIN_DELIVERY__LEASE_MS": "30000"}
    server = Server(new_database(args, workdir), env, workdir)
    server.start()
    fan_out = 1000
    server.directory(fan_out, lambda i: {"medium": "webhook", "settings": {"url": f"{sink.url}/hook"}})
    fires = max(1, args.backlog // fan_out)
    started = time.monotonic()
    peak_rss = 0
    for k in range(fires):
        server.must("POST", "/api/v1/events/outage/fire", {"args": {"title": "backlog", "marker": str(k)}})
        peak_rss = max(peak_rss, memory_kb(server.process.pid, "VmRSS"))
    accepted_in = time.monotonic() - started
    # Let the dispatcher work through the head of the backlog for a while.
    until = time.monotonic() + args.backlog_seconds
    while time.monotonic() < until:
        peak_rss = max(peak_rss, memory_kb(server.process.pid, "VmRSS"))
        time.sleep(0.5)
    hwm = memory_kb(server.process.pid, "VmHWM")
    received = sink.requests
    server.stop()
    return report("backlog", {"deliveries": fires * fan_out, "receiver_delay_s": args.receiver_delay,
                              "queue_per_medium": args.queue_per_medium, "accepted_in_s": round(accepted_in, 1),
                              "watched_s": args.backlog_seconds, "requests_received": received,
                              "peak_rss_mb": round(max(hwm, peak_rss) / 1024, 1)})


SCENARIOS = {"kill9": kill9, "smtp-down": smtp_down, "webhook-500": webhook_500, "pg-restart": pg_restart,
             "receipts": receipts, "backlog": backlog}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS), help="which to run (default: all)")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite",
                        help="database of every scenario but pg-restart (which has its own cluster)")
    parser.add_argument("--postgres-url", default=os.environ.get("TOCSIN_HARNESS_POSTGRES_URL",
                                                                 "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--recipients", type=int, default=10_000, help="fan-out of each kill9 round")
    parser.add_argument("--email-recipients", type=int, default=1_000)
    parser.add_argument("--smtp-down-seconds", type=float, default=30)
    parser.add_argument("--webhook-recipients", type=int, default=2_000)
    parser.add_argument("--load-seconds", type=float, default=20)
    parser.add_argument("--receipts", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=300, help="longest wait for deliveries to be final")
    parser.add_argument("--backlog", type=int, default=100_000, help="deliveries waiting in the backlog scenario")
    parser.add_argument("--backlog-seconds", type=float, default=60, help="how long the backlog is watched")
    parser.add_argument("--receiver-delay", type=float, default=2.0, help="seconds the slow receiver takes")
    parser.add_argument("--queue-per-medium", type=int, default=4096,
                        help="delivery.queue_per_medium of the backlog scenario's server")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    if not os.access(BINARY, os.X_OK):
        parser.error(f"{BINARY} is missing: run cargo build --release -p tocsin-server --bin tocsin")

    databases = []

    def postgres_database():
        name = f"tocsin_harness_{os.getpid()}_{len(databases)}"
        subprocess.run(["psql", f"{args.postgres_url}/postgres", "-qc", f'CREATE DATABASE "{name}"'], check=True)
        databases.append(name)
        return f"{args.postgres_url}/{name}"

    args.postgres_database = postgres_database
    ok = True
    try:
        for name in args.scenarios:
            workdir = tempfile.mkdtemp(prefix=f"tocsin-harness-{name}-")
            started = time.monotonic()
            print(f"== {name} ({args.backend if name != 'pg-restart' else 'private PostgreSQL cluster'})", flush=True)
            ok = SCENARIOS[name](args, workdir) and ok
            print(f"   {name} took {time.monotonic() - started:.0f}s", flush=True)
            shutil.rmtree(workdir, ignore_errors=True)
    finally:
        for name in databases:
            subprocess.run(["psql", f"{args.postgres_url}/postgres", "-qc",
                            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=False)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
