/**
 * The top of a V8 CPU profile (as written by `node --cpu-prof`): time per function, self and
 * inclusive (a function counted once per sample however deep it recurses), as text.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarizeProfile(file: string, top = 30, cwd = process.cwd()): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const label = (f: CallFrame): string => {
    const where = f.url ? `${relative(cwd, f.url.replace(/^file:\/\//, ''))}:${f.lineNumber + 1}` : '';
    return `${f.functionName || '(anonymous)'} ${where}`.trim();
  };
  let total = 0;
  let idle = 0;
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id) as ProfileNode;
    const l = label(n.callFrame);
    total += us;
    if (l === '(idle)') idle += us;
    self.set(l, (self.get(l) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cl = label((byId.get(cur) as ProfileNode).callFrame);
      if (seen.has(cl)) continue;
      seen.add(cl);
      incl.set(cl, (incl.get(cl) ?? 0) + us);
    }
  }
  const busy = total - idle;
  const out: string[] = [`${file}: ${(total / 1000).toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms busy; shares are of busy time`];
  const show = (title: string, m: Map<string, number>): void => {
    out.push('', title);
    const rows = [...m].filter(([l]) => l !== '(idle)' && l !== '(root)').sort((a, b) => b[1] - a[1]);
    for (const [l, us] of rows.slice(0, top)) {
      out.push(`${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${l}`);
    }
  };
  show('self time', self);
  show('inclusive time', incl);
  return out.join('\n');
}

/** Who calls the functions whose label contains `needle`: self time by call chain (`depth` frames up). */
export function callersOf(file: string, needle: string, depth = 4, top = 15, cwd = process.cwd()): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (f: CallFrame): string => {
    const where = f.url ? `${relative(cwd, f.url.replace(/^file:\/\//, ''))}:${f.lineNumber + 1}` : '';
    return `${f.functionName || '(anonymous)'} ${where}`.trim();
  };
  const chains = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i];
    const labels: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) labels.push(label((byId.get(cur) as ProfileNode).callFrame));
    const at = labels.findIndex((l) => l.includes(needle));
    if (at < 0) continue;
    const chain = labels.slice(at, at + depth + 1).join(' <- ');
    chains.set(chain, (chains.get(chain) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  return [...chains]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([c, us]) => `${(us / 1000).toFixed(0).padStart(6)} ms  ${c}`)
    .join('\n');
}
