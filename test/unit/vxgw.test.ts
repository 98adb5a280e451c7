/**
 * The VxLAN gateway's pure parts: the weighted flooding-proxy draw, the VxLAN port id, the
 * state-key forms, the form encoding of VTEP port names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formEncode } from '../../services/rest-api/resources/vteps.js';
import { chooseFloodingProxy, type Candidate } from '../../services/vxgw/flooding-proxy.js';
import { vxlanPortId } from '../../services/vxgw/ids.js';
import { connectionStateName, decodeConfig, encodeConfig, parseFloodingProxy } from '../../services/vxgw/state.js';

describe('flooding proxy draw', () => {
  const c = (hostId: string, weight: number): Candidate => ({ hostId, ip: `10.0.0.${hostId}`, weight });

  it('sorts by weight and gives each candidate a share as wide as its weight', () => {
    const cands = [c('3', 5), c('1', 1), c('2', 0), c('4', 2)];
    // Σ = 8 over [1 (w1), 4 (w2), 3 (w5)]: points 0 | 1-2 | 3-7
    const at = (x: number): string | undefined => chooseFloodingProxy(cands, () => x / 8)?.hostId;
    assert.deepEqual([0, 1, 2, 3, 4, 7].map(at), ['1', '4', '4', '3', '3', '3']);
  });

  it('never picks a weight of 0, and nobody when no weight is left', () => {
    for (let i = 0; i < 50; i++) assert.notEqual(chooseFloodingProxy([c('1', 0), c('2', 3)])?.hostId, '1');
    assert.equal(chooseFloodingProxy([c('1', 0)]), undefined);
    assert.equal(chooseFloodingProxy([]), undefined);
  });
});

describe('VxLAN port id', () => {
  const vtep = '6b1b2a7e-2f3c-4d5e-8f60-718293a4b5c6';
  const net = '00000000-0000-0000-0000-000000000000';

  it('is the VTEP id XOR the network id, keeping the version and variant bits', () => {
    assert.equal(vxlanPortId(vtep, net), vtep, 'XOR with zero words');
    const n = '11111111-2222-4333-8444-555555555555';
    const id = vxlanPortId(vtep, n);
    // msb 6b1b2a7e2f3c4d5e ^ (1111111122224333 & ffffffffffff0fff) = 7a0a3b6f0d1e4e6d (version nibble stays 4);
    // lsb 8f60718293a4b5c6 ^ (8444555555555555 & 3fffffffffffffff) = 8b2424d7c6f1e093 (variant bits stay 10)
    assert.equal(id, '7a0a3b6f-0d1e-4e6d-8b24-24d7c6f1e093');
    assert.equal(vxlanPortId(id, n), vtep, 'mixing twice gives the VTEP id back');
    assert.notEqual(vxlanPortId(vtep, n), vxlanPortId('6b1b2a7e-2f3c-4d5e-8f60-718293a4b5c7', n));
  });
});

describe('state keys', () => {
  it('shows connection states as the API names them; absent or unknown is disconnected', () => {
    assert.equal(connectionStateName('VTEP_CONNECTED'), 'connected');
    assert.equal(connectionStateName('VTEP_ERROR'), 'error');
    assert.equal(connectionStateName('VTEP_DISCONNECTED'), 'disconnected');
    assert.equal(connectionStateName(undefined), 'disconnected');
    assert.equal(connectionStateName('garbage'), 'disconnected');
  });

  it('writes the VTEP configuration in text format and reads it back', () => {
    const text = encodeConfig({
      vtep_id: '6b1b2a7e-2f3c-4d5e-8f60-718293a4b5c6',
      name: 'sw',
      description: 'd',
      tunnel_addresses: [{ version: 'V4', address: '10.0.0.1' }],
    });
    assert.match(text, /name: "sw"/);
    assert.match(text, /tunnel_addresses \{/);
    assert.deepEqual(decodeConfig(text)?.tunnel_addresses, [{ version: 'V4', address: '10.0.0.1' }]);
    assert.equal(decodeConfig('not { text'), undefined);
  });

  it('parses `<hostId>#<ip>` flooding proxies', () => {
    assert.deepEqual(parseFloodingProxy('h#10.0.0.1'), { hostId: 'h', tunnelIp: '10.0.0.1' });
    assert.equal(parseFloodingProxy('no-ip'), undefined);
  });
});

describe('VTEP port names in uris', () => {
  it('are form-encoded as java.net.URLEncoder does', () => {
    assert.equal(formEncode('Te 0/2'), 'Te+0%2F2');
    assert.equal(formEncode('Ten-GigabitEthernet1/0/5:3/0'), 'Ten-GigabitEthernet1%2F0%2F5%3A3%2F0');
    assert.equal(formEncode("a*b_c.d~e!f'g(h)"), 'a*b_c.d%7Ee%21f%27g%28h%29');
  });
});
