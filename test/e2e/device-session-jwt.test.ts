/**
 * Device sessions authenticated by JWT: a valid token connects (its username applies), a bad one is
 * bad_credentials, and the session ends at the token's exp like a TCP client's (will published, counted).
 */
import { SignJWT } from 'jose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeAllClients, collect, connectV5 } from '../support/clients.js';
import { connectTestDevice, TestDevice } from '../support/devices.js';
import { startHub, stopAllHubs } from '../support/hub.js';

const SECRET = 'device-e2e-jwt-secret-long-enough-for-hs256';
const token = (expSeconds: number) =>
  new SignJWT({ username: 'sensor', exp: Math.floor(Date.now() / 1000) + expSeconds })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));

afterEach(() => closeAllClients());
afterAll(() => stopAllHubs());

describe('device sessions with JWT', () => {
  it('valid token connects; a forged one is bad_credentials; the session ends at exp with its will', async () => {
    const h = await startHub({ auth: { allow_anonymous: false, jwt: { enable: true, secret: SECRET } } });
    const forged = await h.hub.broker.connectDevice({
      protocol: 'mqttsn',
      gateway: 'mqttsn.test',
      clientId: 'jwt-forged',
      username: 'sensor',
      password: Buffer.from('not-a-token'),
      peerAddress: '127.0.0.1',
      cleanStart: true,
      sessionExpiry: 0,
      handler: new TestDevice().handler,
    });
    expect(forged).toMatchObject({ ok: false, reason: 'bad_credentials' });

    const watch = await connectV5(h.url, { clientId: 'jwt-watch', username: 'sensor', password: await token(60) });
    await watch.subscribeAsync('wills/#', { qos: 0 });
    const will = collect(watch, 1);
    const d = await connectTestDevice(h.hub.broker, {
      clientId: 'jwt-dev',
      username: 'sensor',
      password: Buffer.from(await token(2)),
      will: { topic: 'wills/jwt-dev', payload: Buffer.from('expired'), qos: 0, retain: false },
    });
    expect(d.session.info.username).toBe('sensor');
    expect(await d.closed()).toBe('credentials_expired');
    expect((await will)[0].payload.toString()).toBe('expired');
    expect(
      await h.hub.metrics.value('protohub_connections_refused_total', {
        protocol: 'mqttsn',
        reason: 'credentials_expired',
      }),
    ).toBe(1);
  });
});
