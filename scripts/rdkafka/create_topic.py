#!/usr/bin/env python3
"""Create a topic with librdkafka's AdminClient.

Request (stdin, JSON):
  {"bootstrap": "host:port", "topic": "t", "partitions": 3,
   "replication_factor": 1,                  (optional, default 1)
   "topic_config": {"cleanup.policy": "..."}, (optional)
   "timeout_s": 30}                           (optional)

Response (stdout, JSON): {"ok": true} or {"ok": false, "error": "..."}
"""

from confluent_kafka.admin import AdminClient, NewTopic

from _common import extra_config, fail, read_request, write_response


def main():
    req = read_request()
    for field in ("bootstrap", "topic"):
        if field not in req:
            fail(f"missing field `{field}`")
    timeout_s = float(req.get("timeout_s") or 30)
    conf = {"bootstrap.servers": req["bootstrap"], "broker.address.family": "v4"}
    conf.update(extra_config(req))
    admin = AdminClient(conf)
    topic = NewTopic(
        req["topic"],
        num_partitions=int(req.get("partitions") or 1),
        replication_factor=int(req.get("replication_factor") or 1),
        config={str(k): str(v) for k, v in (req.get("topic_config") or {}).items()},
    )
    futures = admin.create_topics([topic], operation_timeout=timeout_s, request_timeout=timeout_s)
    try:
        futures[req["topic"]].result(timeout=timeout_s)
    except Exception as exc:  # KafkaException or a timeout
        write_response({"ok": False, "error": str(exc) or repr(exc)})
        return
    write_response({"ok": True})


if __name__ == "__main__":
    main()
