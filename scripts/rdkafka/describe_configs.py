#!/usr/bin/env python3
"""Describe topic or broker configs with librdkafka's AdminClient.

Request (stdin, JSON):
  {"bootstrap": "host:port",
   "resources": [{"type": "topic" | "broker", "name": "t"}],
   "timeout_s": 30}                           (optional)

Response (stdout, JSON):
  {"resources": [{"type": ..., "name": ...,
                  "configs": {"<name>": {"value": str | null, "source": "<ConfigSource name>",
                                         "is_default": bool, "read_only": bool,
                                         "sensitive": bool}}
                  | "error": "..."}]}
"""

from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, ResourceType

from _common import extra_config, fail, read_request, write_response

TYPES = {"topic": ResourceType.TOPIC, "broker": ResourceType.BROKER}


def main():
    req = read_request()
    for field in ("bootstrap", "resources"):
        if field not in req:
            fail(f"missing field `{field}`")
    timeout_s = float(req.get("timeout_s") or 30)
    conf = {"bootstrap.servers": req["bootstrap"], "broker.address.family": "v4"}
    conf.update(extra_config(req))
    admin = AdminClient(conf)
    out = []
    for r in req["resources"]:
        resource = ConfigResource(TYPES[r["type"]], str(r["name"]))
        item = {"type": r["type"], "name": r["name"]}
        try:
            future = admin.describe_configs([resource], request_timeout=timeout_s)[resource]
            entries = future.result(timeout=timeout_s)
        except Exception as exc:  # KafkaException or a timeout
            item["error"] = str(exc) or repr(exc)
            out.append(item)
            continue
        item["configs"] = {
            name: {
                "value": e.value,
                "source": ConfigSource(e.source).name,
                "is_default": bool(e.is_default),
                "read_only": bool(e.is_read_only),
                "sensitive": bool(e.is_sensitive),
            }
            for name, e in entries.items()
        }
        out.append(item)
    write_response({"resources": out})


if __name__ == "__main__":
    main()
