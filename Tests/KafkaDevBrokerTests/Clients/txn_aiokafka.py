"""Transactions through aiokafka (a pure-Python client), for TransactionPythonTests.

Usage: txn_aiokafka.py BOOTSTRAP TOPIC SCENARIO PARTITIONS, SCENARIO being
  visibility: abort a transaction of keys a-abort-0..9, commit one of a-commit-0..9, then read the topic
              with read_committed and read_uncommitted consumers (no group: assigned partitions);
  fence: a first producer writes a-zombie-0..9 in a transaction, a second with the same transactional id
         starts, the first's commit must fail; the second commits a-new-0..4; then read_committed reads.
Prints one JSON object per line.
"""
import asyncio
import json
import sys
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition


def emit(**fields):
    print(json.dumps(fields), flush=True)


async def read_all(bootstrap, topic, partition_count, isolation):
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, isolation_level=isolation,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        # An unsubscribed consumer knows no topic's partitions yet: the test says how many there are.
        partitions = [TopicPartition(topic, p) for p in range(partition_count)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        keys = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            positions = [await consumer.position(tp) for tp in partitions]
            if all(pos >= ends[tp] for pos, tp in zip(positions, partitions)):
                break
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                keys.extend(r.key.decode() for r in records)
        return keys, {str(tp.partition): ends[tp] for tp in partitions}
    finally:
        await consumer.stop()


async def producer(bootstrap, transactional_id):
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=transactional_id, enable_idempotence=True)
    await p.start()
    return p


async def send(p, topic, keys):
    for k in keys:
        await p.send_and_wait(topic, key=k.encode(), value=("v-" + k).encode())


async def main():
    bootstrap, topic, scenario, partition_count = sys.argv[1:5]
    partition_count = int(partition_count)
    if scenario == "visibility":
        p = await producer(bootstrap, "py-aiokafka-visibility")
        try:
            await p.begin_transaction()
            await send(p, topic, [f"a-abort-{i}" for i in range(10)])
            await p.abort_transaction()
            await p.begin_transaction()
            await send(p, topic, [f"a-commit-{i}" for i in range(10)])
            await p.commit_transaction()
        finally:
            await p.stop()
    elif scenario == "fence":
        first = await producer(bootstrap, "py-aiokafka-fence")
        await first.begin_transaction()
        await send(first, topic, [f"a-zombie-{i}" for i in range(10)])
        second = await producer(bootstrap, "py-aiokafka-fence")
        try:
            await first.commit_transaction()
            emit(step="first-commit", error=None)
        except Exception as e:  # the fencing error, whatever aiokafka calls it
            emit(step="first-commit", error=type(e).__name__)
        try:
            await first.stop()
        except Exception:
            pass
        await second.begin_transaction()
        await send(second, topic, [f"a-new-{i}" for i in range(5)])
        await second.commit_transaction()
        await second.stop()
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    committed, committed_ends = await read_all(bootstrap, topic, partition_count, "read_committed")
    emit(step="read", isolation="read_committed", keys=committed, ends=committed_ends)
    everything, ends = await read_all(bootstrap, topic, partition_count, "read_uncommitted")
    emit(step="read", isolation="read_uncommitted", keys=everything, ends=ends)


if __name__ == "__main__":
    asyncio.run(main())
