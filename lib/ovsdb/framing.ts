/**
 * OVSDB's JSON-RPC framing (RFC 7047 §4): JSON texts back to back on a byte stream, with no
 * delimiter and no length prefix. A message ends where its outermost object or array closes, so
 * the splitter tracks nesting depth and string state byte by byte, across chunk boundaries.
 *
 * It works on bytes, not decoded text: every structural character ({ } [ ] " \) is ASCII, and no
 * byte of a multi-byte UTF-8 sequence is below 0x80, so a character split between two TCP chunks
 * can neither be mistaken for one nor be corrupted by decoding half of it. Each byte is looked at
 * once; the bytes of a message that spans chunks are copied once, when it is complete (callers
 * must not reuse a chunk's memory after pushing it, which a socket never does).
 */

export class FramingError extends Error {
  override name = 'FramingError';
}

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

function isJsonWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Default bound on one message: a whole-database monitor dump of a large VTEP stays well below. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

export class JsonFrameSplitter {
  /** pieces of the message being read (the first starts at its opening bracket) */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private broken: FramingError | undefined;

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /**
   * Feeds bytes; returns the complete JSON texts they finish, in order. Throws a FramingError when
   * the stream cannot be JSON texts back to back (a byte outside any value that is not whitespace,
   * a stray closing bracket, a message over the size bound); after that the stream is out of step
   * for good and every later call throws the same error.
   */
  push(chunk: Buffer): Buffer[] {
    if (this.broken) throw this.broken;
    const out: Buffer[] = [];
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.depth === 0) {
        if (isJsonWhitespace(b)) continue;
        if (b !== OPEN_OBJECT && b !== OPEN_ARRAY) {
          return this.fail(`unexpected byte 0x${b.toString(16).padStart(2, '0')} between messages`);
        }
        this.depth = 1;
        start = i;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN_OBJECT || b === OPEN_ARRAY) this.depth++;
      else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        this.depth--;
        if (this.depth === 0) {
          const tail = chunk.subarray(start, i + 1);
          const frame = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail], this.partsBytes + tail.length);
          if (frame.length > this.maxFrameBytes) return this.fail(`message of ${frame.length} bytes exceeds the ${this.maxFrameBytes} byte limit`);
          this.parts = [];
          this.partsBytes = 0;
          out.push(frame);
          start = -1;
        }
      }
    }
    if (this.depth > 0 && start >= 0) {
      // Kept by reference: a socket hands out a fresh buffer for every read.
      const piece = chunk.subarray(start);
      this.parts.push(piece);
      this.partsBytes += piece.length;
      if (this.partsBytes > this.maxFrameBytes) return this.fail(`message exceeds the ${this.maxFrameBytes} byte limit`);
    }
    return out;
  }

  /** Bytes of an unfinished message held back (0 between messages). */
  get pendingBytes(): number {
    return this.partsBytes;
  }

  private fail(msg: string): never {
    this.broken = new FramingError(msg);
    this.parts = [];
    this.partsBytes = 0;
    throw this.broken;
  }
}
