#!/usr/bin/env bash
# The whole test suite: `npm test`.
#  - as root on Debian: installs the system packages the end-to-end tests need
#    (keepalived 2.2.7 as the interop peer, iproute2, tcpdump, nftables);
#  - installs npm dependencies if missing and builds (TypeScript + native addon);
#  - runs the unit tests (no root needed), then the end-to-end tests in network
#    namespaces (root only; each test makes and removes its own namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/prepare.sh

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
echo "== unit tests"
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$out/unit.tap" \
  --test-concurrency=2 $(find dist/test -name '*.test.js' -not -path 'dist/test/e2e/*' | sort) || status=1

echo "== decoder fuzz (1,000,000 packets)"
node dist/bench/fuzz-codec.js 1000000 || status=1

if [ "$(id -u)" = 0 ] && [ "${KTS_SKIP_E2E:-0}" != 1 ]; then
  echo "== end-to-end tests (network namespaces)"
  e2e=$(find dist/test/e2e -name '*.test.js' 2>/dev/null | sort)
  if [ -n "$e2e" ]; then
    node --test --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$out/e2e.tap" \
      --test-concurrency=1 $e2e || status=1
  fi
else
  echo "== end-to-end tests need root: not run"
fi

pass=0; fail=0
for f in "$out"/*.tap; do
  [ -f "$f" ] || continue
  p=$(awk '/^# pass /{print $3}' "$f" | tail -1); q=$(awk '/^# fail /{print $3}' "$f" | tail -1)
  pass=$((pass + ${p:-0})); fail=$((fail + ${q:-0}))
done
echo "all: $pass passed, $fail failed"
exit $status
