#!/usr/bin/env bash
# Record batch codec benchmark: wire against kafka-protocol, side by side.
#
#   scripts/bench.sh                 build and run the `codec` bench, then print the tables
#   scripts/bench.sh --report        print the tables from the last run only
#   scripts/bench.sh --check         as the default, but exit 1 if a target is missed
#   scripts/bench.sh --instructions  count instructions per iteration with `perf stat`
#                                    (user space; insensitive to a noisy machine)
#   scripts/bench.sh -- ARGS...      pass ARGS to criterion (e.g. a filter: -- encode/zstd)
#
# The tables are markdown: for every codec, encode and decode medians for both
# libraries, throughput over the uncompressed batch size, and the speed-up
# (kafka-protocol time / wire time; above 1 means wire is faster), plus CRC32C
# throughput. Numbers come from criterion's JSON output,
# <target>/criterion/<group>/<function>/new/{benchmark,estimates}.json.
# BENCH_STAT=mean uses mean instead of median estimates.
#
# Targets (docs/performance.md): wire at least as fast as kafka-protocol on
# every row, and at least 1.5x faster on uncompressed encode and decode.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

run=1
check=0
instructions=0
criterion_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --report) run=0 ;;
        --check) check=1 ;;
        --instructions) instructions=1 ;;
        --) shift; criterion_args=("$@"); break ;;
        -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

target_dir="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
criterion_dir="${CRITERION_HOME:-$target_dir/criterion}"
log="$target_dir/bench-codec.log"

if [[ $instructions -eq 1 ]]; then
    command -v perf >/dev/null || { echo "perf is not installed" >&2; exit 1; }
    exe="$(cargo bench -p kafka-gateway-benches --bench codec --no-run --message-format=json 2>/dev/null \
        | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "codec" and m.get("executable"):
        print(m["executable"])')"
    [[ -x "$exe" ]] || { echo "could not build the codec bench" >&2; exit 1; }
    count() { # count CASE N -> user-space instructions of the whole process
        CODEC_BENCH_REPEAT="$1:$2" perf stat -x, -e instructions:u "$exe" 2>&1 >/dev/null \
            | awk -F, '/instructions/ { print $1 }'
    }
    results="$(mktemp)"
    trap 'rm -f "$results"' EXIT
    for codec in none gzip snappy lz4 zstd; do
        for op in encode decode; do
            case "$op/$codec" in
                */none) n=400 ;;
                encode/gzip) n=4 ;;
                encode/lz4|encode/zstd) n=20 ;;
                *) n=50 ;;
            esac
            for lib in wire kafka-protocol; do
                echo "counting $op/$codec/$lib ($n iterations)" >&2
                echo "$op $codec $lib $n $(count "$op/$codec/$lib" 0) $(count "$op/$codec/$lib" "$n")" >>"$results"
            done
        done
    done
    python3 - "$results" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    op, codec, lib, n, base, total = line.split()
    rows[(op, codec, lib)] = (int(total) - int(base)) / int(n)
print("Instructions per iteration (user space, setup subtracted); ratio = kafka-protocol / wire.")
print()
print("| codec | op | wire | kafka-protocol | ratio |")
print("|---|---|---:|---:|---:|")
for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
    for op in ["encode", "decode"]:
        w, k = rows[(op, codec, "wire")], rows[(op, codec, "kafka-protocol")]
        print(f"| {codec} | {op} | {w / 1e6:,.2f} M | {k / 1e6:,.2f} M | **{k / w:.2f}x** |")
PY
    exit 0
fi

if [[ $run -eq 1 ]]; then
    echo "running: cargo bench -p kafka-gateway-benches --bench codec -- ${criterion_args[*]:-}" >&2
    echo "(criterion output: $log)" >&2
    set +e
    cargo bench -p kafka-gateway-benches --bench codec -- "${criterion_args[@]}" 2>&1 \
        | tee "$log" \
        | grep --line-buffered -E 'batch-size|time:|^[a-z0-9]+(/[A-Za-z0-9-]+)+ *$|error|panicked' >&2
    status=${PIPESTATUS[0]}
    set -e
    if [[ $status -ne 0 ]]; then
        echo "cargo bench failed; see $log" >&2
        exit 1
    fi
fi

CHECK="$check" STAT="${BENCH_STAT:-median}" python3 - "$criterion_dir" "$log" <<'PY'
import json
import os
import re
import sys

criterion_dir, log = sys.argv[1], sys.argv[2]
stat = os.environ["STAT"]
check = os.environ["CHECK"] == "1"
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
LIBS = ["wire", "kafka-protocol"]


def load(group, function):
    base = os.path.join(criterion_dir, group.replace("/", "_"), function, "new")
    try:
        with open(os.path.join(base, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(base, "estimates.json")) as f:
            est = json.load(f)[stat]
    except FileNotFoundError:
        return None
    lo, hi = est["confidence_interval"]["lower_bound"], est["confidence_interval"]["upper_bound"]
    point = est["point_estimate"]
    return {
        "ns": point,
        "bytes": (bench.get("throughput") or {}).get("Bytes"),
        "noise": (hi - lo) / 2 / point if point else 0.0,
    }


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


def mib_s(r):
    return f"{r['bytes'] / (r['ns'] / 1e9) / 2**20:,.0f}" if r["bytes"] else "-"


sizes = {}
if os.path.exists(log):
    with open(log, errors="replace") as f:
        for line in f:
            m = re.match(r"batch-size codec=(\w+) uncompressed=(\d+) wire=(\d+) kafka-protocol=(\d+)", line)
            if m:
                sizes[m.group(1)] = tuple(int(x) for x in m.groups()[1:])

print(f"Codec: 1,000 records, 16-byte keys, 1 KiB values, 1-2 headers; {stat} of criterion samples.")
print("Speed-up = kafka-protocol time / wire time (above 1: wire is faster).")
print()
print("| codec | op | wire | kafka-protocol | wire MiB/s | kafka-protocol MiB/s | speed-up | target | met | ±CI |")
print("|---|---|---:|---:|---:|---:|---:|---:|:---:|---:|")
missed = []
for codec in CODECS:
    for op in ["encode", "decode"]:
        group = f"{op}/{codec}"
        w, k = load(group, "wire"), load(group, "kafka-protocol")
        if not w or not k:
            continue
        ratio = k["ns"] / w["ns"]
        target = 1.5 if codec == "none" else 1.0
        met = ratio >= target
        if not met:
            missed.append(f"{group} ({ratio:.2f}x < {target}x)")
        noise = max(w["noise"], k["noise"]) * 100
        print(
            f"| {codec} | {op} | {fmt_time(w['ns'])} | {fmt_time(k['ns'])} | {mib_s(w)} | {mib_s(k)} "
            f"| **{ratio:.2f}x** | ≥{target}x | {'yes' if met else 'NO'} | {noise:.1f}% |"
        )

if sizes:
    print()
    print("| codec | uncompressed bytes | wire batch bytes | kafka-protocol batch bytes |")
    print("|---|---:|---:|---:|")
    for codec in CODECS:
        if codec in sizes:
            raw, w, k = sizes[codec]
            print(f"| {codec} | {raw:,} | {w:,} ({raw / w:.2f}:1) | {k:,} ({raw / k:.2f}:1) |")

kp_none = load("encode/none", "kafka-protocol")
floor_rows = []
for function, what in [
    ("copy", "values copied into one buffer, then CRC32C over it"),
    ("in-place", "CRC32C over the values where they are"),
]:
    r = load("floor/none", function)
    if r and kp_none:
        floor_rows.append(
            f"| {function} | {what} | {fmt_time(r['ns'])} | **{kp_none['ns'] / r['ns']:.2f}x** |"
        )
if floor_rows:
    print()
    print("The least work of any uncompressed encoder (no record field written), and")
    print("kafka-protocol's encode/none time over it: the largest speed-up possible.")
    print()
    print("| floor | work | time | kafka-protocol / floor |")
    print("|---|---|---:|---:|")
    print("\n".join(floor_rows))

crc_rows = []
for size in ["1KiB", "4KiB", "64KiB", "1MiB"]:
    r = load("crc32c", size)
    if r:
        gib = r["bytes"] / (r["ns"] / 1e9) / 2**30
        crc_rows.append(f"| {size} | {fmt_time(r['ns'])} | {gib:.2f} |")
if crc_rows:
    print()
    print("| crc32c buffer | time | GiB/s |")
    print("|---|---:|---:|")
    print("\n".join(crc_rows))

print()
if missed:
    print("Targets missed: " + "; ".join(missed))
else:
    print("All targets met.")
if check and missed:
    sys.exit(1)
PY
