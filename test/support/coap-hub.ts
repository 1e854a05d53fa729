/** An in-process hub with one plain CoAP gateway instance (`coap.edge`, mountpoint `coap/`) on a free UDP port. */
import { startHub, type StartedHub } from './hub.js';
import { freeUdpPort } from './net.js';

export async function startCoapEdge(
  coap: Record<string, unknown> = {},
  hubConfig: Record<string, unknown> = {},
): Promise<{ hub: StartedHub; port: number; url: string }> {
  const port = await freeUdpPort();
  const hub = await startHub({
    ...hubConfig,
    gateways: { coap: { edge: { bind: `127.0.0.1:${port}`, mountpoint: 'coap/', ...coap } } },
  } as never);
  return { hub, port, url: `coap://127.0.0.1:${port}` };
}
