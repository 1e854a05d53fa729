/**
 * Child process of the `lwm2m` bench scenario: `node --import tsx bench/lwm2m-devices.ts <clients> <udpPort>`
 * registers that many test devices (test/support/lwm2m-client.ts, one UDP socket each) with the hub's LwM2M
 * server, 50 at a time, reports `{ready, registerMs}` over IPC, answers reads until the parent says "stop" or
 * goes away. A process of its own so the devices' CPU is not counted as the hub's.
 */
import { Lwm2mTestClient } from '../test/support/lwm2m-client.js';

const clients = Number(process.argv[2]);
const port = Number(process.argv[3]);
const devices: Lwm2mTestClient[] = [];
const t0 = Date.now();
for (let i = 0; i < clients; i += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, clients - i) }, async (_, j) => {
      const d = new Lwm2mTestClient(port);
      await d.open();
      devices.push(d);
      d.resources.set('/3303/0/5700', 20 + ((i + j) % 10));
      const r = await d.register(`b${i + j}`, ['lt=3600', 'b=U']);
      if (r.code !== 0x41) throw new Error(`registration ${i + j} answered ${r.code}`); // 2.01 Created
    }),
  );
}
const stop = (): void => {
  devices.forEach((d) => d.close());
  process.exit(0);
};
process.on('message', (m) => m === 'stop' && stop());
process.on('disconnect', stop);
process.send?.({ ready: true, registerMs: Date.now() - t0 });
