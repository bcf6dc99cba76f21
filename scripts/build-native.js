#!/usr/bin/env node
// Builds the native addon (src/native) with node-gyp at `npm install`.
// node-gyp cannot download Node's headers here, so use the local ones
// (Debian's /usr/include/node) when they are present.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
if (!fs.existsSync(path.join(root, 'binding.gyp'))) process.exit(0);
const args = ['rebuild'];
if (fs.existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [path.dirname(process.execPath) + '/../lib/node_modules/npm/node_modules', root] });
} catch {
  gyp = null;
}
const cmd = gyp ? process.execPath : 'node-gyp';
const argv = gyp ? [gyp, ...args] : args;
try {
  execFileSync(cmd, argv, { cwd: root, stdio: 'inherit' });
} catch (e) {
  console.error('keepalived-ts: building the native addon failed; the daemon needs it (unit tests do not).');
  process.exit(1);
}
