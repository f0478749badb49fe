"""The fault suite's orchestrator (run by scripts/faults): real devbroker, real services, real faults.

Each scenario starts its own devbroker and the service executables, feeds funding rounds generated with a seeded
RNG, computes the expected valuation changes and alerts here, independently of the Swift code (the rules of the
brief: per company, ordered by announced_on, change_pct to two decimals; an alert for |change_pct| >= 25), and
counts what a read_committed consumer sees on the output topics. "Duplicated" = the same `id` seen twice.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from confluent_kafka import Consumer, TopicPartition

PREFIX = "kakusa."
VC = PREFIX + "valuation-changes"
ALERTS = PREFIX + "alerts"
ROUNDS = PREFIX + "funding-rounds"
DLT = PREFIX + "dead-letters"
RATES = {"USD": 1.0, "JPY": 155.0, "EUR": 0.92}


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------------- input, expected

def generate(seed, count, prefix="Co", doomed=0):
    """`count` funding rounds over count/8 companies; each company's rounds in date order, in file order too."""
    rng = random.Random(seed)
    companies = max(1, count // 8)
    rounds, day = [], {}
    for i in range(count):
        c = rng.randrange(companies)
        name = f"{prefix} {seed} {c:06d}" if c >= doomed else f"Doomed {seed} {c:06d}"
        d = day.get(c, 0) + 1 + rng.randrange(30)
        day[c] = d
        currency = rng.choice(["USD", "USD", "JPY", "EUR"])
        amount = rng.randrange(1, 400) * 10_000_000 * (155 if currency == "JPY" else 1)
        announced = (datetime.date(2000, 1, 1) + datetime.timedelta(days=d)).isoformat()
        rounds.append({
            "id": f"fr-{seed}-{i}", "company": name, "country": rng.choice(["US", "CN", "JP", "FR"]),
            "round": rng.choice(["Seed", "Series A", "Series B"]),
            "valuation": {"amount": amount, "currency": currency},
            "investors": ["Fund One"], "announced_on": announced, "source": "faults",
        })
    return rounds


def expected_outputs(rounds):
    """funding_round_id -> expected change_pct (None for a company's first) and the ids that must alert."""
    last, changes, alerting = {}, {}, set()
    for r in rounds:
        usd = r["valuation"]["amount"] / RATES[r["valuation"]["currency"]]
        prev = last.get(r["company"])
        pct = None if prev is None else round((usd - prev) / prev * 100, 2)
        changes[r["id"]] = (pct, usd)
        if pct is not None and abs(pct) >= 25:
            alerting.add(r["id"])
        last[r["company"]] = usd
    return changes, alerting


def ndjson(rounds):
    return "".join(json.dumps(r) + "\n" for r in rounds).encode()


# ---------------------------------------------------------------------------------------------------- processes

class Broker:
    def __init__(self, bin_dir, work, partitions):
        self.log = open(os.path.join(work, "devbroker.log"), "wb")
        self.proc = subprocess.Popen(
            [os.path.join(bin_dir, "devbroker"), "--partitions", str(partitions)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.log)
        self.bootstrap = self.proc.stdout.readline().decode().strip()
        if not self.bootstrap:
            raise RuntimeError("devbroker printed no bootstrap address")

    def command(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Service:
    """One service executable on its own HTTP port; restartable under the same port and identity."""

    def __init__(self, name, bin_dir, work, args, env):
        self.name, self.args = name, args
        self.exe = os.path.join(bin_dir, args[0])
        self.port = free_port()
        self.env = dict(os.environ, KAKUSA_HTTP_PORT=str(self.port), KAKUSA_HTTP_HOST="127.0.0.1",
                        KAKUSA_LOG_LEVEL="info", **env)
        self.logpath = os.path.join(work, f"{name}.log")
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        logf = open(self.logpath, "ab")
        logf.write(f"---- start {self.starts} at {time.time():.3f}\n".encode())
        logf.flush()
        self.proc = subprocess.Popen([self.exe] + self.args[1:], env=self.env, stdout=logf, stderr=logf,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def ready(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/ready", timeout=1) as r:
                return r.status == 200
        except Exception:
            return False

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.ready():
                return time.time()
            if not self.alive():
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.logpath}")
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready within {timeout} s; see {self.logpath}")

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def terminate(self, timeout=10):
        """SIGTERM; returns (exit status, seconds to exit); SIGKILL after `timeout` + 5 s."""
        t0 = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout + 5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        return rc, time.time() - t0


class Stack:
    """devbroker + ingester serve + aggregator(s) + alerter, for one scenario."""

    def __init__(self, cfg, name, rules_extra="", env_extra=None):
        self.cfg = cfg
        self.work = os.path.join(cfg.work, re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-"))
        os.makedirs(self.work, exist_ok=True)
        self.broker = Broker(cfg.bin, self.work, cfg.partitions)
        self.base = {"KAFKA_BROKERS": self.broker.bootstrap, "KAFKA_SESSION_TIMEOUT_MS": "6000",
                     "KAKUSA_TOPIC_PREFIX": PREFIX}
        self.base.update(env_extra or {})
        rules = os.path.join(self.work, "rules.yaml")
        with open(rules, "w") as f:
            f.write("rules:\n  - name: valuation-jump\n    topic: valuation-changes\n"
                    "    when: { field: change_pct, abs_gte: 25 }\n    severity: critical\n" + rules_extra)
        self.ingester = Service("ingester", cfg.bin, self.work, ["ingester", "serve"], self.base)
        self.aggregators = [self.aggregator(1)]
        self.alerter = Service("alerter", cfg.bin, self.work, ["alerter", "run", "--rules", rules], self.base)
        self.services = [self.ingester, self.aggregators[0], self.alerter]

    def aggregator(self, n):
        return Service(f"aggregator-{n}", self.cfg.bin, self.work, ["aggregator", "run"],
                       dict(self.base, KAKUSA_INSTANCE_ID=f"aggregator-{n}"))

    def start(self):
        for s in self.services:
            s.start()
        for s in self.services:
            s.wait_ready(90)

    def stop(self):
        for s in self.services:
            if s.alive():
                s.terminate(5)
        self.broker.stop()


class Feeder(threading.Thread):
    """POSTs the rounds in chunks, in order, to the ingester's HTTP API; a chunk is re-sent until it gets a 202
    (the ingester answers 503 while Kafka is away; a connection error while it restarts)."""

    def __init__(self, port_of, rounds, chunk=200, pause=0.0):
        super().__init__(daemon=True)
        self.port_of, self.rounds, self.chunk, self.pause = port_of, rounds, chunk, pause
        self.sent = 0
        self.retries = 0
        self.done_at = None

    def run(self):
        for i in range(0, len(self.rounds), self.chunk):
            body = ndjson(self.rounds[i:i + self.chunk])
            while True:
                try:
                    req = urllib.request.Request(f"http://127.0.0.1:{self.port_of()}/v1/funding-rounds", data=body,
                                                 headers={"Content-Type": "application/x-ndjson"}, method="POST")
                    with urllib.request.urlopen(req, timeout=30) as r:
                        if r.status == 202:
                            break
                except urllib.error.HTTPError as e:
                    if e.code == 400:
                        raise RuntimeError(f"ingester refused generated input: {e.read()[:300]!r}")
                except Exception:
                    pass
                self.retries += 1
                time.sleep(0.2)
            self.sent = min(len(self.rounds), i + self.chunk)
            if self.pause:
                time.sleep(self.pause)
        self.done_at = time.time()


class Collector(threading.Thread):
    """Reads topics from the beginning, read_committed, counting every record by its value's `id`."""

    def __init__(self, brokers, topics):
        super().__init__(daemon=True)
        self.brokers, self.topics = brokers, topics
        self.seen = {t: {} for t in topics}     # topic -> id -> [count, value]
        self.records = {t: [] for t in topics}  # topic -> (headers, value bytes) for topics kept raw
        self.last_at = {t: None for t in topics}
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()

    def run(self):
        c = Consumer({"bootstrap.servers": self.brokers, "group.id": f"faults-{random.random()}",
                      "enable.auto.commit": False, "isolation.level": "read_committed",
                      "auto.offset.reset": "earliest", "enable.partition.eof": False})
        parts = []
        for t in self.topics:
            md = c.list_topics(t, timeout=10)
            parts += [TopicPartition(t, p, -2) for p in md.topics[t].partitions]
        c.assign(parts)
        while not self.stop_flag.is_set():
            for m in c.consume(1000, 0.2):
                if m.error():
                    continue
                with self.lock:
                    t = m.topic()
                    self.last_at[t] = time.time()
                    if t == DLT or t == ROUNDS and self.keep_rounds:
                        self.records[t].append((dict(m.headers() or []), m.value()))
                    if t == DLT:
                        continue
                    try:
                        v = json.loads(m.value())
                    except Exception:
                        continue
                    entry = self.seen[t].setdefault(v.get("id"), [0, v])
                    entry[0] += 1
        c.close()

    keep_rounds = False

    def stop(self):
        self.stop_flag.set()
        if self.is_alive():
            self.join(10)

    def count(self, topic):
        with self.lock:
            return len(self.seen[topic]), sum(e[0] for e in self.seen[topic].values())


class Monitor(threading.Thread):
    """Polls /health/ready of each service every 0.2 s and keeps the transitions."""

    def __init__(self, services):
        super().__init__(daemon=True)
        self.services = services
        self.transitions = {s.name: [] for s in services}
        self.stop_flag = threading.Event()

    def run(self):
        state = {}
        while not self.stop_flag.is_set():
            for s in self.services:
                r = s.ready()
                if state.get(s.name) != r:
                    state[s.name] = r
                    self.transitions[s.name].append((time.time(), r))
            time.sleep(0.2)

    def first(self, name, ready, after):
        return next((t for t, r in self.transitions[name] if r == ready and t >= after), None)


# ---------------------------------------------------------------------------------------------------- checking

class Result:
    def __init__(self, scenario):
        self.scenario = scenario
        self.records_in = self.records_out = self.lost = self.duplicated = 0
        self.recover = "-"
        self.ok = True
        self.notes = []

    def fail(self, why):
        self.ok = False
        self.notes.append("FAIL: " + why)

    def note(self, what):
        self.notes.append(what)


def check_outputs(result, collector, rounds, exclude=()):
    """Compares valuation changes and alerts with the independently computed expectation."""
    changes, alerting = expected_outputs(rounds)
    with collector.lock:
        vc = dict(collector.seen[VC])
        al = dict(collector.seen[ALERTS])
    by_round, wrong, dup, wrong_examples = {}, 0, 0, []
    for vid, (n, v) in vc.items():
        dup += n - 1
        fr = v.get("funding_round_id")
        if fr in by_round:
            dup += 1  # two different ids for one round: also a duplicate
        by_round[fr] = v
        exp = changes.get(fr)
        if exp is None:
            wrong += 1
            wrong_examples.append({"unexpected": v})
            continue
        pct, usd = exp
        got = v.get("change_pct")
        if (pct is None) != (got is None) or (pct is not None and abs(pct - got) > 0.011) \
                or abs(v["current"]["amount"] - usd) > 1e-6 * usd:
            wrong += 1
            wrong_examples.append({"expected_pct": pct, "expected_usd": usd, "got": v})
    alerts_by_round = {}
    for aid, (n, a) in al.items():
        dup += n - 1
        fr = (a.get("record") or {}).get("funding_round_id")
        if fr in alerts_by_round:
            dup += 1
        alerts_by_round[fr] = a
        if fr not in alerting:
            wrong += 1
    lost_vc = len(set(changes) - set(by_round))
    lost_al = len(set(alerting) - set(alerts_by_round) - set(exclude))
    result.records_in = len(rounds)
    result.records_out = len(by_round) + len(alerts_by_round)
    result.lost = lost_vc + lost_al
    result.duplicated = dup
    result.note(f"expected {len(changes)} valuation changes + {len(alerting)} alerts")
    detail = {"lost_vc": sorted(set(changes) - set(by_round))[:20],
              "lost_alerts": sorted(set(alerting) - set(alerts_by_round) - set(exclude))[:20],
              "wrong": wrong_examples[:20]}
    with open(os.path.join(collector.work, "check.json"), "w") as f:
        json.dump(detail, f, indent=1)
    if result.lost:
        result.fail(f"lost {lost_vc} valuation changes, {lost_al} alerts")
    if dup:
        result.fail(f"{dup} duplicated outputs")
    if wrong:
        result.fail(f"{wrong} outputs differ from the expectation")


def wait_outputs(collector, rounds, timeout, quiet=3.0):
    """Until every expected output is there (then `quiet` s more, to catch late duplicates) or `timeout`."""
    changes, alerting = expected_outputs(rounds)
    deadline = time.time() + timeout
    complete_at = None
    collector.complete = {}
    while time.time() < deadline:
        vc, _ = collector.count(VC)
        al, _ = collector.count(ALERTS)
        if vc >= len(changes):
            collector.complete.setdefault(VC, time.time())
        if al >= len(alerting):
            collector.complete.setdefault(ALERTS, time.time())
        if vc >= len(changes) and al >= len(alerting):
            complete_at = complete_at or time.time()
            if time.time() - complete_at >= quiet:
                return complete_at
        time.sleep(0.2)
    return complete_at


def run_pipeline(cfg, name, rounds, fault, feed_pause, rules_extra="", env_extra=None, drain=None, after=None):
    """Starts the stack, feeds `rounds` while `fault(stack, feeder, result)` runs, then checks the outputs."""
    result = Result(name)
    stack = Stack(cfg, name, rules_extra=rules_extra, env_extra=env_extra)
    collector = Collector(stack.broker.bootstrap, [VC, ALERTS])
    collector.work = stack.work
    started = time.time()
    try:
        stack.start()
        stack.collector = collector
        collector.start()
        feeder = Feeder(lambda: stack.ingester.port, rounds, chunk=cfg.chunk, pause=feed_pause)
        feeder.start()
        fault(stack, feeder, result)
        feeder.join(cfg.timeout)
        if feeder.is_alive():
            result.fail(f"the feeder did not finish ({feeder.sent}/{len(rounds)} accepted)")
        complete = wait_outputs(collector, rounds, drain or cfg.timeout)
        if complete is None:
            result.note("outputs incomplete at the deadline")
        elif getattr(result, "fault_end", None):
            result.note(f"outputs complete {max(0.0, complete - result.fault_end):.1f} s after the last fault "
                        f"(valuation changes {collector.complete[VC] - result.fault_end:.1f} s, "
                        f"alerts {collector.complete[ALERTS] - result.fault_end:.1f} s)")
        check_outputs(result, collector, rounds)
        result.note(f"{feeder.retries} chunk re-sends; {time.time() - started:.0f} s")
        if after:
            after(stack, result, complete)
    except Exception as e:  # a scenario that cannot run is a failed one, and the next one still runs
        result.fail(f"{type(e).__name__}: {e}")
    finally:
        collector.stop()
        stack.stop()
    return result


# ---------------------------------------------------------------------------------------------------- scenarios

def scenario_outage(cfg):
    rounds = generate(101, cfg.records)

    def fault(stack, feeder, result):
        monitor = Monitor(stack.services)
        monitor.start()
        while feeder.sent < len(rounds) // 3 or stack.collector.count(ALERTS)[0] == 0:
            time.sleep(0.1)
        down_at = time.time()
        log(f"outage: brokers down for {cfg.outage} s at {feeder.sent} records accepted")
        stack.broker.command("down 1")
        time.sleep(cfg.outage)
        up_at = time.time()
        result.fault_end = up_at
        stack.broker.command("up 1")
        recover = []
        deadline = time.time() + 120
        while time.time() < deadline:
            if all(monitor.first(s.name, True, up_at) for s in stack.services):
                break
            time.sleep(0.2)
        monitor.stop_flag.set()
        with open(os.path.join(stack.work, "readiness.json"), "w") as f:
            json.dump({"down": down_at, "up": up_at, "transitions": monitor.transitions}, f, indent=1)
        for s in stack.services:
            went_down = monitor.first(s.name, False, down_at)
            back = monitor.first(s.name, True, up_at)
            if went_down is None or went_down > up_at:
                result.fail(f"{s.name} /health/ready stayed true during the outage")
            if back is None:
                result.fail(f"{s.name} /health/ready not true again")
            else:
                recover.append(back - up_at)
            if not s.alive():
                result.fail(f"{s.name} exited during the outage")
        if recover:
            result.recover = f"{max(recover):.1f} s"
            result.note("ready again after up: " + ", ".join(
                f"{s.name} {r:.1f} s" for s, r in zip(stack.services, recover)))

    return run_pipeline(cfg, f"1 broker outage {cfg.outage} s", rounds, fault, cfg.pause)


def scenario_crash(cfg):
    rounds = generate(202, cfg.records)
    rng = random.Random(7)

    def fault(stack, feeder, result):
        victims = [s for s in stack.services for _ in range(cfg.kills)]
        rng.shuffle(victims)
        recover = []
        for s in victims:
            time.sleep(rng.uniform(0.5, cfg.kill_gap))
            s.kill9()
            t0 = time.time()
            s.start()
            recover.append(s.wait_ready(120) - t0)
            result.fault_end = time.time()
        result.recover = f"{max(recover):.1f} s max"
        result.note(f"{len(victims)} kill -9 ({cfg.kills} each), ready again after {sum(recover)/len(recover):.1f} s "
                    f"on average; {feeder.sent}/{len(rounds)} fed when the last one came back")

    return run_pipeline(cfg, f"2 kill -9 ×{cfg.kills} each", rounds, fault, cfg.pause)


def scenario_rebalance(cfg):
    rounds = generate(303, cfg.records)

    def fault(stack, feeder, result):
        t0 = time.time()
        for n in (2, 3):
            while feeder.sent < len(rounds) * n // 5:
                time.sleep(0.1)
            a = stack.aggregator(n).start()
            stack.aggregators.append(a)
            stack.services.append(a)
            log(f"rebalance: aggregator-{n} started at {feeder.sent} records")
            a.wait_ready(120)
        while feeder.sent < len(rounds) * 4 // 5:
            time.sleep(0.1)
        rc, secs = stack.aggregators[1].terminate()
        stack.services.remove(stack.aggregators[1])
        log(f"rebalance: aggregator-2 stopped (exit {rc} in {secs:.1f} s)")
        if rc != 0:
            result.fail(f"aggregator-2 exit status {rc} on SIGTERM")
        result.recover = f"{time.time() - t0:.0f} s span"
        result.note("aggregators 2 and 3 joined mid-stream, 2 left (SIGTERM)")

    return run_pipeline(cfg, "3 rebalance +2 −1 aggregators", rounds, fault, cfg.pause)


def check_rounds_topic(brokers, rounds):
    """Every round once on funding-rounds (a re-sent chunk may legitimately repeat some: counted apart)."""
    c = Consumer({"bootstrap.servers": brokers, "group.id": f"faults-{random.random()}",
                  "isolation.level": "read_committed", "enable.auto.commit": False})
    md = c.list_topics(ROUNDS, timeout=10)
    parts = [TopicPartition(ROUNDS, p, -2) for p in md.topics[ROUNDS].partitions]
    ends = {p.partition: c.get_watermark_offsets(p, timeout=10)[1] for p in parts}
    c.assign(parts)
    counts, pos = {}, {p: 0 for p in ends}
    deadline = time.time() + 60
    while any(pos[p] < ends[p] for p in ends) and time.time() < deadline:
        for m in c.consume(1000, 0.5):
            if m.error():
                continue
            pos[m.partition()] = m.offset() + 1
            rid = json.loads(m.value()).get("id")
            counts[rid] = counts.get(rid, 0) + 1
    c.close()
    dups = sum(n - 1 for n in counts.values())
    return len(set(r["id"] for r in rounds) - set(counts)), dups


def scenario_produce_errors_checked(cfg):
    rounds = generate(404, cfg.records)
    holder = {}

    def fault(stack, feeder, result):
        holder["feeder"] = feeder
        # Bursts, not a wall: each is retried well within the producers' message timeouts. (A wall of errors
        # that outlasts the ingester's 10 s message timeout is an outage: see scenario 1.)
        injected = 0
        while feeder.is_alive():
            for code in (6, 7):
                stack.broker.command(f"errors 0 {code} {cfg.error_burst}")
                injected += cfg.error_burst
            time.sleep(cfg.error_gap)
        holder["lost"], holder["dups"] = check_rounds_topic(stack.broker.bootstrap, rounds)
        result.note(f"{injected} produce errors injected (NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT); "
                    f"funding-rounds: {holder['lost']} missing, {holder['dups']} repeated")

    result = run_pipeline(cfg, "4 transient produce errors", rounds, fault, cfg.pause)
    if holder.get("dups") and not holder["feeder"].retries:
        result.fail(f"{holder['dups']} duplicates on funding-rounds without any re-sent chunk")
    if holder.get("lost"):
        result.fail(f"{holder['lost']} rounds missing on funding-rounds")
    return result


def scenario_shutdown(cfg):
    rounds = generate(808, cfg.records)

    def fault(stack, feeder, result):
        times = []
        for s in list(stack.services):
            while feeder.sent < len(rounds) * (len(times) + 1) // 5:
                time.sleep(0.1)
            rc, secs = s.terminate()
            times.append(secs)
            log(f"shutdown: {s.name} SIGTERM → exit {rc} in {secs:.1f} s")
            if rc != 0:
                result.fail(f"{s.name} exit status {rc} on SIGTERM")
            if secs > 10:
                result.fail(f"{s.name} took {secs:.1f} s to exit")
            s.start()
            s.wait_ready(120)
        result.recover = f"exit ≤ {max(times):.1f} s"
        result.note("SIGTERM each service under load, exit " + ", ".join(f"{t:.1f}" for t in times) + " s")

    return run_pipeline(cfg, "8 SIGTERM under load", rounds, fault, 0.0)


def scenario_hostile(cfg):
    """A file of good and hostile lines through `ingester publish`: each bad line dead-lettered with its line
    number and a reason, each good one published."""
    result = Result("5 hostile input (publish)")
    work = os.path.join(cfg.work, "hostile")
    os.makedirs(work, exist_ok=True)
    rng = random.Random(505)
    good = generate(505, 50)
    hostile = [
        b"{" * 100_000,
        b"[" * 5000 + b"]" * 5000,
        b'{"company":"A","country":"US","valuation":{"amount":NaN,"currency":"USD"},"investors":[],'
        b'"announced_on":"2024-01-01"}',
        b'{"company":"A","country":"US","valuation":{"amount":Infinity,"currency":"USD"},"investors":[],'
        b'"announced_on":"2024-01-01"}',
        b'{"company":"A","country":"US","valuation":{"amount":1e400,"currency":"USD"},"investors":[],'
        b'"announced_on":"2024-01-01"}',
        b'{"company":"A","country":"US","valuation":{"amount":-1e400,"currency":"USD"},"investors":[],'
        b'"announced_on":"2024-01-01"}',
        b'{"company":"\xff\xfe\x80","country":"US","valuation":{"amount":1,"currency":"USD"},"investors":[],'
        b'"announced_on":"2024-01-01"}',
        b'{"company":"A","country":"US","valuation":{"amount":1,"currency":"USD"},"investors":[],'
        b'"announced_on":"2024-01-01", "x": "' + b"a" * 3_000_000 + b'"}',
        b"\x00\x01\x02\x03garbage",
        b'{"company": 12, "country": [], "valuation": "x"}',
        b'{"company":"A","country":"ZZ","valuation":{"amount":1,"currency":"XXX"},"investors":[],'
        b'"announced_on":"2024-13-45"}',
        b'"just a string"',
        b"123456789012345678901234567890123456789012345678901234567890e99999",
        b'{"company":"A"',
        b'{"company":"\\ud800","country":"US","valuation":{"amount":1,"currency":"USD"},"investors":[],'
        b'"announced_on":"2024-01-01"}',
    ]
    lines, bad_lines = [], set()
    gi = 0
    for h in hostile:
        for _ in range(rng.randrange(1, 4)):
            if gi < len(good):
                lines.append(json.dumps(good[gi]).encode())
                gi += 1
        lines.append(h)
        bad_lines.add(len(lines))
    lines += [json.dumps(g).encode() for g in good[gi:]]
    path = os.path.join(work, "funding-hostile.ndjson")
    with open(path, "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
    broker = Broker(cfg.bin, work, cfg.partitions)
    try:
        env = dict(os.environ, KAFKA_BROKERS=broker.bootstrap, KAKUSA_TOPIC_PREFIX=PREFIX)
        t0 = time.time()
        p = subprocess.run([os.path.join(cfg.bin, "ingester"), "publish", path], env=env, capture_output=True,
                           timeout=120)
        secs = time.time() - t0
        with open(os.path.join(work, "publish.err"), "wb") as f:
            f.write(p.stderr)
        if p.returncode != 1:
            result.fail(f"ingester publish exit status {p.returncode} (expected 1: some rejected)")
        collector = Collector(broker.bootstrap, [ROUNDS, DLT])
        collector.keep_rounds = True
        collector.start()
        deadline = time.time() + 30
        while time.time() < deadline and (len(collector.records[DLT]) < len(bad_lines)
                                          or len(collector.records[ROUNDS]) < len(good)):
            time.sleep(0.2)
        time.sleep(1)
        collector.stop()
        with collector.lock:
            dlts = list(collector.records[DLT])
            published = [json.loads(v)["id"] for _, v in collector.records[ROUNDS]]
        dl_lines = []
        for headers, _ in dlts:
            line = int(headers.get("kakusa.dlt.source.line", b"0"))
            dl_lines.append(line)
            if not headers.get("kakusa.dlt.error.code") or not headers.get("kakusa.dlt.error.message"):
                result.fail(f"dead letter of line {line} without a reason")
        missing_dl = bad_lines - set(dl_lines)
        extra_dl = [x for x in dl_lines if x not in bad_lines]
        result.records_in = len(lines)
        result.records_out = len(set(published)) + len(set(dl_lines) & bad_lines)
        result.lost = len(set(g["id"] for g in good) - set(published)) + len(missing_dl)
        result.duplicated = (len(published) - len(set(published))) + (len(dl_lines) - len(set(dl_lines)))
        result.recover = f"{secs:.1f} s run"
        result.note(f"{len(good)} good, {len(bad_lines)} hostile lines; {len(dlts)} dead letters")
        if missing_dl:
            result.fail(f"hostile lines not dead-lettered: {sorted(missing_dl)}")
        if extra_dl:
            result.fail(f"good lines dead-lettered: {extra_dl}")
        if result.lost:
            result.fail(f"{result.lost} lost")
        if result.duplicated:
            result.fail(f"{result.duplicated} duplicated")
    except Exception as e:
        result.fail(f"{type(e).__name__}: {e}")
    finally:
        broker.stop()
    return result


class Receiver:
    """A webhook receiver that hangs, then answers 500, then 200; subjects starting with `doomed-` always get 500.
    Verifies every call's Standard Webhooks signature."""

    def __init__(self, secret, hang_s, fail_s):
        self.key = base64.b64decode(secret[len("whsec_"):])
        self.hang_s, self.fail_s = hang_s, fail_s
        self.first = None
        self.delivered = {}
        self.calls = self.bad_signatures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                wid, ts = self.headers.get("webhook-id", ""), self.headers.get("webhook-timestamp", "")
                mac = base64.b64encode(hmac.new(receiver.key, f"{wid}.{ts}.".encode() + body,
                                                hashlib.sha256).digest()).decode()
                now = time.time()
                with receiver.lock:
                    receiver.calls += 1
                    receiver.first = receiver.first or now
                    phase = now - receiver.first
                    if self.headers.get("webhook-signature") != "v1," + mac:
                        receiver.bad_signatures += 1
                alert = json.loads(body)
                if phase < receiver.hang_s:
                    time.sleep(receiver.hang_s - phase + 1)
                    status = 500
                elif alert["subject"].startswith("doomed-"):
                    status = 503
                elif phase < receiver.hang_s + receiver.fail_s:
                    status = 500
                else:
                    status = 200
                    with receiver.lock:
                        receiver.delivered[wid] = receiver.delivered.get(wid, 0) + 1
                try:
                    self.send_response(status)
                    if status == 503:
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except Exception:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def scenario_webhook(cfg):
    rounds = generate(606, cfg.webhook_records, doomed=1)
    secret = "whsec_" + base64.b64encode(random.Random(6).randbytes(24)).decode()
    receiver = Receiver(secret, cfg.hang, cfg.fail)
    # 6 attempts with 0.5 s doubling back-off outlast the receiver's bad spell (hang, then 500s); doomed alerts get
    # 503 with Retry-After: 0, so they use up their attempts at once and are dead-lettered.
    rules_extra = (f"sinks:\n  - kind: webhook\n    url: http://127.0.0.1:{receiver.port}/hook\n"
                   f"    secret_env: FAULTS_WEBHOOK_SECRET\n    max_attempts: 6\n    timeout: 2s\n")
    changes, alerting = expected_outputs(rounds)
    doomed_ids = {r["id"] for r in rounds if r["id"] in alerting and r["company"].startswith("Doomed")}
    holder = {}

    def fault(stack, feeder, result):
        dl = Collector(stack.broker.bootstrap, [DLT])
        dl.start()
        holder["dl"] = dl

    def after(stack, result, alerts_complete):
        deliverable = len(alerting) - len(doomed_ids)
        dl = holder["dl"]
        deadline = time.time() + cfg.timeout
        done = None
        while time.time() < deadline:
            with receiver.lock:
                n = len(receiver.delivered)
            with dl.lock:
                dead = len(dl.records[DLT])
            if n >= deliverable and dead >= len(doomed_ids):
                done = time.time()
                break
            time.sleep(0.2)
        time.sleep(1)
        dl.stop()
        receiver.server.shutdown()
        with receiver.lock:
            n, calls, bad = len(receiver.delivered), receiver.calls, receiver.bad_signatures
            repeats = sum(v - 1 for v in receiver.delivered.values())
            first = receiver.first
        dead = [h for h, _ in dl.records[DLT] if h.get("kakusa.dlt.service") == b"alerter"
                and h.get("kakusa.dlt.original.topic") == ALERTS.encode()]
        if done and first:
            result.recover = f"{done - (first + cfg.hang + cfg.fail):.1f} s"
        result.note(f"webhook: {n}/{deliverable} delivered ({repeats} repeats), {calls} calls, {bad} bad signatures; "
                    f"{len(dead)}/{len(doomed_ids)} dead-lettered after 6 attempts; the alerts topic was complete "
                    + (f"{done - alerts_complete:.1f} s before the last webhook delivery" if done and alerts_complete
                       else "(n/a)"))
        if n < deliverable:
            result.fail(f"{deliverable - n} alerts never delivered to the webhook")
        if bad:
            result.fail(f"{bad} calls with a bad signature")
        if len(dead) != len(doomed_ids):
            result.fail(f"{len(dead)} webhook dead letters, expected {len(doomed_ids)}")

    return run_pipeline(cfg, "6 webhook hangs, 500s, recovers", rounds, fault, 0.0, rules_extra=rules_extra,
                        env_extra={"FAULTS_WEBHOOK_SECRET": secret}, after=after)


def scenario_big_file(cfg):
    """A big NDJSON file through `ingester publish`; peak RSS from /usr/bin/time. The devbroker keeps 5 MiB per
    partition, so records out are counted from the partitions' end offsets (the idempotent producer writes each
    record once; the offsets count every write)."""
    mb = cfg.big_mb
    result = Result(f"7 {mb} MB file, RSS < 100 MB")
    work = os.path.join(cfg.work, "big")
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "funding-big.ndjson")
    sample = generate(707, 1000)
    n = 0
    with open(path, "wb") as f:
        written = 0
        while written < mb * 1_000_000:
            r = dict(sample[n % 1000], id=f"big-{n}")
            line = (json.dumps(r) + "\n").encode()
            f.write(line)
            written += len(line)
            n += 1
    broker = Broker(cfg.bin, work, 64)
    try:
        env = dict(os.environ, KAFKA_BROKERS=broker.bootstrap, KAKUSA_TOPIC_PREFIX=PREFIX)
        t0 = time.time()
        p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", os.path.join(cfg.bin, "ingester"), "publish",
                            path], env=env, capture_output=True, timeout=3600)
        secs = time.time() - t0
        rss_mb = next((int(l.split()[1]) / 1024 for l in p.stderr.decode().splitlines()
                       if l.startswith("MAXRSS")), None)
        c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "faults-big"})
        md = c.list_topics(ROUNDS, timeout=10)
        total = sum(c.get_watermark_offsets(TopicPartition(ROUNDS, q), timeout=10)[1]
                    for q in md.topics[ROUNDS].partitions)
        c.close()
        result.records_in, result.records_out = n, total
        result.lost = max(0, n - total)
        result.duplicated = max(0, total - n)
        result.recover = f"{secs:.0f} s run"
        result.note(f"peak RSS {rss_mb:.0f} MB; {n / secs:,.0f} records/s; exit {p.returncode}")
        if p.returncode != 0:
            result.fail(f"exit status {p.returncode}: {p.stderr.decode()[-300:]}")
        if rss_mb is None or rss_mb >= 100:
            result.fail(f"peak RSS {rss_mb} MB")
        if result.lost or result.duplicated:
            result.fail("record count differs")
    except Exception as e:
        result.fail(f"{type(e).__name__}: {e}")
    finally:
        broker.stop()
        os.remove(path)
    return result


# ---------------------------------------------------------------------------------------------------- main

SCENARIOS = {
    "outage": scenario_outage, "crash": scenario_crash, "rebalance": scenario_rebalance,
    "errors": scenario_produce_errors_checked, "hostile": scenario_hostile, "webhook": scenario_webhook,
    "bigfile": scenario_big_file, "shutdown": scenario_shutdown,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--form", choices=["short", "long"], default="short")
    ap.add_argument("--only", default="", help="comma-separated scenario names")
    ap.add_argument("--markdown", help="also write the table here")
    cfg = ap.parse_args()
    long = cfg.form == "long"
    cfg.records = 100_000 if long else 3_000
    cfg.webhook_records = 2_000 if long else 400
    cfg.partitions = 16 if long else 4
    cfg.chunk = 500 if long else 50
    cfg.pause = 0.3 if long else 0.25
    # The services probe Kafka every 5 s with a 2 s timeout: a shorter outage may never show on /health/ready.
    cfg.outage = 30 if long else 10
    cfg.kills = 10 if long else 2
    cfg.kill_gap = 6.0 if long else 2.0
    cfg.error_burst = int(os.environ.get("FAULTS_ERROR_BURST", "5"))
    cfg.error_gap = float(os.environ.get("FAULTS_ERROR_GAP", "2.0"))  # 10 and 0.5 make a wall (see docs/fault-suite.md)
    cfg.hang, cfg.fail = 3, 3
    cfg.big_mb = 1000 if long else 50
    cfg.timeout = 900 if long else 180
    cfg.work = tempfile.mkdtemp(prefix="kakusa-faults-")
    names = [n for n in cfg.only.split(",") if n] or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    log(f"fault suite ({cfg.form}); logs in {cfg.work}")
    results = []
    t0 = time.time()
    for name in names:
        log(f"== {name}")
        r = SCENARIOS[name](cfg)
        log(f"   {'pass' if r.ok else 'FAIL'}: " + "; ".join(r.notes))
        results.append(r)
    header = "| scenario | records in | records out | lost | duplicated | time to recover | result |"
    rows = [header, "|---|---:|---:|---:|---:|---|---|"]
    for r in results:
        rows.append(f"| {r.scenario} | {r.records_in:,} | {r.records_out:,} | {r.lost} | {r.duplicated} | "
                    f"{r.recover} | {'pass' if r.ok else 'FAIL'} |")
    notes = [f"- {r.scenario}: " + "; ".join(r.notes) for r in results]
    text = "\n".join(rows) + "\n\n" + "\n".join(notes) + f"\n\n({cfg.form} form, {time.time() - t0:.0f} s)\n"
    print(text)
    if cfg.markdown:
        with open(cfg.markdown, "w") as f:
            f.write(text)
    sys.exit(0 if all(r.ok for r in results) else 1)


if __name__ == "__main__":
    main()
