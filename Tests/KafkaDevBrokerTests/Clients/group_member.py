"""A confluent-kafka consumer-group member that prints its assignment as a JSON line each time it changes.

Usage: group_member.py BOOTSTRAP GROUP TOPIC SESSION_TIMEOUT_MS
Runs until killed; prints {"assignment": [partitions]} after every rebalance event, and {"ready": true} first.
"""
import json
import sys

from confluent_kafka import Consumer

bootstrap, group, topic, session = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "session.timeout.ms": int(session),
    "heartbeat.interval.ms": max(int(session) // 3, 100),
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
})


def report(_consumer, _partitions):
    print(json.dumps({"assignment": sorted(p.partition for p in consumer.assignment())}), flush=True)


def assigned(c, partitions):
    c.assign(partitions)
    report(c, partitions)


def revoked(c, partitions):
    c.unassign()
    report(c, partitions)


consumer.subscribe([topic], on_assign=assigned, on_revoke=revoked)
print(json.dumps({"ready": True}), flush=True)
while True:
    msg = consumer.poll(0.2)
