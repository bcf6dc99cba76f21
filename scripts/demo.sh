#!/usr/bin/env bash
# The README's main jobs: `sudo npm run demo` (three hosts in network
# namespaces, a live table, a failover and a handover: demo/demo.ts) and
# `sudo npm run demo:mysql` / `sudo npm run demo -- mysql` (the article's
# MySQL dual master with real MariaDB servers, only ever started inside the
# demo's namespaces: demo/mysql.ts). Installs what they need first
# (scripts/prepare.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
demo=demo
if [ "${1:-}" = mysql ]; then demo=mysql; shift; fi
if [ "$(id -u)" != 0 ]; then
  echo "The demo builds network namespaces: run it as root (sudo npm run demo${demo/demo/})." >&2
  exit 1
fi
source scripts/prepare.sh
exec node "dist/demo/$demo.js" "$@"
