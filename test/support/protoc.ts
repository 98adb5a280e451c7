/**
 * Parses what the node stored with Google's protobuf compiler (`protoc --encode`, Debian's
 * protobuf-compiler) against the schema in lib/models/proto: an independent text-format parser,
 * so a test shows that what the node writes is what the original's protobuf code reads, not only
 * what this project's own codec reads back.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MODELS_PACKAGE } from '../../lib/models/schema.js';
import type { TestNode } from './node-harness.js';
import { modelText } from './rest-helpers.js';

const PROTO_DIR = fileURLToPath(new URL('../../lib/models/proto/', import.meta.url));
const FILES = ['commons.proto', 'topology.proto', 'neutron.proto', 'state.proto'];

/**
 * The binary encoding of `text` as the message `type` (`Pool`, `Condition`); throws with protoc's
 * message when the text does not parse (unknown field, wrong type, bad enum value).
 */
export function protocEncode(type: string, text: string): Buffer {
  const r = spawnSync('protoc', [`--encode=${MODELS_PACKAGE}.${type}`, `--proto_path=${PROTO_DIR}`, ...FILES], { input: text });
  if (r.error) throw new Error(`protoc could not be run (Debian package protobuf-compiler): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`protoc does not parse this ${type}: ${r.stderr.toString('utf8').trim()}\n${text}`);
  return r.stdout;
}

/** The text format protoc prints back for an encoding (`protoc --decode`): fields in number order. */
export function protocDecode(type: string, binary: Buffer): string {
  const r = spawnSync('protoc', [`--decode=${MODELS_PACKAGE}.${type}`, `--proto_path=${PROTO_DIR}`, ...FILES], { input: binary });
  if (r.error) throw new Error(`protoc could not be run (Debian package protobuf-compiler): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`protoc cannot decode this ${type}: ${r.stderr.toString('utf8').trim()}`);
  return r.stdout.toString('utf8');
}

/**
 * The stored text of `models/<clazz>/<id>`, checked with protoc: it parses as the class's message
 * and is exactly what protoc prints for it (fields in number order, the same formatting).
 */
export async function storedParses(t: TestNode, clazz: string, id: string): Promise<string> {
  const text = await modelText(t, clazz, id);
  const canonical = protocDecode(clazz, protocEncode(clazz, text));
  assert.equal(text, canonical, `stored ${clazz} ${id} is not in protoc's text format`);
  return text;
}

/** Parses `text` as a `message` with protoc; fails the test with protoc's message when it does not parse. */
export function assertParsesWithSchema(message: string, text: string): Buffer {
  try {
    return protocEncode(message, text);
  } catch (e) {
    assert.fail((e as Error).message);
  }
}
