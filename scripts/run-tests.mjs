#!/usr/bin/env node
// Runs every test file under test/ with node's built-in runner (TypeScript through tsx), one
// `node --test` process per file. Files run in parallel (MIDO_TEST_JOBS at a time), except the
// few listed in SERIAL below, which run afterwards one at a time with nothing else running: they
// kill processes, pause them, expire sessions or put the machine under load, and their timings
// must not depend on what else happens to be running. Every other file, including new ones, is
// parallel: integration tests share one ZooKeeper and keep to a root key of their own
// (test/support/zk.ts), so they never see each other's data.
//
// ZooKeeper: MIDO_TEST_ZK when set (CI starts one); otherwise this runner starts one standalone
// server for the whole run (test/support/zk-server.ts) instead of one per test process.
//
// Output: each file's report is printed whole when the file ends (never interleaved), then one
// summary for the whole run in the runner's own format (`# tests N` ... `# duration_ms N`, or the
// spec reporter's `ℹ tests N` on a terminal), the last thing printed.
//
// Usage: node scripts/run-tests.mjs [unit|integration|PATH...] [--jobs N]
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/** Files that run alone, after the parallel ones, and why. */
const SERIAL = new Map([
  ['test/integration/failover-haproxy.test.ts', 'kill -9 of nodes under load behind HAProxy; session expiry'],
  ['test/integration/failover-zookeeper.test.ts', 'a 3-server ensemble and a standalone server of its own, killed under load'],
  ['test/integration/leader-latch.test.ts', 'SIGKILL/SIGSTOP of latch holders, session expiry, partitions'],
  ['test/integration/nsdb-crash.test.ts', 'writers killed with SIGKILL at random moments, session expiry'],
  ['test/integration/rest-lists-limits.test.ts', 'takes one ZooKeeper request to the 1 MiB limit (a near-1 MiB znode)'],
  ['test/integration/service-discovery.test.ts', 'partitions a 2 s session until the server expires it'],
  ['test/integration/zk-client.test.ts', 'sub-second operation timeouts through a proxy, its own server'],
]);

const SUMMARY_KEYS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms'];

function parseArgs(argv) {
  const only = [];
  let jobs = Number(process.env['MIDO_TEST_JOBS'] || 0);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--jobs') jobs = Number(argv[++i]);
    else only.push(argv[i]);
  }
  // Two per core: most of a test's time is spent waiting on ZooKeeper, child processes and sockets.
  if (!Number.isInteger(jobs) || jobs < 1) jobs = Math.max(2, 2 * availableParallelism());
  return { only, jobs };
}

/** `unit` and `integration` name those directories; anything else is a file or directory path. */
function listFiles(only) {
  const roots = only.length > 0 ? only.map((o) => (/^(unit|integration)$/.test(o) ? join('test', o) : o)) : ['test/unit', 'test/integration'];
  const files = [];
  const walk = (p) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      console.error(`no such test file or directory: ${p}`);
      process.exit(1);
    }
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) walk(join(p, name));
    else if (p.endsWith('.test.ts')) files.push(join(p));
  };
  roots.forEach(walk);
  return files;
}

// --- order ------------------------------------------------------------------------------------

/** How long each file took last time (a cache, not in git): the long ones start first. */
const DURATIONS = 'node_modules/.cache/mido-test-durations.json';

function readDurations() {
  try {
    return JSON.parse(readFileSync(DURATIONS, 'utf8'));
  } catch {
    return {};
  }
}

function saveDurations(measured) {
  try {
    mkdirSync(dirname(DURATIONS), { recursive: true });
    writeFileSync(DURATIONS, JSON.stringify({ ...readDurations(), ...measured }, null, 1) + '\n');
  } catch {
    // only an ordering hint
  }
}

/**
 * Longest first, so that no long file starts last; a file never timed counts as long. Without
 * any times (a fresh clone): integration files first, so the short unit files fill the end.
 */
function longestFirst(list) {
  const known = readDurations();
  const weight = (f) => known[f] ?? (f.startsWith('test/integration') ? Infinity : 0);
  return [...list].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b));
}

// --- the shared ZooKeeper ---------------------------------------------------------------------

/** Starts test/support/zk-server.ts; it stops its server when its stdin closes (we exit). */
function startZooKeeper() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/zk-server.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve({ connectString: line.trim(), stop: () => stopZooKeeper(child) }));
    child.once('exit', (code, signal) => reject(new Error(`could not start the test ZooKeeper (exit ${code ?? signal})`)));
  });
}

function stopZooKeeper(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.stdin.end();
  });
}

// --- one file --------------------------------------------------------------------------------

// the spec reporter's colours (ESC [ ... m)
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/**
 * Runs one file; resolves with its report (without its summary) and its summary's counts. A
 * process that ends badly without reporting a failure (killed, crashed) counts as one failure.
 */
function runFile(file, reporter, env) {
  const began = Date.now();
  return new Promise((resolve) => {
    const args = ['--import', 'tsx', '--test', `--test-reporter=${reporter}`, file];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.once('close', (code, signal) => {
      running.delete(child);
      const counts = Object.fromEntries(SUMMARY_KEYS.map((k) => [k, 0]));
      const kept = [];
      for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
        const m = /^(?:# |ℹ )(\w+) (\d+(?:\.\d+)?)$/.exec(line.replace(ANSI, ''));
        if (m && SUMMARY_KEYS.includes(m[1])) counts[m[1]] += Number(m[2]);
        else kept.push(line);
      }
      while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
      if ((code !== 0 || signal) && counts.fail === 0) {
        counts.fail += 1;
        kept.push(`# ${file}: the test process ended with ${signal ?? `exit code ${code}`} without reporting a failure`);
      }
      resolve({ file, lines: kept, counts, ok: code === 0 && !signal && counts.fail === 0, ms: Date.now() - began });
    });
  });
}

// --- the run ---------------------------------------------------------------------------------

const running = new Set();
const { only, jobs } = parseArgs(process.argv.slice(2));
const files = listFiles(only);
if (files.length === 0) {
  console.error('no test files found under', only.length > 0 ? only.join(', ') : 'test/');
  process.exit(1);
}
const serial = files.filter((f) => SERIAL.has(f));
const parallel = longestFirst(files.filter((f) => !SERIAL.has(f)));
const tty = process.stdout.isTTY === true;
const reporter = tty ? 'spec' : 'tap';

let zk;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    for (const c of running) c.kill(sig);
    void Promise.resolve(zk?.stop()).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

const started = Date.now();
const env = { ...process.env };
if (!env['MIDO_TEST_ZK']?.trim() && files.some((f) => f.startsWith('test/integration'))) {
  zk = await startZooKeeper();
  env['MIDO_TEST_ZK'] = zk.connectString;
}

const total = Object.fromEntries(SUMMARY_KEYS.map((k) => [k, 0]));
const failed = [];
let tapNumber = 0;
if (!tty) process.stdout.write('TAP version 13\n');

const durations = {};
function report(r) {
  durations[r.file] = r.ms;
  for (const k of SUMMARY_KEYS) total[k] += r.counts[k];
  if (!r.ok) failed.push(r.file);
  let out = r.lines;
  if (!tty) {
    // one TAP stream: drop each file's header and plan, number its top-level tests in sequence
    out = out.filter((l) => l !== 'TAP version 13' && !/^1\.\.\d+$/.test(l)).map((l) => l.replace(/^(not ok|ok) \d+/, (_, s) => `${s} ${++tapNumber}`));
  }
  if (out.length > 0) process.stdout.write(out.join('\n') + '\n');
}

async function pool(list, width) {
  const queue = [...list];
  const lane = async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) report(await runFile(f, reporter, env));
  };
  await Promise.all(Array.from({ length: Math.min(width, list.length) }, lane));
}

try {
  await pool(parallel, jobs);
  await pool(serial, 1);
} finally {
  await zk?.stop();
}

total.duration_ms = Date.now() - started;
saveDurations(durations);
if (failed.length > 0) {
  const say = tty ? '✖' : '#';
  process.stdout.write(`${say} failed: ${failed.join(' ')}\n`);
}
if (!tty) process.stdout.write(`1..${tapNumber}\n`);
for (const k of SUMMARY_KEYS) process.stdout.write(`${tty ? 'ℹ' : '#'} ${k} ${total[k]}\n`);
process.exit(failed.length > 0 ? 1 : 0);
