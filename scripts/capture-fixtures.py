#!/usr/bin/env python3
"""Capture record batches exactly as librdkafka writes them into Produce requests.

For each codec (none, gzip, snappy, lz4, zstd) this produces a fixed set of
records with confluent-kafka (librdkafka) through a small TCP proxy that sits
between the producer and a throwaway Tansu broker. The proxy parses every
client->broker frame; for Produce requests it takes the `records` bytes of the
partition data (one RecordBatch v2, from baseOffset to the end of the batch).

Outputs (overwritten):
  crates/wire/tests/fixtures/batch-<codec>.bin   raw RecordBatch bytes
  crates/wire/tests/fixtures/batches.json        what each batch holds

Run from anywhere:  python3 scripts/capture-fixtures.py
(It installs the test venv through scripts/test-broker.sh if needed and
re-runs itself with the venv's python.) See docs/testing.md.
"""

import asyncio
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PY = os.path.join(REPO, ".cache", "venv", "bin", "python")
FIXTURES = os.path.join(REPO, "crates", "wire", "tests", "fixtures")
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
CODEC_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}

try:
    import confluent_kafka  # noqa: F401
except ImportError:
    if os.path.realpath(sys.prefix) == os.path.realpath(os.path.join(REPO, ".cache", "venv")):
        raise
    subprocess.run([os.path.join(REPO, "scripts", "test-broker.sh"), "install"], check=True)
    os.execv(VENV_PY, [VENV_PY, os.path.abspath(__file__)] + sys.argv[1:])

from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

# ---------------------------------------------------------------------------
# The records. Fixed content so re-running gives the same record descriptions.
# They cover: string keys, null keys, an empty key, empty and null values,
# short, long (compressible) and binary values, duplicate header keys, headers
# with null and empty values, a non-ASCII header key, and increasing,
# irregularly spaced timestamps (the last delta needs a multi-byte varint).
# ---------------------------------------------------------------------------
BASE_TS = 1_700_000_000_000
LONG_TEXT = (b"The quick brown fox jumps over the lazy dog. " * 8).strip()
BINARY = bytes(range(256))
KILOBYTE = bytes((i * 7 + 3) % 251 for i in range(1000))

RECORDS = [
    (b"key-0", b"first value", [("trace-id", b"abc123"), ("dup", b"one"), ("dup", b"two")], BASE_TS),
    (None, b"", [], BASE_TS + 3),
    (b"key-2", None, [("null-header", None)], BASE_TS + 4),
    (b"key-3", LONG_TEXT, [("dup", b"x"), ("empty", b"")], BASE_TS + 17),
    (None, b"v4", [], BASE_TS + 18),
    ("k5-ünïcödé".encode(), BINARY, [("héader", "välue".encode())], BASE_TS + 250),
    (b"", b"empty key", [], BASE_TS + 251),
    (b"key-7", KILOBYTE, [("a", b"1"), ("b", b"2"), ("c", b"3"), ("a", b"4"), ("d", None)], BASE_TS + 1000),
    (None, None, [("only-header", b"h")], BASE_TS + 1003),
    (b"key-9", b"last", [("dup", None), ("dup", b"")], BASE_TS + 65_536),
]


def b64(value):
    return None if value is None else base64.b64encode(value).decode("ascii")


# ---------------------------------------------------------------------------
# Kafka request parsing (client -> broker), just enough for Produce.
# ---------------------------------------------------------------------------
class Reader:
    def __init__(self, buf):
        self.buf = buf
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.buf):
            raise ValueError("truncated frame")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def uvarint(self):
        shift = 0
        value = 0
        while True:
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def compact_string(self):
        n = self.uvarint() - 1
        return None if n < 0 else self.take(n).decode()

    def compact_bytes(self):
        n = self.uvarint() - 1
        return None if n < 0 else self.take(n)

    def bytes32(self):
        n = self.i32()
        return None if n < 0 else self.take(n)

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()  # tag
            self.take(self.uvarint())


def parse_produce(api_version, body):
    """Return (acks, [(topic, partition, records_bytes)]) of a Produce request body."""
    r = Reader(body)
    flexible = api_version >= 9
    if api_version >= 13:
        raise ValueError("Produce v13+ (topic ids) is not handled")
    if api_version >= 3:
        (r.compact_string if flexible else r.string)()  # transactional_id
    acks = r.i16()
    r.i32()  # timeout_ms
    out = []
    n_topics = r.uvarint() - 1 if flexible else r.i32()
    for _ in range(n_topics):
        topic = (r.compact_string if flexible else r.string)()
        n_parts = r.uvarint() - 1 if flexible else r.i32()
        for _ in range(n_parts):
            partition = r.i32()
            records = (r.compact_bytes if flexible else r.bytes32)()
            if flexible:
                r.skip_tags()
            out.append((topic, partition, records))
        if flexible:
            r.skip_tags()
    if flexible:
        r.skip_tags()
    return acks, out


def parse_frame(frame):
    """Return (api_key, api_version, correlation_id, body) of a request frame."""
    r = Reader(frame)
    api_key, api_version, correlation_id = struct.unpack(">hhi", r.take(8))
    r.string()  # client_id (always an int16-length string, even in header v2)
    # Produce is flexible from v9 (request header v2 adds a tagged-field section).
    if api_key == 0 and api_version >= 9:
        r.skip_tags()
    return api_key, api_version, correlation_id, frame[r.pos :]


class CaptureProxy:
    """Loopback TCP proxy that records the Produce requests passing through it."""

    def __init__(self, listen_port, upstream_port):
        self.listen_port = listen_port
        self.upstream_port = upstream_port
        self.produce_requests = []  # (api_version, acks, [(topic, partition, records)])
        self.errors = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("proxy did not start")

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.listen_port)
        )
        self.ready.set()
        try:
            self.loop.run_forever()
        finally:
            server.close()

    async def _client(self, client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError as exc:
            self.errors.append(f"upstream connect: {exc}")
            client_writer.close()
            return

        async def to_broker():
            try:
                while True:
                    head = await client_reader.readexactly(4)
                    (size,) = struct.unpack(">i", head)
                    frame = await client_reader.readexactly(size)
                    self._inspect(frame)
                    up_writer.write(head + frame)
                    await up_writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                up_writer.close()

        async def to_client():
            try:
                while True:
                    data = await up_reader.read(65536)
                    if not data:
                        break
                    client_writer.write(data)
                    await client_writer.drain()
            except ConnectionError:
                pass
            finally:
                client_writer.close()

        await asyncio.gather(to_broker(), to_client())

    def _inspect(self, frame):
        try:
            api_key, api_version, _corr, body = parse_frame(frame)
            if api_key == 0:
                acks, parts = parse_produce(api_version, body)
                self.produce_requests.append((api_version, acks, parts))
        except Exception as exc:  # keep forwarding; report at the end
            self.errors.append(f"parse: {exc!r}")


# ---------------------------------------------------------------------------
# RecordBatch header and (uncompressed) record parsing, for checks.
# ---------------------------------------------------------------------------
def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def batch_header(batch):
    fields = struct.unpack(">qiibIhiqqqhii", batch[:61])
    names = [
        "base_offset",
        "batch_length",
        "partition_leader_epoch",
        "magic",
        "crc",
        "attributes",
        "last_offset_delta",
        "base_timestamp",
        "max_timestamp",
        "producer_id",
        "producer_epoch",
        "base_sequence",
        "record_count",
    ]
    return dict(zip(names, fields))


def zigzag_varint(r):
    value = r.uvarint()
    return (value >> 1) ^ -(value & 1)


def parse_plain_records(data, count):
    r = Reader(data)
    out = []
    for _ in range(count):
        length = zigzag_varint(r)
        end = r.pos + length
        r.take(1)  # attributes
        ts_delta = zigzag_varint(r)
        offset_delta = zigzag_varint(r)
        klen = zigzag_varint(r)
        key = None if klen < 0 else r.take(klen)
        vlen = zigzag_varint(r)
        value = None if vlen < 0 else r.take(vlen)
        headers = []
        for _ in range(zigzag_varint(r)):
            hk = r.take(zigzag_varint(r)).decode()
            hl = zigzag_varint(r)
            headers.append((hk, None if hl < 0 else r.take(hl)))
        if r.pos != end:
            raise ValueError("record length mismatch")
        out.append((offset_delta, ts_delta, key, value, headers))
    if r.pos != len(data):
        raise ValueError("trailing bytes after records")
    return out


# ---------------------------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tansu_binary():
    out = subprocess.run(
        [os.path.join(REPO, "scripts", "test-broker.sh"), "path"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def wait_port(port, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("broker exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} not accepting connections")


def capture_codec(codec, bootstrap, proxy):
    topic = f"fixture-{codec}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)

    before = len(proxy.produce_requests)
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "compression.codec": codec,
            "enable.idempotence": True,
            "linger.ms": 100,
            "batch.num.messages": 10000,
            "client.id": "fixture-capture",
        }
    )
    delivered = []

    def on_delivery(err, msg):
        if err is not None:
            raise RuntimeError(f"delivery failed: {err}")
        delivered.append((msg.partition(), msg.offset()))

    for key, value, headers, ts in RECORDS:
        producer.produce(topic, value=value, key=key, headers=headers or None, timestamp=ts, partition=0, on_delivery=on_delivery)
    if producer.flush(30):
        raise RuntimeError("records not delivered")
    if sorted(delivered) != [(0, i) for i in range(len(RECORDS))]:
        raise RuntimeError(f"unexpected offsets {delivered}")

    requests = [
        (v, acks, parts) for v, acks, parts in proxy.produce_requests[before:] if any(t == topic for t, _, _ in parts)
    ]
    if len(requests) != 1 or len(requests[0][2]) != 1:
        raise RuntimeError(f"expected one Produce request with one partition for {codec}, got {requests!r}")
    api_version, acks, [(_, partition, batch)] = requests[0]
    return api_version, acks, partition, batch


def check_batch(codec, batch):
    h = batch_header(batch)
    if h["magic"] != 2:
        raise RuntimeError("not a v2 batch")
    if h["batch_length"] != len(batch) - 12:
        raise RuntimeError("batch length does not cover the captured bytes")
    if crc32c(batch[21:]) != h["crc"]:
        raise RuntimeError("CRC mismatch")
    if h["attributes"] & 0x7 != CODEC_IDS[codec]:
        raise RuntimeError(f"codec bits {h['attributes'] & 7} for {codec}")
    if h["record_count"] != len(RECORDS) or h["last_offset_delta"] != len(RECORDS) - 1:
        raise RuntimeError("record count")
    if h["base_timestamp"] != RECORDS[0][3] or h["max_timestamp"] != max(r[3] for r in RECORDS):
        raise RuntimeError("timestamps")
    if codec == "none":
        parsed = parse_plain_records(batch[61:], h["record_count"])
        expected = [
            (i, ts - BASE_TS, key, value, [(k, v) for k, v in headers])
            for i, (key, value, headers, ts) in enumerate(RECORDS)
        ]
        if parsed != expected:
            raise RuntimeError("uncompressed records differ from the input")
    return h


def check_round_trip(bootstrap, codec):
    """Read the records back through librdkafka and compare with the input."""
    req = {"bootstrap": bootstrap, "topic": f"fixture-{codec}", "partitions": [0], "count": len(RECORDS), "timeout_s": 20}
    out = subprocess.run(
        [sys.executable, os.path.join(REPO, "scripts", "rdkafka", "consume.py")],
        input=json.dumps(req),
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(out.stdout)["records"]
    want = [
        {"offset": i, "key": b64(k), "value": b64(v), "headers": [[hk, b64(hv)] for hk, hv in h], "timestamp": ts}
        for i, (k, v, h, ts) in enumerate(RECORDS)
    ]
    got = [{f: r[f] for f in ("offset", "key", "value", "headers", "timestamp")} for r in got]
    if got != want:
        raise RuntimeError(f"{codec}: records read back differ from the input")


def main():
    broker_port = free_port()
    proxy_port = free_port()
    log_path = os.path.join(REPO, ".cache", f"capture-broker-{broker_port}.log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "wb") as log:
        # The broker listens on one port but advertises the proxy's, so every
        # connection the client makes after bootstrap also goes through the proxy.
        broker = subprocess.Popen(
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                f"tcp://127.0.0.1:{broker_port}",
                "--advertised-listener-url",
                f"tcp://127.0.0.1:{proxy_port}",
                "--storage-engine",
                "memory://tansu/",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    proxy = CaptureProxy(proxy_port, broker_port)
    ok = False
    try:
        wait_port(broker_port, broker)
        proxy.start()
        bootstrap = f"127.0.0.1:{proxy_port}"
        os.makedirs(FIXTURES, exist_ok=True)
        description = {}
        for codec in CODECS:
            api_version, acks, partition, batch = capture_codec(codec, bootstrap, proxy)
            h = check_batch(codec, batch)
            check_round_trip(bootstrap, codec)
            with open(os.path.join(FIXTURES, f"batch-{codec}.bin"), "wb") as f:
                f.write(batch)
            description[codec] = {
                "records": [
                    {
                        "offset_delta": i,
                        "timestamp": ts,
                        "key": b64(key),
                        "value": b64(value),
                        "headers": [[hk, b64(hv)] for hk, hv in headers],
                    }
                    for i, (key, value, headers, ts) in enumerate(RECORDS)
                ],
                "producer_id": h["producer_id"],
                "producer_epoch": h["producer_epoch"],
                "base_sequence": h["base_sequence"],
                "attributes": h["attributes"],
                "base_offset": h["base_offset"],
                "partition_leader_epoch": h["partition_leader_epoch"],
                "base_timestamp": h["base_timestamp"],
                "max_timestamp": h["max_timestamp"],
                "last_offset_delta": h["last_offset_delta"],
                "crc": h["crc"],
                "size": len(batch),
                "produce_api_version": api_version,
                "acks": acks,
                "librdkafka_version": confluent_kafka.libversion()[0],
            }
            print(
                f"{codec:7s} {len(batch):5d} bytes  Produce v{api_version}  producer_id={h['producer_id']} "
                f"epoch={h['producer_epoch']} base_sequence={h['base_sequence']} attributes={h['attributes']}"
            )
        with open(os.path.join(FIXTURES, "batches.json"), "w") as f:
            json.dump(description, f, indent=2, ensure_ascii=False)
            f.write("\n")
        if proxy.errors:
            print("proxy reported:", *proxy.errors, sep="\n  ", file=sys.stderr)
        ok = True
    finally:
        proxy.stop()
        broker.terminate()
        try:
            broker.wait(10)
        except subprocess.TimeoutExpired:
            broker.kill()
            broker.wait()
        if ok:
            os.remove(log_path)
        else:
            print(f"broker log: {log_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
