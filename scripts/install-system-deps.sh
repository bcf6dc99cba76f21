#!/usr/bin/env bash
# Installs the Debian packages the tests, demo and benchmarks use. Root only.
# keepalived's package must never start a daemon in this machine's own
# network namespace: a policy-rc.d that refuses service starts is put in
# place for the install and removed afterwards if we created it.
set -euo pipefail
need=()
command -v keepalived >/dev/null || need+=(keepalived)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v ip >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)
command -v ps >/dev/null || need+=(procps)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}"
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
[ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
exit 0
