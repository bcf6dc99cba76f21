/**
 * Samples one address on one interface every few ms, inside a lab host:
 *   node vip-sampler.js <ifname> <address> <intervalMs>
 * Reads the addresses with getifaddrs (os.networkInterfaces: netlink, no
 * process spawned per sample) and prints a JSON line at each change
 * ({"t":<epoch ms>,"has":true|false}) and once a second how many samples it
 * took and the largest gap between two of them ({"t":..,"samples":..,"maxGap":..}).
 */
import * as os from 'node:os';

const [ifname, address, interval] = process.argv.slice(2);
const every = Number(interval) || 10;
const now = () => performance.timeOrigin + performance.now();
let last: boolean | undefined;
let samples = 0;
let prev = now();
let maxGap = 0;
let reportAt = prev + 1000;
const sample = () => {
  const t = now();
  maxGap = Math.max(maxGap, t - prev);
  prev = t;
  samples++;
  const has = (os.networkInterfaces()[ifname] ?? []).some((a) => a.address === address);
  if (has !== last) {
    last = has;
    process.stdout.write(JSON.stringify({ t, has }) + '\n');
  }
  if (t >= reportAt) {
    process.stdout.write(JSON.stringify({ t, samples, maxGap: Math.round(maxGap * 10) / 10 }) + '\n');
    samples = 0;
    maxGap = 0;
    reportAt = t + 1000;
  }
};
setInterval(sample, every);
sample();
