/**
 * HTTP_GET / SSL_GET (check_http.c). For each `url` in order: connect, send
 * keepalived's request, read the response until the server closes, then check
 *  - the status code against `status_code` (default 200-299),
 *  - `digest`: MD5 (hex) of the body, i.e. everything after the blank line,
 *    exactly as genhash computes it (no de-chunking),
 *  - `regex` / `regex_no_match` on the body.
 * The first failing url fails the run. The request is keepalived's:
 *   GET <path> HTTP/1.<0|1>\r\n
 *   User-Agent: KeepAliveClient\r\n
 *   [Connection: close\r\n]            (http_protocol 1.0C and 1.1)
 *   Host: <virtualhost | ip:port>\r\n\r\n   ([ip]:port for IPv6)
 * SSL_GET does not verify the server certificate (keepalived never sets
 * SSL_VERIFY_PEER) unless `ssl.verify` is set; SNI is sent only with
 * `enable_sni` (the virtualhost, as keepalived).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { ConnTarget, HttpProtocol, ProbeResult, ProbeRunOptions, SslOptions, UrlSpec } from '../types';
import { describe, hostPort, settleOnce } from './common';

export interface HttpProbeSpec {
  type: 'HTTP_GET' | 'SSL_GET';
  target: ConnTarget;
  urls: UrlSpec[];
  httpProtocol?: HttpProtocol;
  virtualhost?: string;
  enableSni?: boolean;
  ssl?: SslOptions;
}

/** Upper bound on what is read of one response (keepalived hashes the whole body). */
const MAX_RESPONSE = 16 * 1024 * 1024;

export function buildHttpRequest(path: string, protocol: HttpProtocol, target: ConnTarget, vhost?: string): string {
  const minor = protocol === '1.1' ? 1 : 0;
  const close = protocol === '1.0' ? '' : 'Connection: close\r\n';
  let host: string;
  if (vhost) host = vhost;
  else host = `${target.connectIp.includes(':') ? `[${target.connectIp}]` : target.connectIp}:${target.connectPort}`;
  return `GET ${path} HTTP/1.${minor}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${host}\r\n\r\n`;
}

export interface HttpResponse {
  status: number;
  body: Buffer;
}

/** Split a raw response into status code and body; undefined when there is no complete header. */
export function parseHttpResponse(raw: Buffer): HttpResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const statusLine = raw.subarray(0, raw.indexOf('\r\n')).toString('latin1');
  const m = /^HTTP\/\d\.\d\s+(\d{3})(?:\s|$)/.exec(statusLine);
  if (!m) return undefined;
  return { status: Number(m[1]), body: raw.subarray(end + 4) };
}

export function statusAccepted(status: number, ranges: Array<[number, number]> | undefined): boolean {
  const rs = ranges && ranges.length > 0 ? ranges : [[200, 299] as [number, number]];
  return rs.some(([lo, hi]) => status >= lo && status <= hi);
}

/** Judge one url's response as keepalived does (http_handle_response()). */
export function judgeResponse(url: UrlSpec, res: HttpResponse | undefined): ProbeResult {
  if (!res) return { ok: false, detail: `${url.path}: no valid HTTP response` };
  if (!statusAccepted(res.status, url.statusCodes)) {
    return { ok: false, detail: `${url.path}: HTTP status code error (${res.status})` };
  }
  if (url.digest) {
    const got = crypto.createHash('md5').update(res.body).digest('hex');
    if (got !== url.digest.toLowerCase()) return { ok: false, detail: `${url.path}: MD5 digest error (${got})` };
  }
  if (url.regex !== undefined) {
    const matched = new RegExp(url.regex).test(res.body.toString('latin1'));
    if (matched === Boolean(url.regexNoMatch)) {
      return { ok: false, detail: `${url.path}: regex ${url.regexNoMatch ? 'matched' : 'did not match'}` };
    }
  }
  return { ok: true, detail: `${url.path}: HTTP status ${res.status}` };
}

function fetchOne(spec: HttpProbeSpec, url: UrlSpec, opts: ProbeRunOptions, deadlineAt: number): Promise<ProbeResult> {
  const t = spec.target;
  const where = hostPort(t.connectIp, t.connectPort);
  const vhost = url.virtualhost ?? spec.virtualhost;
  const request = buildHttpRequest(url.path, spec.httpProtocol ?? '1.0', t, vhost);
  return settleOnce(
    opts.signal,
    Math.max(0, deadlineAt - Date.now()),
    () => ({ ok: false, detail: `Timeout WEB read from ${where}${url.path}` }),
    (finish) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let sock: net.Socket;
      const onData = (d: Buffer): void => {
        size += d.length;
        if (size > MAX_RESPONSE) {
          finish({ ok: false, detail: `${url.path}: response larger than ${MAX_RESPONSE} bytes` });
          return;
        }
        chunks.push(d);
      };
      const onEnd = (): void => finish(judgeResponse(url, parseHttpResponse(Buffer.concat(chunks))));
      const onError = (err: Error): void => finish({ ok: false, detail: `${where}${url.path}: ${describe(err)}` });
      const base = { host: t.connectIp, port: t.connectPort, localAddress: t.bindto, localPort: t.bindPort };
      if (spec.type === 'SSL_GET') {
        const ssl = spec.ssl ?? {};
        const verify = Boolean(ssl.verify);
        sock = tls.connect({
          ...base,
          rejectUnauthorized: verify,
          servername: spec.enableSni && vhost && !net.isIP(vhost) ? vhost : undefined,
          ca: ssl.ca ? fs.readFileSync(ssl.ca) : undefined,
          cert: ssl.certificate ? fs.readFileSync(ssl.certificate) : undefined,
          key: ssl.key ? fs.readFileSync(ssl.key) : undefined,
          passphrase: ssl.password,
        });
        sock.once('secureConnect', () => sock.write(request));
      } else {
        sock = net.connect(base);
        sock.once('connect', () => sock.write(request));
      }
      sock.on('data', onData);
      sock.once('end', onEnd);
      sock.once('error', onError);
      return () => sock.destroy();
    },
  );
}

export async function httpProbe(spec: HttpProbeSpec, opts: ProbeRunOptions): Promise<ProbeResult> {
  if (spec.urls.length === 0) return { ok: false, detail: 'no url configured' };
  const deadlineAt = Date.now() + opts.timeoutMs;
  let last: ProbeResult = { ok: false, detail: '' };
  for (const url of spec.urls) {
    last = await fetchOne(spec, url, opts, deadlineAt);
    if (!last.ok) return last;
  }
  return spec.urls.length === 1 ? last : { ok: true, detail: `${spec.urls.length} urls ok` };
}
