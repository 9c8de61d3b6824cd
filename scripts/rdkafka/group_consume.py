#!/usr/bin/env python3
"""Consume as a member of a consumer group (subscribe), with librdkafka.

Request (stdin, JSON):
  {"bootstrap": "host:port", "group": "g", "topics": ["t", ...],
   "count": N,              (optional: stop once N records were read)
   "timeout_s": 30,         (optional: stop then whatever happened)
   "min_run_s": 0,          (optional: keep polling at least this long)
   "idle_s": 2,             (optional: after min_run_s and once assigned, stop
                             when nothing arrived for this long)
   "commit": "sync",        (optional: "sync" commits the consumed offsets
                             before closing; "auto" uses enable.auto.commit;
                             "none" commits nothing)
   "config": {...}}         (optional extra librdkafka properties)

Response (stdout, JSON):
  {"records": [{"topic", "partition", "offset", "key": b64|null, "value": b64|null}],
   "assignment": [[topic, partition], ...],   (when the consumer stopped)
   "committed": {"topic/partition": offset},  (of that assignment, after the commit)
   "assignments": N,                          (how many times partitions were assigned)
   "member_id": "..."}
The consumer leaves the group on close.
"""

import time

from confluent_kafka import Consumer, KafkaError

from _common import b64encode, extra_config, fail, read_request, write_response


def main():
    req = read_request()
    for field in ("bootstrap", "group", "topics"):
        if field not in req:
            fail(f"missing field `{field}`")
    count = req.get("count")
    timeout_s = float(req.get("timeout_s") or 30)
    min_run_s = float(req.get("min_run_s") or 0)
    idle_s = float(req.get("idle_s") or 2)
    commit = req.get("commit") or "sync"
    conf = {
        "bootstrap.servers": req["bootstrap"],
        "group.id": req["group"],
        "auto.offset.reset": "earliest",
        "enable.auto.commit": commit == "auto",
        "auto.commit.interval.ms": 200,
        "heartbeat.interval.ms": 200,
        "session.timeout.ms": 10000,
        "check.crcs": True,
        "broker.address.family": "v4",
    }
    conf.update(extra_config(req))
    consumer = Consumer(conf)
    assignments = [0]

    def on_assign(c, partitions):
        assignments[0] += 1

    consumer.subscribe(req["topics"], on_assign=on_assign)
    start = time.monotonic()
    deadline = start + timeout_s
    last_data = time.monotonic()
    records = []
    try:
        while time.monotonic() < deadline:
            if count is not None and len(records) >= int(count):
                break
            now = time.monotonic()
            if now - start >= min_run_s and assignments[0] > 0 and now - last_data >= idle_s:
                break
            msg = consumer.poll(0.1)
            if msg is None:
                continue
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    continue
                if err.fatal():
                    fail(f"consume error: {err}")
                continue
            last_data = time.monotonic()
            records.append(
                {
                    "topic": msg.topic(),
                    "partition": msg.partition(),
                    "offset": msg.offset(),
                    "key": b64encode(msg.key()),
                    "value": b64encode(msg.value()),
                }
            )
        assignment = consumer.assignment()
        if commit == "sync" and records:
            consumer.commit(asynchronous=False)
        committed = consumer.committed(assignment, timeout=10) if assignment else []
        member_id = consumer.memberid()
        write_response(
            {
                "records": records,
                "assignment": sorted([tp.topic, tp.partition] for tp in assignment),
                "committed": {f"{tp.topic}/{tp.partition}": tp.offset for tp in committed},
                "assignments": assignments[0],
                "member_id": member_id,
            }
        )
    finally:
        consumer.close()


if __name__ == "__main__":
    main()
