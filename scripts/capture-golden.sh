#!/usr/bin/env bash
# Capture golden VRRP advertisements from the real keepalived (Debian's 2.2.7)
# and write them to test/vrrp/codec/fixtures/golden.json.
#
# Run as root, once, when the fixtures need refreshing; the tests themselves
# only read the JSON (no root, no keepalived).
#
# What it does, all inside two throwaway network namespaces:
#   <P>a (keepalived) <-- veth --> <P>b (peer, tcpdump)
#   192.0.2.1/24, 2001:db8::1/64       192.0.2.2/24, 2001:db8::2/64
# keepalived runs one config with an instance per case (v2 no auth, v2 PASS,
# v2 AH, v3 IPv4, v3 IPv6, unicast v2/v3 IPv4, unicast v3 with
# old_unicast_checksum, unicast v3 IPv6). It waits until every instance is
# MASTER, then gets SIGTERM so the priority-0 adverts are captured too.
# tcpdump listens on the peer's end (what is on the wire). A small Node
# program then strips Ethernet + IP (+ AH) headers and writes the payloads
# with the IP header facts (src, dst, TTL / hop limit) and the fields the
# config says the packet must carry.
#
# Usage: scripts/capture-golden.sh [OUT.json]
#   KTS_KEEP_PCAP=/path/file.pcap  also keep the raw capture there.
#
# Network rules (docs/CONTRIBUTING.md): documentation addresses only, a
# unique prefix per run, everything torn down on exit, and only the PIDs this
# script started are ever signalled.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
  echo "capture-golden.sh: must run as root (network namespaces)" >&2
  exit 1
fi
for tool in ip keepalived tcpdump node; do
  command -v "$tool" >/dev/null || { echo "capture-golden.sh: $tool not found" >&2; exit 1; }
done

cd "$(dirname "$0")/.."
OUT=${1:-test/vrrp/codec/fixtures/golden.json}

P="kt$(od -An -N2 -tx2 /dev/urandom | tr -d ' \n')"
NSA="${P}a"
NSB="${P}b"
IFA="${P}a0"
IFB="${P}b0"
TMP=$(mktemp -d "/tmp/${P}.XXXXXX")
KA_PID=""
TD_PID=""

cleanup() {
  set +e
  if [ -n "$KA_PID" ] && kill -0 "$KA_PID" 2>/dev/null; then
    kill -TERM "$KA_PID" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$KA_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$KA_PID" 2>/dev/null
  fi
  if [ -n "$TD_PID" ] && kill -0 "$TD_PID" 2>/dev/null; then
    kill -TERM "$TD_PID" 2>/dev/null
    wait "$TD_PID" 2>/dev/null
  fi
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NSA"
ip netns add "$NSB"
for ns in "$NSA" "$NSB"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n "$ns" link set lo up
done
ip link add "$IFA" netns "$NSA" type veth peer name "$IFB" netns "$NSB"
ip -n "$NSA" addr add 192.0.2.1/24 dev "$IFA"
ip -n "$NSB" addr add 192.0.2.2/24 dev "$IFB"
ip -n "$NSA" addr add 2001:db8::1/64 dev "$IFA" nodad
ip -n "$NSB" addr add 2001:db8::2/64 dev "$IFB" nodad
ip -n "$NSA" link set "$IFA" up
ip -n "$NSB" link set "$IFB" up

# One instance per golden case. The table is also the source of the
# "expected" fields: name vrid family version auth authpass advert_int(s)
# unicast(none|v4|v6) old_unicast_checksum(0|1) vips(comma separated).
CASES="$TMP/cases.tsv"
cat >"$CASES" <<'EOF'
v2-ipv4	10	4	2	NONE	-	1	none	0	192.0.2.100,192.0.2.101
v2-ipv4-pass	11	4	2	PASS	secretpassword	1	none	0	192.0.2.110
v2-ipv4-ah	12	4	2	AH	ahsecret	1	none	0	192.0.2.120
v3-ipv4	20	4	3	NONE	-	0.5	none	0	192.0.2.130,192.0.2.131,192.0.2.132
v3-ipv6	30	6	3	NONE	-	1	none	0	2001:db8::100,2001:db8:0:0:1::101
unicast-v2-ipv4	40	4	2	NONE	-	1	v4	0	192.0.2.140
unicast-v3-ipv4	41	4	3	NONE	-	1	v4	0	192.0.2.141
unicast-v3-ipv4-old-checksum	42	4	3	NONE	-	1	v4	1	192.0.2.142
unicast-v3-ipv6	43	6	3	NONE	-	1	v6	0	2001:db8::143
EOF

CONF="$TMP/keepalived.conf"
{
  echo "global_defs {"
  echo "  router_id ${P}"
  echo "}"
  while IFS=$'\t' read -r name vrid fam ver auth pass adv uni old vips; do
    echo "vrrp_instance ${name} {"
    echo "  state BACKUP"
    echo "  interface ${IFA}"
    echo "  virtual_router_id ${vrid}"
    echo "  version ${ver}"
    echo "  priority 200"
    echo "  advert_int ${adv}"
    if [ "$auth" != NONE ]; then
      echo "  authentication {"
      echo "    auth_type ${auth}"
      echo "    auth_pass ${pass}"
      echo "  }"
    fi
    case "$uni" in
      v4) echo "  unicast_src_ip 192.0.2.1"; echo "  unicast_peer {"; echo "    192.0.2.2"; echo "  }" ;;
      v6) echo "  unicast_src_ip 2001:db8::1"; echo "  unicast_peer {"; echo "    2001:db8::2"; echo "  }" ;;
    esac
    [ "$old" = 1 ] && echo "  old_unicast_checksum"
    echo "  virtual_ipaddress {"
    tr ',' '\n' <<<"$vips" | sed 's/^/    /'
    echo "  }"
    echo "}"
  done <"$CASES"
} >"$CONF"

PCAP="$TMP/vrrp.pcap"
ip netns exec "$NSB" tcpdump -Z root -U -n -i "$IFB" -w "$PCAP" \
  'ip proto 112 or ip proto 51 or ip6 proto 112' >"$TMP/tcpdump.log" 2>&1 &
TD_PID=$!
sleep 1

# -n: no fork (so $! is keepalived itself); -l/-G: console only, never the
# host syslog; -P: VRRP only; own pid files, never /run/keepalived.pid.
ip netns exec "$NSA" keepalived -n -l -G -D -P -f "$CONF" \
  -p "$TMP/keepalived.pid" -r "$TMP/vrrp.pid" -c "$TMP/checkers.pid" \
  >"$TMP/keepalived.log" 2>&1 &
KA_PID=$!

ninst=$(wc -l <"$CASES")
deadline=$((SECONDS + 20))
while :; do
  nmaster=$(grep -c 'Entering MASTER STATE' "$TMP/keepalived.log" || true)
  [ "$nmaster" -ge "$ninst" ] && break
  if [ $SECONDS -ge $deadline ] || ! kill -0 "$KA_PID" 2>/dev/null; then
    echo "capture-golden.sh: only $nmaster/$ninst instances became MASTER" >&2
    cat "$TMP/keepalived.log" >&2
    exit 1
  fi
  sleep 0.5
done
sleep 2.5 # a few steady-state adverts per instance

# SIGTERM: keepalived sends priority 0 for every MASTER instance.
kill -TERM "$KA_PID"
wait "$KA_PID" 2>/dev/null || true
KA_PID=""
sleep 1
kill -TERM "$TD_PID"
wait "$TD_PID" 2>/dev/null || true
TD_PID=""

mkdir -p "$(dirname "$OUT")"
if [ -n "${KTS_KEEP_PCAP:-}" ]; then cp "$PCAP" "$KTS_KEEP_PCAP"; fi
KA_VERSION=$(keepalived -v 2>&1 | sed -n 1p)
node - "$PCAP" "$CASES" "$OUT" "$KA_VERSION" <<'EOF'
'use strict';
const fs = require('fs');
const [pcapPath, casesPath, outPath, kaVersion] = process.argv.slice(2);
const pcap = fs.readFileSync(pcapPath);
const magic = pcap.readUInt32LE(0);
if (magic !== 0xa1b2c3d4) throw new Error('unexpected pcap magic ' + magic.toString(16));
if (pcap.readUInt32LE(20) !== 1) throw new Error('expected Ethernet link type');

const ip4 = (b, o) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
// Independent of the codec's own helpers on purpose: RFC 5952 text.
function ip6(b, o) {
  const w = [];
  for (let i = 0; i < 8; i++) w.push(b.readUInt16BE(o + 2 * i));
  let bs = -1, bl = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i; while (j < 8 && w[j] === 0) j++;
    if (j - i > bl && j - i >= 2) { bs = i; bl = j - i; }
    i = j;
  }
  const h = w.map((x) => x.toString(16));
  if (bs < 0) return h.join(':');
  return h.slice(0, bs).join(':') + '::' + h.slice(bs + bl).join(':');
}

const cases = fs.readFileSync(casesPath, 'utf8').trim().split('\n').map((l) => {
  const [name, vrid, fam, ver, auth, pass, adv, uni, old, vips] = l.split('\t');
  return { name, vrid: +vrid, family: +fam, version: +ver, auth, pass, adv: +adv, uni, old: old === '1', vips: vips.split(',') };
});

const seen = new Map();
let off = 24;
while (off + 16 <= pcap.length) {
  const incl = pcap.readUInt32LE(off + 8);
  const pkt = pcap.subarray(off + 16, off + 16 + incl);
  off += 16 + incl;
  const etype = pkt.readUInt16BE(12);
  let family, src, dst, ttl, payload, ipProto;
  if (etype === 0x0800) {
    const ihl = (pkt[14] & 0x0f) * 4;
    const totLen = pkt.readUInt16BE(16);
    family = 4; ttl = pkt[22]; ipProto = pkt[23];
    src = ip4(pkt, 26); dst = ip4(pkt, 30);
    let p = 14 + ihl;
    const end = 14 + totLen;
    if (ipProto === 51) {
      if (pkt[p] !== 112) continue;
      p += (pkt[p + 1] + 2) * 4; // AH: payload length in 32-bit words minus 2
    } else if (ipProto !== 112) continue;
    payload = pkt.subarray(p, end);
  } else if (etype === 0x86dd) {
    family = 6; ttl = pkt[21]; ipProto = pkt[20];
    if (ipProto !== 112) continue;
    const plen = pkt.readUInt16BE(18);
    src = ip6(pkt, 22); dst = ip6(pkt, 38);
    payload = pkt.subarray(54, 54 + plen);
  } else continue;
  const vrid = payload[1];
  const prio = payload[2];
  const c = cases.find((k) => k.vrid === vrid && k.family === family);
  if (!c) continue;
  const name = prio === 0 ? `${c.name}-prio0` : c.name;
  if (seen.has(name)) continue;
  const authData = c.auth === 'PASS' ? Buffer.concat([Buffer.from(c.pass), Buffer.alloc(8)]).subarray(0, 8).toString('hex') : undefined;
  const unicast = c.uni !== 'none';
  seen.set(name, {
    name,
    family, src, dst, ttl, ipProto,
    payload: payload.toString('hex'),
    checksum: c.version === 2 ? 'plain' : family === 4 && unicast && c.old ? 'pseudo-mcast' : 'pseudo',
    expected: {
      version: c.version,
      type: 1,
      vrid: c.vrid,
      priority: prio === 0 ? 0 : 200,
      authType: c.version === 3 ? 0 : c.auth === 'PASS' ? 1 : c.auth === 'AH' ? 2 : 0,
      ...(authData ? { authData } : {}),
      adverIntervalMs: Math.round(c.adv * 1000),
      addresses: c.vips.map((a) => (family === 6 ? ip6(Buffer.from(expand6(a), 'hex'), 0) : a)),
    },
  });
}
function expand6(a) {
  const [l, r] = a.split('::');
  const L = l ? l.split(':') : [];
  const R = r ? r.split(':') : [];
  const mid = Array(8 - L.length - R.length).fill('0');
  return [...L, ...mid, ...R].map((x) => x.padStart(4, '0')).join('');
}
const want = cases.flatMap((c) => [c.name, `${c.name}-prio0`]);
const missing = want.filter((n) => !seen.has(n));
if (missing.length) {
  console.error('missing cases: ' + missing.join(', '));
  process.exitCode = 1;
}
const out = {
  comment: 'VRRP payloads (after the IP header, and after AH for auth_type AH) captured from real keepalived by scripts/capture-golden.sh. Do not edit by hand; re-run the script.',
  keepalived: kaVersion,
  captured: new Date().toISOString().slice(0, 10),
  cases: want.filter((n) => seen.has(n)).map((n) => seen.get(n)),
};
fs.writeFileSync(outPath, JSON.stringify(out, null, 2) + '\n');
console.log(`wrote ${out.cases.length} cases to ${outPath}`);
EOF
