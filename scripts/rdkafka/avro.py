#!/usr/bin/env python3
"""Avro serialization with confluent-kafka's Schema Registry client.

Request (stdin, JSON), one of:
  {"op": "serialize", "registry": "http://host:port", "topic": "t",
   "field": "key" | "value", "schema": "<Avro schema JSON>",
   "values": [...]}                       (values as fastavro takes them)
  {"op": "deserialize", "registry": "http://host:port", "topic": "t",
   "field": "key" | "value", "data": [b64, ...]}

Response (stdout, JSON):
  serialize:   {"data": [b64, ...]}       (Schema Registry wire format; the
                                          schema is registered under the
                                          topic's subject)
  deserialize: {"values": [...]}          (as fastavro returns them)
"""

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from _common import b64decode, b64encode, fail, read_request, write_response


def main():
    req = read_request()
    for field in ("op", "registry", "topic", "field"):
        if field not in req:
            fail(f"missing field `{field}`")
    client = SchemaRegistryClient({"url": req["registry"]})
    field = {"key": MessageField.KEY, "value": MessageField.VALUE}.get(req["field"])
    if field is None:
        fail("`field` must be key or value")
    ctx = SerializationContext(req["topic"], field)
    if req["op"] == "serialize":
        serializer = AvroSerializer(client, req["schema"])
        data = [b64encode(serializer(v, ctx)) for v in req["values"]]
        write_response({"data": data})
    elif req["op"] == "deserialize":
        deserializer = AvroDeserializer(client)
        values = [deserializer(b64decode(d), ctx) for d in req["data"]]
        write_response({"values": values})
    else:
        fail("`op` must be serialize or deserialize")


if __name__ == "__main__":
    main()
