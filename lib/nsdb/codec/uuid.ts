/**
 * UUID strings and their `org.midonet.cluster.models.UUID { msb, lsb }` form (nsdb-models.md §1.1).
 *
 * The halves are unsigned 64-bit values, because that is how the text printer writes them; Java
 * holds the same bits in signed longs, so a half ≥ 2^63 is a negative Java long.
 */
import { randomUUID } from 'node:crypto';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * Canonical 8-4-4-4-12 form, hex digits of either case (Java accepts upper case on input). The
 * looser shapes `java.util.UUID.fromString` tolerates are rejected, as the REST layer does.
 */
export function isUuid(s: unknown): s is string {
  if (typeof s !== 'string' || s.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!isHex(c)) {
      return false;
    }
  }
  return true;
}

/** Lower-case canonical form; throws on anything that is not a UUID string. */
export function normalizeUuid(s: string): string {
  if (!isUuid(s)) throw new Error(`Invalid UUID string: ${describe(s)}`);
  return s.toLowerCase();
}

export function uuidToHalves(s: string): { msb: bigint; lsb: bigint } {
  if (!isUuid(s)) throw new Error(`Invalid UUID string: ${describe(s)}`);
  return {
    msb: BigInt(`0x${s.slice(0, 8)}${s.slice(9, 13)}${s.slice(14, 18)}`),
    lsb: BigInt(`0x${s.slice(19, 23)}${s.slice(24, 36)}`),
  };
}

/**
 * Canonical lower-case string of the two halves. Accepts unsigned values (as parsed from text) and
 * negative values as Java signed longs would carry them.
 */
export function halvesToUuid(msb: bigint, lsb: bigint): string {
  const m = toHex16(msb, 'msb');
  const l = toHex16(lsb, 'lsb');
  return `${m.slice(0, 8)}-${m.slice(8, 12)}-${m.slice(12, 16)}-${l.slice(0, 4)}-${l.slice(4, 16)}`;
}

export function randomUuid(): string {
  return randomUUID();
}

function toHex16(v: bigint, which: string): string {
  if (typeof v !== 'bigint' || v < I64_MIN || v > U64_MAX) {
    throw new Error(`UUID ${which} out of 64-bit range: ${String(v)}`);
  }
  return BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}

function describe(s: unknown): string {
  return typeof s === 'string' ? JSON.stringify(s) : String(s);
}
