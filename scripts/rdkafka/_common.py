"""Shared helpers for the librdkafka (confluent-kafka) helper scripts.

Each script reads one JSON request on stdin and writes one JSON response on
stdout. Binary payloads (keys, values, header values) are base64 strings, or
null for a null field.
"""

import base64
import json
import sys


def read_request():
    """Read and parse the JSON request from stdin."""
    raw = sys.stdin.read()
    return json.loads(raw) if raw.strip() else {}


def write_response(obj):
    """Write the JSON response to stdout."""
    json.dump(obj, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()


def b64decode(value):
    """base64 string (or None) -> bytes (or None)."""
    if value is None:
        return None
    return base64.b64decode(value)


def b64encode(value):
    """bytes (or None) -> base64 string (or None)."""
    if value is None:
        return None
    return base64.b64encode(value).decode("ascii")


def fail(message):
    """Exit non-zero with a message on stderr."""
    sys.stderr.write(message + "\n")
    sys.exit(1)


def extra_config(request):
    """Optional `config` object of extra librdkafka properties."""
    cfg = request.get("config") or {}
    if not isinstance(cfg, dict):
        fail("`config` must be an object of librdkafka properties")
    return {str(k): v for k, v in cfg.items()}
