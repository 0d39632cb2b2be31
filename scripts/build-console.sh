#!/usr/bin/env bash
# Builds the web console (console/, Vite + TypeScript + Preact) into OUT_DIR, which
# `chatvault serve` serves at /. `npm ci` runs only when console/node_modules is missing or
# package-lock.json changed since it last ran (a hash of the lock file is kept beside the
# modules), so a rebuild costs the Vite build alone (~2 s). npm is Debian's (or any) npm on
# Node 18 or later; packages come from the npm registry at the lock file's exact versions.
# Usage: build-console.sh OUT_DIR
set -euo pipefail
out=${1:?usage: build-console.sh OUT_DIR}
here=$(cd "$(dirname "$0")/../console" && pwd)
cd "$here"
stamp=node_modules/.chatvault-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "console: npm ci (package-lock.json changed or node_modules missing)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
CV_CONSOLE_OUT="$out" npm run --silent build -- --logLevel warn
