/**
 * An independent reader of what the node stores: Debian's `protoc` (protobuf-compiler) parses a
 * stored protobuf text-format object with the NSDB's .proto schema (lib/models/proto, the
 * original's field names, numbers and types). `protoc --encode` fails on an unknown field, a
 * value of the wrong type or malformed text, so a stored object that encodes is one the
 * original's Java parser reads.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PROTO_DIR = fileURLToPath(new URL('../../lib/models/proto/', import.meta.url));
const PACKAGE = 'org.midonet.cluster.models';

const FILES = ['topology.proto', 'neutron.proto', 'state.proto'];

/** Parses `text` as a `message` with protoc; fails the test with protoc's message when it does not parse. */
export function assertParsesWithSchema(message: string, text: string): Buffer {
  const r = spawnSync('protoc', [`--encode=${PACKAGE}.${message}`, `--proto_path=${PROTO_DIR}`, ...FILES], { input: text });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `protoc could not parse the stored ${message}: ${r.stderr.toString('utf8')}\n${text}`);
  return r.stdout;
}
