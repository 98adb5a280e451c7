/**
 * A short look at a VTEP for the REST API: connect to its OVSDB, read the switch and its ports in
 * one transaction, close. Bounded: a VTEP that does not answer within the timeout is a
 * VtepUnreachableError, never a hung request. No reconnects: the caller is a client waiting.
 */
import { OvsdbClient } from '../../lib/ovsdb/client.js';
import { Vtep, type PhysicalPort, type PhysicalSwitch } from '../../lib/ovsdb/vtep.js';
import type { Logger } from '../../lib/log/logger.js';

export class VtepUnreachableError extends Error {
  override name = 'VtepUnreachableError';
}

export interface SwitchView {
  physicalSwitch: PhysicalSwitch | undefined;
  ports: PhysicalPort[];
}

/** Default bound on the whole look (connect, schema, read). */
export const VTEP_LOOK_TIMEOUT_MS = 5000;

export async function readVtepSwitch(managementIp: string, managementPort: number, opts: { timeoutMs?: number; log?: Logger } = {}): Promise<SwitchView> {
  const timeoutMs = opts.timeoutMs ?? VTEP_LOOK_TIMEOUT_MS;
  let client: OvsdbClient;
  try {
    client = await OvsdbClient.connect({
      host: managementIp,
      port: managementPort,
      timeoutMs,
      connectTimeoutMs: timeoutMs,
      requestTimeoutMs: timeoutMs,
      retry: { delayMs: (attempt) => (attempt <= 2 ? 200 : undefined) },
      ...(opts.log ? { log: opts.log } : {}),
    });
  } catch (e) {
    throw new VtepUnreachableError(`Cannot connect to VTEP at ${managementIp}:${managementPort}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return await new Vtep(client, { managementIp, timeoutMs, ...(opts.log ? { log: opts.log } : {}) }).switchAndPorts();
  } catch (e) {
    throw new VtepUnreachableError(`Cannot read the VTEP at ${managementIp}:${managementPort}: ${(e as Error).message}`, { cause: e });
  } finally {
    await client.close();
  }
}
