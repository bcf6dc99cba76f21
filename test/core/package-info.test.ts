import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gitCommit, packageVersion } from '../../src/core/package-info';

test('package version and git commit: loose ref, packed ref, detached HEAD, nothing', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-pkg-'));
  try {
    assert.equal(packageVersion(root), '0.0.0');
    assert.equal(gitCommit(root), 'unknown');
    fs.writeFileSync(path.join(root, 'package.json'), '{"version":"1.2.3"}');
    assert.equal(packageVersion(root), '1.2.3');
    const git = path.join(root, '.git');
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    fs.mkdirSync(path.join(git, 'refs', 'heads'), { recursive: true });
    fs.writeFileSync(path.join(git, 'HEAD'), 'ref: refs/heads/main\n');
    fs.writeFileSync(path.join(git, 'packed-refs'), `# pack-refs with: peeled\n${b} refs/heads/main\n`);
    assert.equal(gitCommit(root), b, 'packed');
    fs.writeFileSync(path.join(git, 'refs', 'heads', 'main'), `${a}\n`);
    assert.equal(gitCommit(root), a, 'a loose ref wins over the packed one');
    fs.writeFileSync(path.join(git, 'HEAD'), `${b}\n`);
    assert.equal(gitCommit(root), b, 'detached');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
