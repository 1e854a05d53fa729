/**
 * Test PKI made with the real openssl CLI: a CA, a server certificate for 127.0.0.1/localhost and a client
 * certificate, all PEM files in a temp directory.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';

export interface TestPki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by a different CA (must be refused). */
  rogueCert: string;
  rogueKey: string;
}

function ssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

function issue(dir: string, name: string, cn: string, ca: string, caKey: string, ext?: string): void {
  ssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`],
    dir,
  );
  const args = [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    ca,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-sha256',
  ];
  if (ext) {
    writeFileSync(join(dir, `${name}.ext`), ext);
    args.push('-extfile', `${name}.ext`);
  }
  ssl(args, dir);
}

export function makeTestPki(): TestPki {
  const dir = tempDir('protohub-pki-');
  for (const ca of ['ca', 'rogue-ca']) {
    ssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${ca}.key`,
        '-out',
        `${ca}.crt`,
        '-days',
        '2',
        '-subj',
        `/CN=protohub test ${ca}`,
      ],
      dir,
    );
  }
  issue(
    dir,
    'server',
    'localhost',
    'ca.crt',
    'ca.key',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  issue(dir, 'client', 'test-client', 'ca.crt', 'ca.key', 'extendedKeyUsage=clientAuth\n');
  issue(dir, 'rogue', 'rogue-client', 'rogue-ca.crt', 'rogue-ca.key', 'extendedKeyUsage=clientAuth\n');
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    rogueCert: p('rogue.crt'),
    rogueKey: p('rogue.key'),
  };
}
