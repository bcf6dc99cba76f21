#!/usr/bin/env bash
# The README's main job: `sudo npm run demo` on a fresh Debian machine.
# Installs what it needs (Debian packages as root, npm dependencies, the
# native addon, the TypeScript build), then runs demo/demo.ts: three hosts in
# network namespaces, a live table, a failover and a handover.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "The demo builds network namespaces: run it as root (sudo npm run demo)." >&2
  exit 1
fi
command -v apt-get >/dev/null && bash scripts/install-system-deps.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
[ build/Release/kts_native.node -nt src/native/kts_native.c ] || node scripts/build-native.js
npx tsc -p .
exec node dist/demo/demo.js "$@"
