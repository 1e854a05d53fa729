/**
 * libcoap's DTLS builds (`coap-client-openssl`, `coap-client-gnutls`, Debian libcoap3-bin) as the real coaps://
 * peers of the tests, in certificate mode, and an EC P-256 test PKI made with the openssl CLI (a CA and a server
 * certificate for 127.0.0.1/localhost).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  observeWithCoapClientBinary,
  runCoapClientBinary,
  type CoapClientResult,
  type CoapObserver,
} from './coap-client.js';
import { tempDir } from './tmp.js';

export type CoapsBinary = 'coap-client-openssl' | 'coap-client-gnutls';

export interface EcPki {
  caCert: string;
  serverCert: string;
  /** SEC1 ("EC PRIVATE KEY") on purpose: the gateway must re-encode it for werift-dtls. */
  serverKey: string;
}

export function makeEcPki(): EcPki {
  const dir = tempDir('protohub-ecpki-');
  const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  ssl(['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=protohub test ec ca', '-days', '2', '-out', 'ca.crt']);
  ssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key']);
  ssl(['req', '-new', '-key', 'server.key', '-subj', '/CN=localhost', '-out', 'server.csr']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const sign = ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'];
  ssl([...sign, '-days', '2', '-extfile', 'server.ext', '-out', 'server.crt']);
  return { caCert: join(dir, 'ca.crt'), serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key') };
}

/** Run a DTLS coap-client with `args` (the coaps:// URI last) and wait for it to exit. */
export function coapsClient(bin: CoapsBinary, args: string[], timeoutMs = 20_000): Promise<CoapClientResult> {
  return runCoapClientBinary(bin, args, timeoutMs);
}

/** Observe `uri` for `seconds` over DTLS; complete notification payloads (one per line) through lines(). */
export function coapsObserve(bin: CoapsBinary, uri: string, seconds: number, extra: string[] = []): CoapObserver {
  return observeWithCoapClientBinary(bin, uri, seconds, extra);
}
