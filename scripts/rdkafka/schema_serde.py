#!/usr/bin/env python3
"""Serialization with confluent-kafka's Schema Registry serializers:
Avro (fastavro), JSON Schema (jsonschema) and Protobuf (protobuf).

Request (stdin, JSON), one of:
  {"op": "serialize", "format": "avro" | "json" | "protobuf",
   "registry": "http://host:port", "topic": "t", "field": "key" | "value",
   "schema": "<schema text>", "values": [...]}
  {"op": "deserialize", "format": ..., "registry": ..., "topic": ..., "field": ...,
   "schema": "<schema text>"        (protobuf only: the .proto the messages use)
   "data": [b64, ...]}

Values are what the serializers take and the deserializers return: for Avro
as fastavro reads and writes them (unions unwrapped), for JSON Schema plain
JSON, for Protobuf the message as google.protobuf.json_format.MessageToDict
prints it (lowerCamelCase names, 64-bit integers as strings, default values
included) and ParseDict reads it. For Protobuf the first message of the
.proto is used; the .proto is compiled with grpcio-tools' protoc.

Optional request fields, for schemas with references:
  "references": [{"name", "subject", "version"}, ...]   (avro, json) the
      references of "schema"; the serializer is given
      Schema(schema, type, references) and resolves them in the registry
  "imports": {"common.proto": "<.proto text>", ...}      (protobuf) the files
      "schema" imports (directly or through each other), compiled with it;
      the serializer registers them as subjects of their own (named by the
      import path) and "schema" with references to them
  "conf": {...}   more serializer settings, e.g.
      {"auto.register.schemas": false, "use.latest.version": true}

Response (stdout, JSON):
  serialize:   {"data": [b64, ...]}   (Schema Registry wire format; the schema
                                      is registered under the topic's subject)
  deserialize: {"values": [...]}
"""

import importlib
import os
import sys
import tempfile

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.serialization import MessageField, SerializationContext

from _common import b64decode, b64encode, fail, read_request, write_response


def protobuf_class(schema_text, imports=None):
    """The generated class of the first message of a .proto file; `imports`
    maps the import paths of the files it imports to their text."""
    from grpc_tools import protoc

    workdir = tempfile.mkdtemp(prefix="schema-serde-")
    with open(os.path.join(workdir, "message.proto"), "w") as f:
        f.write(schema_text)
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    for name, text in (imports or {}).items():
        path = os.path.join(workdir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        status = protoc.main(["protoc", f"-I{workdir}", f"-I{include}",
                              f"--python_out={workdir}", path])
        if status != 0:
            fail(f"protoc failed on {name} with status {status}")
    status = protoc.main(["protoc", f"-I{workdir}", f"-I{include}",
                          f"--python_out={workdir}", os.path.join(workdir, "message.proto")])
    if status != 0:
        fail(f"protoc failed with status {status}")
    sys.path.insert(0, workdir)
    module = importlib.import_module("message_pb2")
    first = list(module.DESCRIPTOR.message_types_by_name)[0]
    return getattr(module, first)


def main():
    req = read_request()
    for field in ("op", "format", "registry", "topic", "field"):
        if field not in req:
            fail(f"missing field `{field}`")
    client = SchemaRegistryClient({"url": req["registry"]})
    field = {"key": MessageField.KEY, "value": MessageField.VALUE}.get(req["field"])
    if field is None:
        fail("`field` must be key or value")
    ctx = SerializationContext(req["topic"], field)
    fmt, op = req["format"], req["op"]

    if fmt == "avro":
        from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
        serializer = lambda: AvroSerializer(client, req["schema"])
        deserializer = lambda: AvroDeserializer(client)
        to_output = lambda v: v
        from_input = lambda v: v
    elif fmt == "json":
        from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
        serializer = lambda: JSONSerializer(req["schema"], client)
        deserializer = lambda: JSONDeserializer(None, schema_registry_client=client)
        to_output = lambda v: v
        from_input = lambda v: v
    elif fmt == "protobuf":
        from google.protobuf import json_format
        from confluent_kafka.schema_registry.protobuf import (ProtobufDeserializer,
                                                              ProtobufSerializer)
        cls = protobuf_class(req["schema"], req.get("imports"))
        conf = {"use.deprecated.format": False}
        serializer_conf = dict(conf, **req.get("conf", {}))
        serializer = lambda: ProtobufSerializer(cls, client, serializer_conf)
        deserializer = lambda: ProtobufDeserializer(cls, conf)
        try:
            to_output = lambda m: json_format.MessageToDict(
                m, always_print_fields_with_no_presence=True)
        except TypeError:
            to_output = lambda m: json_format.MessageToDict(
                m, including_default_value_fields=True)
        from_input = lambda v: json_format.ParseDict(v, cls())
    else:
        fail("`format` must be avro, json or protobuf")

    if fmt in ("avro", "json") and ("references" in req or "conf" in req):
        from confluent_kafka.schema_registry import Schema, SchemaReference
        schema = Schema(req["schema"], {"avro": "AVRO", "json": "JSON"}[fmt],
                        [SchemaReference(r["name"], r["subject"], r["version"])
                         for r in req.get("references", [])])
        if fmt == "avro":
            serializer = lambda: AvroSerializer(client, schema, conf=req.get("conf"))
        else:
            serializer = lambda: JSONSerializer(schema, client, conf=req.get("conf"))

    if op == "serialize":
        s = serializer()
        write_response({"data": [b64encode(s(from_input(v), ctx)) for v in req["values"]]})
    elif op == "deserialize":
        d = deserializer()
        write_response({"values": [to_output(d(b64decode(x), ctx)) for x in req["data"]]})
    else:
        fail("`op` must be serialize or deserialize")


if __name__ == "__main__":
    main()
