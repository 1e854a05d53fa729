/**
 * Issue 4, TLS: the bridge reaches a mosquitto TLS listener that requires client certificates (PKI made by
 * openssl in the test), and a client certificate from another CA is refused with the reason in the status.
 */
import { afterAll, afterEach, expect, it } from 'vitest';
import { describeWithPeers } from '../support/peers.js';
import { freePort } from '../support/net.js';
import { startMosquitto, type MosquittoInstance } from '../support/mosquitto.js';
import { makeTestPki } from '../support/certs.js';
import { eventually, startHub, stopAllHubs } from '../support/hub.js';
import { closeAllClients, collect, connectV5, subscribe } from '../support/clients.js';
import { removeTempDirs } from '../support/tmp.js';
import { bridgeInput, publishMany } from './bridge-harness.js';

const mosquittos: MosquittoInstance[] = [];
afterEach(async () => {
  closeAllClients();
  await stopAllHubs();
  await Promise.all(mosquittos.splice(0).map((m) => m.stop()));
});
afterAll(removeTempDirs);

type Status = { state: string; lastError?: string };

describeWithPeers(['mosquitto', 'openssl'], 'bridge over TLS with client certificates', () => {
  const pki = makeTestPki();

  async function tlsUpstream() {
    const tlsPort = await freePort();
    const mosq = await startMosquitto({
      extraConfig: [
        `listener ${tlsPort} 127.0.0.1`,
        `cafile ${pki.caCert}`,
        `certfile ${pki.serverCert}`,
        `keyfile ${pki.serverKey}`,
        'require_certificate true',
      ],
    });
    mosquittos.push(mosq);
    return { mosq, tlsUrl: `mqtts://127.0.0.1:${tlsPort}` };
  }

  it('forwards over mqtts:// with CA verification and a client certificate', async () => {
    const { mosq, tlsUrl } = await tlsUpstream();
    const cloud = await connectV5(mosq.url, { clientId: 'cloud-app' });
    await subscribe(cloud, 'edge/edge1/#');
    const { hub, url } = await startHub(
      bridgeInput([tlsUrl], {
        ssl: { cacertfile: pki.caCert, certfile: pki.clientCert, keyfile: pki.clientKey, verify: 'verify_peer' },
      }),
    );
    const status = () => (hub.status().components as { bridges: Status[] }).bridges[0];
    await eventually(() => status().state === 'connected', 'bridge connected over TLS');
    const got = collect(cloud, 1);
    await publishMany(url, 7, 1);
    expect((await got).map((m) => [m.topic, m.payload.toString()])).toEqual([['edge/edge1/sensors/s/7', '7']]);
  });

  it('a client certificate from another CA is refused: the bridge backs off and reports why', async () => {
    const { tlsUrl } = await tlsUpstream();
    const { hub } = await startHub(
      bridgeInput([tlsUrl], { ssl: { cacertfile: pki.caCert, certfile: pki.rogueCert, keyfile: pki.rogueKey } }),
    );
    const status = () => (hub.status().components as { bridges: Status[] }).bridges[0];
    await eventually(() => /unknown ca|alert/i.test(status().lastError ?? ''), 'the TLS alert as last error');
    expect(status().state).not.toBe('connected');
  });

  it('a server certificate not signed by the configured CA is refused (verify_peer)', async () => {
    const { tlsUrl } = await tlsUpstream();
    const { hub } = await startHub(
      bridgeInput([tlsUrl], { ssl: { cacertfile: pki.clientCert, certfile: pki.clientCert, keyfile: pki.clientKey } }),
    );
    const status = () => (hub.status().components as { bridges: Status[] }).bridges[0];
    await eventually(
      () => /certificate|verify|issuer/i.test(status().lastError ?? ''),
      'a certificate verification error',
    );
  });
});
