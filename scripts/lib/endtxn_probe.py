"""EndTxn → read_committed read: how long after a transaction's commit returns a consumer parked on an empty
partition gets the committed record (scripts/bench-devbroker).

    .venv/bin/python scripts/lib/endtxn_probe.py BROKERS TOPIC [--count N] [--interval-ms MS] [--fetch-wait-ms MS]

A transactional producer writes one record per transaction, every --interval-ms, to partition 0 of TOPIC (which must
exist, one partition is enough); after each commit_transaction() returns (the EndTxn response is in) it takes the
time. A read_committed consumer assigned to the partition's end, polling in its own thread, takes the time each
record arrives; between records its fetch waits at the broker (fetch.wait.max.ms, default 500 ms here: a broker
must answer the parked fetch as soon as the commit makes the record stable). Prints one JSON line: p50, p99, max and
min in ms of read − commit-returned (negative: the record was read before the producer saw the EndTxn response), and
the whole transaction's p50 / p99 (begin → one record → commit returned), for comparison with librdkafka 2.0.2's.
confluent-kafka's own librdkafka (not Kakusa's 2.0.2) is the client on both sides.
"""
import argparse
import json
import threading
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_END


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("brokers")
    parser.add_argument("topic")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--interval-ms", type=float, default=20)
    parser.add_argument("--fetch-wait-ms", type=int, default=500)
    args = parser.parse_args()

    read_at: dict[int, int] = {}
    stop = threading.Event()
    consumer = Consumer({"bootstrap.servers": args.brokers, "group.id": f"endtxn-{uuid.uuid4().hex[:8]}",
                         "isolation.level": "read_committed", "enable.auto.commit": False,
                         "fetch.wait.max.ms": args.fetch_wait_ms, "log_level": 3})
    consumer.assign([TopicPartition(args.topic, 0, OFFSET_END)])

    def read() -> None:
        while not stop.is_set():
            m = consumer.poll(0.1)
            if m is None or m.error():
                continue
            now = time.monotonic_ns()
            read_at.setdefault(int(m.value()), now)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    producer = Producer({"bootstrap.servers": args.brokers, "transactional.id": f"endtxn-{uuid.uuid4().hex[:8]}",
                         "linger.ms": 0, "log_level": 3})
    producer.init_transactions(30)

    committed_at: dict[int, int] = {}
    txn_ms: list[float] = []

    def one(i: int) -> None:
        begun = time.monotonic_ns()
        producer.begin_transaction()
        producer.produce(args.topic, value=str(i).encode(), partition=0)
        producer.commit_transaction(30)
        committed_at[i] = time.monotonic_ns()
        if i >= 0:
            txn_ms.append((committed_at[i] - begun) / 1e6)

    # Warm up until the reader sees a record (its assignment then has a position at the end).
    warm = -1
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        one(warm)
        t = time.monotonic()
        while warm not in read_at and time.monotonic() < t + 1:
            time.sleep(0.005)
        if warm in read_at:
            break
        warm -= 1
    time.sleep(1)  # now the reader's fetch is parked on an empty partition
    start = time.monotonic()
    for i in range(args.count):
        due = start + i * args.interval_ms / 1000
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        one(i)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(i not in read_at for i in range(args.count)):
        time.sleep(0.01)
    stop.set()
    reader.join()
    consumer.close()

    values = sorted((read_at[i] - committed_at[i]) / 1e6 for i in range(args.count) if i in read_at)
    p = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    txn_ms.sort()
    t = lambda q: txn_ms[min(len(txn_ms) - 1, int(q * len(txn_ms)))]
    print(json.dumps({"count": args.count, "read": len(values), "fetch_wait_ms": args.fetch_wait_ms,
                      "p50_ms": round(p(0.5), 3), "p99_ms": round(p(0.99), 3), "max_ms": round(values[-1], 3),
                      "min_ms": round(values[0], 3), "read_before_commit_returned": sum(v < 0 for v in values),
                      "txn_p50_ms": round(t(0.5), 3), "txn_p99_ms": round(t(0.99), 3)}))


if __name__ == "__main__":
    main()
