"""The demo's report: waits until the aggregator and alerter have caught up, then prints the seed figures,
valuation changes, the market day of 2025-01-27 and the alerts, read from the Kakusa topics as any outside
consumer would (confluent-kafka, read_committed)."""
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, TopicPartition

brokers, prefix = sys.argv[1], sys.argv[2]
groups = {"kakusa-aggregator": ["funding-rounds", "paper-counts", "stock-moves"], "kakusa-alerter": None}


def consumer(group=None):
    return Consumer({
        "bootstrap.servers": brokers, "group.id": group or f"demo-{uuid.uuid4()}", "enable.auto.commit": False,
        "auto.offset.reset": "earliest", "isolation.level": "read_committed",
    })


def lag(c, group, topics):
    parts = []
    for t in topics:
        md = c.list_topics(prefix + t, timeout=5).topics[prefix + t]
        parts += [TopicPartition(prefix + t, p) for p in md.partitions]
    committed = c.committed(parts, timeout=5)
    total = 0
    for tp in committed:
        low, high = c.get_watermark_offsets(tp, timeout=5)
        total += high - (tp.offset if tp.offset >= 0 else low)
    return total


def wait_caught_up(group, topics, deadline):
    c = consumer(group)
    quiet = 0
    while time.time() < deadline:
        quiet = quiet + 1 if lag(c, group, topics) == 0 else 0
        if quiet >= 2:
            c.close()
            return True
        time.sleep(0.5)
    c.close()
    return False


def read_all(topic):
    c = consumer()
    md = c.list_topics(prefix + topic, timeout=5).topics[prefix + topic]
    parts = [TopicPartition(prefix + topic, p, 0) for p in md.partitions]
    ends = {p.partition: c.get_watermark_offsets(p, timeout=5)[1] for p in parts}
    c.assign(parts)
    out, done = [], {p for p, end in ends.items() if end == 0}
    deadline = time.time() + 20
    while len(done) < len(ends) and time.time() < deadline:
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        out.append(json.loads(m.value()))
        if m.offset() + 1 >= ends[m.partition()]:
            done.add(m.partition())
    c.close()
    return out


def money(amount):
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if abs(amount) >= size:
            return f"USD {amount / size:.1f}{unit}"
    return f"USD {amount:,.0f}"


deadline = time.time() + 120
for group, topics in (("kakusa-aggregator", ["funding-rounds", "paper-counts", "stock-moves"]),
                      ("kakusa-alerter", ["valuation-changes", "country-paper-totals", "stock-moves"])):
    if not wait_caught_up(group, topics, deadline):
        print(f"demo: {group} did not catch up in time", file=sys.stderr)
        sys.exit(1)

totals = {}
for r in read_all("country-paper-totals"):
    totals[(r["country"], r["year"])] = r
print("\nAuthors of accepted papers at the top three AI conferences, 2024 (listed institutions)")
print(f"  {'country':<8}{'authors':>8}{'share':>8}  ratios")
for (country, year), r in sorted(totals.items(), key=lambda kv: -kv[1]["authors"]):
    if year != 2024:
        continue
    ratios = ", ".join(f"{country}/{k} {v:.2f}" for k, v in sorted(r["ratios"].items()))
    print(f"  {country:<8}{r['authors']:>8}{r['share']:>8.1%}  {ratios}")
print("  (the article printed 6939 for the US, one short of the sum of its own six US figures: 6940)")

print("\nValuation changes")
for r in sorted(read_all("valuation-changes"), key=lambda r: (r["announced_on"], r["company"])):
    if r["previous"] is None:
        print(f"  {r['announced_on']}  {r['company']:<14} first seen at {money(r['current']['amount'])}")
    else:
        print(f"  {r['announced_on']}  {r['company']:<14} {money(r['previous']['amount'])} -> "
              f"{money(r['current']['amount'])} ({r['change_pct']:+.1f}%)")

print("\nMarket day 2025-01-27")
for r in read_all("market-days"):
    if r["date"] == "2025-01-27":
        fall = r["largest_fall"]
        print(f"  {r['moves']} moves, {r['decliners']} down, {r['advancers']} up, market cap change "
              f"{money(r['market_cap_change'])}" + (f", largest fall {fall['symbol']} {fall['change_pct']:+.1f}%" if fall else ""))

alerts = sorted(read_all("alerts"), key=lambda a: (a["at"], a["rule"]))
print(f"\nAlerts ({len(alerts)})")
for a in alerts:
    print(f"  [{a['severity']}] {a['rule']}: {a['message']}")
