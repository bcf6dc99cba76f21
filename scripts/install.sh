#!/usr/bin/env bash
# Installs keepalived-ts on this host from a checkout (or from a release
# tarball given as the argument), as root:
#
#   sudo bash scripts/install.sh [--as-keepalived] [keepalived-ts-X.Y.Z.tgz]
#
# (--force, --no-reload and --unit-dir go to keepalived-ts-install-systemd; npm's
# global prefix is npm's: `npm prefix -g`, or npm_config_prefix.)
#
#  1. the build tools for the native addon (g++, make, python3) from apt when missing;
#  2. from a checkout: the npm dependencies (when missing) and `npm pack`, whose
#     prepack builds the TypeScript; the tarball carries its runtime
#     dependencies, so the install needs no registry;
#  3. `npm install -g` of the tarball: builds the addon, puts keepalived-ts
#     on PATH ($(npm prefix -g)/bin);
#  4. keepalived-ts-install-systemd: the unit in /etc/systemd/system
#     (--as-keepalived: as keepalived.service, in place of Debian's).
# It enables and starts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: sudo bash scripts/install.sh [--as-keepalived] [--force] [--no-reload] [--unit-dir DIR] [keepalived-ts-X.Y.Z.tgz]"
unit_args=()
tarball=
while [ $# -gt 0 ]; do
  case $1 in
    --as-keepalived|--force|--no-reload) unit_args+=("$1") ;;
    --unit-dir) [ $# -ge 2 ] || { echo "$usage" >&2; exit 1; }; unit_args+=("$1" "$2"); shift ;;
    *.tgz) tarball=$(realpath "$1") ;;
    *) echo "$usage" >&2; exit 1 ;;
  esac
  shift
done

[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo): it installs into npm's global prefix and /etc/systemd/system" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "install.sh: needs Node.js 20 or later with npm" >&2; exit 1; }
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || { echo "install.sh: needs Node.js 20 or later (this is $(node -v))" >&2; exit 1; }

tools=()
command -v g++ >/dev/null || tools+=(g++)
command -v make >/dev/null || tools+=(make)
command -v python3 >/dev/null || tools+=(python3)
if [ ${#tools[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || { echo "install.sh: install ${tools[*]} (the native addon is built with node-gyp)" >&2; exit 1; }
  echo "install.sh: installing ${tools[*]} for the native addon"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${tools[@]}" >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$tarball" ]; then
  [ -d node_modules/typescript ] || npm ci --no-audit --no-fund
  npm pack --pack-destination "$tmp" >/dev/null
  tarball=$(ls "$tmp"/keepalived-ts-*.tgz)
fi
echo "install.sh: npm install -g $tarball"
npm install -g --no-audit --no-fund "$tarball"
prefix=$(npm prefix -g)
"$prefix/bin/keepalived-ts-install-systemd" "${unit_args[@]}"
echo "install.sh: $("$prefix/bin/keepalived-ts" -v 2>&1 | head -1) at $prefix/bin/keepalived-ts"
