/**
 * Vendor interop without the hub: the smallest reproduction of the Connext → Cyclone DDS 0.10 dispose-key bug
 * (docs/gateways/dds.md, "Disposes from the hub to Cyclone DDS 0.10"). An RTI Connector process writes one
 * ShapeType (@appendable) sample and disposes its instance; a Cyclone C reader prints what it got.
 */
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithPeers } from '../support/peers.js';
import { compileDdsPeer, DdsPeer, randomDomain, RtiPeer } from './dds-peer-helper.js';

const domain = randomDomain(3);
const peers: DdsPeer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.kill();
});

describeWithPeers(['cyclonedds', 'cc'], 'Connext → Cyclone DDS 0.10 dispose of an @appendable keyed type', () => {
  beforeAll(() => {
    compileDdsPeer();
  }, 60_000);

  it('the dispose arrives, with the key read from the DHEADER on (pinned Cyclone 0.10 bug)', async () => {
    const reader = DdsPeer.start(domain, ['shape-read', 'Interop', '20']);
    peers.push(reader);
    await reader.waitLines((l) => l === 'ready');
    // writes and disposes again every 500 ms (see rti-peer.mjs), so a late match costs one round, not the test
    const writer = RtiPeer.start(domain, ['dispose', 'Interop', 'BLUE']);
    peers.push(writer);
    const [sample] = await reader
      .waitLines((l) => l.startsWith('sample '), 1, 60_000)
      .catch((err: Error) => {
        throw new Error(`${err.message}; rti peer: ${writer.lines.join('|')} ${writer.stderr}`);
      });
    expect(sample).toBe('sample BLUE 1 0 0');
    const [disposed] = await reader.waitLines((l) => l.startsWith('disposed '), 1, 60_000);
    // Connext sends 00 09 00 03 | 09 00 00 00 | 05 00 00 00 "BLUE\0" (D_CDR2_LE, DHEADER 9, the string); Cyclone
    // 0.10 reads 9 as the string length: "\x05\0\0\0BLUE". "disposed BLUE" here means the peer's Cyclone is fixed.
    expect(disposed).toBe('disposed \\x05');
  }, 90_000);
});
