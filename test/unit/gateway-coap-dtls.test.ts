/**
 * The sans-IO parts of the CoAP DTLS listener: the record peek that decides what may open a session, the
 * credential check, the config keys, and the endpoint keeping a `coaps:` peer key through a retransmission (the
 * instance routes by that key, so an encrypted peer never gets a plaintext datagram).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coapConfigSchema } from '../../gateways/coap/schema.js';
import { dtlsCredentials } from '../../gateways/coap/dtls-credentials.js';
import { ReplayWindow, firstRecord, isClientHello, splitRecords } from '../../gateways/coap/dtls-records.js';
import { isDtlsPeer } from '../../gateways/coap/dtls-listener.js';
import { CoapEndpoint } from '../../gateways/coap/endpoint.js';
import { encodeCoap } from '../../gateways/coap/codec.js';
import { Rsp } from '../../gateways/coap/message.js';
import type { PeerAddress } from '../../gateways/coap/channel.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import { Metrics } from '../../src/metrics.js';
import { silentLogger } from '../../src/logger.js';
import { makeEcPki } from '../support/coaps-client.js';
import { tempDir } from '../support/tmp.js';

/** An epoch-0 handshake record holding the first bytes of a handshake message of `msgType`. */
function handshakeRecord(msgType: number, version = 0xfd, epoch = 0): Buffer {
  const body = Buffer.alloc(12 + 4);
  body[0] = msgType;
  const header = Buffer.from([22, 0xfe, version, 0, epoch, 0, 0, 0, 0, 0, 0, 0, body.length]);
  return Buffer.concat([header, body]);
}

describe('DTLS record peek (RFC 6347 §4.1)', () => {
  it('recognises a ClientHello and nothing else as the opening of a session', () => {
    expect(isClientHello(handshakeRecord(1))).toBe(true);
    expect(isClientHello(handshakeRecord(1, 0xff))).toBe(true); // DTLS 1.0 record version in a first hello
    expect(isClientHello(handshakeRecord(16))).toBe(false); // ClientKeyExchange
    expect(isClientHello(handshakeRecord(1, 0xfd, 1))).toBe(false); // encrypted epoch
    expect(isClientHello(handshakeRecord(1, 0x03))).toBe(false); // TLS, not DTLS
    expect(isClientHello(handshakeRecord(1).subarray(0, 20))).toBe(false); // truncated record
    expect(isClientHello(Buffer.from([0x40, 0x01, 0x12, 0x34]))).toBe(false); // plaintext CoAP
    expect(firstRecord(Buffer.from([23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0]))).toEqual({
      contentType: 23,
      epoch: 1,
    });
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const b = Buffer.from(bytes);
        expect(typeof isClientHello(b)).toBe('boolean');
        firstRecord(b);
      }),
    );
  });
});

describe('DTLS records and the anti-replay window (RFC 6347 §4.1.2.6)', () => {
  const record = (type: number, epoch: number, seq: number, len: number) => {
    const head = Buffer.from([type, 0xfe, 0xfd, 0, epoch, 0, 0, 0, 0, 0, 0, 0, len]);
    head.writeUIntBE(seq, 5, 6);
    return Buffer.concat([head, Buffer.alloc(len, 0xaa)]);
  };

  it('splits a datagram into its records with epoch and 48-bit sequence numbers; a truncated one is refused', () => {
    const two = Buffer.concat([record(23, 1, 2 ** 40 + 5, 30), record(21, 1, 6, 2)]);
    const r = splitRecords(two)!;
    expect(r.map((x) => [x.contentType, x.epoch, x.sequence, x.bytes.length])).toEqual([
      [23, 1, 2 ** 40 + 5, 43],
      [21, 1, 6, 15],
    ]);
    expect(splitRecords(two.subarray(0, two.length - 1))).toBeUndefined();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (b) => void splitRecords(Buffer.from(b))));
  });

  it('behaves like a model: fresh when newer than all seen or within 64 and unseen', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }), (seqs) => {
        const w = new ReplayWindow();
        const seen = new Set<number>();
        let top = -1;
        for (const q of seqs) {
          const expected = q > top || (top - q < 64 && !seen.has(q));
          expect(w.fresh(q)).toBe(expected);
          if (expected) {
            w.mark(q);
            seen.add(q);
            top = Math.max(top, q);
          }
        }
      }),
    );
  });
});

describe('DTLS credentials', () => {
  it('accepts an EC P-256 key in SEC1 form and re-encodes it as PKCS#8 for werift-dtls', () => {
    const pki = makeEcPki();
    const c = dtlsCredentials(readFileSync(pki.serverCert, 'utf8'), readFileSync(pki.serverKey, 'utf8'));
    expect(readFileSync(pki.serverKey, 'utf8')).toContain('BEGIN EC PRIVATE KEY');
    expect(c.keyPem).toContain('BEGIN PRIVATE KEY');
    expect(c.keyKind).toBe('ecdsa-p256');
    expect(c.signatureHash).toEqual({ hash: 4, signature: 3 });
  });

  it('refuses a key that does not match, a curve werift-dtls cannot sign with, and non-PEM input', () => {
    const pki = makeEcPki();
    const cert = readFileSync(pki.serverCert, 'utf8');
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const otherPem = other.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => dtlsCredentials(cert, otherPem)).toThrow(/does not match/);
    expect(() => dtlsCredentials('nope', otherPem)).toThrow(/not a PEM certificate/);
    expect(() => dtlsCredentials(cert, 'nope')).toThrow(/not an unencrypted PEM private key/);
    const dir = tempDir('protohub-ed-');
    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', 'k.pem'], { cwd: dir, stdio: 'pipe' });
    const ed = ['req', '-x509', '-new', '-key', 'k.pem', '-subj', '/CN=x', '-days', '1', '-out', 'c.pem'];
    execFileSync('openssl', ed, { cwd: dir, stdio: 'pipe' });
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    expect(() => dtlsCredentials(read('c.pem'), read('k.pem'))).toThrow(/ed25519 key cannot be used/);
  });
});

describe('gateways.coap.<name>.dtls config', () => {
  it('is off by default, binds 5684 when on, and needs certfile and keyfile', () => {
    const off = coapConfigSchema.parse({});
    expect(off.dtls.enable).toBe(false);
    expect(off.dtls.bind).toEqual({ host: '0.0.0.0', port: 5684 });
    const bad = coapConfigSchema.safeParse({ dtls: { enable: true, certfile: 'c.pem' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['dtls.keyfile']);
    expect(coapConfigSchema.safeParse({ dtls: { enable: true, certfile: 'c', keyfile: 'k', psk: 'x' } }).success).toBe(
      false,
    );
  });
});

describe('a coaps:// peer through the endpoint', () => {
  it('keeps the coaps: key on a retransmitted separate response', () => {
    let now = 0;
    const sent: PeerAddress[] = [];
    const endpoint = new CoapEndpoint(coapConfigSchema.parse({}), {
      devices: {} as never,
      send: (peer) => sent.push(peer),
      metrics: new GatewayMetrics(new Metrics(), 'coap.t'),
      logger: silentLogger(),
      now: () => now,
    });
    const peer: PeerAddress = { address: '::1', port: 40000, key: 'coaps:[::1]:40000' };
    const bytes = encodeCoap({
      type: 'CON',
      code: Rsp.Content,
      messageId: 7,
      token: Buffer.from([1]),
      options: [],
      payload: Buffer.alloc(0),
    });
    endpoint.retransmit.track(peer.key, 7, bytes, { kind: 'response', peer }, now);
    now = 10_000;
    endpoint.tick();
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((p) => isDtlsPeer(p.key) && p.key === peer.key)).toBe(true);
  });
});
