/**
 * The server certificate and key of the CoAP DTLS listener, checked before the listener starts: werift-dtls signs
 * ECDHE with an ECDSA P-256 key (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) or an RSA key
 * (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), reads the key only as PKCS#8 and sends the first certificate of the file.
 * Anything else is refused here with a clear message rather than failing every handshake later.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GatewayError } from '../../src/gateway/index.js';

/** TLS 1.2 SignatureAndHashAlgorithm (RFC 5246 §7.4.1.4.1): sha256 = 4; rsa = 1, ecdsa = 3. */
export interface SignatureHash {
  hash: 4;
  signature: 1 | 3;
}

export interface DtlsCredentials {
  certPem: string;
  /** The key re-encoded as PKCS#8 PEM (werift-dtls reads no other encoding). */
  keyPem: string;
  signatureHash: SignatureHash;
  /** "ecdsa-p256" or "rsa": what the handshake will sign with. */
  keyKind: 'ecdsa-p256' | 'rsa';
}

function refuse(what: string, cause?: unknown): never {
  throw new GatewayError('PH_COAP_DTLS_CREDENTIALS', `gateways.coap dtls: ${what}`, { cause });
}

/** Check a PEM certificate and key (sans-IO). */
export function dtlsCredentials(certPem: string, keyPem: string): DtlsCredentials {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    return refuse(`certfile is not a PEM certificate (${(err as Error).message})`, err);
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    return refuse(`keyfile is not an unencrypted PEM private key (${(err as Error).message})`, err);
  }
  if (!cert.checkPrivateKey(key)) refuse('keyfile does not match the public key of certfile');
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  let keyKind: DtlsCredentials['keyKind'];
  if (type === 'ec' && curve === 'prime256v1') keyKind = 'ecdsa-p256';
  else if (type === 'rsa') keyKind = 'rsa';
  else
    return refuse(`a ${type}${curve ? ` ${curve}` : ''} key cannot be used: werift-dtls signs with ECDSA P-256 or RSA`);
  return {
    certPem: cert.toString(),
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    signatureHash: { hash: 4, signature: keyKind === 'rsa' ? 1 : 3 },
    keyKind,
  };
}

export function loadDtlsCredentials(certfile: string, keyfile: string): DtlsCredentials {
  const read = (key: string, file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      return refuse(`cannot read ${key} ${file}: ${(err as Error).message}`, err);
    }
  };
  return dtlsCredentials(read('certfile', certfile), read('keyfile', keyfile));
}
