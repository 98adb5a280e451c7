/**
 * `node --import tsx bench/profile-top.ts FILE.cpuprofile [N] [--callers NEEDLE [DEPTH]]`: the top N
 * functions of a CPU profile, or the call chains leading to the functions named like NEEDLE.
 */
import { callersOf, summarizeProfile } from './lib/cpu-profile.js';

const [file, ...rest] = process.argv.slice(2);
if (!file) throw new Error('usage: bench/profile-top.ts FILE.cpuprofile [N] [--callers NEEDLE [DEPTH]]');
if (rest[0] === '--callers') process.stdout.write(`${callersOf(file, rest[1] ?? '', Number(rest[2] ?? 4))}\n`);
else process.stdout.write(`${summarizeProfile(file, Number(rest[0] ?? 30))}\n`);
