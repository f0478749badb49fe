"""The valuation-change derivation of Kakusa's aggregator, written with quixstreams, as a throughput peer.

Per company (the record key): the newest round by announced_on; a round as new or newer than it gives a change
from the previous USD valuation (exchange rates as units per USD), change_pct rounded to two decimals; an older
round or an id already seen gives nothing. State in a quixstreams store (RocksDB + changelog topic), exactly-once
processing (Kafka transactions). Prints nothing but a final line; scripts/bench-aggregate times it.

    python quixstreams_valuations.py BROKERS INPUT_TOPIC OUTPUT_TOPIC GROUP EXPECTED_OUTPUTS

Topics as quixstreams makes them on a Kafka broker: it reads the input's configuration (DescribeConfigs) and creates
the output and its state changelog (CreateTopics), the output with the input's partition count. (Until the devbroker
had a broker of its own, librdkafka's mock cluster answered neither, and this file replaced both.)

SHIM, one left: the devbroker's DescribeConfigs leaves out `retention.ms` of a topic created without it (Kafka
reports its default, 604800000), and quixstreams 3.28.1 reads that key without a fallback when it sizes the state
changelog (KeyError). `with_retention_default` adds Kafka's default when a topic's answer lacks the key; it can go
once the devbroker reports retention.ms.
"""

import json
import sys
import threading
import time

from quixstreams import Application
from quixstreams.models.topics.admin import TopicAdmin
from quixstreams.models.topics.topic import TopicConfig


# SHIM (see the module doc).
def with_retention_default(inspect):
    def inspect_topics(self, topic_names, timeout=30):
        configs = inspect(self, topic_names, timeout=timeout)
        for config in configs.values():
            if config is not None:
                config.extra_config.setdefault("retention.ms", "604800000")
        return configs
    return inspect_topics


TopicAdmin.inspect_topics = with_retention_default(TopicAdmin.inspect_topics)


RATES = {"JPY": 155.0, "CNY": 7.25, "EUR": 0.92, "GBP": 0.79, "USD": 1.0}


def derive(value, state):
    """The change for one round, or None; `state` holds this company's newest round and the ids seen."""
    round_id = value["id"]
    if state.get("seen:" + round_id) is not None:
        return None
    state.set("seen:" + round_id, 1)
    usd = value["valuation"]["amount"] / RATES[value["valuation"]["currency"]]
    newest = state.get("newest")
    if newest is not None and value["announced_on"] < newest["announced_on"]:
        return None
    state.set("newest", {"announced_on": value["announced_on"], "usd": usd})
    previous = newest["usd"] if newest else None
    change_pct = round((usd - previous) / previous * 100, 2) if previous else None
    return {
        "id": "vc-" + round_id, "company": value["company"], "country": value["country"],
        "round": value.get("round"), "announced_on": value["announced_on"],
        "previous": {"amount": previous, "currency": "USD"} if previous is not None else None,
        "current": {"amount": usd, "currency": "USD"}, "change_pct": change_pct, "funding_round_id": round_id,
    }


def main():
    brokers, input_topic, output_topic, group, expected = sys.argv[1:6]
    expected = int(expected)
    app = Application(
        broker_address=brokers, consumer_group=group, auto_offset_reset="earliest",
        processing_guarantee="exactly-once", state_dir=f"/tmp/quix-state-{group}",
        consumer_extra_config={"session.timeout.ms": 6000},
    )
    source = app.topic(input_topic, key_deserializer="str", value_deserializer="json")
    partitions = TopicAdmin(broker_address=brokers).inspect_topics([input_topic])[input_topic].num_partitions
    sink = app.topic(output_topic, key_serializer="str", value_serializer="json",
                     config=TopicConfig(num_partitions=partitions, replication_factor=1))
    produced = {"count": 0}

    def count(_value):
        produced["count"] += 1

    sdf = app.dataframe(source)
    sdf = sdf.apply(derive, stateful=True).filter(lambda change: change is not None)
    sdf = sdf.update(count)
    sdf.to_topic(sink)
    started = time.monotonic()

    # Stops once every expected change has been produced; quixstreams commits the last checkpoint on stop.
    def stop_when_done():
        while produced["count"] < expected:
            time.sleep(0.05)
        app.stop()

    threading.Thread(target=stop_when_done, daemon=True).start()
    app.run(sdf)
    print(json.dumps({"outputs": produced["count"], "seconds": round(time.monotonic() - started, 3)}))


if __name__ == "__main__":
    main()
