/**
 * A fake cloud API for the notify hook examples (examples/etcd), run inside a lab host:
 *   node fake-cloud.js <address> <port> <vm>...
 * It answers what the hooks call, and keeps the state they change:
 *  - EC2 Query API (POST /, form body; what the AWS CLI sends with --endpoint-url):
 *    AssociateAddress (AllocationId, InstanceId, AllowReassociation) and
 *    AssignPrivateIpAddresses (NetworkInterfaceId, PrivateIpAddress.N, AllowReassignment);
 *    without the allow flag, an address in use elsewhere is refused, as EC2 does;
 *  - the GCE metadata token, and the Compute API's instance GET, updateNetworkInterface
 *    (fingerprint checked; an alias range another VM has is refused, as GCE does) and
 *    operations/NAME/wait.
 * GET /_state answers {eip, privateIp, aliases, calls}. Prints {"event":"ready"} once listening.
 */
import * as http from 'node:http';

const [address, port, ...vms] = process.argv.slice(2);
const eip: Record<string, string> = {};
const privateIp: Record<string, string> = {};
const aliases: Record<string, string[]> = Object.fromEntries(vms.map((v) => [v, []]));
const fingerprints: Record<string, number> = Object.fromEntries(vms.map((v) => [v, 1]));
const calls: { at: number; api: string; what: string }[] = [];

function xml(action: string, inner = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake-${calls.length}</requestId><return>true</return>${inner}</${action}Response>`;
}

function ec2Error(res: http.ServerResponse, code: string, msg: string): void {
  res.writeHead(400, { 'content-type': 'text/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${msg}</Message></Error></Errors><RequestID>fake</RequestID></Response>`);
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function ec2(body: string, res: http.ServerResponse): void {
  const p = new URLSearchParams(body);
  const action = p.get('Action') ?? '';
  if (action === 'AssociateAddress') {
    const alloc = p.get('AllocationId') ?? '';
    const inst = p.get('InstanceId') ?? '';
    calls.push({ at: Date.now(), api: 'ec2', what: `AssociateAddress ${alloc} ${inst} reassoc=${p.get('AllowReassociation')}` });
    if (eip[alloc] && eip[alloc] !== inst && p.get('AllowReassociation') !== 'true') return ec2Error(res, 'Resource.AlreadyAssociated', `${alloc} is associated`);
    eip[alloc] = inst;
    res.writeHead(200, { 'content-type': 'text/xml' });
    return void res.end(xml(action, `<associationId>eipassoc-${calls.length}</associationId>`));
  }
  if (action === 'AssignPrivateIpAddresses') {
    const eni = p.get('NetworkInterfaceId') ?? '';
    const ips = [...p.entries()].filter(([k]) => k.startsWith('PrivateIpAddress')).map(([, v]) => v);
    calls.push({ at: Date.now(), api: 'ec2', what: `AssignPrivateIpAddresses ${eni} ${ips.join(',')} reassign=${p.get('AllowReassignment')}` });
    for (const ip of ips) {
      if (privateIp[ip] && privateIp[ip] !== eni && p.get('AllowReassignment') !== 'true') return ec2Error(res, 'InvalidParameterValue', `${ip} is in use`);
      privateIp[ip] = eni;
    }
    res.writeHead(200, { 'content-type': 'text/xml' });
    return void res.end(xml(action));
  }
  ec2Error(res, 'InvalidAction', `${action} is not faked`);
}

function gce(method: string, url: URL, body: string, res: http.ServerResponse): void {
  if (url.pathname.endsWith('/instance/service-accounts/default/token')) return json(res, 200, { access_token: 'fake-token', expires_in: 3600, token_type: 'Bearer' });
  const m = /\/zones\/([^/]+)\/(instances|operations)\/([^/]+)(\/[a-zA-Z]+)?$/.exec(url.pathname);
  if (!m) return json(res, 404, { error: { code: 404, message: `${url.pathname} is not faked` } });
  const [, zone, kind, name, verb] = m;
  if (kind === 'operations') return json(res, 200, { name, status: 'DONE' });
  if (!(name in aliases)) return json(res, 404, { error: { code: 404, message: `instance ${name} not found` } });
  if (method === 'GET' && !verb) {
    return json(res, 200, { name, zone, networkInterfaces: [{ name: 'nic0', fingerprint: String(fingerprints[name]), aliasIpRanges: aliases[name].map((r) => ({ ipCidrRange: r })) }] });
  }
  if (method === 'PATCH' && verb === '/updateNetworkInterface') {
    const b = JSON.parse(body) as { aliasIpRanges?: { ipCidrRange: string }[]; fingerprint?: string };
    const want = (b.aliasIpRanges ?? []).map((r) => r.ipCidrRange);
    calls.push({ at: Date.now(), api: 'gce', what: `updateNetworkInterface ${name} [${want.join(',')}]` });
    if (b.fingerprint !== String(fingerprints[name])) return json(res, 412, { error: { code: 412, message: 'fingerprint mismatch' } });
    for (const r of want) {
      const other = Object.keys(aliases).find((v) => v !== name && aliases[v].includes(r));
      if (other) return json(res, 400, { error: { code: 400, message: `IP alias range ${r} is already in use by ${other}` } });
    }
    aliases[name] = want;
    fingerprints[name]++;
    return json(res, 200, { name: `op-${calls.length}`, status: 'RUNNING' });
  }
  json(res, 400, { error: { code: 400, message: `${method} ${url.pathname} is not faked` } });
}

http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/_state') return json(res, 200, { eip, privateIp, aliases, calls });
    if (req.method === 'POST' && url.pathname === '/') return ec2(body, res);
    gce(req.method ?? 'GET', url, body, res);
  });
}).listen(Number(port), address, () => process.stdout.write(JSON.stringify({ event: 'ready' }) + '\n'));
