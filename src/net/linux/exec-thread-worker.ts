/** The worker thread of CommandThread: runs one command per message, answers with its exit code and output. */
import { execFile } from 'node:child_process';
import { parentPort } from 'node:worker_threads';

interface Job {
  id: number;
  cmd: string;
  args: string[];
  input?: string;
  timeoutMs: number;
}

parentPort?.on('message', (j: Job) => {
  const child = execFile(j.cmd, j.args, { timeout: j.timeoutMs, maxBuffer: 4 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
    const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as unknown as { code: number }).code : 1) : 0;
    parentPort?.postMessage({ id: j.id, code, stdout, stderr: stderr || (err && code === 1 ? err.message : '') });
  });
  // A command that exits without reading its input (ip) makes the write fail with EPIPE: its exit status says what happened.
  child.stdin?.on('error', () => {});
  child.stdin?.end(j.input);
});
