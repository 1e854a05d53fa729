/**
 * The MQTT-SN load generator of `npm run bench` (bench/native/mqttsn-clients.c) against the real hub: what it
 * reports as sent and PUBACKed is what an MQTT subscriber receives, and a refused PUBACK is counted as refused.
 * The benchmark's "none lost" rests on these counts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, expect, it } from 'vitest';
import { closeAllClients, collect, connectV5 } from '../support/clients.js';
import { startHub, stopAllHubs } from '../support/hub.js';
import { freeUdpPort } from '../support/net.js';
import { describeWithPeers } from '../support/peers.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterEach(() => closeAllClients());
afterAll(async () => {
  await stopAllHubs();
  removeTempDirs();
});

interface Report {
  sent: number;
  accepted: number;
  refused: number;
  retransmitted: number;
  timed_out: number;
}

/** Build the generator, run `clients` × `per` publishes on `topicId`, return its report. */
async function generate(port: number, clients: number, per: number, topicId: number): Promise<Report> {
  const bin = join(tempDir('sn-gen-'), 'mqttsn-clients');
  execFileSync('cc', ['-O2', '-o', bin, join(process.cwd(), 'bench/native/mqttsn-clients.c')]);
  const child = spawn(bin, [String(port), String(clients), String(per), `gen-t${topicId}-`, String(topicId)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const next = lines[Symbol.asyncIterator]();
  expect((await next.next()).value).toBe('connected');
  child.stdin.write('go\n');
  const report = JSON.parse((await next.next()).value as string) as Report;
  child.kill();
  return report;
}

describeWithPeers(['cc'], 'bench MQTT-SN generator', () => {
  it('sends, counts PUBACKs and matches what the subscriber receives', async () => {
    const port = await freeUdpPort();
    const h = await startHub({
      gateways: { mqttsn: { t: { bind: `127.0.0.1:${port}`, predefined: [{ id: 1, topic: 'gen/1' }] } } },
    } as never);
    const sub = await connectV5(h.url, { clientId: 'gen-sub' });
    await sub.subscribeAsync('gen/#', { qos: 1 });
    const got = collect(sub, 100, { timeoutMs: 30_000 });
    const r = await generate(port, 20, 5, 1);
    expect(r).toMatchObject({ sent: 100, accepted: 100, refused: 0, retransmitted: 0, timed_out: 0 });
    expect((await got).length).toBe(100);
  }, 60_000);

  it('counts a PUBACK with a return code as refused (unknown topic id: MQTT-SN 1.2 §6.6)', async () => {
    const port = await freeUdpPort();
    await startHub({
      gateways: { mqttsn: { t: { bind: `127.0.0.1:${port}`, predefined: [{ id: 1, topic: 'gen/1' }] } } },
    } as never);
    const r = await generate(port, 5, 2, 9);
    expect(r).toMatchObject({ sent: 10, accepted: 0, refused: 10, timed_out: 0 });
  }, 60_000);
});
