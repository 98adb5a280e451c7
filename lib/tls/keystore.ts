/**
 * The key store of the HTTPS listener, recognised by its content, not its name
 * (auth-https-deploy.md §2.2, §2.4): `midonet.jks` files in the field are JKS or, when written
 * by `keytool -importkeystore` of JDK ≥ 9, PKCS#12.
 *
 * - JKS (FEEDFEED): read here (jks.ts), integrity hash and key check value verified.
 * - JCEKS (CECECECE): refused with the keytool command that converts it.
 * - PKCS#12 (DER, starts with 0x30): handed to OpenSSL (node's `pfx`); a file OpenSSL 3 cannot
 *   decrypt without its legacy provider (RC2-40 / 3DES: OpenSSL 1.x `pkcs12 -export`, JDK 8
 *   keytool) is decoded with node-forge instead (docs/decisions/0006-keystore-formats.md).
 * - PEM with a private key and certificate(s), as a convenience.
 *
 * One password opens the store and the key, as in the original. Every failure is a
 * KeystoreError whose message names the problem and never the password.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import forge from 'node-forge';
import { isJceks, isJks, KeystoreError, readJks } from './jks.js';

export { KeystoreError } from './jks.js';

export type KeystoreFormat = 'jks' | 'pkcs12' | 'pkcs12-legacy' | 'pem';

export interface LoadedKeystore {
  format: KeystoreFormat;
  /** what node's TLS server takes (key/cert PEM, or pfx + passphrase) */
  tls: SecureContextOptions;
  /** JKS: alias of the key entry used */
  alias?: string;
  /** subject and expiry of the server certificate, when known */
  subject?: string;
  notAfter?: string;
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

/** The chain with the certificate of `key` first (if one matches). */
function leafFirst(key: KeyObject, certs: Buffer[]): { chain: string[]; leaf?: X509Certificate } {
  const parsed = certs.map((der) => ({ der, x: new X509Certificate(der) }));
  const i = parsed.findIndex((c) => {
    try {
      return c.x.checkPrivateKey(key);
    } catch {
      return false;
    }
  });
  if (i > 0) parsed.unshift(...parsed.splice(i, 1));
  return { chain: parsed.map((c) => pem('CERTIFICATE', c.der)), leaf: i >= 0 ? parsed[0]?.x : undefined };
}

function fromKeyAndCerts(format: KeystoreFormat, pkcs8: Buffer, certs: Buffer[], alias?: string): LoadedKeystore {
  if (certs.length === 0) throw new KeystoreError(`the key store's private key${alias ? ` '${alias}'` : ''} has no certificate`, 'no-key');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new KeystoreError(`the private key${alias ? ` '${alias}'` : ''} cannot be read: ${(e as Error).message}`, 'corrupt');
  }
  const { chain, leaf } = leafFirst(key, certs);
  if (!leaf) throw new KeystoreError(`no certificate of the key store matches its private key${alias ? ` '${alias}'` : ''}`, 'corrupt');
  return {
    format,
    tls: { key: key.export({ format: 'pem', type: 'pkcs8' }), cert: chain.join('') },
    alias,
    subject: leaf.subject.replace(/\n/g, ', '),
    notAfter: leaf.validTo,
  };
}

function loadJks(buf: Buffer, password: string): LoadedKeystore {
  const store = readJks(buf, password);
  const entry = store.keys[0];
  if (!entry) throw new KeystoreError('the JKS key store holds no private key entry (only trusted certificates)', 'no-key');
  return fromKeyAndCerts('jks', entry.pkcs8, entry.chain, entry.alias);
}

/** OpenSSL's own message for a PKCS#12 whose MAC does not verify: the password is wrong. */
const MAC_FAILURE = /mac verify failure|mac verify error|invalid password/i;

function loadPkcs12(buf: Buffer, password: string): LoadedKeystore {
  let nativeError: Error;
  try {
    createSecureContext({ pfx: buf, passphrase: password });
    return { format: 'pkcs12', tls: { pfx: buf, passphrase: password } };
  } catch (e) {
    nativeError = e as Error;
  }
  if (MAC_FAILURE.test(nativeError.message)) {
    throw new KeystoreError('PKCS#12 key store: MAC verification failed, the password is wrong (or the file damaged)', 'password');
  }
  // OpenSSL 3 without the legacy provider: RC2/3DES-encrypted bags are "unsupported"
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(buf.toString('binary')), false);
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
  } catch (e) {
    const msg = (e as Error).message;
    if (/mac could not be verified|wrong password|invalid password/i.test(msg)) {
      throw new KeystoreError('PKCS#12 key store: the password is wrong (or the file damaged)', 'password');
    }
    throw new KeystoreError(`PKCS#12 key store cannot be read: ${nativeError.message}; ${msg}`, 'corrupt');
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids['pkcs8ShroudedKeyBag'] })[forge.pki.oids['pkcs8ShroudedKeyBag']] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids['keyBag'] })[forge.pki.oids['keyBag']] ?? []),
  ];
  const certBags = p12.getBags({ bagType: forge.pki.oids['certBag'] })[forge.pki.oids['certBag']] ?? [];
  const bag = keyBags[0];
  if (!bag) throw new KeystoreError('the PKCS#12 key store holds no private key', 'no-key');
  const keyAsn1 = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
  if (!keyAsn1) throw new KeystoreError('the PKCS#12 private key cannot be read', 'corrupt');
  const der = (a: forge.asn1.Asn1): Buffer => Buffer.from(forge.asn1.toDer(a).getBytes(), 'binary');
  const certs: Buffer[] = [];
  for (const c of certBags) {
    if (c.cert) certs.push(der(forge.pki.certificateToAsn1(c.cert)));
    else if (c.asn1) certs.push(der(c.asn1));
  }
  return fromKeyAndCerts('pkcs12-legacy', der(keyAsn1), certs);
}

function loadPem(text: string, password: string): LoadedKeystore {
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)];
  const keyBlock = blocks.find((b) => /PRIVATE KEY$/.test(b[1]));
  const certBlocks = blocks.filter((b) => b[1] === 'CERTIFICATE');
  if (!keyBlock) throw new KeystoreError('the PEM file holds no private key', 'no-key');
  if (certBlocks.length === 0) throw new KeystoreError('the PEM file holds no certificate', 'no-key');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyBlock[0], format: 'pem', passphrase: password });
  } catch (e) {
    const msg = (e as Error).message;
    if (/bad decrypt|passphrase|decrypt/i.test(msg)) throw new KeystoreError('the PEM private key does not open with the password', 'password');
    throw new KeystoreError(`the PEM private key cannot be read: ${msg}`, 'corrupt');
  }
  const certs = certBlocks.map((b) => new X509Certificate(b[0]).raw);
  return fromKeyAndCerts('pem', key.export({ format: 'der', type: 'pkcs8' }), certs);
}

/** Which kind of store these bytes are, or null. */
export function sniffKeystore(buf: Buffer): KeystoreFormat | 'jceks' | null {
  if (isJks(buf)) return 'jks';
  if (isJceks(buf)) return 'jceks';
  if (buf.length > 0 && buf[0] === 0x30) return 'pkcs12';
  if (buf.subarray(0, 4096).toString('latin1').includes('-----BEGIN')) return 'pem';
  return null;
}

/** Reads and checks a key store (including that its key and certificate work for TLS). */
export function loadKeystoreBytes(buf: Buffer, password: string | undefined): LoadedKeystore {
  const pw = password ?? '';
  const format = sniffKeystore(buf);
  let out: LoadedKeystore;
  try {
    switch (format) {
      case 'jks':
        out = loadJks(buf, pw);
        break;
      case 'jceks':
        throw new KeystoreError(
          'JCEKS key stores are not supported; convert it: keytool -importkeystore -srckeystore FILE -srcstoretype JCEKS -destkeystore midonet.p12 -deststoretype PKCS12',
          'unsupported',
        );
      case 'pkcs12':
        out = loadPkcs12(buf, pw);
        break;
      case 'pem':
        out = loadPem(buf.toString('utf8'), pw);
        break;
      default:
        throw new KeystoreError('unrecognised key store format (expected JKS, PKCS#12 or PEM)', 'unsupported');
    }
  } catch (e) {
    if (e instanceof KeystoreError && e.kind === 'password' && password === undefined) {
      throw new KeystoreError(`${e.message}; no key store password is set (-Dmidonet.keystore_password or MIDONET_KEYSTORE_PASSWORD)`, 'password');
    }
    throw e;
  }
  if (out.format !== 'pkcs12') {
    try {
      createSecureContext(out.tls);
    } catch (e) {
      throw new KeystoreError(`the key store's key and certificate do not work for TLS: ${(e as Error).message}`, 'corrupt');
    }
  }
  return out;
}

export function loadKeystore(path: string, password: string | undefined): LoadedKeystore {
  return loadKeystoreBytes(readFileSync(path), password);
}
