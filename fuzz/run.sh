#!/usr/bin/env bash
# Runs the cargo-fuzz targets, each for SECONDS, from the corpora in
# fuzz/corpus. New inputs libFuzzer finds go to target/fuzz-corpus/TARGET,
# so a run leaves the repository untouched; to keep them, merge them in:
#   cargo +nightly fuzz run TARGET -O corpus/TARGET ../target/fuzz-corpus/TARGET -- -merge=1
#
#   bash fuzz/run.sh 30                 # every target, 30 s each (CI smoke)
#   bash fuzz/run.sh 600 next_link      # one target, 10 minutes
#
# Needs the nightly toolchain (sanitizers); installs cargo-fuzz into
# target/tools when it is not on PATH. A crash stops the script with the
# failing input saved under fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:?usage: fuzz/run.sh SECONDS [TARGET...]}"
shift
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
scratch="$(cd .. && pwd)/target/fuzz-corpus"
tools="$(cd .. && pwd)/target/tools"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  if [ ! -x "$tools/bin/cargo-fuzz" ]; then
    cargo install cargo-fuzz --locked --version 0.13.2 --root "$tools"
  fi
  export PATH="$tools/bin:$PATH"
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

cargo +nightly fuzz build -O
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "$scratch/$target"
  flags=(-max_total_time="$seconds" -rss_limit_mb=4096)
  # This target keeps one emulator across runs on purpose (its state is
  # reset every 2,000 runs), which LeakSanitizer would take for a leak
  # after every input and check at great cost.
  if [ "$target" = emulator_requests ]; then
    flags+=(-detect_leaks=0)
  fi
  echo "== fuzz $target for ${seconds}s"
  log="$(mktemp)"
  if ! cargo +nightly fuzz run -O "$target" "$scratch/$target" "corpus/$target" -- "${flags[@]}" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz target $target failed (input saved under fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  grep -E '^Done' "$log" || true
  rm -f "$log"
done
