#!/usr/bin/env python3
"""Read records with librdkafka, by partition assignment (no group join).

Request (stdin, JSON):
  {"bootstrap": "host:port", "topic": "t",
   "partitions": [0, 1] | null,        (null: every partition in the metadata)
   "count": N,                         (stop after N records)
   "timeout_s": 30,                    (optional; stop then even if fewer were read)
   "from": "earliest" | "latest",      (optional, default earliest)
   "config": {...}}                    (optional extra librdkafka properties)

Response (stdout, JSON):
  {"records": [{"partition": p, "offset": o, "key": b64|null, "value": b64|null,
                "headers": [[name, b64|null], ...], "timestamp": ms,
                "timestamp_type": t}, ...],
   "timed_out": bool}
timestamp_type is librdkafka's: 0 not available, 1 CreateTime, 2 LogAppendTime.
CRCs are checked (check.crcs=true): a corrupt batch makes the script fail.
"""

import os
import sys
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, TopicPartition

from _common import b64encode, extra_config, fail, read_request, write_response


def partitions_of(consumer, topic, deadline):
    """Partition ids of `topic`, waiting for the topic to appear in the metadata."""
    last_error = None
    while time.monotonic() < deadline:
        try:
            md = consumer.list_topics(topic, timeout=max(0.5, min(5.0, deadline - time.monotonic())))
        except Exception as exc:  # transient: broker not reachable yet
            last_error = exc
            time.sleep(0.2)
            continue
        t = md.topics.get(topic)
        if t is not None and t.error is None and t.partitions:
            return sorted(t.partitions)
        last_error = t.error if t is not None else "not in metadata"
        time.sleep(0.2)
    fail(f"topic {topic!r} has no partitions in the metadata: {last_error}")


def main():
    req = read_request()
    for field in ("bootstrap", "topic", "count"):
        if field not in req:
            fail(f"missing field `{field}`")
    topic = req["topic"]
    count = int(req["count"])
    timeout_s = float(req.get("timeout_s") or 30)
    start = {"earliest": OFFSET_BEGINNING, "latest": OFFSET_END}.get(req.get("from") or "earliest")
    if start is None:
        fail("`from` must be earliest or latest")
    deadline = time.monotonic() + timeout_s

    conf = {
        "bootstrap.servers": req["bootstrap"],
        "group.id": f"kafka-gateway-tests-{os.getpid()}-{uuid.uuid4().hex}",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "check.crcs": True,
        "broker.address.family": "v4",
    }
    conf.update(extra_config(req))
    consumer = Consumer(conf)
    try:
        parts = req.get("partitions")
        if parts is None:
            parts = partitions_of(consumer, topic, deadline)
        consumer.assign([TopicPartition(topic, int(p), start) for p in parts])

        records = []
        while len(records) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            batch = consumer.consume(num_messages=min(500, count - len(records)), timeout=min(left, 1.0))
            for msg in batch:
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        continue
                    if err.fatal() or not err.retriable():
                        fail(f"consume error: {err}")
                    sys.stderr.write(f"consume: transient error: {err}\n")
                    continue
                ts_type, ts = msg.timestamp()
                headers = msg.headers() or []
                records.append(
                    {
                        "partition": msg.partition(),
                        "offset": msg.offset(),
                        "key": b64encode(msg.key()),
                        "value": b64encode(msg.value()),
                        "headers": [[name, b64encode(value)] for name, value in headers],
                        "timestamp": ts,
                        "timestamp_type": ts_type,
                    }
                )
        write_response({"records": records[:count] if count >= 0 else records, "timed_out": len(records) < count})
    finally:
        consumer.close()


if __name__ == "__main__":
    main()
