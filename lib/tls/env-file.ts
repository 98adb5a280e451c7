/**
 * Where the HTTPS key store and its password come from (auth-https-deploy.md §2.1, §3.3): the
 * JVM system properties `-Dmidonet.keystore_path=` / `-Dmidonet.keystore_password=` that
 * operators append to `JVM_OPTS` in `/etc/midonet-cluster/midonet-cluster-env.sh`:
 *
 *   JVM_OPTS="$JVM_OPTS -Dmidonet.keystore_path=/etc/midonet-cluster/ssl/midonet.jks"
 *   JVM_OPTS="$JVM_OPTS -Dmidonet.keystore_password=secret"
 *
 * The file is shell, made to be sourced by the launcher (it appends to `$JVM_OPTS`, may compute
 * values, and the original's own version even exits when it finds no Java 8). So it is evaluated
 * the way the launcher does it: sourced by `/bin/sh` in a child process, whose EXIT trap writes
 * the resulting `JVM_OPTS` to a separate descriptor (what the file prints is ignored). If the
 * file stops early (`exit`, an error), the assignments that follow are read from its text
 * instead, literally: `JVM_OPTS="$JVM_OPTS ..."` lines without other expansions.
 * `JVM_OPTS` is then split on blanks, as the launcher's unquoted `$JVM_OPTS` is.
 *
 * The environment variables MIDONET_KEYSTORE_PATH / MIDONET_KEYSTORE_PASSWORD override both.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export const DEFAULT_ENV_FILE = '/etc/midonet-cluster/midonet-cluster-env.sh';
export const DEFAULT_KEYSTORE_PATH = '/etc/midonet-cluster/ssl/midonet.jks';
export const KEYSTORE_PATH_PROPERTY = 'midonet.keystore_path';
export const KEYSTORE_PASSWORD_PROPERTY = 'midonet.keystore_password';

export interface EnvFileResult {
  /** the file read, or null when there was none */
  file: string | null;
  jvmOpts: string[];
  /** `-Dname=value` properties found in JVM_OPTS (last one wins) */
  properties: Record<string, string>;
  /** what went wrong evaluating the file, if anything (for a warning; never contains values) */
  warning?: string;
}

/** `-Dkey=value` tokens of a JVM option list; later ones win, as with the JVM. */
export function systemProperties(tokens: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tokens) {
    const m = /^-D([^=]+)(?:=(.*))?$/s.exec(t);
    if (m) out[m[1]] = m[2] ?? '';
  }
  return out;
}

function splitOpts(text: string): string[] {
  return text.split(/[ \t\n]+/).filter((t) => t !== '');
}

/**
 * The literal reading: lines `JVM_OPTS="$JVM_OPTS <text>"` (or `${JVM_OPTS}`, or single-quoted
 * text after it) whose text has no further `$`/backquote expansion; other lines are ignored.
 */
export function literalJvmOpts(source: string): string[] {
  const tokens: string[] = [];
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const m = /^(?:export\s+)?JVM_OPTS=(?:"\$\{?JVM_OPTS\}?([^"`$\\]*)"|"\$\{?JVM_OPTS\}?"'([^']*)')\s*(?:#.*)?$/.exec(line);
    if (!m) continue;
    tokens.push(...splitOpts(m[1] ?? m[2] ?? ''));
  }
  return tokens;
}

/** Runs the file with /bin/sh and returns the JVM_OPTS it leaves (trap on EXIT: also after `exit`). */
function evaluate(file: string, timeoutMs: number): { opts: string | null; status: number | null; error?: string } {
  // fd 3 carries the result; the file's own stdout/stderr are discarded
  const script = 'trap \'printf "%s" "$JVM_OPTS" >&3\' EXIT; . "$1"';
  const r = spawnSync('/bin/sh', ['-c', script, 'midonet-cluster-env', file], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
    env: { ...process.env, JVM_OPTS: process.env['JVM_OPTS'] ?? '' },
    encoding: 'utf8',
  });
  if (r.error) return { opts: null, status: null, error: r.error.message };
  const out = (r.output?.[3] as string | null | undefined) ?? null;
  return { opts: out, status: r.status };
}

/** Reads the env file (if it exists); never throws for a broken file, it warns. */
export function readEnvFile(file: string = DEFAULT_ENV_FILE, timeoutMs = 10_000): EnvFileResult {
  if (!existsSync(file)) return { file: null, jvmOpts: [], properties: {} };
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    return { file, jvmOpts: [], properties: {}, warning: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  const r = evaluate(file, timeoutMs);
  let jvmOpts: string[];
  let warning: string | undefined;
  if (r.opts !== null && r.status === 0) {
    jvmOpts = splitOpts(r.opts);
  } else {
    // stopped early (or no shell): what it had set, plus the literal assignments of the whole file
    const evaluated = r.opts !== null ? splitOpts(r.opts) : [];
    jvmOpts = [...evaluated, ...literalJvmOpts(source)];
    warning = `${file} did not run to its end under /bin/sh (${r.error ?? `exit status ${r.status}`}); its JVM_OPTS lines were also read literally`;
  }
  return { file, jvmOpts, properties: systemProperties(jvmOpts), warning };
}

export interface KeystoreSettings {
  path: string;
  password?: string;
  /** where the path came from: 'env', 'env-file', 'default' */
  pathSource: 'env' | 'env-file' | 'default';
  passwordSource?: 'env' | 'env-file';
  envFile: EnvFileResult;
}

/** The key store path and password: environment, then the env file's JVM_OPTS, then the default path. */
export function keystoreSettings(opts: { envFile?: string | null; env?: NodeJS.ProcessEnv } = {}): KeystoreSettings {
  const env = opts.env ?? process.env;
  const envFile: EnvFileResult = opts.envFile === null ? { file: null, jvmOpts: [], properties: {} } : readEnvFile(opts.envFile ?? DEFAULT_ENV_FILE);
  const p = envFile.properties;
  const envPath = env['MIDONET_KEYSTORE_PATH'];
  const envPassword = env['MIDONET_KEYSTORE_PASSWORD'];
  const out: KeystoreSettings = { path: DEFAULT_KEYSTORE_PATH, pathSource: 'default', envFile };
  if (envPath !== undefined && envPath !== '') Object.assign(out, { path: envPath, pathSource: 'env' });
  else if (p[KEYSTORE_PATH_PROPERTY]) Object.assign(out, { path: p[KEYSTORE_PATH_PROPERTY], pathSource: 'env-file' });
  if (envPassword !== undefined) Object.assign(out, { password: envPassword, passwordSource: 'env' });
  else if (p[KEYSTORE_PASSWORD_PROPERTY] !== undefined) Object.assign(out, { password: p[KEYSTORE_PASSWORD_PROPERTY], passwordSource: 'env-file' });
  return out;
}
