#!/usr/bin/env bash
# Runs the OFFICIAL Azure Communication Services SDKs (Python and JavaScript),
# unchanged, through the whole chat quickstart flow against the emulator.
#
#   bash tests/official_sdks/run.sh
#
# Installs into local directories only: a Python venv under
# target/official-sdks/venv,
# pinned by requirements.txt, and `npm ci` in tests/official_sdks/
# (package.json + package-lock.json). Builds the emulator binary, starts it
# with --tls on a free loopback port, waits for its ready line, runs
# python_flow.py and js_flow.mjs, stops the emulator.
#
# Prints `official SDK flows: N passed, M failed` last; exits non-zero when a
# flow failed (or the set-up did). Needs python3 (3.9+, with venv) and
# node 20+ with npm; only the PyPI and npm registries are contacted.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="$ROOT/target/official-sdks"
VENV="$WORK/venv"
READY_TIMEOUT=60
FLOW_TIMEOUT=120
PYTHON="${PYTHON:-python3}"

started_at=$SECONDS
passed=0
failed=0
EMU_PID=""
EMU_DIR=""

summary() {
  echo "official SDK flows: $passed passed, $failed failed"
}

cleanup() {
  if [[ -n "$EMU_PID" ]] && kill -0 "$EMU_PID" 2>/dev/null; then
    kill -TERM "$EMU_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$EMU_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
  fi
  EMU_PID=""
  if [[ -n "$EMU_DIR" ]]; then
    rm -rf "$EMU_DIR"
  fi
}
trap cleanup EXIT

setup_failed() {
  echo "official SDKs: set-up failed: $*" >&2
  failed=2
  summary
  exit 1
}

# A fresh machine may lack the runtimes: install them from Debian's packages
# (CI runs as root). Anything still missing is a set-up failure, never a skip.
ensure_tool() {
  local tool="$1"; shift
  command -v "$tool" >/dev/null 2>&1 && return 0
  echo "-- $tool not found: installing $* from Debian's packages"
  if command -v apt-get >/dev/null 2>&1; then
    if [[ "$(id -u)" == 0 ]]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
      sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    fi
  fi
  command -v "$tool" >/dev/null 2>&1 || setup_failed "$tool is missing and could not be installed"
}
ensure_tool "$PYTHON" python3 python3-venv
ensure_tool node nodejs
ensure_tool npm npm

mkdir -p "$WORK"

# --- Python SDKs: a venv of our own, pinned -------------------------------
echo "-- python: venv $VENV"
req_stamp="$VENV/.requirements.sha256"
req_hash="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" ]] || [[ "$(cat "$req_stamp" 2>/dev/null)" != "$req_hash" ]]; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || setup_failed "python3 -m venv"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$HERE/requirements.txt" || setup_failed "pip install -r requirements.txt"
  echo "$req_hash" >"$req_stamp"
fi
"$VENV/bin/python" -c 'import azure.communication.chat, azure.communication.identity' \
  || setup_failed "the Python SDKs do not import"

# --- JavaScript SDKs: npm ci from the committed lock file -----------------
echo "-- node: npm ci in tests/official_sdks"
lock_stamp="$HERE/node_modules/.package-lock.sha256"
lock_hash="$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ ! -d "$HERE/node_modules" ]] || [[ "$(cat "$lock_stamp" 2>/dev/null)" != "$lock_hash" ]]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || setup_failed "npm ci"
  echo "$lock_hash" >"$lock_stamp"
fi

# --- The emulator ---------------------------------------------------------
echo "-- cargo build -p acs-chat-emulator"
cargo build --quiet -p acs-chat-emulator --locked || setup_failed "cargo build -p acs-chat-emulator"
EMU_BIN="$TARGET_DIR/debug/acs-chat-emulator"
[[ -x "$EMU_BIN" ]] || setup_failed "no emulator binary at $EMU_BIN"

EMU_DIR="$(mktemp -d "${TMPDIR:-/tmp}/acs-official-sdks.XXXXXX")"
CA_PEM="$EMU_DIR/ca.pem"
EMU_OUT="$EMU_DIR/stdout"
EMU_ERR="$EMU_DIR/stderr"

# Port 0: the emulator binds a free port itself and reports it in the ready line.
"$EMU_BIN" --port 0 --tls --ca-cert-out "$CA_PEM" >"$EMU_OUT" 2>"$EMU_ERR" &
EMU_PID=$!

ready_line=""
deadline=$((SECONDS + READY_TIMEOUT))
while ((SECONDS < deadline)); do
  ready_line="$(grep -m1 '^ACS_EMULATOR_READY ' "$EMU_OUT" 2>/dev/null || true)"
  [[ -n "$ready_line" ]] && break
  if ! kill -0 "$EMU_PID" 2>/dev/null; then
    cat "$EMU_ERR" >&2
    setup_failed "the emulator exited before it was ready"
  fi
  sleep 0.1
done
if [[ -z "$ready_line" ]]; then
  cat "$EMU_ERR" >&2
  setup_failed "no ACS_EMULATOR_READY line within ${READY_TIMEOUT}s"
fi

CONNECTION_STRING="$(sed -n 's/.* connection_string="\([^"]*\)".*/\1/p' <<<"$ready_line")"
ENDPOINT="$(sed -n 's/^ACS_EMULATOR_READY endpoint=\([^ ]*\).*/\1/p' <<<"$ready_line")"
READY_CA="$(sed -n 's/.* ca_cert="\([^"]*\)".*/\1/p' <<<"$ready_line")"
[[ -n "$CONNECTION_STRING" && "$ENDPOINT" == https://* ]] || setup_failed "unexpected ready line: $ready_line"
[[ -s "${READY_CA:-$CA_PEM}" ]] || setup_failed "no CA certificate at ${READY_CA:-$CA_PEM}"
CA_PEM="${READY_CA:-$CA_PEM}"
echo "   emulator pid $EMU_PID at $ENDPOINT (CA $CA_PEM)"

# --- The flows --------------------------------------------------------------
run_flow() {
  local name="$1"
  shift
  echo "-- flow: $name"
  local rc=0
  ACS_CONNECTION_STRING="$CONNECTION_STRING" \
    REQUESTS_CA_BUNDLE="$CA_PEM" SSL_CERT_FILE="$CA_PEM" NODE_EXTRA_CA_CERTS="$CA_PEM" \
    NO_PROXY="localhost,127.0.0.1" no_proxy="localhost,127.0.0.1" \
    timeout --kill-after=5 "$FLOW_TIMEOUT" "$@" || rc=$?
  if ((rc == 0)); then
    passed=$((passed + 1))
    echo "   $name: passed"
  else
    failed=$((failed + 1))
    if ((rc == 124)); then
      echo "   $name: FAILED (timed out after ${FLOW_TIMEOUT}s)"
    else
      echo "   $name: FAILED (exit $rc)"
    fi
  fi
}

run_flow "python (azure-communication-chat + azure-communication-identity)" \
  "$VENV/bin/python" "$HERE/python_flow.py"
run_flow "javascript (@azure/communication-chat + @azure/communication-identity)" \
  node "$HERE/js_flow.mjs"

if ! kill -0 "$EMU_PID" 2>/dev/null; then
  echo "   the emulator died during the flows; its stderr:" >&2
  cat "$EMU_ERR" >&2
fi
cleanup

echo "   took $((SECONDS - started_at)) s"
summary
((failed == 0))
