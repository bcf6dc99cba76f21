#!/usr/bin/env node
/*
 * keepalived-ts notify_master hook for Google Cloud: move an alias IP range (a secondary IP of
 * nic0) to this VM through the Compute Engine API.
 *
 *   notify_master "/etc/keepalived/notify-gcp-alias-ip.js PROJECT ZONE THIS_VM 10.128.0.50/32 OTHER_VM [OTHER_VM...]"
 *
 * It does what these gcloud commands do, in order (an alias range can only be added once no VM has it):
 *   gcloud compute instances network-interfaces update OTHER_VM --zone ZONE --aliases ""   # for each other VM holding it
 *   gcloud compute instances network-interfaces update THIS_VM --zone ZONE --aliases 10.128.0.50/32
 * but with Node's fetch and a token from the metadata server: Node is on every keepalived-ts host,
 * the Cloud SDK need not be, and gcloud's Python start-up costs a second or two of failover each call.
 * (Other alias ranges of the VMs are kept.) The service account needs compute.instances.updateNetworkInterface.
 * GCE_API / GCE_METADATA: other endpoints (the tests use a fake one).
 */
'use strict';
const [project, zone, self, range, ...others] = process.argv.slice(2);
if (!range || others.length === 0) {
  console.error('usage: notify-gcp-alias-ip.js PROJECT ZONE THIS_VM RANGE OTHER_VM...');
  process.exit(2);
}
const api = process.env.GCE_API || 'https://compute.googleapis.com/compute/v1';
const md = process.env.GCE_METADATA || 'http://metadata.google.internal/computeMetadata/v1';
const zoneUrl = `${api}/projects/${project}/zones/${zone}`;

async function call(method, url, token, body) {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

/** Set nic0's alias ranges of `vm` with `change(ranges)`, and wait for the operation. */
async function update(vm, token, change) {
  const inst = await call('GET', `${zoneUrl}/instances/${vm}`, token);
  const nic = (inst.networkInterfaces || []).find((n) => n.name === 'nic0') || (inst.networkInterfaces || [])[0];
  if (!nic) throw new Error(`${vm} has no network interface`);
  const before = nic.aliasIpRanges || [];
  const after = change(before);
  if (after.length === before.length && after.every((r, i) => r.ipCidrRange === before[i].ipCidrRange)) return false;
  const op = await call('PATCH', `${zoneUrl}/instances/${vm}/updateNetworkInterface?networkInterface=${nic.name}`, token,
    { aliasIpRanges: after, fingerprint: nic.fingerprint });
  for (let i = 0; i < 60 && op.status !== 'DONE'; i++) Object.assign(op, await call('POST', `${zoneUrl}/operations/${op.name}/wait`, token));
  if (op.error) throw new Error(`${vm}: ${JSON.stringify(op.error)}`);
  return true;
}

async function main() {
  const t = await fetch(`${md}/instance/service-accounts/default/token`, { headers: { 'Metadata-Flavor': 'Google' }, signal: AbortSignal.timeout(5000) });
  if (!t.ok) throw new Error(`metadata token: HTTP ${t.status}`);
  const token = (await t.json()).access_token;
  for (const vm of others) await update(vm, token, (rs) => rs.filter((r) => r.ipCidrRange !== range));
  await update(self, token, (rs) => [...rs.filter((r) => r.ipCidrRange !== range), { ipCidrRange: range }]);
}

main().catch((e) => {
  console.error(`notify-gcp-alias-ip: ${e.message}`);
  process.exit(1);
});
