/**
 * The id derivations of the Neutron translators (services/neutron/ids.ts) against values worked
 * out from the original's algorithm (Java `long` arithmetic): the agents compute the same ids.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ids from '../../services/neutron/ids.js';

const A = '11111111-2222-4333-8444-555555555555';
const B = '5d3e4b2a-1c9f-4e8b-9a7d-0f1e2d3c4b5a';
const C = 'ffffffff-ffff-4fff-bfff-ffffffffffff';

const CASES: [keyof typeof ids, string, string, string][] = [
  ['inChainId', 'd95ca0e6-1776-4718-8a3f-6da79256bb3f', '9573fadd-29cb-4aa0-9406-37ecea3fa530', '37b24e08-caab-4bd4-b184-c70d38fc1195'],
  ['outChainId', '131851ea-0e8e-432d-9bbe-ac950851e071', '5f370bd1-3033-4e95-8587-f6de7038fe7e', 'fdf6bf04-d353-4fe1-a005-063fa2fb4adb'],
  ['fwdChainId', 'c81a0dff-9f39-462d-b1a1-8fe0123f8edf', '843557c4-a184-4b95-af98-d5ab6a5690d0', '26f4e311-42e4-4ae1-8a1a-254ab8952475'],
  ['floatNat64ChainId', '57cb904e-4e44-4913-8406-aac13f40f88f', '1be4ca75-70f9-44ab-9a3f-f08a4729e680', 'b9257ea0-9399-45df-bfbd-006b95ea5225'],
  ['antiSpoofChainId', '1b6a700d-dc51-47cd-bfe8-2d9ab147f860', '57452a36-e2ec-4a75-a1d1-77d1c92ee66f', 'f5849ee3-018c-4b01-8453-87301bed52ca'],
  ['antiSpoofChainJumpRuleId', '5adfe493-cc8c-469f-b474-1a92b2e6ef58', '16f0bea8-f231-4b27-aa4d-40d9ca8ff157', 'b4310a7d-1151-4a53-8fcf-b038184c45f2'],
  ['routerInterfacePortPeerId', '8d21211f-eb3d-4c2a-8c00-c862b34e35a5', 'c10e7b24-d580-4192-9239-9229cb272baa', '63cfcff1-36e0-40e6-b7bb-62c819e49f0f'],
  ['tenantGwPortId', 'c2b54195-720d-4055-9b93-873992033c27', '8e9a1bae-4cb0-4ded-85aa-dd72ea6a2228', '2c5baf7b-afd0-4c99-a028-2d9338a9968d'],
  ['nonHeaderRuleId', '822622a4-f92d-4ffd-aee2-64bde5e619ba', 'ce09789f-c790-4245-b0db-3ef69d8f07b5', '6cc8cc4a-24f0-4331-9559-ce174f4cb310'],
  ['l2gwNetworkPortId', '1be48805-b7bf-46cb-b5f4-7d8b44a7bb1b', '57cbd23e-8902-4b73-abcd-27c03ccea514', 'f50a66eb-6a62-4a07-8e4f-d721ee0d11b1'],
  ['inverseRedirectRuleId', '03c25aba-d5fa-4a33-aec0-5c24fa96652a', '4fed0081-eb47-478b-b0f9-066f82ff7b25', 'ed2cb454-0827-46ff-957b-f68e503ccf80'],
  ['lbServiceContainerGroupId', '6c372c3c-77f8-45e1-ae96-d7e1347c346a', '20187607-4945-4859-b0af-8daa4c152a65', '82d9c2d2-aa25-492d-952d-7d4b9ed69ec0'],
];

test('constant derivations give the original ids (version and variant bits kept)', () => {
  for (const [name, a, b, c] of CASES) {
    const f = ids[name] as (id: string) => string;
    assert.deepEqual([f(A), f(B), f(C)], [a, b, c], name);
  }
});

test('address-keyed route ids hash the stored address text', () => {
  assert.equal(ids.localRouteId(A, '10.0.0.1'), '02ac1480-fcee-496f-84ba-312b3b24de26');
  assert.equal(ids.localRouteId(B, '192.168.100.254'), '4e834ebd-e503-4a30-9a83-6b709fd8f59b');
  assert.equal(ids.localRouteId(C, '2001:0:0:0:0:0:0:2'), 'ec42fa75-8dd1-4928-bf01-99c5ffa23e54');
  assert.equal(ids.gatewayRouteId(A, '10.0.0.1'), '7ab4cc9f-2844-4020-94e9-e6a330b2d059');
  assert.equal(ids.routerInterfaceRouteId(B, '192.168.100.254'), 'efb6e2c6-4c79-4ea9-a9dd-441cb582cf90');
  assert.equal(ids.metadataServiceRouteId(C, '2001:0:0:0:0:0:0:2'), '5fecd3b4-f45c-4ccf-98ad-25db0b82cf4a');
});

test('extra-route ids: IPv4 next hops sign-extended, IPv6 by words', () => {
  assert.equal(ids.extraRouteId(B, { address: '192.168.1.0', prefix: 24 }, '192.168.1.3'), '9d964a2a-1c9f-4e93-a582-f0e1ed944a59');
  assert.equal(ids.extraRouteId(A, { address: '10.0.0.0', prefix: 24 }, '200.0.0.3'), '1b111111-2222-432b-bbbb-aaaa9d555556');
  assert.equal(ids.extraRouteId(C, { address: '2002:0:0:0:0:0:0:0', prefix: 64 }, '2001:0:0:0:0:0:0:2'), 'fffcffff-ffff-4fff-bfff-ffffffffffbd');
});

test('same-subnet SNAT rule ids mix two ids', () => {
  assert.equal(ids.sameSubnetSnatRuleId(A, B), '77e0748d-755f-4c5d-9a97-5809d4781e0c');
  assert.equal(ids.sameSubnetSnatRuleId(B, C), '990e9a63-a882-4091-a12c-f2a37ed2b4a6');
  assert.equal(ids.sameSubnetSnatRuleId(C, A), 'd521c058-963f-4d29-bf15-a8e806bbaaa9');
});

test('a derivation applied twice gives the input back', () => {
  assert.equal(ids.inChainId(ids.inChainId(B)), B);
  assert.equal(ids.routerInterfacePortPeerId(ids.routerInterfacePortPeerId(A)), A);
});
