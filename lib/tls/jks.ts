/**
 * Java KeyStore (JKS) files, read with node:crypto (auth-https-deploy.md §2.4): the store's
 * integrity hash is checked (SHA-1 over the password as UTF-16BE, "Mighty Aphrodite" and the
 * content), then each private key entry is decrypted with Sun's JKS key protection (SHA-1
 * keystream, XOR) and its check value verified. Big-endian throughout.
 *
 *   magic FEEDFEED, version 1|2, entry count,
 *   entries: tag (1 key | 2 trusted cert), alias (UTF), date (i64),
 *     key: len + EncryptedPrivateKeyInfo (DER), chain count, certs (type UTF if v2, len + DER)
 *     cert: (type UTF if v2), len + DER
 *   SHA-1 digest (20 bytes)
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const JKS_MAGIC = 0xfeedfeed;
export const JCEKS_MAGIC = 0xcececece;
/** Sun's proprietary JKS key protection algorithm. */
const KEY_PROTECTOR_OID = '1.3.6.1.4.1.42.2.17.1.1';

export class KeystoreError extends Error {
  override name = 'KeystoreError';
  constructor(
    message: string,
    readonly kind: 'password' | 'corrupt' | 'unsupported' | 'no-key',
  ) {
    super(message);
  }
}

export interface JksPrivateKeyEntry {
  alias: string;
  /** PKCS#8 PrivateKeyInfo, DER */
  pkcs8: Buffer;
  /** certificate chain, DER, leaf first */
  chain: Buffer[];
}

export interface JksStore {
  keys: JksPrivateKeyEntry[];
  trusted: { alias: string; cert: Buffer }[];
}

/** The password as Java chars, big-endian: what JKS hashes. */
function passwordBytes(password: string): Buffer {
  const le = Buffer.from(password, 'utf16le');
  const be = Buffer.alloc(le.length);
  for (let i = 0; i + 1 < le.length; i += 2) {
    be[i] = le[i + 1];
    be[i + 1] = le[i];
  }
  return be;
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new KeystoreError('JKS key store is truncated or corrupt', 'corrupt');
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** Java's DataInput.readUTF (modified UTF-8; plain UTF-8 for everything but U+0000 and astral pairs). */
  utf(): string {
    return this.bytes(this.u16()).toString('utf8');
  }
}

/** Minimal DER reading: one TLV at `pos`. */
function tlv(buf: Buffer, pos: number): { tag: number; start: number; end: number } {
  if (pos + 2 > buf.length) throw new KeystoreError('malformed DER in JKS key entry', 'corrupt');
  const tag = buf[pos];
  let len = buf[pos + 1];
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw new KeystoreError('malformed DER in JKS key entry', 'corrupt');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i];
    start += n;
  }
  const end = start + len;
  if (end > buf.length) throw new KeystoreError('malformed DER in JKS key entry', 'corrupt');
  return { tag, start, end };
}

function oidText(der: Buffer): string {
  const parts: number[] = [];
  const first = der[0];
  parts.push(Math.floor(first / 40), first % 40);
  let v = 0;
  for (let i = 1; i < der.length; i++) {
    const b = der[i];
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier { OID, params }, OCTET STRING } */
function encryptedKeyInfo(der: Buffer): { oid: string; data: Buffer } {
  const seq = tlv(der, 0);
  if (seq.tag !== 0x30) throw new KeystoreError('JKS key entry is not an EncryptedPrivateKeyInfo', 'corrupt');
  const alg = tlv(der, seq.start);
  if (alg.tag !== 0x30) throw new KeystoreError('JKS key entry is not an EncryptedPrivateKeyInfo', 'corrupt');
  const oid = tlv(der, alg.start);
  if (oid.tag !== 0x06) throw new KeystoreError('JKS key entry is not an EncryptedPrivateKeyInfo', 'corrupt');
  const data = tlv(der, alg.end);
  if (data.tag !== 0x04) throw new KeystoreError('JKS key entry is not an EncryptedPrivateKeyInfo', 'corrupt');
  return { oid: oidText(der.subarray(oid.start, oid.end)), data: der.subarray(data.start, data.end) };
}

/** Sun's KeyProtector.recover: salt(20) ‖ XOR-encrypted key ‖ SHA-1 check(20). */
function recoverKey(protectedKey: Buffer, pw: Buffer, alias: string): Buffer {
  if (protectedKey.length < 41) throw new KeystoreError(`JKS key entry '${alias}' is too short`, 'corrupt');
  const salt = protectedKey.subarray(0, 20);
  const encrypted = protectedKey.subarray(20, protectedKey.length - 20);
  const check = protectedKey.subarray(protectedKey.length - 20);
  const plain = Buffer.alloc(encrypted.length);
  let digest: Buffer = salt;
  for (let off = 0; off < encrypted.length; off += 20) {
    digest = createHash('sha1').update(pw).update(digest).digest();
    for (let i = 0; i < 20 && off + i < encrypted.length; i++) plain[off + i] = encrypted[off + i] ^ digest[i];
  }
  const expected = createHash('sha1').update(pw).update(plain).digest();
  if (!timingSafeEqual(expected, check)) {
    throw new KeystoreError(`the password does not unlock the private key '${alias}' (the key password must equal the store password)`, 'password');
  }
  return plain;
}

export function isJks(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32BE(0) === JKS_MAGIC;
}

export function isJceks(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32BE(0) === JCEKS_MAGIC;
}

/** Reads a JKS store; throws KeystoreError ('password' for a wrong password, 'corrupt' otherwise). */
export function readJks(buf: Buffer, password: string): JksStore {
  if (!isJks(buf)) throw new KeystoreError('not a JKS key store', 'corrupt');
  if (buf.length < 12 + 20) throw new KeystoreError('JKS key store is truncated or corrupt', 'corrupt');
  const pw = passwordBytes(password);
  // integrity first: a wrong password and a damaged file look the same here, as in Java
  const body = buf.subarray(0, buf.length - 20);
  const digest = createHash('sha1').update(pw).update('Mighty Aphrodite', 'utf8').update(body).digest();
  if (!timingSafeEqual(digest, buf.subarray(buf.length - 20))) {
    throw new KeystoreError('Keystore was tampered with, or password was incorrect', 'password');
  }
  const r = new Reader(body);
  r.u32();
  const version = r.u32();
  if (version !== 1 && version !== 2) throw new KeystoreError(`unsupported JKS version ${version}`, 'corrupt');
  const count = r.u32();
  const store: JksStore = { keys: [], trusted: [] };
  const certificate = (): Buffer => {
    if (version === 2) {
      const type = r.utf();
      if (type !== 'X.509') throw new KeystoreError(`unsupported certificate type '${type}' in JKS key store`, 'unsupported');
    }
    return Buffer.from(r.bytes(r.u32()));
  };
  for (let i = 0; i < count; i++) {
    const tag = r.u32();
    const alias = r.utf();
    r.bytes(8); // creation date
    if (tag === 1) {
      const info = encryptedKeyInfo(r.bytes(r.u32()));
      const chainLength = r.u32();
      const chain: Buffer[] = [];
      for (let c = 0; c < chainLength; c++) chain.push(certificate());
      if (info.oid !== KEY_PROTECTOR_OID) {
        throw new KeystoreError(`JKS key entry '${alias}' is protected with unsupported algorithm ${info.oid}`, 'unsupported');
      }
      store.keys.push({ alias, pkcs8: recoverKey(info.data, pw, alias), chain });
    } else if (tag === 2) {
      store.trusted.push({ alias, cert: certificate() });
    } else {
      throw new KeystoreError(`unknown JKS entry type ${tag}`, 'corrupt');
    }
  }
  if (r.pos !== body.length) throw new KeystoreError('JKS key store has trailing data', 'corrupt');
  return store;
}
