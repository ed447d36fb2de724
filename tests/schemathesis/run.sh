#!/usr/bin/env bash
# Property-based API test of openapi/chat.json against the emulator, with
# schemathesis (https://schemathesis.io), for CI.
#
# Usage: tests/schemathesis/run.sh [EMULATOR_BIN] [-- EXTRA_ST_RUN_ARGS...]
#
#   EMULATOR_BIN   emulator binary (also env EMULATOR_BIN); default
#                  <repo>/target/debug/acs-chat-emulator (build it first:
#                  cargo build -p acs-chat-emulator). A relative path is
#                  taken from the current directory.
#   after `--`     passed to `st run` as is, e.g. `-- --continue-on-failure`
#                  or `-- --exclude-checks positive_data_acceptance`.
#
# Environment (all optional):
#   MAX_EXAMPLES   st --max-examples: test cases per operation (default 25)
#   ST_SEED        schemathesis seed (default 20250315)
#   ST_WORKERS     concurrent workers (default 1: with several threads,
#                  CPython < 3.11.8 can raise "SystemError: AST constructor
#                  recursion depth mismatch" inside hypothesis, cpython#106905;
#                  one worker also keeps the emulator's state reproducible)
#   ST_PHASES      default examples,coverage,fuzzing,stateful
#   ST_TIMEOUT     hard limit in seconds for `st run` (default 900)
#   ST_SPEC        OpenAPI file (default <repo>/openapi/chat.json)
#   ST_VENV        virtualenv (default <repo>/target/schemathesis-venv)
#   ST_REPORT_DIR  reports + emulator log (default <repo>/target/schemathesis-report)
#   ST_HOOKS       schemathesis hooks file (default tests/schemathesis/hooks.py;
#                  set it empty to see every failure, unfiltered)
#   PYTHON         interpreter used to create the venv (default python3, >= 3.10)
#
# Files: schemathesis.toml (fixed settings), hooks.py (failures filtered by
# design, each rule documented there).
#
# The script creates (or reuses) the venv with the pinned schemathesis,
# starts the emulator on a free loopback port, mints a chat token through
# the emulator's admin route, runs every check, stops the emulator and exits
# with schemathesis's status (124 if ST_TIMEOUT was hit).
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
READY_TIMEOUT_SECONDS=30

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

emulator=${EMULATOR_BIN:-$root/target/debug/acs-chat-emulator}
if [[ $# -gt 0 && $1 != "--" ]]; then
    emulator=$1
    shift
fi
if [[ $# -gt 0 && $1 == "--" ]]; then
    shift
fi
extra_args=("$@")

max_examples=${MAX_EXAMPLES:-25}
seed=${ST_SEED:-20250315}
workers=${ST_WORKERS:-1}
phases=${ST_PHASES:-examples,coverage,fuzzing,stateful}
st_timeout=${ST_TIMEOUT:-900}
spec=${ST_SPEC:-$root/openapi/chat.json}
venv=${ST_VENV:-$root/target/schemathesis-venv}
report_dir=${ST_REPORT_DIR:-$root/target/schemathesis-report}
python=${PYTHON:-python3}
hooks=${ST_HOOKS-$here/hooks.py}

log() { printf 'schemathesis/run.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

[[ -x $emulator ]] || die "emulator binary '$emulator' not found or not executable (cargo build -p acs-chat-emulator)"
[[ -f $spec ]] || die "OpenAPI file '$spec' not found"
[[ $max_examples =~ ^[1-9][0-9]*$ ]] || die "MAX_EXAMPLES must be a positive integer"
absolute() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
emulator=$(absolute "$emulator")
spec=$(absolute "$spec")
if [[ -n $hooks ]]; then
    [[ -f $hooks ]] || die "hooks file '$hooks' not found"
    hooks=$(absolute "$hooks")
fi

# --- virtualenv with the pinned schemathesis -------------------------------
if [[ "$("$venv/bin/st" --version 2>/dev/null || true)" != *" $SCHEMATHESIS_VERSION" ]]; then
    log "installing schemathesis==$SCHEMATHESIS_VERSION into $venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION"
fi

# --- emulator on a free loopback port ---------------------------------------
mkdir -p "$report_dir"
report_dir=$(cd "$report_dir" && pwd)
rm -f "$report_dir"/junit.xml "$report_dir"/events.ndjson
emulator_out=$(mktemp "${TMPDIR:-/tmp}/acs-emulator-ready.XXXXXX")
emulator_log=$report_dir/emulator.log
emulator_pid=

cleanup() {
    if [[ -n $emulator_pid ]] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill -TERM "$emulator_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$emulator_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    rm -f "$emulator_out"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Settings from the environment (ACS_EMULATOR_FAULTS, _TLS, _HOST, ...) would
# change what is tested; the run uses the defaults only.
while IFS= read -r name; do
    unset "$name"
done < <(compgen -e | grep '^ACS_EMULATOR_' || true)

"$emulator" --host 127.0.0.1 --port 0 >"$emulator_out" 2>"$emulator_log" &
emulator_pid=$!

ready_line=
for _ in $(seq $((READY_TIMEOUT_SECONDS * 10))); do
    ready_line=$(grep -m1 '^ACS_EMULATOR_READY ' "$emulator_out" || true)
    [[ -n $ready_line ]] && break
    if ! kill -0 "$emulator_pid" 2>/dev/null; then
        tail -n 20 "$emulator_log" >&2 || true
        die "the emulator exited before it was ready"
    fi
    sleep 0.1
done
if [[ -z $ready_line ]]; then
    tail -n 20 "$emulator_log" >&2 || true
    die "the emulator was not ready within ${READY_TIMEOUT_SECONDS}s"
fi
endpoint=$(sed -n 's/^ACS_EMULATOR_READY endpoint=\([^ ]*\).*/\1/p' <<<"$ready_line")
[[ $endpoint =~ ^http://127\.0\.0\.1:[0-9]+/$ ]] || die "unexpected endpoint '$endpoint' (loopback http expected)"
log "emulator (pid $emulator_pid) ready at $endpoint"

# Everything below talks to the loopback emulator only, never through a proxy.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"

# --- chat token ---------------------------------------------------------------
ACS_CHAT_TOKEN=$("$venv/bin/python" - "$endpoint" <<'PY'
import json, sys, urllib.request
request = urllib.request.Request(
    sys.argv[1] + "admin/tokens", data=b"{}", method="POST",
    headers={"Content-Type": "application/json"})
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with opener.open(request, timeout=10) as response:
    print(json.load(response)["accessToken"]["token"])
PY
)
[[ -n $ACS_CHAT_TOKEN ]] || die "could not mint a chat token"
export ACS_CHAT_TOKEN   # read by schemathesis.toml ([auth.openapi.Authorization])
if [[ -n $hooks ]]; then
    export SCHEMATHESIS_HOOKS="$hooks"   # filter_failure rules, see hooks.py
else
    unset SCHEMATHESIS_HOOKS
fi

# --- schemathesis ---------------------------------------------------------------
st_args=(
    --config-file "$here/schemathesis.toml"
    run "$spec"
    --url "${endpoint%/}"
    --checks all
    --phases "$phases"
    --max-examples "$max_examples"
    --seed "$seed"
    --workers "$workers"
    --request-timeout 10
    --report junit,ndjson
    --report-dir "$report_dir"
    --report-junit-path "$report_dir/junit.xml"
    --report-ndjson-path "$report_dir/events.ndjson"
    --no-color
)
log "st ${st_args[*]} ${extra_args[*]+${extra_args[*]}}"
cd "$report_dir"   # anything schemathesis writes to its working directory stays here
status=0
timeout --foreground --signal=INT --kill-after=30 "$st_timeout" \
    "$venv/bin/st" "${st_args[@]}" ${extra_args[@]+"${extra_args[@]}"} || status=$?
log "schemathesis exited with status $status; reports in $report_dir"
exit "$status"
