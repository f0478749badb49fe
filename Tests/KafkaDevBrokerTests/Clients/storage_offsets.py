"""Commits or reads a group's offsets with confluent-kafka, for the storage tests.

usage: storage_offsets.py BOOTSTRAP GROUP TOPIC commit P:OFFSET ... | committed PARTITIONS
Prints one JSON line per partition: {"partition": P, "offset": O}.
"""
import json
import sys

from confluent_kafka import Consumer, TopicPartition

bootstrap, group, topic, action = sys.argv[1:5]
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
try:
    if action == "commit":
        offsets = [TopicPartition(topic, int(p), int(o)) for p, o in (a.split(":") for a in sys.argv[5:])]
        result = consumer.commit(offsets=offsets, asynchronous=False)
    else:
        count = int(sys.argv[5])
        result = consumer.committed([TopicPartition(topic, p) for p in range(count)], timeout=20)
    for tp in result:
        if tp.error is not None:
            raise SystemExit(f"partition {tp.partition}: {tp.error}")
        print(json.dumps({"partition": tp.partition, "offset": tp.offset}), flush=True)
finally:
    consumer.close()
