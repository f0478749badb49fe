"""Transactions through confluent-kafka (current librdkafka), for TransactionPythonTests.

Usage: txn_confluent.py BOOTSTRAP TOPIC SCENARIO, SCENARIO being
  visibility: abort a transaction of keys c-abort-0..9, then commit one of keys c-commit-0..9;
  fence: a first producer writes keys c-zombie-0..9 in a transaction, a second with the same
         transactional id initializes, the first's commit must fail, the second commits c-new-0..4.
Prints one JSON object per line; the reading is left to the test.
"""
import json
import sys

from confluent_kafka import KafkaException, Producer


def emit(**fields):
    print(json.dumps(fields), flush=True)


def producer(bootstrap, transactional_id):
    p = Producer({
        "bootstrap.servers": bootstrap,
        "transactional.id": transactional_id,
        "enable.idempotence": True,
        "linger.ms": 5,
    })
    p.init_transactions(30)
    return p


def send(p, topic, keys):
    delivered = []
    failed = []

    def report(err, msg):
        (failed if err else delivered).append(msg.key().decode() if msg.key() else None)

    for k in keys:
        p.produce(topic, key=k, value="v-" + k, on_delivery=report)
    p.flush(30)
    return len(delivered), len(failed)


def main():
    bootstrap, topic, scenario = sys.argv[1:4]
    if scenario == "visibility":
        p = producer(bootstrap, "py-confluent-visibility")
        p.begin_transaction()
        emit(step="aborted-sent", delivered=send(p, topic, [f"c-abort-{i}" for i in range(10)])[0])
        p.abort_transaction(30)
        p.begin_transaction()
        emit(step="committed-sent", delivered=send(p, topic, [f"c-commit-{i}" for i in range(10)])[0])
        p.commit_transaction(30)
        emit(step="done")
    elif scenario == "fence":
        first = producer(bootstrap, "py-confluent-fence")
        first.begin_transaction()
        emit(step="zombie-sent", delivered=send(first, topic, [f"c-zombie-{i}" for i in range(10)])[0])
        second = producer(bootstrap, "py-confluent-fence")
        try:
            first.commit_transaction(15)
            emit(step="first-commit", error=None)
        except KafkaException as e:
            err = e.args[0]
            emit(step="first-commit", error=err.name(), fatal=err.fatal())
        second.begin_transaction()
        emit(step="new-sent", delivered=send(second, topic, [f"c-new-{i}" for i in range(5)])[0])
        second.commit_transaction(30)
        emit(step="done")
    else:
        raise SystemExit(f"unknown scenario {scenario}")


if __name__ == "__main__":
    main()
