"""End-to-end alert latency: funding round POSTed to the ingester → alert read from kakusa.alerts.

Sends funding rounds to `POST /v1/funding-rounds` at a steady rate, every one crossing the `valuation-jump`
threshold (each company alternates USD 1.0B / 2.0B on strictly later dates: +100%, -50%, +100%…). For each id
in a 202 it keeps the monotonic time the 202 arrived; a read_committed consumer on the alerts topic keeps the
time each alert was read, matched by the alert's `record.funding_round_id`. Latency = alert read - 202.

A second consumer on valuation-changes, and the records' own CreateTime timestamps, split the latency by hop
(wall-clock milliseconds, so the split is approximate; the headline figures use the monotonic clock).

Companies are shared out among the sender threads, so a company's rounds go one after the other (the next is
sent only after the previous one's 202): their order on the partition is their date order. Every company's first
two rounds are a warm-up, not counted (the first makes no change; the second proves the pipeline and the
consumer are live).

Usage: latency.py --url http://127.0.0.1:PORT --brokers HOST:PORT [--duration S] [--rate N] [--senders T]
Exit 0 when every timed round's alert arrived and every POST got a 202; 1 otherwise.
"""
import argparse
import datetime
import http.client
import json
import os
import resource
import sys
import threading
import time
import urllib.parse
import uuid

from confluent_kafka import OFFSET_END, Consumer, KafkaException


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True, help="the ingester's base URL")
    p.add_argument("--brokers", required=True)
    p.add_argument("--prefix", default=os.environ.get("KAKUSA_TOPIC_PREFIX", "kakusa."))
    p.add_argument("--duration", type=float, default=float(os.environ.get("DURATION", 60)))
    p.add_argument("--rate", type=float, default=float(os.environ.get("RATE", 1000)))
    p.add_argument("--senders", type=int, default=int(os.environ.get("SENDERS", 24)),
                   help="sender threads, each with its own keep-alive connection")
    p.add_argument("--companies", type=int, default=int(os.environ.get("COMPANIES", 480)),
                   help="companies, shared out among the senders")
    p.add_argument("--drain", type=float, default=float(os.environ.get("DRAIN", 60)),
                   help="seconds to wait for the last alerts after the last send")
    p.add_argument("--fetch-wait-ms", type=int, default=int(os.environ.get("LATENCY_FETCH_WAIT_MS", 1)),
                   help="fetch.wait.max.ms of this script's own consumers (the devbroker's mock holds an empty "
                        "fetch that long even when records arrive meanwhile)")
    return p.parse_args()


class Collector:
    """The alert (or valuation-change) read times by funding round id, filled by a consumer thread."""

    def __init__(self, brokers, topic, fetch_wait_ms):
        self.topic = topic
        self.read_at = {}        # funding round id -> monotonic seconds when read
        self.created_ms = {}     # funding round id -> the record's CreateTime (wall ms)
        self.read_wall_ms = {}   # funding round id -> wall ms when read
        self.duplicates = 0
        self.errors = []
        self.assigned = threading.Event()
        self.stop = threading.Event()
        self.consumer = Consumer({
            "bootstrap.servers": brokers, "group.id": f"latency-{uuid.uuid4()}", "enable.auto.commit": False,
            "auto.offset.reset": "latest", "isolation.level": "read_committed",
            "fetch.wait.max.ms": fetch_wait_ms, "session.timeout.ms": 6000,
        })
        self.thread = threading.Thread(target=self.run, name=f"consume-{topic}", daemon=True)

    def start(self):
        def on_assign(consumer, partitions):
            for tp in partitions:
                tp.offset = OFFSET_END
            consumer.assign(partitions)
            self.assigned.set()
        self.consumer.subscribe([self.topic], on_assign=on_assign)
        self.thread.start()

    def run(self):
        c = self.consumer
        while not self.stop.is_set():
            m = c.poll(0.05)
            if m is None:
                continue
            now = time.monotonic()
            wall_ms = time.time() * 1000
            if m.error():
                self.errors.append(str(m.error()))
                continue
            try:
                value = json.loads(m.value())
                rid = value["record"]["funding_round_id"] if "record" in value else value["funding_round_id"]
            except (ValueError, KeyError, TypeError):
                continue
            if rid in self.read_at:
                self.duplicates += 1
                continue
            self.read_at[rid] = now
            self.read_wall_ms[rid] = wall_ms
            self.created_ms[rid] = m.timestamp()[1]
        c.close()


class Sender:
    """One keep-alive connection and a share of the companies; takes its slots from the common schedule."""

    def __init__(self, run, index, companies):
        self.run = run
        self.companies = companies          # [(name, rounds sent so far)]
        self.next_company = 0
        self.index = index
        self.conn = None
        self.thread = threading.Thread(target=self.loop, name=f"send-{index}", daemon=True)

    def connect(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = http.client.HTTPConnection(self.run.host, self.run.port, timeout=30)

    def post(self, company, number):
        """Sends the company's round `number`; returns (ids, request start, 202 time, wall ms at 202) or None."""
        body = json.dumps({
            "company": company, "country": "US", "round": "Series A",
            "valuation": {"amount": 1_000_000_000 if number % 2 == 0 else 2_000_000_000, "currency": "USD"},
            "investors": ["Latency Bench Capital"],
            "announced_on": (BASE_DATE + datetime.timedelta(days=number)).isoformat(),
        }).encode()
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.connect()
                started = time.monotonic()
                self.conn.request("POST", "/v1/funding-rounds", body, {"Content-Type": "application/json"})
                response = self.conn.getresponse()
                payload = response.read()
                arrived = time.monotonic()
                wall_ms = time.time() * 1000
                if response.status != 202:
                    self.run.failures.append(f"{response.status} {payload[:200]!r}")
                    return None
                return json.loads(payload)["ids"], started, arrived, wall_ms
            except (OSError, http.client.HTTPException) as error:
                self.conn = None
                if attempt == 1:
                    self.run.failures.append(f"{type(error).__name__}: {error}")
        return None

    def loop(self):
        run = self.run
        # Warm-up: two rounds of each company, as fast as the connection goes.
        for i, (company, _) in enumerate(self.companies):
            for number in (0, 1):
                result = self.post(company, number)
                if result and number == 1:
                    run.warmup_ids.update(result[0])
            self.companies[i] = (company, 2)
        run.warmed.release()
        run.go.wait()
        while True:
            slot = run.take_slot()
            if slot is None:
                return
            due = run.t0 + slot / run.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            company, number = self.companies[self.next_company]
            self.companies[self.next_company] = (company, number + 1)
            self.next_company = (self.next_company + 1) % len(self.companies)
            result = self.post(company, number)
            if result is None:
                continue
            ids, started, arrived, wall_ms = result
            run.late.append(started - due)
            run.request_ms.append((arrived - started) * 1000)
            for rid in ids:
                run.accepted_at[rid] = arrived
                run.accepted_wall_ms[rid] = wall_ms


BASE_DATE = datetime.date(2001, 1, 1)


class Run:
    def __init__(self, args):
        url = urllib.parse.urlsplit(args.url)
        self.host, self.port = url.hostname, url.port
        self.rate = args.rate
        self.total = int(args.duration * args.rate)
        self.next_slot = 0
        self.lock = threading.Lock()
        self.t0 = 0.0
        self.go = threading.Event()
        self.warmed = threading.Semaphore(0)
        self.warmup_ids = set()
        self.accepted_at = {}
        self.accepted_wall_ms = {}
        self.failures = []
        self.late = []
        self.request_ms = []

    def take_slot(self):
        with self.lock:
            if self.next_slot >= self.total:
                return None
            self.next_slot += 1
            return self.next_slot - 1


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def summary(values):
    v = sorted(values)
    return (f"p50 {percentile(v, 0.5):8.1f}  p90 {percentile(v, 0.9):8.1f}  p99 {percentile(v, 0.99):8.1f}  "
            f"max {v[-1] if v else float('nan'):8.1f}")


def main():
    args = parse_args()
    tag = uuid.uuid4().hex[:6]
    run = Run(args)
    alerts = Collector(args.brokers, args.prefix + "alerts", args.fetch_wait_ms)
    changes = Collector(args.brokers, args.prefix + "valuation-changes", args.fetch_wait_ms)
    for c in (alerts, changes):
        c.start()
    for c in (alerts, changes):
        if not c.assigned.wait(30):
            sys.exit(f"no partitions of {c.topic} assigned within 30 s")

    senders = [Sender(run, i, []) for i in range(args.senders)]
    for c in range(args.companies):
        senders[c % args.senders].companies.append((f"Latency {tag} {c:05d}", 0))
    senders = [s for s in senders if s.companies]
    print(f"warm-up: 2 rounds for each of {args.companies} companies from {len(senders)} senders", file=sys.stderr)
    for s in senders:
        s.thread.start()
    for _ in senders:
        run.warmed.acquire()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not run.warmup_ids <= alerts.read_at.keys():
        time.sleep(0.1)
    seen = len(run.warmup_ids & alerts.read_at.keys())
    print(f"warm-up: {seen} of {len(run.warmup_ids)} alerts seen", file=sys.stderr)
    if run.failures:
        print(f"warm-up failures: {run.failures[:3]}", file=sys.stderr)
    time.sleep(1)

    print(f"timed: {run.total} rounds at {args.rate:.0f}/s for {args.duration:.0f} s", file=sys.stderr)
    run.t0 = time.monotonic() + 0.05
    run.go.set()
    for s in senders:
        s.thread.join()
    sent_end = time.monotonic()
    timed = dict(run.accepted_at)
    deadline = time.monotonic() + args.drain
    while time.monotonic() < deadline and not timed.keys() <= alerts.read_at.keys():
        time.sleep(0.1)
    for c in (alerts, changes):
        c.stop.set()
    for c in (alerts, changes):
        c.thread.join(10)

    sent = len(timed)
    elapsed = sent_end - run.t0
    latencies = [(alerts.read_at[rid] - t) * 1000 for rid, t in timed.items() if rid in alerts.read_at]
    missing = sent - len(latencies)
    late = sorted(run.late)
    print()
    print(f"sent        {sent} rounds accepted (202) of {run.total} scheduled, {len(run.failures)} failed requests")
    print(f"send rate   {sent / elapsed:,.0f}/s achieved over {elapsed:.1f} s (target {args.rate:,.0f}/s, "
          f"{len(senders)} senders); send start behind schedule p50 {percentile(late, 0.5) * 1000:.1f} ms, "
          f"p99 {percentile(late, 0.99) * 1000:.1f} ms")
    print(f"matched     {len(latencies)} alerts   missing {missing}   duplicates {alerts.duplicates}")
    print(f"latency ms  (202 → alert read) {summary(latencies)}  mean {sum(latencies) / max(1, len(latencies)):.1f}")
    print()
    print("by hop, ms (wall clock, CreateTime has 1 ms resolution):")
    print(f"  POST → 202 (ingester, its produce acked)          {summary(run.request_ms)}")
    hops = [
        ("202 → valuation change produced (aggregator in)", changes.created_ms, run.accepted_wall_ms),
        ("valuation change produced → read (aggregator txn)", changes.read_wall_ms, changes.created_ms),
        ("202 → alert produced (through the aggregator + alerter in)", alerts.created_ms, run.accepted_wall_ms),
        ("alert produced → read (alerter txn + our fetch)", alerts.read_wall_ms, alerts.created_ms),
    ]
    for name, later, earlier in hops:
        values = [later[rid] - earlier[rid] for rid in timed if rid in later and rid in earlier]
        print(f"  {name:<58} {summary(values)}")
    print()
    print("p99 by 10 s window of send time (ms):", " ".join(
        f"{percentile(sorted(w), 0.99):.0f}" for w in windows(timed, alerts.read_at, run.t0, 10)))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"this script used {usage.ru_utime + usage.ru_stime:.1f} CPU-s")
    if run.failures:
        print(f"failures (first 3): {run.failures[:3]}", file=sys.stderr)
    if alerts.errors:
        print(f"consumer errors (first 3): {alerts.errors[:3]}", file=sys.stderr)
    ok = sent > 0 and missing == 0 and not run.failures
    sys.exit(0 if ok else 1)


def windows(accepted, read_at, t0, width):
    buckets = {}
    for rid, t in accepted.items():
        if rid in read_at:
            buckets.setdefault(int((t - t0) // width), []).append((read_at[rid] - t) * 1000)
    return [buckets[k] for k in sorted(buckets)]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        # Not sys.exit: tearing down the consumers' threads at interpreter exit can hang.
        os._exit(130)
    except KafkaException as error:
        sys.exit(f"kafka: {error}")
