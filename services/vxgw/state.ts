/**
 * The state keys of the VxLAN gateway (storage.md §8), all in the cluster's namespace:
 *
 * - `Vtep/<id>/vxgw_manager`: the node that owns the VTEP (SingleFirstWriteWins, ephemeral);
 * - `Vtep/<id>/connection_state`: `VTEP_CONNECTED` | `VTEP_DISCONNECTED` | `VTEP_ERROR`;
 * - `Vtep/<id>/config`: `VtepConfiguration` text format, from the VTEP's Physical_Switch;
 * - `TunnelZone/<id>/flooding_proxy`: `<hostId>#<tunnel IPv4>`.
 *
 * The last three are SingleLastWriteWins: an ephemeral node of whoever wrote last. Intermediate
 * nodes are persistent; the leaf goes with its writer's session.
 */
import type { IPAddress, ModelClass, VtepConfiguration, VtepConnectionState } from '../../lib/models/generated.js';
import { parseMessage, printText } from '../../lib/nsdb/codec/text-format.js';
import type { ZoomLayout } from '../../lib/nsdb/layout.js';
import type { ZkClient } from '../../lib/zk/client.js';
import { isNoNode, ZkError } from '../../lib/zk/errors.js';
import { CLUSTER_NAMESPACE } from './ids.js';

export function stateKeyPath(layout: ZoomLayout, clazz: ModelClass, id: string, key: string): string {
  return `${layout.state(CLUSTER_NAMESPACE, clazz, id)}/${key}`;
}

/** A key's value, or null when nobody holds it. */
export async function readKey(zk: ZkClient, path: string): Promise<{ value: string; owner: bigint } | null> {
  try {
    const { data, stat } = await zk.getData(path);
    return { value: data.toString('utf8'), owner: stat.ephemeralOwner };
  } catch (e) {
    if (isNoNode(e)) return null;
    throw e;
  }
}

function codeOf(e: unknown): string | undefined {
  return e instanceof ZkError ? e.codeName : undefined;
}

async function createEphemeral(zk: ZkClient, path: string, data: Buffer): Promise<void> {
  try {
    await zk.create(path, data, 'ephemeral');
  } catch (e) {
    if (codeOf(e) !== 'NONODE') throw e;
    await zk.mkdirp(path.slice(0, path.lastIndexOf('/')));
    await zk.create(path, data, 'ephemeral');
  }
}

/**
 * SingleLastWriteWins: absent → created; ours → set; another session's → deleted (versioned)
 * and created as ours. Lost races are tried again a few times.
 */
export async function writeLastWins(zk: ZkClient, path: string, value: string): Promise<void> {
  const data = Buffer.from(value, 'utf8');
  for (let attempt = 1; ; attempt++) {
    try {
      const current = await zk.exists(path);
      if (current === null) {
        await createEphemeral(zk, path, data);
      } else if (current.ephemeralOwner === zk.sessionId) {
        await zk.setData(path, data, current.version);
      } else {
        await zk.remove(path, current.version);
        await createEphemeral(zk, path, data);
      }
      return;
    } catch (e) {
      const code = codeOf(e);
      if (attempt >= 5 || (code !== 'NODEEXISTS' && code !== 'BADVERSION' && code !== 'NONODE')) throw e;
    }
  }
}

/**
 * SingleFirstWriteWins: absent → created (ours); ours → true; another session's → false. The
 * node goes with the session that wrote it.
 */
export async function claimFirstWins(zk: ZkClient, path: string, value: string): Promise<boolean> {
  try {
    await createEphemeral(zk, path, Buffer.from(value, 'utf8'));
    return true;
  } catch (e) {
    if (codeOf(e) !== 'NODEEXISTS') throw e;
    const stat = await zk.exists(path);
    return stat !== null && stat.ephemeralOwner === zk.sessionId;
  }
}

/** Deletes the key if this session holds it (only the owner may). */
export async function removeIfMine(zk: ZkClient, path: string): Promise<void> {
  const stat = await zk.exists(path);
  if (stat === null || stat.ephemeralOwner !== zk.sessionId) return;
  try {
    await zk.remove(path, stat.version);
  } catch (e) {
    const code = codeOf(e);
    if (code !== 'NONODE' && code !== 'BADVERSION') throw e;
  }
}

export type ConnectionStateName = 'connected' | 'disconnected' | 'error';

const SHOWN: Record<VtepConnectionState, ConnectionStateName> = {
  VTEP_CONNECTED: 'connected',
  VTEP_DISCONNECTED: 'disconnected',
  VTEP_ERROR: 'error',
};

/** The API's name of a stored connection state; absent or unreadable → disconnected. */
export function connectionStateName(stored: string | undefined): ConnectionStateName {
  return (stored !== undefined ? SHOWN[stored.trim() as VtepConnectionState] : undefined) ?? 'disconnected';
}

export function encodeConfig(cfg: VtepConfiguration): string {
  return printText('VtepConfiguration', cfg);
}

export function decodeConfig(text: string): VtepConfiguration | undefined {
  try {
    return parseMessage('VtepConfiguration', text);
  } catch {
    return undefined;
  }
}

export function ipv4Address(address: string): IPAddress {
  return { version: 'V4', address };
}

/** `<hostId>#<ip>` of a flooding proxy; undefined when it is not one. */
export function parseFloodingProxy(value: string): { hostId: string; tunnelIp: string } | undefined {
  const i = value.indexOf('#');
  if (i <= 0) return undefined;
  return { hostId: value.slice(0, i), tunnelIp: value.slice(i + 1) };
}
