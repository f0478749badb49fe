#!/usr/bin/env python3
"""Subscribe to any Kakusa topic, validate each value against the shipped JSON Schema, print it.

    python examples/python/consume.py --brokers localhost:29092 valuation-changes alerts
    python examples/python/consume.py --brokers "$KAFKA_BROKERS" --from-beginning --exit-at-end country-paper-totals

Needs `pip install confluent-kafka jsonschema`. Exits 1 if any value did not validate.
"""
import argparse
import json
import pathlib
import sys
import uuid

from confluent_kafka import Consumer, KafkaError
from jsonschema import Draft202012Validator, FormatChecker

SCHEMAS = pathlib.Path(__file__).resolve().parents[2] / "Shared" / "KakusaEvents" / "Schemas"
SCHEMA_OF = {
    "funding-rounds": "funding-round", "paper-counts": "paper-count", "stock-moves": "stock-move",
    "valuation-changes": "valuation-change", "country-paper-totals": "country-paper-totals",
    "market-days": "market-day", "alerts": "alert",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topics", nargs="+", help="topics without the prefix, e.g. valuation-changes")
    parser.add_argument("--brokers", default="127.0.0.1:9092")
    parser.add_argument("--prefix", default="kakusa.")
    parser.add_argument("--group", default=None, help="consumer group (default: a fresh one)")
    parser.add_argument("--from-beginning", action="store_true")
    parser.add_argument("--exit-at-end", action="store_true", help="stop once every partition is read to its end")
    args = parser.parse_args()

    validators = {}
    for topic in args.topics:
        if topic not in SCHEMA_OF:
            parser.error(f"unknown topic {topic!r}; one of {', '.join(SCHEMA_OF)}")
        schema = json.loads((SCHEMAS / f"{SCHEMA_OF[topic]}.schema.json").read_text())
        validators[args.prefix + topic] = Draft202012Validator(schema, format_checker=FormatChecker())

    consumer = Consumer({
        "bootstrap.servers": args.brokers, "group.id": args.group or f"kakusa-example-{uuid.uuid4()}",
        "auto.offset.reset": "earliest" if args.from_beginning else "latest",
        "isolation.level": "read_committed", "enable.partition.eof": args.exit_at_end,
    })
    consumer.subscribe(list(validators))
    invalid = valid = 0
    at_end = set()
    try:
        while True:
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add((message.topic(), message.partition()))
                    assigned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
                    if args.exit_at_end and assigned and assigned <= at_end:
                        break
                    continue
                print(f"error: {message.error()}", file=sys.stderr)
                continue
            value = json.loads(message.value())
            errors = sorted(validators[message.topic()].iter_errors(value), key=lambda e: list(e.path))
            if errors:
                invalid += 1
                for e in errors:
                    print(f"INVALID {message.topic()}@{message.offset()}: {'/'.join(map(str, e.path))}: {e.message}",
                          file=sys.stderr)
            else:
                valid += 1
            print(json.dumps({"topic": message.topic(), "key": (message.key() or b"").decode(), "value": value}))
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    print(f"{valid} valid, {invalid} invalid", file=sys.stderr)
    sys.exit(1 if invalid else 0)


if __name__ == "__main__":
    main()
