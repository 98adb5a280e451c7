/**
 * Binary protobuf encoding of the provenance node `objects/<Class>/<id>` (storage.md §2.3):
 *
 *   ZoomObject     { repeated ZoomProvenance provenance = 1; }
 *   ZoomProvenance { optional string product_version = 1; optional string product_commit = 2;
 *                    optional int32 change_owner = 3; optional int32 change_type = 4;
 *                    optional int32 change_version = 5; }
 *
 * Hand-written rather than generated: five fields do not justify a reflection-based codec on every
 * transactional read, and writing it out pins the exact bytes protobuf-java produces (fields in
 * number order, only the set ones, negative int32 as a ten-byte sign-extended varint).
 */

export interface ZoomProvenance {
  productVersion?: string;
  productCommit?: string;
  changeOwner?: number;
  changeType?: number;
  changeVersion?: number;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

class Writer {
  private buf = Buffer.allocUnsafe(64);
  len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** Unsigned varint of a non-negative safe integer. */
  uvarint(v: number): void {
    this.ensure(10);
    while (v > 0x7f) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  int32(v: number): void {
    if (v >= 0) {
      this.uvarint(v);
      return;
    }
    // int32 fields are widened to int64 on the wire, so a negative value always takes ten bytes.
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x > 0x7fn) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  bytes(b: Buffer): void {
    this.uvarint(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }

  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

function checkInt32(v: unknown, field: string, index: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
    throw new Error(`ZoomProvenance[${index}].${field}: expected a 32-bit signed integer, got ${String(v)}`);
  }
  return v;
}

function checkString(v: unknown, field: string, index: number): string {
  if (typeof v !== 'string') throw new Error(`ZoomProvenance[${index}].${field}: expected a string, got ${typeof v}`);
  return v;
}

export function encodeZoomObject(provenance: readonly ZoomProvenance[]): Buffer {
  const out = new Writer();
  provenance.forEach((p, i) => {
    const w = new Writer();
    if (p.productVersion !== undefined) {
      w.byte((1 << 3) | WIRE_LENGTH);
      w.bytes(Buffer.from(checkString(p.productVersion, 'productVersion', i), 'utf8'));
    }
    if (p.productCommit !== undefined) {
      w.byte((2 << 3) | WIRE_LENGTH);
      w.bytes(Buffer.from(checkString(p.productCommit, 'productCommit', i), 'utf8'));
    }
    if (p.changeOwner !== undefined) {
      w.byte((3 << 3) | WIRE_VARINT);
      w.int32(checkInt32(p.changeOwner, 'changeOwner', i));
    }
    if (p.changeType !== undefined) {
      w.byte((4 << 3) | WIRE_VARINT);
      w.int32(checkInt32(p.changeType, 'changeType', i));
    }
    if (p.changeVersion !== undefined) {
      w.byte((5 << 3) | WIRE_VARINT);
      w.int32(checkInt32(p.changeVersion, 'changeVersion', i));
    }
    out.byte((1 << 3) | WIRE_LENGTH);
    out.bytes(w.finish());
  });
  return out.finish();
}

class Reader {
  pos: number;
  constructor(
    private readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  private fail(what: string): never {
    throw new Error(`Malformed ZoomObject: ${what} at byte ${this.pos}`);
  }

  /**
   * A varint truncated to its low 32 bits, as protobuf-java's readRawVarint32 does for int32 fields,
   * tags and lengths.
   */
  varint32(): number {
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      if (shift < 32) result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result | 0;
    }
    return this.fail('varint longer than ten bytes');
  }

  tag(): number {
    const t = this.varint32();
    if (t >>> 3 === 0) this.fail('field number zero');
    return t;
  }

  length(): number {
    const n = this.varint32();
    if (n < 0 || this.pos + n > this.end) this.fail('length out of bounds');
    return n;
  }

  string(): string {
    const n = this.length();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint32();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LENGTH: {
        // Not `this.pos += this.length()`: that would add to the position read before the length.
        const n = this.length();
        this.pos += n;
        return;
      }
      case WIRE_FIXED32:
        this.advance(4);
        return;
      case WIRE_START_GROUP:
        for (;;) {
          const tag = this.tag();
          if ((tag & 7) === WIRE_END_GROUP) return;
          this.skip(tag & 7);
        }
      default:
        this.fail(`invalid wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) this.fail('truncated field');
    this.pos += n;
  }
}

export function decodeZoomObject(data: Buffer): ZoomProvenance[] {
  const r = new Reader(data, 0, data.length);
  const result: ZoomProvenance[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LENGTH) {
      const n = r.length();
      result.push(decodeProvenance(data, r.pos, r.pos + n));
      r.pos += n;
    } else {
      // Mismatched wire types are unknown fields to protobuf-java too; they are dropped here.
      r.skip(tag & 7);
    }
  }
  return result;
}

function decodeProvenance(data: Buffer, start: number, end: number): ZoomProvenance {
  const r = new Reader(data, start, end);
  const p: ZoomProvenance = {};
  while (r.pos < r.end) {
    const tag = r.tag();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        if (wire === WIRE_LENGTH) {
          p.productVersion = r.string();
          continue;
        }
        break;
      case 2:
        if (wire === WIRE_LENGTH) {
          p.productCommit = r.string();
          continue;
        }
        break;
      case 3:
        if (wire === WIRE_VARINT) {
          p.changeOwner = r.varint32();
          continue;
        }
        break;
      case 4:
        if (wire === WIRE_VARINT) {
          p.changeType = r.varint32();
          continue;
        }
        break;
      case 5:
        if (wire === WIRE_VARINT) {
          p.changeVersion = r.varint32();
          continue;
        }
        break;
    }
    r.skip(wire);
  }
  return p;
}
