/**
 * Provenance records kept next to every object at `objects/<Class>/<id>` (storage.md §2.3), so that
 * the original's tooling can tell who changed what. The rules of when to append an entry and when
 * to fold a change bit into the last one are the original's.
 */
import type { ZoomProvenance } from './codec/zoom-object.js';

export const ChangeOwner = {
  none: 0x0,
  clusterApi: 0x101,
  clusterNeutron: 0x102,
  clusterContainers: 0x103,
  agentBinding: 0x201,
  agentHaproxy: 0x202,
} as const;

export const ChangeType = { data: 0x1, backReference: 0x2 } as const;

export interface ProductInfo {
  version: string;
  commit: string;
}

export function createdProvenance(owner: number, type: number, product: ProductInfo): ZoomProvenance[] {
  return [
    {
      productVersion: product.version,
      productCommit: product.commit,
      changeOwner: owner,
      changeType: type,
      changeVersion: 0,
    },
  ];
}

/**
 * The provenance after an update, or `undefined` when nothing needs writing (the change bit is
 * already recorded in the last entry by the same owner and build).
 */
export function updatedProvenance(
  current: ZoomProvenance[],
  owner: number,
  type: number,
  newModelVersion: number,
  product: ProductInfo,
): ZoomProvenance[] | undefined {
  const last = current[current.length - 1];
  if (last && (last.changeOwner ?? 0) === owner && (last.productVersion ?? '') === product.version && (last.productCommit ?? '') === product.commit) {
    const bits = last.changeType ?? 0;
    if ((bits & type) === type) return undefined;
    return [...current.slice(0, -1), { ...last, changeType: bits | type }];
  }
  return [
    ...current,
    {
      productVersion: product.version,
      productCommit: product.commit,
      changeOwner: owner,
      changeType: type,
      changeVersion: newModelVersion,
    },
  ];
}
