import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  deriveScramCredentials,
  formatScramEntry,
  parseScramEntry,
  SCRAM_MECHANISMS,
  type ScramCredentials,
  type ScramMechanism,
} from '../../src/auth/scram-credentials.js';
import { decodeSaslName, encodeSaslName, parseClientFirst } from '../../src/auth/scram-messages.js';
import { ScramServer, type ScramStep } from '../../src/auth/scram-server.js';
import { parsePasswordFile } from '../../src/auth/password-file.js';
import { ScramClient } from '../support/scram-client.js';

const b = (s: string) => Buffer.from(s, 'utf8');

describe('SCRAM-SHA-256 against the RFC 7677 §3 test vector', () => {
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const serverNonce = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';

  it('answers the RFC exchange byte for byte', async () => {
    const creds = await deriveScramCredentials('SCRAM-SHA-256', 'pencil', 4096, salt);
    const server = new ScramServer('SCRAM-SHA-256', (u) => (u === 'user' ? creds : undefined), {
      nonce: () => serverNonce,
    });
    const first = server.step(b('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    expect(first).toEqual({
      kind: 'challenge',
      data: b('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'),
    });
    const final = server.step(
      b('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='),
    );
    expect(final).toEqual({
      kind: 'success',
      username: 'user',
      data: b('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='),
    });
    expect(server.finished).toBe(true);
    expect(server.step(b('anything'))).toMatchObject({ kind: 'failure', failure: 'out_of_order' });
  });

  it('refuses the RFC proof with one bit flipped', async () => {
    const creds = await deriveScramCredentials('SCRAM-SHA-256', 'pencil', 4096, salt);
    const server = new ScramServer('SCRAM-SHA-256', () => creds, { nonce: () => serverNonce });
    server.step(b('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    const proof = Buffer.from('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'base64');
    proof[0] ^= 1;
    const r = server.step(b(`c=biws,r=rOprNGfwEbeRWgbNEkqO${serverNonce},p=${proof.toString('base64')}`));
    expect(r).toMatchObject({ kind: 'failure', failure: 'bad_proof', username: 'user' });
  });
});

/** Run a whole exchange between the test client and the server. */
async function exchange(
  mechanism: ScramMechanism,
  creds: ScramCredentials,
  user: string,
  password: string,
): Promise<{ final: ScramStep; client: ScramClient }> {
  const server = new ScramServer(mechanism, (u) => (u === user ? creds : undefined));
  const client = new ScramClient(mechanism, user, password);
  const first = server.step(client.first());
  if (first.kind !== 'challenge') throw new Error(`expected a challenge, got ${JSON.stringify(first)}`);
  return { final: server.step(await client.final(first.data)), client };
}

describe('SCRAM server (properties)', () => {
  const user = fc.string({ minLength: 1, maxLength: 20 });
  const password = fc.string({ minLength: 1, maxLength: 30 });
  const mechanism = fc.constantFrom(...SCRAM_MECHANISMS);

  it('any user and password authenticates, and the client verifies the server signature', async () => {
    await fc.assert(
      fc.asyncProperty(mechanism, user, password, async (m, u, pw) => {
        const creds = await deriveScramCredentials(m, pw, 2);
        const { final, client } = await exchange(m, creds, u, pw);
        expect(final).toMatchObject({ kind: 'success', username: u });
        expect(client.verify(final.kind === 'success' ? final.data : undefined)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('any other password fails with bad_proof', async () => {
    await fc.assert(
      fc.asyncProperty(mechanism, user, password, password, async (m, u, pw, other) => {
        fc.pre(pw.normalize('NFKC') !== other.normalize('NFKC'));
        const creds = await deriveScramCredentials(m, pw, 2);
        const { final } = await exchange(m, creds, u, other);
        expect(final).toMatchObject({ kind: 'failure', failure: 'bad_proof' });
      }),
      { numRuns: 40 },
    );
  });

  it('an unknown user gets a stable decoy challenge and fails like a wrong password', async () => {
    const lookup = () => undefined;
    const a = new ScramServer('SCRAM-SHA-256', lookup).step(b('n,,n=ghost,r=abc'));
    const c = new ScramServer('SCRAM-SHA-256', lookup).step(b('n,,n=ghost,r=abc'));
    expect(a.kind).toBe('challenge');
    const salt = (s: ScramStep) => (s.kind === 'challenge' ? /s=([^,]+)/.exec(s.data.toString())![1] : '');
    expect(salt(a)).toBe(salt(c));
    const creds = await deriveScramCredentials('SCRAM-SHA-256', 'x', 2);
    const client = new ScramClient('SCRAM-SHA-256', 'ghost', 'x');
    const server = new ScramServer('SCRAM-SHA-256', (u) => (u === 'someone' ? creds : undefined));
    const first = server.step(client.first());
    expect(server.step(await client.final(first.kind === 'challenge' ? first.data : ''))).toMatchObject({
      kind: 'failure',
      failure: 'unknown_user',
    });
  });

  it('a user without data for the mechanism fails at once with no_credentials', () => {
    const r = new ScramServer('SCRAM-SHA-512', () => 'no_credentials').step(b('n,,n=old,r=abc'));
    expect(r).toMatchObject({ kind: 'failure', failure: 'no_credentials', username: 'old' });
  });

  it('garbage at either step is a malformed failure, never an exception', async () => {
    const creds = await deriveScramCredentials('SCRAM-SHA-256', 'pw', 2);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (x, y) => {
        const server = new ScramServer('SCRAM-SHA-256', () => creds);
        const first = server.step(Buffer.from(x));
        if (first.kind === 'failure') {
          expect(first.failure).toBe('malformed');
          return;
        }
        const final = server.step(Buffer.from(y));
        expect(final.kind).toBe('failure');
      }),
      { numRuns: 500 },
    );
    const server = () => new ScramServer('SCRAM-SHA-256', () => creds);
    for (const bad of [
      '',
      'n=user,r=abc', // no gs2 header
      'p=tls-unique,,n=user,r=abc', // channel binding demanded
      'n,,m=ext,n=user,r=abc', // mandatory extension
      'n,,n=us=er,r=abc', // bad saslname escape
      'n,,n=,r=abc',
      'n,,n=user,r=',
      'n,a=other,n=user,r=abc', // authzid differs
      'x,,n=user,r=abc',
    ])
      expect(server().step(b(bad)), bad).toMatchObject({ kind: 'failure', failure: 'malformed' });
  });

  it('refuses a client-final with a wrong channel binding or nonce', async () => {
    const creds = await deriveScramCredentials('SCRAM-SHA-256', 'pw', 2);
    for (const tamper of [(s: string) => s.replace('c=biws', 'c=eSws'), (s: string) => s.replace(',r=n', ',r=x')]) {
      const server = new ScramServer('SCRAM-SHA-256', () => creds);
      const client = new ScramClient('SCRAM-SHA-256', 'u', 'pw', 'nonce');
      const first = server.step(client.first());
      const final = (await client.final(first.kind === 'challenge' ? first.data : '')).toString();
      expect(server.step(b(tamper(final)))).toMatchObject({ kind: 'failure', failure: 'malformed' });
    }
  });
});

describe('SCRAM messages and stored entries', () => {
  it('saslname escaping round-trips (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(decodeSaslName(encodeSaslName(s))).toBe(s);
      }),
    );
    expect(parseClientFirst(b('n,,n=a=2Cb=3Dc,r=xyz')).username).toBe('a,b=c');
  });

  it('entries round-trip and bad ones throw PH_AUTH_HASH_INVALID', async () => {
    for (const m of SCRAM_MECHANISMS) {
      const c = await deriveScramCredentials(m, 'pw', 4096);
      const text = formatScramEntry(m, c);
      expect(text.startsWith(`$${m.toLowerCase()}$i=4096$`)).toBe(true);
      expect(parseScramEntry(text)).toEqual({ mechanism: m, credentials: c });
    }
    const c = await deriveScramCredentials('SCRAM-SHA-256', 'pw', 2);
    const wrongLength = formatScramEntry('SCRAM-SHA-512', c); // 32-byte keys where 64 are needed
    for (const bad of [
      '',
      '$scram-sha-1$i=1$AAAAAAAAAAA=$AA==$AA==',
      wrongLength,
      formatScramEntry('SCRAM-SHA-256', { ...c, iterations: 0 }),
    ])
      expect(() => parseScramEntry(bad), bad).toThrow(expect.objectContaining({ code: 'PH_AUTH_HASH_INVALID' }));
  });

  it('the password file keeps reading old scrypt-only lines and reads SCRAM fields', async () => {
    const scrypt = '$scrypt$N=16,r=1,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
    const c = await deriveScramCredentials('SCRAM-SHA-256', 'pw', 2);
    const entries = parsePasswordFile(`old:${scrypt}\nnew:${scrypt}:${formatScramEntry('SCRAM-SHA-256', c)}\n`, 'f');
    expect(entries.get('old')!.scram).toEqual({});
    expect(entries.get('new')!.scram).toEqual({ 'SCRAM-SHA-256': c });
    expect(() => parsePasswordFile(`u:${scrypt}:garbage\n`, 'f')).toThrow(/f:1: invalid SCRAM entry/);
    const twice = `u:${scrypt}:${formatScramEntry('SCRAM-SHA-256', c)}:${formatScramEntry('SCRAM-SHA-256', c)}`;
    expect(() => parsePasswordFile(twice, 'f')).toThrow(/f:1: SCRAM-SHA-256 appears twice/);
  });
});
