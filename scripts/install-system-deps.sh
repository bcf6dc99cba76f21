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
command -v pkill >/dev/null || need+=(procps)
command -v killall >/dev/null || need+=(psmisc)
command -v pidof >/dev/null || need+=(sysvinit-utils)
command -v unshare >/dev/null || need+=(util-linux)
# The article's MySQL dual-master scenario (test/e2e/mysql, npm run demo:mysql): started only inside namespaces.
command -v mariadbd >/dev/null || need+=(mariadb-server mariadb-client)
# Issue 11: /metrics is checked with Prometheus's own promtool (its server never starts here: the
# policy-rc.d below refuses it), and the status page is driven in Debian's chromium (inside namespaces).
command -v promtool >/dev/null || need+=(prometheus)
command -v chromium >/dev/null || need+=(chromium)
# Issue 12: the etcd election tests run a 3-member etcd 3.4 cluster, started only inside namespaces by the
# tests (the package's own service is refused a start by the policy-rc.d below; nothing listens afterwards).
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
# The AWS notify hook example (examples/etcd) is tested with the AWS CLI itself, against a fake EC2 API.
command -v aws >/dev/null || need+=(awscli)
# Issue 13: the BGP announcement tests run FRR 8.4 (zebra, bgpd, bfdd; the router and the hosts) and BIRD 2,
# each started only by the tests, inside namespaces, with their config/state/socket directories in the lab dir
# (the packages' own services are refused a start by the policy-rc.d below; nothing listens afterwards).
[ -x /usr/lib/frr/bgpd ] || need+=(frr)
command -v bird >/dev/null || need+=(bird2)
# Issue 11: systemd-analyze verifies the shipped unit files (nothing of systemd is started: it is not PID 1 here),
# and the sd_notify tests listen on an AF_UNIX datagram socket with python3 (Node has none).
command -v systemd-analyze >/dev/null || need+=(systemd)
[ -x /usr/bin/python3 ] || need+=(python3)
[ ${#need[@]} -eq 0 ] && exit 0
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
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
