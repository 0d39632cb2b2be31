#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from the checked-in
# corpus (new finds go to a scratch folder, not into the repo). Exits non-zero on a crash.
set -euo pipefail
build=${1:?build dir}; seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
status=0
for bin in "$build"/tests/fuzz/fuzz_*; do
  [[ -x $bin ]] || continue
  name=${bin##*/fuzz_}
  scratch=$(mktemp -d)
  echo "fuzz: $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$scratch/" "$scratch" "$here/corpus/$name" >"$scratch/log" 2>&1; then
    echo "fuzz: $name FAILED; crash input and log in $scratch"; tail -40 "$scratch/log"; status=1
  else
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$scratch/log" | tail -2 || true
    rm -rf "$scratch"
  fi
done
exit $status
