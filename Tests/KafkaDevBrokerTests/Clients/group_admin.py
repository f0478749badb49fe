"""confluent-kafka's AdminClient lists and describes a group that one of its consumers is a member of.

Usage: group_admin.py BOOTSTRAP GROUP TOPIC
Prints one JSON line: {"listed": [[group, state]], "described": {...}} once the member owns partitions.
"""
import json
import sys
import time

from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient

bootstrap, group, topic = sys.argv[1], sys.argv[2], sys.argv[3]
consumer = Consumer({
    "bootstrap.servers": bootstrap, "group.id": group, "client.id": "described-member",
    "session.timeout.ms": 6000, "enable.auto.commit": False,
})
consumer.subscribe([topic])
deadline = time.time() + 60
while not consumer.assignment() and time.time() < deadline:
    consumer.poll(0.2)
assert consumer.assignment(), "no assignment within 60 s"
# Let the group settle into Stable (the SyncGroup answer came with the assignment).
for _ in range(5):
    consumer.poll(0.1)

admin = AdminClient({"bootstrap.servers": bootstrap})
listed = admin.list_consumer_groups(request_timeout=20).result()
described = admin.describe_consumer_groups([group], request_timeout=20)[group].result()
members = [{
    "client_id": m.client_id, "host": m.host, "member_id": m.member_id,
    "assignment": sorted([tp.topic, tp.partition] for tp in m.assignment.topic_partitions),
} for m in described.members]
print(json.dumps({
    "listed": sorted([g.group_id, str(g.state)] for g in listed.valid),
    "errors": [str(e) for e in listed.errors],
    "described": {
        "group_id": described.group_id, "state": str(described.state), "simple": described.is_simple_consumer_group,
        "assignor": described.partition_assignor, "coordinator": described.coordinator.id, "members": members,
    },
}), flush=True)
consumer.close()
