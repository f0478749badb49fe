"""The valuation-change derivation of Kakusa's aggregator, written with quixstreams, as a throughput peer.

Per company (the record key): the newest round by announced_on; a round as new or newer than it gives a change
from the previous USD valuation (exchange rates as units per USD), change_pct rounded to two decimals; an older
round or an id already seen gives nothing. State in a quixstreams store (RocksDB + changelog topic), exactly-once
processing (Kafka transactions). Prints nothing but a final line; scripts/bench-aggregate times it.

    python quixstreams_valuations.py BROKERS INPUT_TOPIC OUTPUT_TOPIC GROUP EXPECTED_OUTPUTS

PATCHED: quixstreams asks the broker for topic configurations (DescribeConfigs) when it starts. librdkafka's mock
cluster (the devbroker) never answers that request, so `TopicAdmin.inspect_topics` is replaced below by a version
that reads partition counts from topic metadata and reports unlimited retention. The mock does not answer
CreateTopics either: the caller creates the changelog topic (changelog__GROUP--INPUT--default) on the devbroker.
"""

import json
import sys
import threading
import time

from quixstreams import Application
from quixstreams.models.topics.admin import TopicAdmin
from quixstreams.models.topics.topic import TopicConfig

RATES = {"JPY": 155.0, "CNY": 7.25, "EUR": 0.92, "GBP": 0.79, "USD": 1.0}


def inspect_topics_from_metadata(self, topic_names, timeout=30):
    # PATCH (see the module doc): metadata instead of DescribeConfigs, which the mock cluster does not answer.
    topics = self.list_topics(timeout=timeout)
    return {
        name: TopicConfig(
            num_partitions=len(topics[name].partitions), replication_factor=1,
            extra_config={"retention.ms": "-1", "retention.bytes": "-1"},
        ) if name in topics else None
        for name in topic_names
    }


TopicAdmin.inspect_topics = inspect_topics_from_metadata


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
        processing_guarantee="exactly-once", auto_create_topics=False, state_dir=f"/tmp/quix-state-{group}",
        consumer_extra_config={"session.timeout.ms": 6000},
    )
    source = app.topic(input_topic, key_deserializer="str", value_deserializer="json")
    sink = app.topic(output_topic, key_serializer="str", value_serializer="json")
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
