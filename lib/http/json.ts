/**
 * JSON with exact 64-bit integers. The API has Java `long` fields whose values do not fit a double
 * (a trace request's `limit` defaults to 9223372036854775807, rest-api-extras.md §1.6): a client
 * that reads one and sends it back must get the same number through. Integer literals that are
 * not safe doubles are read as bigints, and bigints are written as integer literals.
 */

/** Marks a bigint inside JSON.stringify's output; a per-process nonce keeps it from clashing with text. */
const MARK = `\u0000${Math.random().toString(36).slice(2)}:`;
const MARKED = new RegExp(`"${JSON.stringify(MARK).slice(1, -1).replace(/\\/g, '\\\\')}(-?\\d+)"`, 'g');

/** Strings (skipped as they are) or integer literals of 16 digits or more. */
const LONG_INTEGERS = /"(?:[^"\\]|\\.)*"|-?\d{16,}(?![.eE\d])/g;

/** JSON.parse, with integer literals beyond the safe range as bigints. */
export function parseJson(text: string): unknown {
  if (!/\d{16}/.test(text) || text.includes(MARK)) return JSON.parse(text);
  let found = false;
  const marked = text.replace(LONG_INTEGERS, (tok) => {
    if (tok.startsWith('"') || Number.isSafeInteger(Number(tok))) return tok;
    found = true;
    return JSON.stringify(`${MARK}${tok}`);
  });
  if (!found) return JSON.parse(text);
  return JSON.parse(marked, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(MARK) ? BigInt(v.slice(MARK.length)) : v));
}

/** JSON.stringify, with bigints as exact integer literals. */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (e) {
    // only a bigint makes JSON.stringify throw here: take the slow path with a replacer
    if (!(e instanceof TypeError)) throw e;
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${MARK}${v}` : v)).replace(MARKED, '$1');
  }
}
