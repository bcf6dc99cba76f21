#!/usr/bin/env bash
# What the demos and the test suite need before they run, sourced by
# scripts/demo.sh and scripts/test.sh: as root on Debian the system packages
# (scripts/install-system-deps.sh), the npm dependencies if missing, the
# native addon when its source is newer, and the TypeScript build.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  bash scripts/install-system-deps.sh
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
[ build/Release/kts_native.node -nt src/native/kts_native.c ] || node scripts/build-native.js
npx tsc -p .
