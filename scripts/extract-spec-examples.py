#!/usr/bin/env python3
"""Turn the REST API reference documents into machine-readable test fixtures.

Reads the reference texts in ../shared/spec (relative to the repository root,
or the directory given as argument) and writes, under tests/spec/:

  endpoints.json    one entry per documented endpoint
  examples.json     one entry per example request/response pair
  error_codes.json  the documented error codes and their meanings

Hand corrections (facts the texts do not state, or state wrongly) live in
tests/spec/corrections.json; every one carries its reason.

Usage:
  scripts/extract-spec-examples.py [SPEC_DIR] [--check] [--list]

  --check  regenerate in memory and fail if the committed files differ
  --list   print the endpoint ids grouped by api/family, and the counts

Python 3.11, standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, OrderedDict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "tests" / "spec"
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")

# ---------------------------------------------------------------------------
# Endpoint identity.
#
# Keyed by (method, path as written in the document heading). The id is the
# document's API identifier without its "api." prefix where the identifier
# list of 003 ("API identifiers") names one; otherwise an id in the same style,
# taken from the endpoint's summary. `identifiers` are the exact identifiers
# of that list that select the endpoint (for api.endpoints.allowlist/blocklist).
# ---------------------------------------------------------------------------

V2_ENDPOINTS = {
    ("GET", "/topics"): ("v2.topics.list", ["api.v2.topics.list"]),
    ("GET", "/topics/{topic_name}"): ("v2.topics.get", ["api.v2.topics.get"]),
    ("POST", "/topics/{topic_name}"): (
        "v2.produce-to-topic",
        [f"api.v2.produce-to-topic.{f}" for f in ("binary", "json", "avro", "json-schema", "protobuf")],
    ),
    ("GET", "/topics/{topic_name}/partitions"): ("v2.partitions.list", ["api.v2.partitions.list"]),
    ("GET", "/topics/{topic_name}/partitions/{partition_id}"): ("v2.partitions.get", ["api.v2.partitions.get"]),
    ("GET", "/topics/{topic_name}/partitions/{partition_id}/offsets"): (
        "v2.partitions.get-offsets",
        ["api.v2.partitions.get-offsets"],
    ),
    ("POST", "/topics/{topic_name}/partitions/{partition_id}"): (
        "v2.produce-to-partition",
        [f"api.v2.produce-to-partition.{f}" for f in ("binary", "json", "avro", "json-schema", "protobuf")],
    ),
    ("POST", "/consumers/{group_name}"): ("v2.consumers.create", ["api.v2.consumers.create"]),
    ("DELETE", "/consumers/{group_name}/instances/{instance}"): ("v2.consumers.delete", ["api.v2.consumers.delete"]),
    ("POST", "/consumers/{group_name}/instances/{instance}/offsets"): (
        "v2.consumers.commit-offsets",
        ["api.v2.consumers.commit-offsets"],
    ),
    ("GET", "/consumers/{group_name}/instances/{instance}/offsets"): (
        "v2.consumers.get-committed-offsets",
        ["api.v2.consumers.get-committed-offsets"],
    ),
    ("POST", "/consumers/{group_name}/instances/{instance}/subscription"): (
        "v2.consumers.subscribe",
        ["api.v2.consumers.subscribe"],
    ),
    ("GET", "/consumers/{group_name}/instances/{instance}/subscription"): (
        "v2.consumers.get-subscription",
        ["api.v2.consumers.get-subscription"],
    ),
    ("DELETE", "/consumers/{group_name}/instances/{instance}/subscription"): (
        "v2.consumers.unsubscribe",
        ["api.v2.consumers.unsubscribe"],
    ),
    ("POST", "/consumers/{group_name}/instances/{instance}/assignments"): (
        "v2.consumers.assign",
        ["api.v2.consumers.assign"],
    ),
    ("GET", "/consumers/{group_name}/instances/{instance}/assignments"): (
        "v2.consumers.get-assignments",
        ["api.v2.consumers.get-assignments"],
    ),
    ("POST", "/consumers/{group_name}/instances/{instance}/positions"): (
        "v2.consumers.seek-to-offset",
        ["api.v2.consumers.seek-to-offset"],
    ),
    ("POST", "/consumers/{group_name}/instances/{instance}/positions/beginning"): (
        "v2.consumers.seek-to-beginning",
        ["api.v2.consumers.seek-to-beginning"],
    ),
    ("POST", "/consumers/{group_name}/instances/{instance}/positions/end"): (
        "v2.consumers.seek-to-end",
        ["api.v2.consumers.seek-to-end"],
    ),
    ("GET", "/consumers/{group_name}/instances/{instance}/records"): (
        "v2.consumers.consume",
        [f"api.v2.consumers.consume-{f}" for f in ("binary", "json", "avro", "json-schema", "protobuf")],
    ),
    ("GET", "/brokers"): ("v2.brokers.list", ["api.v2.brokers.list"]),
}

_C = "/clusters/{cluster_id}"
V3_ENDPOINTS = {
    ("GET", f"{_C}/cells"): ("v3.cells.get", []),
    ("GET", "/clusters"): ("v3.clusters.list", ["api.v3.clusters.list"]),
    ("GET", _C): ("v3.clusters.get", ["api.v3.clusters.get"]),
    ("GET", f"{_C}/broker-configs"): ("v3.cluster-configs.list", ["api.v3.cluster-configs.list"]),
    ("POST", f"{_C}/broker-configs:alter"): ("v3.cluster-configs.alter", ["api.v3.cluster-configs.alter"]),
    ("GET", f"{_C}/broker-configs/{{name}}"): ("v3.cluster-configs.get", ["api.v3.cluster-configs.get"]),
    ("PUT", f"{_C}/broker-configs/{{name}}"): ("v3.cluster-configs.update", ["api.v3.cluster-configs.update"]),
    ("DELETE", f"{_C}/broker-configs/{{name}}"): ("v3.cluster-configs.delete", ["api.v3.cluster-configs.delete"]),
    ("GET", f"{_C}/brokers/-/configs"): ("v3.brokers-configs.list", ["api.v3.brokers-configs.list"]),
    ("GET", f"{_C}/brokers/{{broker_id}}/configs"): ("v3.broker-configs.list", ["api.v3.broker-configs.list"]),
    ("POST", f"{_C}/brokers/{{broker_id}}/configs:alter"): (
        "v3.broker-configs.alter",
        ["api.v3.broker-configs.alter"],
    ),
    ("GET", f"{_C}/brokers/{{broker_id}}/configs/{{name}}"): ("v3.broker-configs.get", ["api.v3.broker-configs.get"]),
    ("PUT", f"{_C}/brokers/{{broker_id}}/configs/{{name}}"): (
        "v3.broker-configs.update",
        ["api.v3.broker-configs.update"],
    ),
    ("DELETE", f"{_C}/brokers/{{broker_id}}/configs/{{name}}"): (
        "v3.broker-configs.delete",
        ["api.v3.broker-configs.delete"],
    ),
    ("GET", f"{_C}/topics/{{topic_name}}/configs"): ("v3.topic-configs.list", ["api.v3.topic-configs.list"]),
    ("POST", f"{_C}/topics/{{topic_name}}/configs:alter"): ("v3.topic-configs.alter", ["api.v3.topic-configs.alter"]),
    ("GET", f"{_C}/topics/{{topic_name}}/configs/{{name}}"): ("v3.topic-configs.get", ["api.v3.topic-configs.get"]),
    ("PUT", f"{_C}/topics/{{topic_name}}/configs/{{name}}"): (
        "v3.topic-configs.update",
        ["api.v3.topic-configs.update"],
    ),
    ("DELETE", f"{_C}/topics/{{topic_name}}/configs/{{name}}"): (
        "v3.topic-configs.delete",
        ["api.v3.topic-configs.delete"],
    ),
    # The identifier list has one "list" identifier for the topic-configs resource.
    ("GET", f"{_C}/topics/-/configs"): ("v3.topic-configs.list-all", ["api.v3.topic-configs.list"]),
    ("GET", f"{_C}/topics/{{topic_name}}/default-configs"): ("v3.topic-configs.list-defaults", []),
    ("GET", f"{_C}/brokers"): ("v3.brokers.list", ["api.v3.brokers.list"]),
    ("GET", f"{_C}/brokers/{{broker_id}}"): ("v3.brokers.get", ["api.v3.brokers.get"]),
    ("DELETE", f"{_C}/brokers/{{broker_id}}"): ("v3.brokers.delete", ["api.v3.brokers.delete"]),
    ("GET", f"{_C}/brokers/{{broker_id}}/partition-replicas"): (
        "v3.replicas.search-by-broker",
        ["api.v3.replicas.search-by-broker"],
    ),
    ("POST", f"{_C}/brokers:delete"): ("v3.brokers.batch-delete", []),
    ("GET", f"{_C}/topics/{{topic_name}}/partitions/{{partition_id}}/replicas"): (
        "v3.replicas.list",
        ["api.v3.replicas.list"],
    ),
    ("GET", f"{_C}/topics/{{topic_name}}/partitions/{{partition_id}}/replicas/{{broker_id}}"): (
        "v3.replicas.get",
        ["api.v3.replicas.get"],
    ),
    ("POST", f"{_C}/acls:batch"): ("v3.acls.batch-create", []),
    ("GET", f"{_C}/acls"): ("v3.acls.list", ["api.v3.acls.list"]),
    ("POST", f"{_C}/acls"): ("v3.acls.create", ["api.v3.acls.create"]),
    ("DELETE", f"{_C}/acls"): ("v3.acls.delete", ["api.v3.acls.delete"]),
    ("GET", f"{_C}/consumer-groups"): ("v3.consumer-groups.list", ["api.v3.consumer-groups.list"]),
    ("GET", f"{_C}/consumer-groups/{{consumer_group_id}}"): ("v3.consumer-groups.get", ["api.v3.consumer-groups.get"]),
    ("GET", f"{_C}/consumer-groups/{{consumer_group_id}}/consumers"): ("v3.consumers.list", ["api.v3.consumers.list"]),
    ("GET", f"{_C}/consumer-groups/{{consumer_group_id}}/lag-summary"): (
        "v3.consumer-group-lag-summary.get",
        ["api.v3.consumer-group-lag-summary.get"],
    ),
    ("GET", f"{_C}/consumer-groups/{{consumer_group_id}}/lags"): ("v3.consumer-lags.list", ["api.v3.consumer-lags.list"]),
    ("GET", f"{_C}/consumer-groups/{{consumer_group_id}}/lags/{{topic_name}}/partitions/{{partition_id}}"): (
        "v3.consumer-lags.get",
        ["api.v3.consumer-lags.get"],
    ),
    ("GET", f"{_C}/consumer-groups/{{consumer_group_id}}/consumers/{{consumer_id}}"): (
        "v3.consumers.get",
        ["api.v3.consumers.get"],
    ),
    ("GET", f"{_C}/consumer-groups/{{consumer_group_id}}/consumers/{{consumer_id}}/assignments"): (
        "v3.consumer-assignments.list",
        ["api.v3.consumer-assignments.list"],
    ),
    (
        "GET",
        f"{_C}/consumer-groups/{{consumer_group_id}}/consumers/{{consumer_id}}/assignments/{{topic_name}}/partitions/{{partition_id}}",
    ): ("v3.consumer-assignments.get", ["api.v3.consumer-assignments.get"]),
    ("GET", f"{_C}/topics/{{topic_name}}/partitions"): ("v3.partitions.list", ["api.v3.partitions.list"]),
    ("GET", f"{_C}/topics/{{topic_name}}/partitions/{{partition_id}}"): ("v3.partitions.get", ["api.v3.partitions.get"]),
    ("GET", f"{_C}/topics/-/partitions/-/reassignment"): (
        "v3.partition-reassignments.list",
        ["api.v3.partition-reassignments.list"],
    ),
    ("GET", f"{_C}/topics/{{topic_name}}/partitions/-/reassignment"): (
        "v3.partition-reassignments.search-by-topic",
        ["api.v3.partition-reassignments.search-by-topic"],
    ),
    ("GET", f"{_C}/topics/{{topic_name}}/partitions/{{partition_id}}/reassignment"): (
        "v3.partition-reassignments.get",
        ["api.v3.partition-reassignments.get"],
    ),
    ("GET", f"{_C}/topics"): ("v3.topics.list", ["api.v3.topics.list"]),
    ("POST", f"{_C}/topics"): ("v3.topics.create", ["api.v3.topics.create"]),
    ("GET", f"{_C}/topics/{{topic_name}}"): ("v3.topics.get", ["api.v3.topics.get"]),
    ("PATCH", f"{_C}/topics/{{topic_name}}"): ("v3.topics.update-partition-count", []),
    ("DELETE", f"{_C}/topics/{{topic_name}}"): ("v3.topics.delete", ["api.v3.topics.delete"]),
    ("POST", f"{_C}/topics/{{topic_name}}/records"): (
        "v3.produce.produce-to-topic",
        ["api.v3.produce.produce-to-topic"],
    ),
    ("GET", f"{_C}/links"): ("v3.links.list", ["api.v3.links.list"]),
    ("POST", f"{_C}/links"): ("v3.links.create", ["api.v3.links.create"]),
    ("GET", f"{_C}/links/{{link_name}}"): ("v3.links.get", ["api.v3.links.get"]),
    ("DELETE", f"{_C}/links/{{link_name}}"): ("v3.links.delete", ["api.v3.links.delete"]),
    ("GET", f"{_C}/links/{{link_name}}/configs"): ("v3.link-configs.list", ["api.v3.link-configs.list"]),
    ("GET", f"{_C}/links/{{link_name}}/configs/{{config_name}}"): ("v3.link-configs.get", ["api.v3.link-configs.get"]),
    ("PUT", f"{_C}/links/{{link_name}}/configs/{{config_name}}"): (
        "v3.link-configs.update",
        ["api.v3.link-configs.update"],
    ),
    ("DELETE", f"{_C}/links/{{link_name}}/configs/{{config_name}}"): (
        "v3.link-configs.delete",
        ["api.v3.link-configs.delete"],
    ),
    ("PUT", f"{_C}/links/{{link_name}}/configs:alter"): ("v3.link-configs.alter", ["api.v3.link-configs.alter"]),
    ("POST", f"{_C}/links/{{link_name}}/mirrors"): ("v3.mirrors.create", ["api.v3.mirrors.create"]),
    ("GET", f"{_C}/links/{{link_name}}/mirrors"): ("v3.mirrors.list", ["api.v3.mirrors.list"]),
    ("GET", f"{_C}/links/-/mirrors"): ("v3.mirrors.list-all", ["api.v3.mirrors.list-all"]),
    ("GET", f"{_C}/links/{{link_name}}/mirrors/{{mirror_topic_name}}"): ("v3.mirrors.get", ["api.v3.mirrors.get"]),
    ("POST", f"{_C}/links/{{link_name}}/mirrors:promote"): ("v3.mirrors.promote", ["api.v3.mirrors.promote"]),
    ("POST", f"{_C}/links/{{link_name}}/mirrors:failover"): ("v3.mirrors.failover", ["api.v3.mirrors.failover"]),
    ("POST", f"{_C}/links/{{link_name}}/mirrors:pause"): ("v3.mirrors.pause", ["api.v3.mirrors.pause"]),
    ("POST", f"{_C}/links/{{link_name}}/mirrors:resume"): ("v3.mirrors.resume", ["api.v3.mirrors.resume"]),
    ("POST", f"{_C}/links/{{link_name}}/mirrors:reverse-and-start-mirror"): ("v3.mirrors.reverse-and-start-mirror", []),
    ("POST", f"{_C}/links/{{link_name}}/mirrors:reverse-and-pause-mirror"): ("v3.mirrors.reverse-and-pause-mirror", []),
    ("POST", f"{_C}/links/{{link_name}}/mirrors:truncate-and-restore"): ("v3.mirrors.truncate-and-restore", []),
    ("GET", f"{_C}/balancer"): ("v3.balancer.get", ["api.v3.balancer.get"]),
    ("GET", f"{_C}/balancer/any-uneven-load"): (
        "v3.balancer.any-uneven-load.get",
        ["api.v3.balancer.any-uneven-load.get"],
    ),
    ("GET", f"{_C}/brokers/-/tasks"): ("v3.broker-tasks.list", ["api.v3.broker-tasks.list"]),
    ("GET", f"{_C}/brokers/{{broker_id}}/tasks"): ("v3.brokers.broker-tasks.list", ["api.v3.brokers.broker-tasks.list"]),
    ("GET", f"{_C}/brokers/-/tasks/{{task_type}}"): (
        "v3.broker-tasks.search-by-type",
        ["api.v3.broker-tasks.search-by-type"],
    ),
    ("GET", f"{_C}/brokers/{{broker_id}}/tasks/{{task_type}}"): (
        "v3.brokers.broker-tasks.search-by-type",
        ["api.v3.brokers.broker-tasks.search-by-type"],
    ),
    ("GET", f"{_C}/broker-replica-exclusions"): (
        "v3.broker-replica-exclusions.list",
        ["api.v3.broker-replica-exclusions.list"],
    ),
    ("GET", f"{_C}/broker-replica-exclusions/{{broker_id}}"): (
        "v3.broker-replica-exclusions.search-by-broker",
        ["api.v3.broker-replica-exclusions.search-by-broker"],
    ),
    ("POST", f"{_C}/broker-replica-exclusions:create"): (
        "v3.broker-replica-exclusions.create",
        ["api.v3.broker-replica-exclusions.create"],
    ),
    ("POST", f"{_C}/broker-replica-exclusions:delete"): (
        "v3.broker-replica-exclusions.delete",
        ["api.v3.broker-replica-exclusions.delete"],
    ),
    ("GET", f"{_C}/remove-broker-tasks"): (
        "v3.broker-tasks.remove-broker.list",
        ["api.v3.broker-tasks.remove-broker.list"],
    ),
    ("GET", f"{_C}/remove-broker-tasks/{{broker_id}}"): (
        "v3.broker-tasks.remove-broker.get",
        ["api.v3.broker-tasks.remove-broker.get"],
    ),
    ("POST", f"{_C}/brokers/{{broker_id}}:unregister"): ("v3.brokers.unregister", []),
    ("GET", f"{_C}/topics/-/partitions/-/replica-status"): (
        "v3.topics.replica-statuses.list-all",
        ["api.v3.topics.replica-statuses.list-all"],
    ),
    ("GET", f"{_C}/topics/{{topic_name}}/partitions/-/replica-status"): (
        "v3.topics.replica-statuses.list",
        ["api.v3.topics.replica-statuses.list"],
    ),
    ("GET", f"{_C}/topics/{{topic_name}}/partitions/{{partition_id}}/replica-status"): (
        "v3.partitions.replica-statuses.list",
        ["api.v3.partitions.replica-statuses.list"],
    ),
}

# Document section -> family.
FAMILIES = {
    "Topics": "topics",
    "Partitions": "partitions",
    "Consumers": "consumers",
    "Brokers": "brokers",
    "Cell (v3)": "cells",
    "Cluster (v3)": "clusters",
    "Configs (v3)": "configs",
    "Broker (v3)": "brokers",
    "Replica (v3)": "replicas",
    "ACL (v3)": "acls",
    "Consumer Group (v3)": "consumer-groups",
    "Partition (v3)": "partitions",
    "Topic (v3)": "topics",
    "Records (v3)": "records",
    "Cluster Linking (v3)": "cluster-linking",
    "BalancerStatus (v3)": "balancer",
    "BrokerTask (v3)": "broker-tasks",
    "BrokerReplicaExclusion (v3)": "broker-replica-exclusions",
    "RemoveBrokerTask (v3)": "remove-broker-tasks",
    "Unregister (v3)": "unregister",
    "Replica Status (v3)": "replica-status",
}

# Families that only Confluent Server serves (Apache Kafka has no API for them).
CONFLUENT_SERVER_FAMILIES = {
    "cells": "cells are a Confluent Server feature",
    "cluster-linking": "cluster linking and mirror topics are Confluent Server features",
    "balancer": "the balancer (Self-Balancing Clusters) is a Confluent Server feature",
    "broker-tasks": "broker tasks belong to the Confluent Server balancer",
    "broker-replica-exclusions": "replica exclusions belong to the Confluent Server balancer",
    "remove-broker-tasks": "remove-broker tasks belong to the Confluent Server balancer",
    "unregister": "listed by 003 as available only with Confluent Server",
    "replica-status": "listed by 003 as available only with Confluent Server",
}


# ---------------------------------------------------------------------------
# JSON repair
# ---------------------------------------------------------------------------

_LITERAL = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")


def repair_json(text: str, close_open: bool = False):
    """Parse JSON, repairing what scraping broke.

    Repairs: trailing commas before } or ], missing commas between two values,
    and (with close_open) brackets left open at the end of a cut-off listing.
    Returns (value, [repairs]); raises ValueError when the text is not JSON
    even after these repairs.
    """
    try:
        return json.loads(text), []
    except json.JSONDecodeError:
        pass
    out: list[str] = []
    repairs: list[str] = []
    stack: list[str] = []
    after_value = False
    i, n = 0, len(text)

    def note(what: str) -> None:
        if what not in repairs:
            repairs.append(what)

    def comma_if_needed() -> None:
        if after_value and stack:
            out.append(",")
            note("inserted missing commas")

    while i < n:
        c = text[i]
        if c in " \t\r\n":
            out.append(c)
            i += 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise ValueError("unterminated string")
            comma_if_needed()
            out.append(text[i : j + 1])
            after_value = True
            i = j + 1
        elif c in "{[":
            comma_if_needed()
            stack.append("}" if c == "{" else "]")
            out.append(c)
            after_value = False
            i += 1
        elif c in "}]":
            if not stack or stack[-1] != c:
                raise ValueError("unbalanced brackets")
            k = len(out) - 1
            while k >= 0 and out[k].isspace():
                k -= 1
            if k >= 0 and out[k] == ",":
                del out[k]
                note("removed trailing commas")
            stack.pop()
            out.append(c)
            after_value = True
            i += 1
        elif c in ",:":
            out.append(c)
            after_value = False
            i += 1
        else:
            m = _LITERAL.match(text, i)
            if not m:
                raise ValueError(f"unexpected character {c!r}")
            comma_if_needed()
            out.append(m.group())
            after_value = True
            i = m.end()
    if stack:
        if not close_open:
            raise ValueError("unclosed brackets")
        out.extend(reversed(stack))
        note("closed brackets left open where the listing is cut off")
    try:
        return json.loads("".join(out)), repairs
    except json.JSONDecodeError as e:
        raise ValueError(str(e)) from e


def balanced_end(text: str, start: int) -> int | None:
    """Index just past the JSON value starting at text[start] ({ or [), or None."""
    depth = 0
    i, n = start, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def body_value(raw: str | None, notes: list[str], close_open: bool = False):
    """The body as JSON (repaired if need be), or the raw string with 'unparsed'."""
    if raw is None or raw.strip() == "":
        return None
    try:
        value, repairs = repair_json(raw, close_open)
    except ValueError:
        notes.append("unparsed")
        return raw
    notes.extend(f"{r} (scrape repair)" for r in repairs)
    return value


def shape(value):
    """Names and JSON types of a value, leaves replaced by their type."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


# ---------------------------------------------------------------------------
# HTTP messages as the documents write them
# ---------------------------------------------------------------------------

_HEADER = re.compile(r"(?:^|\s)([A-Z][A-Za-z]*(?:-[A-Z][A-Za-z]*)*): ")
_REQUEST_LINE = re.compile(r"^\s*(GET|POST|PUT|DELETE|PATCH) (\S+) HTTP/1\.1\b\s*(.*)$")
_STATUS_LINE = re.compile(r"^\s*HTTP/1\.1 (\d{3}|\dXX)\b\s*(.*)$")


def split_headers(text: str) -> tuple[OrderedDict, str]:
    """Split 'Name: value Name: value {body' into headers and the body text."""
    starts = [m.start() for m in (re.search(r"[{\[]", text),) if m]
    body_at = starts[0] if starts else len(text)
    head, body = text[:body_at], text[body_at:]
    headers: OrderedDict = OrderedDict()
    found = list(_HEADER.finditer(head))
    for k, m in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(head)
        headers[m.group(1)] = head[m.end() : end].strip()
    return headers, body.strip()


def parse_request_line(line: str):
    """One-line request of 003: 'GET /path HTTP/1.1 Host: h Accept: a {body}'."""
    m = _REQUEST_LINE.match(line)
    if not m:
        return None
    headers, body = split_headers(m.group(3))
    return {"method": m.group(1), "path": m.group(2), "headers": headers, "body": body}


def parse_status_line(line: str):
    """One-line response of 003: 'HTTP/1.1 200 OK Content-Type: t {body}'."""
    m = _STATUS_LINE.match(line)
    if not m:
        return None
    rest = m.group(2)
    first_header = _HEADER.search(rest)
    first_body = re.search(r"[{\[]", rest)
    cut = min(x.start() for x in (first_header, first_body) if x) if (first_header or first_body) else len(rest)
    reason = rest[:cut].strip(" -")
    headers, body = split_headers(rest[cut:])
    status = int(m.group(1)) if m.group(1).isdigit() else m.group(1)
    return {"status": status, "reason": reason, "headers": headers, "body": body}


# ---------------------------------------------------------------------------
# Status codes and error codes
# ---------------------------------------------------------------------------

_STATUS_TOKEN = re.compile(
    r"(?:Status Codes: )?- (\d{3}|\dXX)(?: ([A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)*))? –"
    r"|(?:- )?Error code (\d+) [–-] "
)


def clean_text(text: str, fixes: dict[str, str]) -> str:
    text = re.sub(r"\s+", " ", text).strip(" -–")
    for wrong, right in fixes.items():
        text = text.replace(wrong, right)
    return text


def parse_status_blob(parts: list[tuple[int, str]], fixes: dict[str, str]):
    """Statuses and error codes from the 'Status Codes:' text of a 003 block.

    `parts` are (line number, text) pairs. Returns a list of groups:
    {status, reason, meaning, line, codes: [(code, meaning, line)]}.
    """
    blob, starts = "", []
    for n, text in parts:
        starts.append((len(blob), n))
        blob += text + " "

    def line_at(offset: int) -> int:
        return max((n for at, n in starts if at <= offset), default=0)

    groups: list[dict] = []
    tokens = list(_STATUS_TOKEN.finditer(blob))
    for k, m in enumerate(tokens):
        end = tokens[k + 1].start() if k + 1 < len(tokens) else len(blob)
        text = clean_text(blob[m.end() : end], fixes)
        if m.group(1):
            status = int(m.group(1)) if m.group(1).isdigit() else m.group(1)
            groups.append({"status": status, "reason": m.group(2), "meaning": text, "line": line_at(m.start()), "codes": []})
        elif groups:
            groups[-1]["codes"].append((int(m.group(3)), text, line_at(m.start())))
    return groups


# ---------------------------------------------------------------------------
# 003: Confluent REST Proxy API reference
# ---------------------------------------------------------------------------


def is_section_heading(line: str) -> bool:
    return line.endswith("¶") and not line.startswith("¶") and not line.startswith("(")


_LABEL = re.compile(r"^([A-Za-z][A-Za-z0-9_ ]{0,60}):$")


def label_name(line: str):
    """('request'|'response'|'named'|None, label) for a label line."""
    m = _LABEL.match(line.strip())
    if not m:
        return None
    text = m.group(1)
    em = re.match(r"^Example(?: (.+?))? (request|response)$", text)
    if em:
        return em.group(2), em.group(1)
    if text.startswith("Example"):
        return None
    return "named", text


class Doc003:
    def __init__(self, path: Path, fixes: dict[str, str]):
        self.lines = path.read_text(encoding="utf-8").split("\n")
        self.fixes = fixes
        self.identifiers = self._identifiers()
        self.cs_paths = self._confluent_server_paths()
        self.blocks = self._endpoint_blocks()

    def line(self, n: int) -> str:
        return self.lines[n - 1]

    def _identifiers(self) -> dict[str, int]:
        found = OrderedDict()
        for n, line in enumerate(self.lines, 1):
            m = re.match(r"^(api\.v[23]\.[\w.*-]+) \|$", line.strip())
            if m:
                found[m.group(1)] = n
        return found

    def _confluent_server_paths(self) -> dict[tuple[str | None, str], int]:
        """Paths listed as 'only available with a Confluent Server deployment'."""
        start = next(n for n, l in enumerate(self.lines, 1) if "only available with a Confluent Server deployment" in l)
        paths: dict[tuple[str | None, str], int] = {}
        method: str | None = None
        for n in range(start + 1, len(self.lines) + 1):
            line = self.line(n).strip()
            if line.startswith("REST that runs with a Confluent Server"):
                break
            if "The DELETE option is available only" in line:
                method = "DELETE"
                continue
            if line.startswith("/clusters"):
                paths[(method, line)] = n
                method = None
        return paths

    def _endpoint_blocks(self) -> list[dict]:
        lines = self.lines
        blocks: list[dict] = []
        section = None
        n = 1
        current = None
        while n <= len(lines):
            line = lines[n - 1]
            if is_section_heading(line):
                section = line[:-1].strip()
                if current:
                    current["end"] = n - 1
                    current = None
                n += 1
                continue
            if line == "-" and n < len(lines) and lines[n] in METHODS + ("ANY",):
                if current:
                    current["end"] = n - 1
                method = lines[n]
                k = n + 2
                parts = []
                while "¶" not in lines[k - 1]:
                    parts.append(lines[k - 1])
                    k += 1
                head, _, tail = lines[k - 1].partition("¶")
                parts.append(head)
                path = re.sub(r"\((?:string|int): (\w+)\)", r"{\1}", "".join(p.strip() for p in parts))
                current = {
                    "method": method,
                    "doc_path": path,
                    "section": section,
                    "line": n + 1,
                    "summary": tail.strip(),
                    "start": k,
                    "end": len(lines),
                }
                blocks.append(current)
                n = k + 1
                continue
            if line.startswith("REST API Usage Examples"):
                if current:
                    current["end"] = n - 1
                    current = None
            n += 1
        for b in blocks:
            self._parse_block(b)
        return blocks

    def _parse_block(self, b: dict) -> None:
        """Requests, responses and status codes of one endpoint block."""
        requests, responses, blob = [], [], []
        pending = None  # (kind, label) of the last label line
        in_status = False
        for n in range(b["start"], b["end"] + 1):
            line = self.line(n)
            if n == b["start"]:
                line = line.partition("¶")[2]
                if "Status Codes:" not in line:
                    continue
            lab = label_name(line)
            if lab:
                pending = lab
                continue
            req = parse_request_line(line)
            if req:
                req.update(line=n, label=pending[1] if pending and pending[0] in ("request", "named") else None)
                requests.append(req)
                pending = None
                continue
            resp = parse_status_line(line)
            if resp:
                resp.update(line=n, label=pending[1] if pending and pending[0] in ("response", "named") else None)
                responses.append(resp)
                pending = None
                continue
            if "Status Codes:" in line:
                in_status = True
                line = line[line.index("Status Codes:") :]
            if in_status:
                blob.append((n, line))
            pending = None
        b["requests"] = requests
        b["responses"] = responses
        b["status_groups"] = parse_status_blob(blob, self.fixes)

    def general_errors(self) -> dict:
        """The 'ANY /' block of the errors section: errors every endpoint may return."""
        return next(b for b in self.blocks if b["method"] == "ANY")

    def error_format_example(self) -> dict | None:
        """The multi-line error example of the 'Errors' section."""
        start = next(n for n, l in enumerate(self.lines, 1) if l == "Errors¶")
        for n in range(start, start + 20):
            resp = parse_status_line(self.line(n))
            if resp:
                headers = OrderedDict()
                k = n + 1
                while ":" in self.line(k) and not self.line(k).startswith(("{", "[")):
                    name, _, value = self.line(k).partition(":")
                    headers[name.strip()] = value.strip()
                    k += 1
                text = "\n".join(self.lines[k - 1 : k + 40])
                end = balanced_end(text, 0)
                notes: list[str] = []
                body = body_value(text[:end], notes)
                return {"line": n, "status": resp["status"], "headers": headers, "body": body}
        return None

    def record_error_codes(self) -> list[tuple[int, str, int]]:
        found = []
        for n, line in enumerate(self.lines, 1):
            m = re.match(r"^- ([12]) - (.*)$", line)
            if m:
                found.append((int(m.group(1)), m.group(2).strip(), n))
        return found

    def curl_examples(self) -> list[dict]:
        """curl commands of 'REST API Usage Examples (curl)' with their printed results."""
        start = next(n for n, l in enumerate(self.lines, 1) if l.startswith("REST API Usage Examples (curl)"))
        end = next(n for n, l in enumerate(self.lines, 1) if l == "Accesslists¶")
        out: list[dict] = []
        n = start
        while n < end:
            line = self.line(n)
            if not line.startswith("curl "):
                n += 1
                continue
            first = n
            cmd = line
            while cmd.endswith("\\"):
                n += 1
                cmd = cmd[:-1].rstrip() + " " + self.line(n).strip()
            n += 1
            result_lines = []
            result_start = n
            while n < end and re.match(r'^\s*["{}\[\]]', self.line(n)):
                result_lines.append(self.line(n))
                n += 1
            intro = self.line(first - 1)
            if intro.startswith(("Example", "curl")):
                k = first - 1
                while k > start and self.line(k).startswith(("Example", "curl")):
                    k -= 1
                intro = self.line(k)
            if out and out[-1]["command"] == cmd and not out[-1]["result"]:
                out.pop()  # the same command repeated as "Example and result"
            out.append(
                {
                    "line": first,
                    "command": cmd,
                    "intro": intro,
                    "result": result_lines,
                    "result_line": result_start if result_lines else None,
                }
            )
        return out


# ---------------------------------------------------------------------------
# 004: the v2 API as a managed-Kafka vendor documents it
# ---------------------------------------------------------------------------


class Doc004:
    HEADING = re.compile(r"^(GET|POST|PUT|DELETE|PATCH) /? ?([a-z_]+(?: / [a-z_]+)*)$")

    def __init__(self, path: Path):
        self.lines = path.read_text(encoding="utf-8").split("\n")
        self.blocks = self._blocks()

    @staticmethod
    def template(words: str) -> str:
        path = "/" + "/".join(w.strip() for w in words.split("/"))
        path = re.sub(r"/consumers/group_name/instances?/instance(?:_name)?", "/consumers/{group_name}/instances/{instance}", path)
        for name in ("topic_name", "partition_id", "group_name"):
            path = re.sub(rf"/{name}(?=/|$)", f"/{{{name}}}", path)
        return path

    def _blocks(self) -> list[dict]:
        blocks: list[dict] = []
        cur = None
        lines = self.lines
        n = 1
        while n <= len(lines):
            s = lines[n - 1].strip()
            m = self.HEADING.match(s)
            if m:
                cur = {"method": m.group(1), "doc_path": self.template(m.group(2)), "line": n, "examples": [], "errors": []}
                blocks.append(cur)
                n += 1
                continue
            if s == "Errors" and cur:
                cur = None
            if cur is None:
                n += 1
                continue
            if s == "Error codes":
                n = self._error_table(n + 1, cur["errors"])
                continue
            em = re.match(r"^Example(?: (.+?))? (request|response)$", s)
            if em:
                msg, n = self._message(n + 1)
                msg["label"] = em.group(1)
                msg["kind"] = em.group(2)
                cur["examples"].append(msg)
                continue
            n += 1
        return blocks

    def _error_table(self, n: int, errors: list) -> int:
        status = reason = None
        while n <= len(self.lines):
            s = self.lines[n - 1].strip()
            if s.startswith("Example") or self.HEADING.match(s):
                return n
            m = re.match(r"^(\d{3}) ([A-Za-z ]+?) (\d{5}) (.+)$", s)
            c = re.match(r"^(\d{5}) (.+)$", s)
            if m:
                status, reason = int(m.group(1)), m.group(2)
                errors.append({"status": status, "reason": reason, "code": int(m.group(3)), "meaning": m.group(4), "line": n})
            elif c and status:
                errors.append({"status": status, "reason": reason, "code": int(c.group(1)), "meaning": c.group(2), "line": n})
            n += 1
        return n

    def _message(self, n: int) -> tuple[dict, int]:
        lines = self.lines
        while not lines[n - 1].strip():
            n += 1
        first = lines[n - 1].strip()
        msg: dict = {"line": n, "headers": OrderedDict(), "body": None}
        req = _REQUEST_LINE.match(first)
        st = _STATUS_LINE.match(first)
        if req:
            msg.update(method=req.group(1), path=req.group(2))
        elif st:
            msg.update(status=int(st.group(1)), reason=st.group(2).strip())
        n += 1
        while n <= len(lines) and lines[n - 1].strip() and re.match(r"^\s*[A-Z][\w-]*: ", lines[n - 1]):
            name, _, value = lines[n - 1].strip().partition(":")
            msg["headers"][name] = value.strip()
            n += 1
        while n <= len(lines) and not lines[n - 1].strip():
            n += 1
        if n <= len(lines) and lines[n - 1].strip()[:1] in ("{", "["):
            text = "\n".join(lines[n - 1 :])
            end = balanced_end(text, text.index(lines[n - 1].strip()[0]))
            raw = text[:end]
            msg["body"] = raw.strip()
            msg["body_line"] = n
            n += raw.count("\n") + 1
        return msg, n

    def general_errors(self) -> list[dict]:
        start = max(n for n, l in enumerate(self.lines, 1) if l.strip() == "Errors")
        errors: list[dict] = []
        for n in range(start, len(self.lines) + 1):
            if self.lines[n - 1].strip().startswith("Status Error code"):
                self._error_table(n + 1, errors)
                break
        return errors

    def error_format_example(self) -> dict:
        start = max(n for n, l in enumerate(self.lines, 1) if l.strip() == "Errors")
        n = next(k for k in range(start, len(self.lines) + 1) if self.lines[k - 1].startswith("HTTP/1.1"))
        msg, _ = self._message(n)
        notes: list[str] = []
        msg["body"] = body_value(msg["body"], notes)
        return msg


# ---------------------------------------------------------------------------
# 000/001: a cloud provider's managed-Kafka topic API
# ---------------------------------------------------------------------------


def provider_examples(doc000: Path, doc001: Path, corr: dict) -> tuple[dict, list[dict]]:
    statuses = corr["provider"]["statuses"]
    l000 = doc000.read_text(encoding="utf-8").split("\n")
    l001 = doc001.read_text(encoding="utf-8").split("\n")

    def json_at(lines: list[str], n: int):
        text = "\n".join(lines[n - 1 :])
        start = text.index("{")
        return text[start : balanced_end(text, start)]

    responses = []
    for n, line in enumerate(l000, 1):
        if line.startswith("Click to expand an example response."):
            k = n - 1
            while not l000[k - 1].strip() or l000[k - 1].startswith("Click"):
                k -= 1
            desc = l000[k - 1].strip()
            if desc not in statuses:
                raise SystemExit(f"000:{k}: no status known for response {desc!r} (add it to corrections.json)")
            responses.append({"source": f"000:{n + 1}", "desc": desc, "status": statuses[desc], "raw": json_at(l000, n + 1)})
    req_line = next(n for n, l in enumerate(l001, 1) if l.startswith("req = {"))
    resp_line = next(n for n, l in enumerate(l001, 1) if l.startswith("Show Response Example")) + 1
    call = next(l for l in l001 if "create_kafka_topic(database_cluster_uuid=" in l)
    uuid = re.search(r'database_cluster_uuid="([^"]+)"', call).group(1)
    request = {"source": f"001:{req_line}", "raw": json_at(l001, req_line), "uuid": uuid}
    responses.insert(
        0,
        {
            "source": f"001:{resp_line}",
            "desc": "Response Example",
            "status": statuses["A JSON object with a key of topic."],
            "raw": json_at(l001, resp_line),
        },
    )
    return request, responses


# ---------------------------------------------------------------------------
# Building the fixtures
# ---------------------------------------------------------------------------


def path_regex(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    rx = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile("^" + rx + "/?$")


def content_types(value: str | None) -> list[str]:
    if not value:
        return []
    return [v.strip() for v in value.split(",") if v.strip()]


def join_notes(notes: list[str]) -> str:
    """Notes in one string; a body kept as text because it is not JSON puts 'unparsed' first."""
    unique = list(dict.fromkeys(notes))
    unique.sort(key=lambda n: not n.startswith("unparsed"))
    return "; ".join(unique)


def response_kind(status, body) -> str:
    if isinstance(status, str) and status[0] in "45":
        return "error"
    if isinstance(status, int) and status >= 400:
        return "error"
    if isinstance(body, dict) and set(body) == {"error_code", "message"}:
        return "error"
    return "success"


class Builder:
    def __init__(self, spec_dir: Path, corrections: dict):
        self.spec_dir = spec_dir
        self.corr = corrections
        self.fixes = corrections.get("text_fixes", {})
        f = {p.name[:3]: p for p in spec_dir.glob("00?_*.txt")}
        missing = {"000", "001", "003", "004"} - set(f)
        if missing:
            raise SystemExit(f"{spec_dir}: missing spec files {sorted(missing)}")
        self.files = f
        self.d003 = Doc003(f["003"], self.fixes)
        self.d004 = Doc004(f["004"])
        self.endpoints: list[dict] = []
        self.by_id: dict[str, dict] = {}
        self.examples: list[dict] = []
        self.errors: OrderedDict = OrderedDict()

    # -- endpoints ---------------------------------------------------------

    def build_endpoints(self) -> None:
        ident = self.d003.identifiers
        for b in self.d003.blocks:
            if b["method"] == "ANY":
                continue
            api = "v3" if "(v3)" in (b["section"] or "") else "v2"
            table = V3_ENDPOINTS if api == "v3" else V2_ENDPOINTS
            key = (b["method"], b["doc_path"])
            if key not in table:
                raise SystemExit(f"003:{b['line']}: endpoint {key} has no id (add it to the id table)")
            eid, ids = table[key]
            for i in ids:
                if i not in ident:
                    raise SystemExit(f"identifier {i} of {eid} is not in the list of 003")
            family = FAMILIES[b["section"]]
            cs, basis = self._confluent_server_only(b["method"], b["doc_path"], family)
            ep = OrderedDict(
                id=eid,
                api=api,
                method=b["method"],
                path=("/v3" + b["doc_path"]) if api == "v3" else b["doc_path"],
                source="003",
                line=b["line"],
                family=family,
                section=b["section"],
                summary=clean_text(b["summary"].split(". ")[0], self.fixes).rstrip("."),
                api_identifiers=ids,
                confluent_server_only=cs,
                confluent_server_only_basis=basis,
                also_documented_in=[],
                status_codes=self._status_codes_003(b),
                request_content_types=[],
                response_content_types=[],
                notes="",
            )
            if eid == "v3.topic-configs.list-all":
                ep["notes"] = "shares the identifier api.v3.topic-configs.list with v3.topic-configs.list"
            if not ids:
                ep["notes"] = "no identifier of the list of 003 names this endpoint; the id follows the summary"
            ep["_block"] = b
            self._add_endpoint(ep)
        # The v2 root resource: named by the identifier list, path "/" of the errors section.
        for method, name in (("GET", "api.v2.root.get"), ("POST", "api.v2.root.post")):
            ep = OrderedDict(
                id=name[4:],
                api="v2",
                method=method,
                path="/",
                source="003",
                line=ident[name],
                family="root",
                section="API identifiers",
                summary="Root resource",
                api_identifiers=[name],
                confluent_server_only=False,
                confluent_server_only_basis=None,
                also_documented_in=[],
                status_codes=[],
                request_content_types=[],
                response_content_types=[],
                notes="named only by the API identifier list of 003 (the path is the '/' of its errors section); "
                "no description, body or example",
            )
            self._add_endpoint(ep)
        # 004 documents v2 endpoints of 003 again; 003 wins, 004 adds what 003 lacks.
        drops = {(d["endpoint"], d["status"], d["error_code"]) for d in self.corr.get("drop_004_status_codes", [])}
        for b in self.d004.blocks:
            ep = self._find_endpoint("v2", b["method"], b["doc_path"])
            if ep is None:
                raise SystemExit(f"004:{b['line']}: {b['method']} {b['doc_path']} is not a v2 endpoint of 003")
            ep["also_documented_in"].append("004")
            have = {(s["status"], s["error_code"]) for s in ep["status_codes"]}
            for e in b["errors"]:
                if (e["status"], e["code"]) in have or (ep["id"], e["status"], e["code"]) in drops:
                    continue
                ep["status_codes"].append(
                    OrderedDict(status=e["status"], reason=e["reason"], error_code=e["code"], meaning=e["meaning"], source=f"004:{e['line']}", from_example=False)
                )
                have.add((e["status"], e["code"]))
            b["endpoint"] = ep["id"]
        mirror = self.by_id["v3.mirrors.create"]
        mirror["also_documented_in"].append("002")
        self._provider_endpoint()

    def _confluent_server_only(self, method: str, doc_path: str, family: str):
        if (None, doc_path) in self.d003.cs_paths or (method, doc_path) in self.d003.cs_paths:
            n = self.d003.cs_paths.get((None, doc_path)) or self.d003.cs_paths[(method, doc_path)]
            return True, f"listed by 003 as available only with Confluent Server (003:{n})"
        if family in CONFLUENT_SERVER_FAMILIES:
            return True, CONFLUENT_SERVER_FAMILIES[family]
        return False, None

    def _add_endpoint(self, ep: dict) -> None:
        if ep["id"] in self.by_id:
            raise SystemExit(f"duplicate endpoint id {ep['id']}")
        self.endpoints.append(ep)
        self.by_id[ep["id"]] = ep

    def _find_endpoint(self, api: str, method: str, path: str):
        for ep in self.endpoints:
            if ep["api"] != api or ep["method"] != method:
                continue
            if path_regex(ep["path"]).match(path):
                return ep
        return None

    def _find_by_concrete_path(self, api: str, method: str, path: str):
        """Endpoint whose template matches a concrete path; literal segments win over parameters."""
        path = path.split("?")[0]
        best = None
        for ep in self.endpoints:
            if ep["api"] != api or ep["method"] != method or not path_regex(ep["path"]).match(path):
                continue
            literal = len(re.sub(r"\{[^}]+\}", "", ep["path"]))
            if best is None or literal > best[0]:
                best = (literal, ep)
        return best[1] if best else None

    def _status_codes_003(self, b: dict) -> list[dict]:
        out: list[dict] = []
        seen: set = set()
        example_codes: dict = {}
        for r in b["responses"]:
            notes: list[str] = []
            body = body_value(r["body"], notes)
            if isinstance(body, dict) and "error_code" in body and response_kind(r["status"], body) == "error":
                example_codes.setdefault(r["status"], []).append((body["error_code"], r["label"], body.get("message"), r["line"]))
        for g in b["status_groups"]:
            st = g["status"]
            if g["meaning"] or not g["codes"]:
                key = (st, None, g["meaning"])
                if not g["meaning"] and any(s["status"] == st for s in out):
                    continue
                if key not in seen:
                    seen.add(key)
                    out.append(
                        OrderedDict(status=st, reason=g["reason"], error_code=None, meaning=g["meaning"], source=f"003:{g['line']}", from_example=False)
                    )
            for code, meaning, line in g["codes"]:
                if any(s["status"] == st and s["error_code"] == code for s in out):
                    continue
                out.append(OrderedDict(status=st, reason=g["reason"], error_code=code, meaning=meaning, source=f"003:{line}", from_example=False))
            for code, label, message, line in example_codes.pop(st, []):
                meaning = f"{label}: {message}" if label else (message or "")
                key = (st, code, meaning)
                if key in seen:
                    continue
                seen.add(key)
                out.append(OrderedDict(status=st, reason=g["reason"], error_code=code, meaning=meaning, source=f"003:{line}", from_example=True))
            for m in re.finditer(r"error code ?(\d{5})", g["meaning"]):
                code = int(m.group(1))
                if not any(s["status"] == st and s["error_code"] == code for s in out):
                    sentence = next(s for s in re.split(r"(?<=\.) ", g["meaning"]) if m.group(1) in s)
                    out.append(
                        OrderedDict(status=st, reason=g["reason"], error_code=code, meaning=sentence, source=f"003:{g['line']}", from_example=False)
                    )
        if example_codes:
            raise SystemExit(f"003:{b['line']}: error examples without a status group: {example_codes}")
        return out

    def _provider_endpoint(self) -> None:
        p = self.corr["provider"]
        lines000 = [l.strip() for l in self.files["000"].read_text(encoding="utf-8").split("\n")]
        ep = OrderedDict(
            id="provider.topics.create",
            api="provider",
            method="POST",
            path="/v2/databases/{database_cluster_uuid}/topics",
            source="000",
            line=next(n for n, l in enumerate(self.files["000"].read_text(encoding="utf-8").split("\n"), 1) if "send a POST request" in l),
            family="topics",
            section="pydo.databases.create_kafka_topic()",
            summary="Create a topic attached to a Kafka cluster",
            api_identifiers=[],
            confluent_server_only=False,
            confluent_server_only_basis=None,
            also_documented_in=["001"],
            status_codes=[
                OrderedDict(status=st, reason=None, error_code=None, meaning=desc, source=f"000:{lines000.index(desc) + 1}", from_example=False)
                for desc, st in p["statuses"].items()
            ],
            request_content_types=list(p["request_content_types"]),
            response_content_types=[],
            notes=f"status numbers and request content type from {p['statuses_reason']}",
        )
        self._add_endpoint(ep)

    # -- examples ------------------------------------------------------------

    def build_examples(self) -> None:
        for ep in list(self.endpoints):
            b = ep.get("_block")
            if b is None:
                continue
            if ep["api"] == "v2":
                self._pair_sequential(ep, b)
            else:
                self._pair_v3(ep, b)
        self._examples_004()
        self._examples_curl()
        self._examples_provider()
        counters: Counter = Counter()
        for ex in self.examples:
            counters[ex["endpoint"]] += 1
            ex["id"] = f"{ex['endpoint']}#{counters[ex['endpoint']]}"
            ex.move_to_end("id", last=False)
        for ep in self.endpoints:
            ep.pop("_block", None)

    def _request_entry(self, ep: dict, req: dict | None, source_doc: str, notes: list[str]) -> dict:
        if req is None:
            notes.append("no example request in the spec: method and path from the endpoint heading")
            return OrderedDict(
                request_label=None,
                request_documented=False,
                method=ep["method"],
                path=ep["path"],
                documented_path=None,
                request_headers=OrderedDict(),
                request_body=None,
                curl=None,
                _req_source=None,
            )
        body = body_value(req["body"], notes) if req["body"] else None
        path = req["path"]
        return OrderedDict(
            request_label=req["label"],
            request_documented=True,
            method=req["method"],
            path=("/v3" + path) if ep["api"] == "v3" else path,
            documented_path=path,
            request_headers=req["headers"],
            request_body=body,
            curl=None,
            _req_source=f"{source_doc}:{req['line']}",
        )

    def _entry(self, ep: dict, reqpart: dict, resp: dict | None, source_doc: str, notes: list[str], fallback_status=None) -> dict:
        e = OrderedDict(endpoint=ep["id"], api=ep["api"])
        e.update((k, v) for k, v in reqpart.items() if not k.startswith("_"))
        if resp is None:
            if fallback_status is not None:
                notes.append("response from the status-code list: the spec gives no example response")
            else:
                notes.append("no example response in the spec")
            status, headers, body, label, rsrc = fallback_status, OrderedDict(), None, None, None
        else:
            status, headers, label = resp["status"], resp["headers"], resp["label"]
            rsrc = f"{source_doc}:{resp['line']}"
            body = self._response_body(resp, headers, notes)
        e["status"] = status
        e["response_label"] = label
        e["response_kind"] = response_kind(status, body) if status is not None else None
        e["response_documented"] = resp is not None
        e["response_headers"] = headers
        e["response_body"] = body
        e["source"] = reqpart["_req_source"] or rsrc or f"{source_doc}:{ep['line']}"
        e["response_source"] = rsrc
        e["duplicate_of"] = None
        e["superseded"] = False
        e["notes"] = join_notes(notes)
        return e

    def _response_body(self, resp: dict, headers: dict, notes: list[str]):
        body = body_value(resp["body"], notes) if resp["body"] else None
        ctype = headers.get("Content-Type", "")
        if ctype.startswith("text/html") and isinstance(body, dict) and set(body) == {"description", "value"}:
            notes.append(
                "text/html body: the spec shows it as an example object "
                f"{{description, value}} ({body['description']!r}); response_body is its value"
            )
            body = body["value"]
        if isinstance(resp["status"], str):
            notes.append(f"status {resp['status']} is a range: any 5xx status")
        return body

    def _pair_sequential(self, ep: dict, b: dict) -> None:
        """v2: each example request is followed by its response."""
        items = sorted(
            [("req", r) for r in b["requests"]] + [("resp", r) for r in b["responses"]],
            key=lambda x: x[1]["line"],
        )
        k = 0
        while k < len(items):
            kind, item = items[k]
            notes: list[str] = []
            if kind == "req":
                resp = items[k + 1][1] if k + 1 < len(items) and items[k + 1][0] == "resp" else None
                k += 2 if resp else 1
                rp = self._request_entry(ep, item, "003", notes)
                self.examples.append(self._entry(ep, rp, resp, "003", notes))
            else:
                rp = self._request_entry(ep, None, "003", notes)
                self.examples.append(self._entry(ep, rp, item, "003", notes))
                k += 1

    def _pair_v3(self, ep: dict, b: dict) -> None:
        """v3: every example request with the documented success response; every
        other documented response with the first example request."""
        reqs, resps = b["requests"], b["responses"]
        override = self.corr.get("success_response_for_request", {}).get(ep["id"], {})
        first_2xx = next((r for r in resps if isinstance(r["status"], int) and r["status"] < 300), None)
        success_status = next(
            (g["status"] for g in b["status_groups"] if isinstance(g["status"], int) and g["status"] < 300), None
        )
        used: set[int] = set()
        for req in reqs or [None]:
            notes: list[str] = []
            resp = first_2xx
            label = req["label"] if req else None
            if override:
                want = override["by_label"].get(label, override["default"])
                resp = next(r for r in resps if r["status"] == want)
                notes.append(f"pairing: {override['reason']}")
            if req is None and resp is None and success_status is None:
                continue
            rp = self._request_entry(ep, req, "003", notes)
            self.examples.append(self._entry(ep, rp, resp, "003", notes, fallback_status=success_status))
            if resp is not None:
                used.add(resp["line"])
        for resp in resps:
            if resp["line"] in used:
                continue
            notes = []
            rp = self._request_entry(ep, reqs[0] if reqs else None, "003", notes)
            self.examples.append(self._entry(ep, rp, resp, "003", notes))

    def _examples_004(self) -> None:
        for b in self.d004.blocks:
            ep = self.by_id[b["endpoint"]]
            exs = b["examples"]
            k = 0
            while k < len(exs):
                req = exs[k]
                if req["kind"] != "request":
                    raise SystemExit(f"004:{req['line']}: response without a request")
                resp = exs[k + 1] if k + 1 < len(exs) and exs[k + 1]["kind"] == "response" else None
                k += 2 if resp else 1
                notes: list[str] = []
                found = self._find_by_concrete_path("v2", req["method"], req["path"])
                if found is not ep:
                    raise SystemExit(f"004:{req['line']}: example path does not belong to {ep['id']}")
                rp = OrderedDict(
                    request_label=req["label"],
                    request_documented=True,
                    method=req["method"],
                    path=req["path"],
                    documented_path=req["path"],
                    request_headers=req["headers"],
                    request_body=body_value(req["body"], notes) if req["body"] else None,
                    curl=None,
                    _req_source=f"004:{req['line']}",
                )
                r = None
                if resp:
                    r = {"status": resp["status"], "headers": resp["headers"], "label": resp["label"], "line": resp["line"], "body": resp["body"]}
                e = self._entry(ep, rp, r, "004", notes)
                self._compare_with_003(e)
                self.examples.append(e)

    def _compare_with_003(self, e: dict) -> None:
        """Mark a 004 example as a duplicate of, or superseded by, the 003 one."""
        same = [
            x
            for x in self.examples
            if x["endpoint"] == e["endpoint"] and x["source"].startswith("003:") and x["request_body"] == e["request_body"]
            and x["request_headers"].get("Content-Type") == e["request_headers"].get("Content-Type")
            and x["request_headers"].get("Accept") == e["request_headers"].get("Accept")
        ]
        if not same:
            return
        x = same[0]
        if x["status"] == e["status"] and shape(x["response_body"]) == shape(e["response_body"]):
            e["duplicate_of"] = x["source"]
        else:
            e["superseded"] = True
            e["notes"] = "; ".join(
                filter(None, [e["notes"], f"differs from the 003 example {x['source']} (status {x['status']}); 003 wins"])
            )

    def _examples_curl(self) -> None:
        for c in self.d003.curl_examples():
            notes: list[str] = []
            cmd = c["command"]
            explicit = re.search(r"-X (\w+)", cmd)
            method = explicit.group(1) if explicit else "GET"
            url = re.search(r"https?://\S+", cmd).group()
            path = re.sub(r"^https?://[^/]+", "", url)
            headers = OrderedDict()
            for h in re.findall(r'-H "([^"]+)"', cmd):
                name, _, value = h.partition(":")
                headers[name.strip()] = value.strip()
            data = re.search(r"--data '([^']*)'", cmd)
            api_path = re.sub(r"^/kafka/v3", "/v3", path)
            ep = self._find_by_concrete_path("v3", method, api_path)
            if ep is None:
                raise SystemExit(f"003:{c['line']}: curl example {method} {path} matches no endpoint")
            if "<" in path:
                notes.append("command template: its <...> placeholders are written as {...} in path")
            if re.search(r"/\{[^}<]*-[^}]*\}", path):
                notes.append("the spec writes the topic name in braces; path drops them")
            intro = c["intro"].strip()
            if method == "DELETE" and "list" in intro.lower():
                notes.append(f"the spec introduces this command with {intro!r}, but it is a DELETE of the broker")
            body = body_value(data.group(1), notes) if data else None
            placeholders = {"{<cluster-id>}": "{cluster_id}", "{<topic-name>}": "{topic_name}", "<cluster-id>": "{cluster_id}", "<topic-name>": "{topic_name}"}
            norm = path
            for raw, name in placeholders.items():
                norm = norm.replace(raw, name)
            norm = re.sub(r"/\{([^}_]*-[^}]*)\}", r"/\1", norm)  # a concrete name written in braces
            rp = OrderedDict(
                request_label="curl",
                request_documented=True,
                method=method,
                path=norm,
                documented_path=path,
                request_headers=headers,
                request_body=body,
                curl=cmd,
                _req_source=f"003:{c['line']}",
            )
            resp_body = None
            if c["result"]:
                raw = "\n".join(c["result"])
                if raw.lstrip().startswith('"') and all(re.match(r'^\s*"[^"]+": ', l) for l in c["result"]) and "grep" in cmd:
                    notes.append("unparsed: grep-filtered lines of the result, not a JSON document")
                    resp_body = raw
                else:
                    resp_body = body_value("{\n" + raw, notes, close_open=True)
                    if "unparsed" not in notes:
                        notes.append("result printed without its outer braces: restored (scrape repair)")
            e = OrderedDict(endpoint=ep["id"], api="v3")
            e.update((k, v) for k, v in rp.items() if not k.startswith("_"))
            e["status"] = None
            e["response_label"] = None
            e["response_kind"] = "success" if c["result"] else None
            e["response_documented"] = bool(c["result"])
            e["response_headers"] = OrderedDict()
            e["response_body"] = resp_body
            e["source"] = rp["_req_source"]
            e["response_source"] = f"003:{c['result_line']}" if c["result"] else None
            e["duplicate_of"] = None
            e["superseded"] = False
            notes.append("curl walkthrough: the status is not shown" if c["result"] else "curl walkthrough: no result shown")
            e["notes"] = join_notes(notes)
            self.examples.append(e)

    def _examples_provider(self) -> None:
        ep = self.by_id["provider.topics.create"]
        request, responses = provider_examples(self.files["000"], self.files["001"], self.corr)
        first_success = None
        for r in responses:
            notes: list[str] = [
                "request from the pydo sample (001): its body uses partitions/replication, the parameter list names "
                "partition_count/replication_factor"
            ]
            body = body_value(r["raw"], notes)
            rp = OrderedDict(
                request_label=None,
                request_documented=True,
                method="POST",
                path=f"/v2/databases/{request['uuid']}/topics",
                documented_path=None,
                request_headers=OrderedDict(),
                request_body=json.loads(request["raw"]),
                curl=None,
                _req_source=request["source"],
            )
            notes.append(f"status from {self.corr['provider']['statuses_reason']}")
            e = OrderedDict(endpoint=ep["id"], api="provider")
            e.update((k, v) for k, v in rp.items() if not k.startswith("_"))
            e["status"] = r["status"]
            e["response_label"] = r["desc"]
            e["response_kind"] = response_kind(r["status"] if r["status"] != "default" else 599, body)
            e["response_documented"] = True
            e["response_headers"] = OrderedDict()
            e["response_body"] = body
            e["source"] = request["source"]
            e["response_source"] = r["source"]
            e["duplicate_of"] = None
            e["superseded"] = False
            if isinstance(r["status"], int) and r["status"] < 300:
                if first_success and first_success["response_body"] == body:
                    e["duplicate_of"] = first_success["response_source"]
                first_success = first_success or e
            e["notes"] = join_notes(notes)
            self.examples.append(e)

    # -- content types -----------------------------------------------------------

    def fill_example_statuses(self) -> None:
        """Statuses that only the examples show (v2 lists no success status) join status_codes."""
        for ep in self.endpoints:
            listed = {s["status"] for s in ep["status_codes"]}
            added = []
            for ex in self.examples:
                st = ex["status"]
                if ex["endpoint"] != ep["id"] or ex["superseded"] or st is None or st in listed:
                    continue
                listed.add(st)
                added.append(
                    OrderedDict(
                        status=st,
                        reason=None,
                        error_code=None,
                        meaning="status of the example response",
                        source=ex["response_source"],
                        from_example=True,
                    )
                )
            ep["status_codes"] = added + ep["status_codes"]

    def fill_content_types(self) -> None:
        for ep in self.endpoints:
            req_ct: list[str] = list(ep["request_content_types"])
            resp_ct: list[str] = list(ep["response_content_types"])
            for ex in self.examples:
                if ex["endpoint"] != ep["id"] or ex["superseded"]:
                    continue
                if ex["request_body"] is not None:
                    for ct in content_types(ex["request_headers"].get("Content-Type")):
                        if ct not in req_ct:
                            req_ct.append(ct)
                ct = ex["response_headers"].get("Content-Type")
                if ct and ct not in resp_ct:
                    resp_ct.append(ct)
            ep["request_content_types"] = req_ct
            ep["response_content_types"] = resp_ct

    # -- error codes -----------------------------------------------------------

    def build_error_codes(self) -> list[dict]:
        """Every documented error code: from the status tables and 'Error code' lists
        (described meanings) and from the error bodies of the examples (messages)."""
        codes: OrderedDict = OrderedDict()

        def entry(code: int, scope: str) -> dict:
            return codes.setdefault(
                (scope, code),
                {"code": code, "scope": scope, "status": [], "described": [], "messages": [], "labels": [], "endpoints": [], "sources": []},
            )

        def add(code, status, source, endpoint=None, described=None, message=None, label=None, scope="response"):
            e = entry(code, scope)
            for key, value in (("status", status), ("described", described), ("messages", message), ("labels", label), ("endpoints", endpoint), ("sources", source)):
                if value not in (None, "") and value not in e[key]:
                    e[key].append(value)

        general = self.d003.general_errors()
        general_status_meaning = {}
        for grp in general["status_groups"]:
            if grp["meaning"]:
                general_status_meaning[grp["status"]] = grp["meaning"]
            for code, meaning, line in grp["codes"]:
                add(code, grp["status"], f"003:{line}", "*", described=meaning)
        for e in self.d004.general_errors():
            add(e["code"], e["status"], f"004:{e['line']}", "*", described=e["meaning"])
        for fmt, doc in ((self.d003.error_format_example(), "003"), (self.d004.error_format_example(), "004")):
            if fmt and isinstance(fmt["body"], dict):
                add(
                    fmt["body"]["error_code"],
                    fmt["status"],
                    f"{doc}:{fmt['line']}",
                    "*",
                    described=general_status_meaning.get(fmt["body"]["error_code"]),
                    message=fmt["body"]["message"],
                )
        for ep in self.endpoints:
            if ep["api"] == "provider":
                continue
            for st in ep["status_codes"]:
                # Status-table entries; those taken from example bodies are added with the examples below.
                if st["error_code"] is not None and not st["from_example"]:
                    add(st["error_code"], st["status"], st["source"], ep["id"], described=st["meaning"])
        for code, meaning, line in self.d003.record_error_codes():
            add(code, None, f"003:{line}", described=meaning, scope="v2-produce-record")
        for ex in self.examples:
            body = ex["response_body"]
            if ex["response_kind"] == "error" and isinstance(body, dict) and "error_code" in body and ex["api"] != "provider":
                add(body["error_code"], ex["status"], ex["response_source"], ex["endpoint"], message=body.get("message"), label=ex["response_label"])

        def same(a: str, b: str) -> bool:
            return a.rstrip(".").lower() == b.rstrip(".").lower()

        out = []
        for e in codes.values():
            described: list[str] = []
            for d in e["described"]:
                if not any(same(d, x) for x in described):
                    described.append(d)
            if e["code"] < 1000 and e["scope"] == "response":
                meaning = "the HTTP status repeated as error_code"
                others = described
            elif described:
                meaning, others = described[0], described[1:]
            elif len(e["messages"]) == 1:
                meaning, others = e["messages"][0], []
            else:
                meaning, others = "not described in the spec; see example_messages", []
            endpoints = sorted(x for x in e["endpoints"] if x != "*")
            out.append(
                OrderedDict(
                    error_code=e["code"],
                    scope=e["scope"],
                    http_status=e["status"],
                    meaning=meaning,
                    other_meanings=others,
                    example_messages=e["messages"],
                    example_labels=e["labels"],
                    endpoints=(["*"] if "*" in e["endpoints"] else []) + endpoints,
                    sources=e["sources"],
                )
            )
        out.sort(key=lambda e: (e["scope"] != "response", e["error_code"]))
        return out

    # -- checks ------------------------------------------------------------------

    def validate(self) -> None:
        ids = {e["id"] for e in self.endpoints}
        for ex in self.examples:
            assert ex["endpoint"] in ids, ex
        ex_ids = [ex["id"] for ex in self.examples]
        assert len(ex_ids) == len(set(ex_ids))
        # Every documented identifier that names a method maps to an endpoint, or is listed as unmapped.
        named = {i for ep in self.endpoints for i in ep["api_identifiers"]}
        unmapped = [i for i in self.d003.identifiers if not i.endswith(".*") and i not in named]
        expected = set(self.corr.get("identifiers_without_endpoint", {}))
        if set(unmapped) != expected:
            raise SystemExit(f"identifiers without endpoint changed: {sorted(unmapped)} (expected {sorted(expected)})")


def dump(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("spec_dir", nargs="?", default=str(REPO_ROOT.parent / "shared" / "spec"))
    ap.add_argument("--check", action="store_true", help="fail if the committed fixtures are not up to date")
    ap.add_argument("--list", action="store_true", help="print the endpoints by api/family and the counts")
    args = ap.parse_args(argv)

    corrections = json.loads((OUT_DIR / "corrections.json").read_text(encoding="utf-8"))
    b = Builder(Path(args.spec_dir), corrections)
    b.build_endpoints()
    b.build_examples()
    b.fill_example_statuses()
    b.fill_content_types()
    errors = b.build_error_codes()
    b.validate()

    files = {
        "endpoints.json": dump(b.endpoints),
        "examples.json": dump(b.examples),
        "error_codes.json": dump(errors),
    }
    if args.check:
        stale = [n for n, text in files.items() if not (OUT_DIR / n).exists() or (OUT_DIR / n).read_text(encoding="utf-8") != text]
        if stale:
            print(f"out of date: {', '.join(stale)} (run scripts/extract-spec-examples.py)", file=sys.stderr)
            return 1
    else:
        for n, text in files.items():
            (OUT_DIR / n).write_text(text, encoding="utf-8")

    if args.list:
        print_listing(b.endpoints, b.examples, errors)
    else:
        print(
            f"{len(b.endpoints)} endpoints, {len(b.examples)} examples, {len(errors)} error codes"
            + ("" if args.check else f" written to {OUT_DIR.relative_to(REPO_ROOT)}")
        )
    return 0


def print_listing(endpoints: list[dict], examples: list[dict], errors: list[dict]) -> None:
    groups: OrderedDict = OrderedDict()
    for ep in endpoints:
        groups.setdefault((ep["api"], ep["family"]), []).append(ep)
    for (api, family), eps in groups.items():
        print(f"\n{api} / {family} ({len(eps)})")
        for ep in eps:
            cs = "  [Confluent Server only]" if ep["confluent_server_only"] else ""
            print(f"  {ep['id']:48} {ep['method']:6} {ep['path']}{cs}")
    print()
    per_api = Counter(ep["api"] for ep in endpoints)
    print("endpoints:", len(endpoints), dict(per_api))
    print("Confluent Server only:", sum(ep["confluent_server_only"] for ep in endpoints))
    ex_api = Counter(ex["api"] for ex in examples)
    print("examples:", len(examples), dict(ex_api))
    print("examples by source file:", dict(Counter(ex["source"].split(":")[0] for ex in examples)))
    print("examples by kind:", dict(Counter(str(ex["response_kind"]) for ex in examples)))
    print("duplicates:", sum(1 for ex in examples if ex["duplicate_of"]), "superseded:", sum(ex["superseded"] for ex in examples))
    print("unparsed bodies:", sum(1 for ex in examples if "unparsed" in ex["notes"]))
    print("error codes:", len(errors))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
