#!/usr/bin/env python3
"""Read records with librdkafka as a member of a consumer group (subscribe).

Request (stdin, JSON):
  {"bootstrap": "host:port", "topic": "t", "group": "g",
   "idle_s": 5,                        (optional; after the first record, stop once
                                        nothing new arrived for this long)
   "timeout_s": 60,                    (optional; stop then in any case)
   "auto_offset_reset": "earliest",    (optional)
   "config": {...}}                    (optional extra librdkafka properties)

Response (stdout, JSON):
  {"records": [{"partition": p, "offset": o, "key": b64|null, "value": b64|null}, ...],
   "assignments": [[p, ...], ...],     (every assignment received, in order; with
                                        cooperative-sticky, the partitions added)
   "final_assignment": [p, ...],       (the partitions held when it stopped)
   "member_id": "...",
   "timed_out": bool}
Offsets are committed automatically (enable.auto.commit) and on close, which
also leaves the group. Rebalance events go to stderr.
"""

import sys
import time

from confluent_kafka import Consumer, KafkaError

from _common import b64encode, extra_config, fail, read_request, write_response


def main():
    req = read_request()
    for field in ("bootstrap", "topic", "group"):
        if field not in req:
            fail(f"missing field `{field}`")
    idle_s = float(req.get("idle_s") or 5)
    timeout_s = float(req.get("timeout_s") or 60)
    deadline = time.monotonic() + timeout_s

    conf = {
        "bootstrap.servers": req["bootstrap"],
        "group.id": req["group"],
        "client.id": "rdkafka-group-test",
        "enable.auto.commit": True,
        "auto.commit.interval.ms": 200,
        "auto.offset.reset": req.get("auto_offset_reset") or "earliest",
        "check.crcs": True,
        "broker.address.family": "v4",
    }
    conf.update(extra_config(req))
    consumer = Consumer(conf)
    assignments = []

    def on_assign(c, partitions):
        parts = sorted(p.partition for p in partitions)
        sys.stderr.write(f"group_consume: assigned {parts}\n")
        assignments.append(parts)

    def on_revoke(c, partitions):
        sys.stderr.write(f"group_consume: revoked {sorted(p.partition for p in partitions)}\n")

    records = []
    timed_out = False
    member_id = ""
    final_assignment = []
    try:
        consumer.subscribe([req["topic"]], on_assign=on_assign, on_revoke=on_revoke)
        last_record = None
        while True:
            now = time.monotonic()
            if now >= deadline:
                timed_out = True
                break
            if last_record is not None and now - last_record >= idle_s:
                break
            batch = consumer.consume(num_messages=500, timeout=min(0.5, deadline - now))
            for msg in batch:
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        continue
                    if err.fatal() or not err.retriable():
                        fail(f"consume error: {err}")
                    sys.stderr.write(f"group_consume: transient error: {err}\n")
                    continue
                records.append(
                    {
                        "partition": msg.partition(),
                        "offset": msg.offset(),
                        "key": b64encode(msg.key()),
                        "value": b64encode(msg.value()),
                    }
                )
                last_record = time.monotonic()
        try:
            member_id = consumer.memberid() or ""
        except Exception:  # older bindings
            member_id = ""
        final_assignment = sorted(p.partition for p in consumer.assignment())
    finally:
        consumer.close()
    write_response(
        {"records": records, "assignments": assignments, "final_assignment": final_assignment,
         "member_id": member_id, "timed_out": timed_out}
    )


if __name__ == "__main__":
    main()
