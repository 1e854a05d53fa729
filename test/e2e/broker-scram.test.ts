/**
 * MQTT 5 enhanced authentication with SCRAM-SHA-256/512 (§4.12) and JWT expiry, as real clients over TCP see
 * them: MQTT.js (authenticationMethod + handleAuth) for CONNECT exchanges, a raw client for re-authentication
 * and malformed input, MQTT.js v5 and v3.1.1 for the 0xA0 disconnect at a token's exp.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type mqttPacket from 'mqtt-packet';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { upsertUser } from '../../src/auth/password-file-write.js';
import { hashPassword } from '../../src/auth/password-hash.js';
import type { ScramMechanism } from '../../src/auth/scram-credentials.js';
import {
  closeAllClients,
  connackOf,
  connectClient,
  connectError,
  connectV3,
  connectV5,
  RawClient,
  withTimeout,
  type MqttClient,
} from '../support/clients.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { ScramClient } from '../support/scram-client.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const SECRET = 'scram-e2e-jwt-secret-long-enough-for-hs256';
const logs: Array<Record<string, unknown>> = [];
let h: StartedHub;
let passwordFile: string;

beforeAll(async () => {
  passwordFile = join(tempDir('protohub-scram-'), 'passwd');
  await upsertUser(passwordFile, 'alice', 'wonderland', { N: 1024, r: 8, p: 1 });
  // a line as written before SCRAM support: scrypt only
  await appendFile(passwordFile, `legacy:${await hashPassword('old-times', { N: 1024, r: 8, p: 1 })}\n`);
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  h = await startHub(
    { auth: { allow_anonymous: false, password_file: passwordFile, jwt: { enable: true, secret: SECRET } } },
    { logger },
  );
});
afterEach(() => closeAllClients());
afterAll(async () => {
  await stopAllHubs();
  removeTempDirs();
});

const attempts = (method: string, result: string) =>
  h.hub.metrics.value('protohub_auth_attempts_total', { method, result });

/** Connect MQTT.js with SCRAM: client-first in CONNECT, client-final from handleAuth on the server's AUTH. */
function scramOptions(mechanism: ScramMechanism, user: string, password: string, clientId: string) {
  const scram = new ScramClient(mechanism, user, password);
  const options = {
    clientId,
    properties: { authenticationMethod: mechanism, authenticationData: scram.first() },
  };
  const attach = (c: MqttClient) => {
    c.handleAuth = (packet, done) => {
      scram.final(packet.properties?.authenticationData ?? Buffer.alloc(0)).then(
        (data) =>
          done(undefined, {
            cmd: 'auth',
            reasonCode: 0x18,
            properties: { authenticationMethod: mechanism, authenticationData: data },
          }),
        (err: Error) => done(err),
      );
    };
  };
  return { scram, options, attach };
}

describe('SCRAM in CONNECT (MQTT.js)', () => {
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`[MQTT-4.12.0-2/3] ${mechanism}: AUTH 0x18 round trip, CONNACK 0x00 with the method and a server signature the client verifies`, async () => {
      const before = await attempts(mechanism.toLowerCase(), 'ok');
      const { scram, options, attach } = scramOptions(mechanism, 'alice', 'wonderland', `ok-${mechanism}`);
      const client = await connectV5(h.url, options, attach);
      const connack = connackOf(client);
      expect(connack.reasonCode).toBe(0);
      expect(connack.properties?.authenticationMethod).toBe(mechanism);
      expect(scram.verify(connack.properties?.authenticationData)).toBe(true);
      expect(await attempts(mechanism.toLowerCase(), 'ok')).toBe(before + 1);
      // the session works: a message to itself comes back
      await client.subscribeAsync('scram/echo', { qos: 1 });
      const got = new Promise<string>((resolve) => client.once('message', (_t, p) => resolve(p.toString())));
      await client.publishAsync('scram/echo', 'hi', { qos: 1 });
      expect(await withTimeout(got, 10_000, 'echo')).toBe('hi');
    });
  }

  it('wrong password: CONNACK 0x87 Not authorized (SCRAM uses no CONNECT password, so not 0x86; §3.2.2.2)', async () => {
    const { options, attach } = scramOptions('SCRAM-SHA-256', 'alice', 'looking-glass', 'bad-pw');
    const e = await connectClient(h.url, options, attach).then(
      () => undefined,
      (x: Error & { code?: number }) => x,
    );
    expect(e?.code).toBe(0x87);
    expect(await attempts('scram-sha-256', 'bad_credentials')).toBeGreaterThanOrEqual(1);
  });

  it('an unknown user fails the same way as a wrong password (no user enumeration)', async () => {
    const { options, attach } = scramOptions('SCRAM-SHA-512', 'mallory', 'x', 'ghost');
    const e = await connectClient(h.url, options, attach).then(
      () => undefined,
      (x: Error & { code?: number }) => x,
    );
    expect(e?.code).toBe(0x87);
  });

  it('[MQTT-4.12.0-1] an unknown method gets CONNACK 0x8C', async () => {
    const e = await connectError(h.url, {
      clientId: 'sha1',
      properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: Buffer.from('n,,n=alice,r=x') },
    });
    expect(e.code).toBe(0x8c);
  });

  it('a user without SCRAM data gets 0x87 at once and a log line telling the operator what to do', async () => {
    const { options, attach } = scramOptions('SCRAM-SHA-256', 'legacy', 'old-times', 'legacy');
    const e = await connectClient(h.url, options, attach).then(
      () => undefined,
      (x: Error & { code?: number }) => x,
    );
    expect(e?.code).toBe(0x87);
    expect(await attempts('scram-sha-256', 'no_credentials')).toBe(1);
    expect(logs.some((l) => l.username === 'legacy' && /no SCRAM data.*protohub passwd/.test(String(l.msg)))).toBe(
      true,
    );
    // the same user still connects with a plain password, v5 and v3.1.1
    await connectV5(h.url, { clientId: 'legacy-5', username: 'legacy', password: 'old-times' });
    await connectV3(h.url, { clientId: 'legacy-3', username: 'legacy', password: 'old-times' });
  });
});

describe('SCRAM with a raw client: malformed input and re-authentication', () => {
  it('a malformed client-first gets CONNACK 0x87, a counter and a log line; the hub keeps serving', async () => {
    const before = await attempts('scram-sha-256', 'malformed');
    const { connack, client } = await RawClient.connect(h.port, {
      clientId: 'garbage',
      properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from('p=tls-unique,,n=x,r=1') },
    });
    expect(connack.reasonCode).toBe(0x87);
    await client.waitClose();
    expect(await attempts('scram-sha-256', 'malformed')).toBe(before + 1);
    expect(
      logs.some((l) => l.msg === 'SCRAM refused: malformed message' && /channel binding/.test(String(l.detail))),
    ).toBe(true);
    const { client: ok } = await rawConnect('SCRAM-SHA-256', 'after-garbage');
    ok.send({ cmd: 'pingreq' });
    await ok.next('pingresp');
  });

  it('a non-AUTH packet during the exchange is a protocol error (CONNACK 0x82)', async () => {
    const scram = new ScramClient('SCRAM-SHA-256', 'alice', 'wonderland');
    const client = await RawClient.open(h.port);
    client.send(connectPacket('mid-exchange', 'SCRAM-SHA-256', scram.first()));
    await client.next('auth');
    client.send({ cmd: 'pingreq' });
    const connack = await client.next<mqttPacket.IConnackPacket>('connack');
    expect(connack.reasonCode).toBe(0x82);
    await client.waitClose();
  });

  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`[MQTT-4.12.1] ${mechanism} re-authentication: AUTH 0x19 → 0x18 → AUTH 0x00 with a verified signature`, async () => {
      const before = await h.hub.metrics.value('protohub_auth_reauthentications_total', { result: 'ok' });
      const { client } = await rawConnect(mechanism, `reauth-${mechanism}`);
      const again = new ScramClient(mechanism, 'alice', 'wonderland');
      client.send(authPacket(0x19, mechanism, again.first()));
      const challenge = await client.next<mqttPacket.IAuthPacket>('auth');
      expect(challenge.reasonCode).toBe(0x18);
      client.send(authPacket(0x18, mechanism, await again.final(challenge.properties!.authenticationData!)));
      const done = await client.next<mqttPacket.IAuthPacket>('auth');
      expect(done.reasonCode).toBe(0x00);
      expect(done.properties?.authenticationMethod).toBe(mechanism);
      expect(again.verify(done.properties?.authenticationData)).toBe(true);
      client.send({ cmd: 'pingreq' });
      await client.next('pingresp');
      expect(await h.hub.metrics.value('protohub_auth_reauthentications_total', { result: 'ok' })).toBe(before + 1);
    });
  }

  it('[MQTT-4.12.1-2] failed re-authentication (wrong password) ends the connection with DISCONNECT 0x87', async () => {
    const { client } = await rawConnect('SCRAM-SHA-256', 'reauth-bad');
    const again = new ScramClient('SCRAM-SHA-256', 'alice', 'not-it');
    client.send(authPacket(0x19, 'SCRAM-SHA-256', again.first()));
    const challenge = await client.next<mqttPacket.IAuthPacket>('auth');
    client.send(authPacket(0x18, 'SCRAM-SHA-256', await again.final(challenge.properties!.authenticationData!)));
    const disconnect = await client.next<mqttPacket.IDisconnectPacket>('disconnect');
    expect(disconnect.reasonCode).toBe(0x87);
    await client.waitClose();
  });

  it('re-authentication as another user is refused (DISCONNECT 0x87)', async () => {
    await upsertUser(passwordFile, 'bob', 'builder', { N: 1024, r: 8, p: 1 });
    const { client } = await rawConnect('SCRAM-SHA-256', 'reauth-other');
    const other = new ScramClient('SCRAM-SHA-256', 'bob', 'builder');
    client.send(authPacket(0x19, 'SCRAM-SHA-256', other.first()));
    const challenge = await client.next<mqttPacket.IAuthPacket>('auth');
    client.send(authPacket(0x18, 'SCRAM-SHA-256', await other.final(challenge.properties!.authenticationData!)));
    expect((await client.next<mqttPacket.IDisconnectPacket>('disconnect')).reasonCode).toBe(0x87);
  });

  it('[MQTT-4.12.1-1] re-authentication with another method is a protocol error (DISCONNECT 0x82)', async () => {
    const { client } = await rawConnect('SCRAM-SHA-256', 'reauth-method');
    client.send(authPacket(0x19, 'SCRAM-SHA-512', new ScramClient('SCRAM-SHA-512', 'alice', 'x').first()));
    expect((await client.next<mqttPacket.IDisconnectPacket>('disconnect')).reasonCode).toBe(0x82);
  });
});

describe('SCRAM exchange timeout (auth.scram.step_timeout)', () => {
  it('a client that never answers the challenge gets CONNACK 0x87 and is closed; counted as auth_timeout', async () => {
    const slow = await startHub({
      auth: { allow_anonymous: false, password_file: passwordFile, scram: { step_timeout: '300ms' } },
    });
    const scram = new ScramClient('SCRAM-SHA-256', 'alice', 'wonderland');
    const client = await RawClient.open(slow.port);
    client.send(connectPacket('silent', 'SCRAM-SHA-256', scram.first()));
    expect((await client.next<mqttPacket.IAuthPacket>('auth')).reasonCode).toBe(0x18);
    const connack = await client.next<mqttPacket.IConnackPacket>('connack');
    expect(connack.reasonCode).toBe(0x87);
    await client.waitClose();
    expect(await slow.hub.metrics.value('protohub_connections_refused_total', { reason: 'auth_timeout' })).toBe(1);
    await slow.stop();
  });
});

describe('JWT expiry during a connection (auth.jwt.disconnect_after_expire)', () => {
  const token = (expSeconds: number) =>
    new SignJWT({ username: 'sensor', exp: Math.floor(Date.now() / 1000) + expSeconds })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET));

  const expired = () => h.hub.metrics.value('protohub_connections_refused_total', { reason: 'credentials_expired' });

  it('v5: DISCONNECT 0xA0 Maximum connect time at exp', async () => {
    const before = await expired();
    const client = await connectV5(h.url, { clientId: 'jwt-5', username: 'sensor', password: await token(2) });
    const disconnect = new Promise<mqttPacket.IDisconnectPacket>((resolve) => client.once('disconnect', resolve));
    const packet = await withTimeout(disconnect, 10_000, 'DISCONNECT at exp');
    expect(packet.reasonCode).toBe(0xa0);
    expect(await expired()).toBe(before + 1);
  });

  it('v3.1.1: the connection is closed at exp, by the expiry timer', async () => {
    const before = await expired();
    const client = await connectV3(h.url, { clientId: 'jwt-3', username: 'sensor', password: await token(2) });
    await withTimeout(new Promise<void>((resolve) => client.once('close', () => resolve())), 10_000, 'close at exp');
    expect(await expired()).toBe(before + 1);
  });
});

// ---- helpers ---------------------------------------------------------------------------------------------

function connectPacket(clientId: string, method: string, data: Buffer): mqttPacket.IConnectPacket {
  return {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 5,
    clean: true,
    keepalive: 0,
    clientId,
    properties: { authenticationMethod: method, authenticationData: data },
  };
}

function authPacket(reasonCode: number, method: string, data: Buffer): mqttPacket.IAuthPacket {
  return { cmd: 'auth', reasonCode, properties: { authenticationMethod: method, authenticationData: data } };
}

/** A raw client through a complete SCRAM CONNECT exchange as alice. */
async function rawConnect(mechanism: ScramMechanism, clientId: string): Promise<{ client: RawClient }> {
  const scram = new ScramClient(mechanism, 'alice', 'wonderland');
  const client = await RawClient.open(h.port);
  client.send(connectPacket(clientId, mechanism, scram.first()));
  const challenge = await client.next<mqttPacket.IAuthPacket>('auth');
  expect(challenge.reasonCode).toBe(0x18);
  client.send(authPacket(0x18, mechanism, await scram.final(challenge.properties!.authenticationData!)));
  const connack = await client.next<mqttPacket.IConnackPacket>('connack');
  expect(connack.reasonCode).toBe(0);
  expect(scram.verify(connack.properties?.authenticationData)).toBe(true);
  return { client };
}
