#!/usr/bin/env python3
"""Run librdkafka AdminClient operations, one after the other.

Request (stdin, JSON):
  {"bootstrap": "host:port", "timeout_s": 30,
   "config": {...},                          (optional extra librdkafka properties)
   "ops": [{"op": "<name>", ...arguments}, ...]}

Response (stdout, JSON): {"results": [<result of each op>, ...]}

A failed operation (or a failed entry of one) is reported as
{"error": "<KafkaError name, e.g. TOPIC_ALREADY_EXISTS>", "message": "..."}
rather than making the script fail; a successful entry as {"ok": true, ...}.

Operations and their arguments:
  create_topics        topics: [{name, partitions, replication_factor,
                                 replica_assignment, config}], validate_only
                       -> {name: outcome}
  delete_topics        topics: [names] -> {name: outcome}
  create_partitions    topics: [{name, total, replica_assignment}], validate_only
                       -> {name: outcome}
  describe_configs     resources: [{type: topic|broker, name}]
                       -> {"type/name": {config: {value, source, read_only,
                           default, sensitive, synonyms: [{name, value, source}]}}}
  alter_configs        resources: [{type, name, set: {k: v}}], validate_only
  incremental_alter_configs
                       resources: [{type, name, configs: [{name, value,
                                   op: SET|DELETE|APPEND|SUBTRACT}]}], validate_only
                       -> {"type/name": outcome}
  describe_cluster     -> {cluster_id, controller, nodes: [{id, host, port}]}
  describe_topics      topics: [names] -> {name: {topic_id, internal,
                           partitions: [{id, leader, replicas, isr}]}}
  list_topics          -> {topics: {name: partition count}, brokers: [ids]}
  list_offsets         partitions: [{topic, partition, spec: earliest|latest|
                           max_timestamp|<timestamp ms>}]
                       -> [{offset, timestamp} | error]
  list_groups          states: [names] (optional) -> {groups: [{id, state,
                           simple, type}], errors: [...]}
  describe_groups      groups: [ids] -> {id: {state, protocol_type, assignor,
                           coordinator, members: [{member_id, client_id, host,
                           instance_id, assignment: [[topic, partition]]}]}}
  list_group_offsets   group, partitions: [[topic, partition]] | null
                       -> {"topic/partition": offset}
  alter_group_offsets  group, offsets: [[topic, partition, offset]]
                       -> {"topic/partition": outcome}
  delete_groups        groups: [ids] -> {id: outcome}
  create_acls          acls: [{restype, name, pattern, principal, host,
                               operation, permission}] -> [outcome]
  describe_acls        filter: {...same fields, null for any} -> [acl]
  delete_acls          filters: [filter] -> [[acl deleted] | error]
  delete_records       partitions: [[topic, partition, before_offset]]
                       -> {"topic/partition": {low_watermark} | error}
  elect_leaders        election: preferred|unclean, partitions: [[topic, partition]] | null
                       -> {"topic/partition": outcome}
"""

from confluent_kafka import (
    ConsumerGroupState,
    ConsumerGroupTopicPartitions,
    ElectionType,
    KafkaException,
    TopicCollection,
    TopicPartition,
)
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewPartitions,
    NewTopic,
    OffsetSpec,
    ResourcePatternType,
    ResourceType,
)

from _common import extra_config, fail, read_request, write_response

TIMEOUT = 30.0


def error_of(exc):
    """{"error", "message"} from a KafkaException (or any exception)."""
    if isinstance(exc, KafkaException) and exc.args:
        err = exc.args[0]
        if hasattr(err, "name"):
            return {"error": err.name(), "message": err.str()}
    return {"error": type(exc).__name__, "message": str(exc)}


def outcome(future, value=None):
    """Waits for a future: {"ok": true, ...value(result)} or the error."""
    try:
        result = future.result(timeout=TIMEOUT)
    except Exception as exc:  # KafkaException, timeouts
        return error_of(exc)
    out = {"ok": True}
    if value is not None:
        out.update(value(result))
    return out


def node_id(node):
    return None if node is None else node.id


def resource(spec):
    return ConfigResource(ResourceType[spec["type"].upper()], str(spec["name"]))


def key(res):
    return f"{res.restype.name.lower()}/{res.name}"


def op_create_topics(admin, op):
    topics = []
    for t in op["topics"]:
        kwargs = {"config": {str(k): str(v) for k, v in (t.get("config") or {}).items()}}
        if t.get("replica_assignment") is not None:
            # librdkafka wants the count given too (and sends -1 with the lists).
            kwargs["replica_assignment"] = t["replica_assignment"]
            kwargs["num_partitions"] = len(t["replica_assignment"])
        else:
            kwargs["num_partitions"] = int(t.get("partitions", -1))
            kwargs["replication_factor"] = int(t.get("replication_factor", -1))
        topics.append(NewTopic(t["name"], **kwargs))
    futures = admin.create_topics(
        topics,
        validate_only=bool(op.get("validate_only", False)),
        operation_timeout=TIMEOUT,
        request_timeout=TIMEOUT,
    )
    return {name: outcome(f) for name, f in futures.items()}


def op_delete_topics(admin, op):
    futures = admin.delete_topics(op["topics"], operation_timeout=TIMEOUT, request_timeout=TIMEOUT)
    return {name: outcome(f) for name, f in futures.items()}


def op_create_partitions(admin, op):
    parts = []
    for t in op["topics"]:
        # An explicit None is taken as an (empty) assignment.
        extra = {} if t.get("replica_assignment") is None else {"replica_assignment": t["replica_assignment"]}
        parts.append(NewPartitions(t["name"], int(t["total"]), **extra))
    futures = admin.create_partitions(
        parts, validate_only=bool(op.get("validate_only", False)), request_timeout=TIMEOUT
    )
    return {name: outcome(f) for name, f in futures.items()}


def source_name(source):
    """ConfigSource name (the binding gives an int or the enum)."""
    try:
        return ConfigSource(source).name
    except ValueError:
        return str(source)


def entry_json(e):
    return {
        "value": e.value,
        "source": source_name(e.source),
        "read_only": e.is_read_only,
        "default": e.is_default,
        "sensitive": e.is_sensitive,
        "synonyms": [
            {"name": s.name, "value": s.value, "source": source_name(s.source)}
            for s in (e.synonyms.values() if isinstance(e.synonyms, dict) else e.synonyms or [])
        ],
    }


def op_describe_configs(admin, op):
    out = {}
    # librdkafka sends BROKER resources to that broker: one call each.
    for spec in op["resources"]:
        futures = admin.describe_configs([resource(spec)], request_timeout=TIMEOUT)
        for res, f in futures.items():
            out[key(res)] = outcome(f, lambda configs: {"configs": {n: entry_json(e) for n, e in configs.items()}})
    return out


def op_alter_configs(admin, op):
    resources = [
        ConfigResource(ResourceType[r["type"].upper()], str(r["name"]), set_config={k: str(v) for k, v in r["set"].items()})
        for r in op["resources"]
    ]
    futures = admin.alter_configs(resources, validate_only=bool(op.get("validate_only", False)), request_timeout=TIMEOUT)
    return {key(res): outcome(f) for res, f in futures.items()}


def op_incremental_alter_configs(admin, op):
    out = {}
    for r in op["resources"]:
        entries = [
            ConfigEntry(c["name"], c.get("value"), incremental_operation=AlterConfigOpType[c.get("op", "SET")])
            for c in r["configs"]
        ]
        res = ConfigResource(ResourceType[r["type"].upper()], str(r["name"]), incremental_configs=entries)
        futures = admin.incremental_alter_configs(
            [res], validate_only=bool(op.get("validate_only", False)), request_timeout=TIMEOUT
        )
        for res, f in futures.items():
            out[key(res)] = outcome(f)
    return out


def op_describe_cluster(admin, op):
    result = admin.describe_cluster(request_timeout=TIMEOUT).result(timeout=TIMEOUT)
    return {
        "cluster_id": result.cluster_id,
        "controller": node_id(result.controller),
        "nodes": sorted(({"id": n.id, "host": n.host, "port": n.port} for n in result.nodes), key=lambda n: n["id"]),
    }


def op_describe_topics(admin, op):
    futures = admin.describe_topics(TopicCollection(op["topics"]), request_timeout=TIMEOUT)

    def describe(t):
        return {
            "topic_id": str(t.topic_id),
            "internal": t.is_internal,
            "partitions": [
                {
                    "id": p.id,
                    "leader": node_id(p.leader),
                    "replicas": [n.id for n in p.replicas],
                    "isr": [n.id for n in p.isr],
                }
                for p in t.partitions
            ],
        }

    return {name: outcome(f, describe) for name, f in futures.items()}


def op_list_topics(admin, op):
    md = admin.list_topics(timeout=TIMEOUT)
    return {
        "cluster_id": md.cluster_id,
        "controller": md.controller_id,
        "brokers": sorted(md.brokers),
        "topics": {name: len(t.partitions) for name, t in md.topics.items() if t.error is None},
    }


def spec_of(value):
    if value == "earliest":
        return OffsetSpec.earliest()
    if value == "latest":
        return OffsetSpec.latest()
    if value == "max_timestamp":
        return OffsetSpec.max_timestamp()
    return OffsetSpec.for_timestamp(int(value))


def op_list_offsets(admin, op):
    # One call per entry: the request is a map keyed by partition.
    out = []
    for p in op["partitions"]:
        tp = TopicPartition(p["topic"], int(p["partition"]))
        futures = admin.list_offsets({tp: spec_of(p["spec"])}, request_timeout=TIMEOUT)
        out.append(outcome(futures[tp], lambda r: {"offset": r.offset, "timestamp": r.timestamp}))
    return out


def op_list_groups(admin, op):
    kwargs = {"request_timeout": TIMEOUT}
    if op.get("states"):
        kwargs["states"] = {ConsumerGroupState[s.upper()] for s in op["states"]}
    result = admin.list_consumer_groups(**kwargs).result(timeout=TIMEOUT)
    return {
        "groups": sorted(
            (
                {
                    "id": g.group_id,
                    "state": g.state.name if g.state is not None else None,
                    "simple": g.is_simple_consumer_group,
                    "type": g.type.name if getattr(g, "type", None) is not None else None,
                }
                for g in result.valid
            ),
            key=lambda g: g["id"],
        ),
        "errors": [str(e) for e in result.errors],
    }


def op_describe_groups(admin, op):
    futures = admin.describe_consumer_groups(op["groups"], request_timeout=TIMEOUT)

    def describe(g):
        return {
            "state": g.state.name if g.state is not None else None,
            "simple": g.is_simple_consumer_group,
            "assignor": g.partition_assignor,
            "coordinator": node_id(g.coordinator),
            "members": sorted(
                (
                    {
                        "member_id": m.member_id,
                        "client_id": m.client_id,
                        "host": m.host,
                        "instance_id": m.group_instance_id,
                        "assignment": sorted(
                            [tp.topic, tp.partition] for tp in (m.assignment.topic_partitions if m.assignment else [])
                        ),
                    }
                    for m in g.members
                ),
                key=lambda m: m["member_id"],
            ),
        }

    return {gid: outcome(f, describe) for gid, f in futures.items()}


def op_list_group_offsets(admin, op):
    parts = op.get("partitions")
    tps = None if parts is None else [TopicPartition(t, int(p)) for t, p in parts]
    futures = admin.list_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(op["group"], tps)], request_timeout=TIMEOUT
    )
    result = outcome(
        futures[op["group"]],
        lambda r: {"offsets": {f"{tp.topic}/{tp.partition}": tp.offset for tp in r.topic_partitions}},
    )
    return result


def op_alter_group_offsets(admin, op):
    tps = [TopicPartition(t, int(p), int(o)) for t, p, o in op["offsets"]]
    futures = admin.alter_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(op["group"], tps)], request_timeout=TIMEOUT
    )
    return outcome(
        futures[op["group"]],
        lambda r: {"offsets": {f"{tp.topic}/{tp.partition}": tp.offset for tp in r.topic_partitions}},
    )


def op_delete_groups(admin, op):
    futures = admin.delete_consumer_groups(op["groups"], request_timeout=TIMEOUT)
    return {gid: outcome(f) for gid, f in futures.items()}


def acl_of(spec, cls):
    def enum(e, value, default):
        return e[value.upper()] if value is not None else default

    return cls(
        enum(ResourceType, spec.get("restype"), ResourceType.ANY),
        spec.get("name"),
        enum(ResourcePatternType, spec.get("pattern"), ResourcePatternType.ANY),
        spec.get("principal"),
        spec.get("host"),
        enum(AclOperation, spec.get("operation"), AclOperation.ANY),
        enum(AclPermissionType, spec.get("permission"), AclPermissionType.ANY),
    )


def acl_json(b):
    return {
        "restype": b.restype.name,
        "name": b.name,
        "pattern": b.resource_pattern_type.name,
        "principal": b.principal,
        "host": b.host,
        "operation": b.operation.name,
        "permission": b.permission_type.name,
    }


def sorted_acls(bindings):
    return sorted((acl_json(b) for b in bindings), key=lambda a: sorted(a.items()))


def op_create_acls(admin, op):
    bindings = [acl_of(a, AclBinding) for a in op["acls"]]
    futures = admin.create_acls(bindings, request_timeout=TIMEOUT)
    return [outcome(futures[b]) for b in bindings]


def op_describe_acls(admin, op):
    f = admin.describe_acls(acl_of(op["filter"], AclBindingFilter), request_timeout=TIMEOUT)
    return outcome(f, lambda bindings: {"acls": sorted_acls(bindings)})


def op_delete_acls(admin, op):
    filters = [acl_of(f, AclBindingFilter) for f in op["filters"]]
    futures = admin.delete_acls(filters, request_timeout=TIMEOUT)
    return [outcome(futures[f], lambda bindings: {"acls": sorted_acls(bindings)}) for f in filters]


def op_delete_records(admin, op):
    tps = [TopicPartition(t, int(p), int(o)) for t, p, o in op["partitions"]]
    futures = admin.delete_records(tps, request_timeout=TIMEOUT, operation_timeout=TIMEOUT)
    return {
        f"{tp.topic}/{tp.partition}": outcome(f, lambda r: {"low_watermark": r.low_watermark})
        for tp, f in futures.items()
    }


def op_elect_leaders(admin, op):
    election = ElectionType[op.get("election", "preferred").upper()]
    parts = op.get("partitions")
    tps = None if parts is None else [TopicPartition(t, int(p)) for t, p in parts]
    try:
        # No timeout keywords: confluent-kafka 2.16 fails to parse them here.
        result = admin.elect_leaders(election, tps).result(timeout=TIMEOUT)
    except Exception as exc:
        return error_of(exc)
    out = {}
    for tp, err in result.items():
        name = f"{tp.topic}/{tp.partition}"
        out[name] = {"ok": True} if err is None else {"error": err.name(), "message": err.str()}
    return out


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}


def main():
    global TIMEOUT
    req = read_request()
    for field in ("bootstrap", "ops"):
        if field not in req:
            fail(f"missing field `{field}`")
    TIMEOUT = float(req.get("timeout_s") or 30)
    conf = {"bootstrap.servers": req["bootstrap"], "broker.address.family": "v4"}
    conf.update(extra_config(req))
    admin = AdminClient(conf)
    results = []
    for op in req["ops"]:
        fn = OPS.get(op.get("op"))
        if fn is None:
            fail(f"unknown op {op.get('op')!r}; known: {sorted(OPS)}")
        try:
            results.append(fn(admin, op))
        except Exception as exc:  # KafkaException, or librdkafka refusing the input
            results.append(error_of(exc))
    write_response({"results": results})


if __name__ == "__main__":
    main()
