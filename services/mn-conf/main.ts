/**
 * `mn-conf`: the command (deploy/bin/mn-conf). Logging is off, as in the original; everything
 * the tool has to say goes to stdout/stderr, and the exit code says how it went (./tool.ts).
 */
import { configureLogging } from '../../lib/log/logger.js';
import { runMnConf } from './tool.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

configureLogging({ silent: true });
const out: string[] = [];
const err: string[] = [];
const code = await runMnConf(process.argv.slice(2), {
  stdout: (s) => out.push(s),
  stderr: (s) => err.push(s),
  stdin: readStdin,
  env: process.env,
});
// written at the end, then exit once both are flushed (a pipe may be slower than the process)
let pending = 2;
const done = (): void => {
  if (--pending === 0) process.exit(code);
};
process.stdout.write(out.join(''), done);
process.stderr.write(err.join(''), done);
