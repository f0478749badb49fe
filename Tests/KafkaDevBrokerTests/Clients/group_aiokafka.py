"""aiokafka's consumer group against the devbroker: read, commit, read the commits back, resume from them.

Usage: group_aiokafka.py BOOTSTRAP GROUP TOPIC PHASE COUNT
PHASE "first": reads COUNT records as a group member, commits them, prints {"read": [keys], "committed":
{partition: offset}}. PHASE "second": a new member of the group reads COUNT records and prints {"read": [keys]}.
"""
import asyncio
import json
import sys

from aiokafka import AIOKafkaConsumer, TopicPartition


async def main():
    bootstrap, group, topic, phase, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
        auto_offset_reset="earliest", session_timeout_ms=6000, heartbeat_interval_ms=2000)
    await consumer.start()
    try:
        read = []
        while len(read) < count:
            batches = await asyncio.wait_for(consumer.getmany(timeout_ms=500), 60)
            for _tp, records in batches.items():
                read.extend(r.key.decode() for r in records)
        result = {"read": read, "assignment": sorted(p.partition for p in consumer.assignment())}
        if phase == "first":
            await consumer.commit()
            committed = {}
            for p in consumer.partitions_for_topic(topic):
                committed[str(p)] = await consumer.committed(TopicPartition(topic, p))
            result["committed"] = committed
        print(json.dumps(result), flush=True)
    finally:
        await consumer.stop()


asyncio.run(main())
