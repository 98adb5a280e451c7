/**
 * Option parsing for mn-conf's subcommands, with the conventions of the original's parser
 * (Scallop): `--name value`, `--name=value`, `-n value`, `-nvalue`, grouped short flags (`-Hj`),
 * `--` ends the options; everything else is a trailing argument.
 */

export interface OptSpec {
  name: string;
  short?: string;
  /** a flag takes no value */
  flag?: boolean;
  required?: boolean;
  descr: string;
  /** printed as the value's name in usage */
  arg?: string;
}

export interface CommandSpec {
  name: string;
  descr: string;
  opts: OptSpec[];
  /** trailing arguments: none, one (required or not), or any number */
  trailing?: { name: string; required: boolean; many?: boolean };
  /** pairs of options that cannot be given together */
  exclusive?: [string, string][];
  /** one of these options must be given */
  oneOf?: string[];
}

export interface ParsedArgs {
  opts: Record<string, string | true | undefined>;
  trailing: string[];
}

/** A usage error: reported as such, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const opts: Record<string, string | true | undefined> = {};
  const trailing: string[] = [];
  const byLong = new Map(spec.opts.map((o) => [o.name, o]));
  const byShort = new Map(spec.opts.filter((o) => o.short).map((o) => [o.short as string, o]));
  const give = (o: OptSpec, value: string | true): void => {
    if (opts[o.name] !== undefined) throw new UsageError(`option '${o.name}' given more than once`);
    opts[o.name] = value;
  };
  let i = 0;
  let optionsEnded = false;
  while (i < argv.length) {
    const a = argv[i++];
    if (optionsEnded || a === '-' || !a.startsWith('-') || /^-\d/.test(a)) {
      trailing.push(a);
      continue;
    }
    if (a === '--') {
      optionsEnded = true;
      continue;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const o = byLong.get(name);
      if (!o) throw new UsageError(`unknown option '${name}'`);
      if (o.flag) {
        if (eq >= 0) throw new UsageError(`option '${name}' takes no value`);
        give(o, true);
      } else if (eq >= 0) give(o, a.slice(eq + 1));
      else {
        if (i >= argv.length) throw new UsageError(`option '${name}' needs a value`);
        give(o, argv[i++]);
      }
      continue;
    }
    // short options, possibly grouped; a value option takes the rest or the next argument
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      const o = byShort.get(c);
      if (!o) throw new UsageError(`unknown option '${c}'`);
      if (o.flag) {
        give(o, true);
        continue;
      }
      const rest = a.slice(j + 1);
      if (rest !== '') give(o, rest);
      else {
        if (i >= argv.length) throw new UsageError(`option '${o.name}' needs a value`);
        give(o, argv[i++]);
      }
      break;
    }
  }
  for (const o of spec.opts) if (o.required && opts[o.name] === undefined) throw new UsageError(`required option '${o.name}' not found`);
  for (const [a, b] of spec.exclusive ?? []) {
    if (opts[a] !== undefined && opts[b] !== undefined) throw new UsageError(`options '${a}' and '${b}' cannot be used together`);
  }
  if (spec.oneOf && !spec.oneOf.some((n) => opts[n] !== undefined)) {
    throw new UsageError(`one of the options ${spec.oneOf.map((n) => `'${n}'`).join(', ')} is required`);
  }
  const t = spec.trailing;
  if (!t && trailing.length > 0) throw new UsageError(`excess arguments provided: '${trailing.join(' ')}'`);
  if (t && t.required && trailing.length === 0) throw new UsageError(`required trailing argument '${t.name}' not found`);
  if (t && !t.many && trailing.length > 1) throw new UsageError(`excess arguments provided: '${trailing.slice(1).join(' ')}'`);
  return { opts, trailing };
}

/** The usage text of a subcommand. */
export function commandUsage(spec: CommandSpec): string {
  const lines = [`mn-conf ${spec.name}: ${spec.descr}`];
  for (const o of spec.opts) {
    const names = `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.flag ? '' : ` <${o.arg ?? 'arg'}>`}`;
    lines.push(`  ${names.padEnd(28)} ${o.descr}${o.required ? ' (required)' : ''}`);
  }
  if (spec.trailing) lines.push(`  ${spec.trailing.name.padEnd(28)}   ${spec.trailing.required ? '(required)' : '(optional)'}`);
  return `${lines.join('\n')}\n`;
}
