#!/usr/bin/env bash
# `make demo`: reads the bundled sample export (examples/demo-export, written for this
# project) the way a compliance team would, and shows what chatvault found.
set -euo pipefail
chatvault=${1:-build/chatvault}
here=$(cd "$(dirname "$0")" && pwd)
export_dir="$here/demo-export"
out_dir=${DEMO_OUT:-$here/../build/demo}
mkdir -p "$out_dir"

echo "== chatvault parse $export_dir --tz Europe/Berlin --format summary"
"$chatvault" parse "$export_dir" --tz Europe/Berlin --format summary
echo
"$chatvault" parse "$export_dir" --tz Europe/Berlin --format jsonl >"$out_dir/items.jsonl"
echo "== first three items (all $(wc -l <"$out_dir/items.jsonl") are in $out_dir/items.jsonl)"
head -n 3 "$out_dir/items.jsonl" | python3 -m json.tool --json-lines --no-ensure-ascii
echo
echo "Look at: $out_dir/items.jsonl (one JSON object per item, the reader's contract)"
