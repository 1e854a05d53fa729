/** The LwM2M example config loads, and EMQX's {ep} mountpoint becomes the device-session ${clientid}. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lwm2mConfigSchema } from '../../gateways/lwm2m/schema.js';
import { loadConfig } from '../../src/config/loader.js';

const repo = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

describe('LwM2M config', () => {
  it('config/examples/lwm2m.conf validates with the EMQX translators', () => {
    const { config } = loadConfig(repo('config/examples/lwm2m.conf'), { env: {} });
    const edge = (config.gateways as Record<string, Record<string, unknown>>).lwm2m!.edge as Record<string, unknown>;
    expect(edge).toMatchObject({ bind: { host: '0.0.0.0', port: 5783 }, mountpoint: 'lwm2m/${clientid}/' });
    expect(edge.translators).toMatchObject({ command: { topic: 'dn/#' }, register: { topic: 'up/register' } });
  });

  it('defaults follow EMQX where it has the key', () => {
    const c = lwm2mConfigSchema.parse({});
    expect(c).toMatchObject({
      mountpoint: 'lwm2m/${clientid}/',
      bind: { port: 5783 },
      qmode_time_window: 22_000,
      auto_observe: false,
      lifetime_max: 86_400_000,
    });
    expect(lwm2mConfigSchema.safeParse({ translators: { command: { qos: 3 } } }).success).toBe(false);
  });
});
