#!/usr/bin/env bash
# `sudo npm run demo:mysql`: the article's MySQL dual-master hot standby with
# real MariaDB servers. Installs what it needs (Debian packages as root,
# among them mariadb-server, which is only ever started inside the demo's
# namespaces; the npm dependencies, the native addon, the TypeScript build),
# then runs demo/mysql.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "The demo builds network namespaces: run it as root (sudo npm run demo:mysql)." >&2
  exit 1
fi
command -v apt-get >/dev/null && bash scripts/install-system-deps.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
[ build/Release/kts_native.node -nt src/native/kts_native.c ] || node scripts/build-native.js
npx tsc -p .
exec node dist/demo/mysql.js "$@"
