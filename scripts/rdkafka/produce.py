#!/usr/bin/env python3
"""Produce records with librdkafka.

Request (stdin, JSON):
  {"bootstrap": "host:port", "topic": "t",
   "compression": "none|gzip|snappy|lz4|zstd",      (optional, default none)
   "partitioner": "murmur2_random",                  (optional)
   "enable_idempotence": false,                      (optional)
   "linger_ms": 100,                                 (optional)
   "timeout_s": 30,                                  (optional)
   "allow_errors": false,                            (optional)
   "config": {"librdkafka.property": "value"},       (optional, extra settings)
   "records": [{"key": b64|null, "value": b64|null,
                "headers": [[name, b64|null], ...],  (optional)
                "timestamp": ms|null,                (optional)
                "partition": int|null}]}             (optional)

Response (stdout, JSON), in input order:
  {"delivered": [{"partition": p, "offset": o}, ...]}
With "allow_errors": true a failed record is reported as {"error": "..."}
instead of making the script exit non-zero.
"""

import time

from confluent_kafka import KafkaException, Producer

from _common import b64decode, extra_config, fail, read_request, write_response


def main():
    req = read_request()
    for field in ("bootstrap", "topic", "records"):
        if field not in req:
            fail(f"missing field `{field}`")
    timeout_s = float(req.get("timeout_s") or 30)
    conf = {
        "bootstrap.servers": req["bootstrap"],
        "compression.codec": req.get("compression") or "none",
        "linger.ms": int(req.get("linger_ms", 100)),
        "enable.idempotence": bool(req.get("enable_idempotence", False)),
        "message.timeout.ms": int(timeout_s * 1000),
        "broker.address.family": "v4",
    }
    if req.get("partitioner"):
        conf["partitioner"] = req["partitioner"]
    conf.update(extra_config(req))
    producer = Producer(conf)

    records = req["records"]
    results = [None] * len(records)

    def on_delivery(index):
        def callback(err, msg):
            if err is not None:
                results[index] = {"error": str(err)}
            else:
                results[index] = {"partition": msg.partition(), "offset": msg.offset()}

        return callback

    deadline = time.monotonic() + timeout_s
    for index, rec in enumerate(records):
        kwargs = {
            "value": b64decode(rec.get("value")),
            "key": b64decode(rec.get("key")),
            "on_delivery": on_delivery(index),
        }
        headers = rec.get("headers")
        if headers:
            kwargs["headers"] = [(str(name), b64decode(value)) for name, value in headers]
        if rec.get("timestamp") is not None:
            kwargs["timestamp"] = int(rec["timestamp"])
        if rec.get("partition") is not None:
            kwargs["partition"] = int(rec["partition"])
        while True:
            try:
                producer.produce(req["topic"], **kwargs)
                break
            except BufferError:
                # Local queue full: serve delivery reports, then retry.
                if time.monotonic() > deadline:
                    fail("timed out waiting for room in the producer queue")
                producer.poll(0.1)
            except KafkaException as exc:
                fail(f"produce of record {index} failed: {exc}")
        producer.poll(0)

    remaining = producer.flush(max(0.0, deadline - time.monotonic()))
    if remaining:
        fail(f"{remaining} record(s) still undelivered after {timeout_s}s")

    errors = [(i, r["error"]) for i, r in enumerate(results) if r is None or "error" in r]
    if errors and not req.get("allow_errors"):
        fail("delivery failed: " + "; ".join(f"record {i}: {e}" for i, e in errors))
    write_response({"delivered": results})


if __name__ == "__main__":
    main()
