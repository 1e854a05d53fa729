/**
 * Real test peers (mosquitto, nanocat, python3-zmq, libcoap, Cyclone DDS…). A test that needs one declares it
 * with `needPeer`: under CI=true a missing peer fails the test; elsewhere the test is skipped with the install hint.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';

export interface PeerSpec {
  /** Executable to look for on PATH (or an absolute path). */
  bin: string;
  /** Debian package that provides it. */
  apt: string;
  /** Extra probe: a command that must exit 0 (e.g. python3 -c "import zmq"). */
  probe?: [string, ...string[]];
}

export const PEERS = {
  mosquitto: { bin: 'mosquitto', apt: 'mosquitto' },
  mosquitto_pub: { bin: 'mosquitto_pub', apt: 'mosquitto-clients' },
  mosquitto_sub: { bin: 'mosquitto_sub', apt: 'mosquitto-clients' },
  nanocat: { bin: 'nanocat', apt: 'nanomsg-utils' },
  coap_client: { bin: 'coap-client-notls', apt: 'libcoap3-bin' },
  coaps_client_openssl: { bin: 'coap-client-openssl', apt: 'libcoap3-bin' },
  coaps_client_gnutls: { bin: 'coap-client-gnutls', apt: 'libcoap3-bin' },
  pyzmq: { bin: '/usr/bin/python3', apt: 'python3-zmq', probe: ['/usr/bin/python3', '-c', 'import zmq'] },
  openssl: { bin: 'openssl', apt: 'openssl' },
  cc: { bin: 'cc', apt: 'gcc' },
  libnng: { bin: 'cc', apt: 'libnng-dev', probe: ['test', '-e', '/usr/include/nng/nng.h'] },
  cyclonedds: { bin: 'ddsperf', apt: 'cyclonedds-tools' },
  chromium: { bin: '/usr/bin/chromium', apt: 'chromium' },
} satisfies Record<string, PeerSpec>;

export type PeerName = keyof typeof PEERS;

const cache = new Map<string, boolean>();

function onPath(bin: string): boolean {
  if (bin.startsWith('/')) return existsSync(bin);
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function hasPeer(name: PeerName): boolean {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const spec: PeerSpec = PEERS[name];
  let ok = onPath(spec.bin);
  if (ok && spec.probe) {
    try {
      execFileSync(spec.probe[0], spec.probe.slice(1), { stdio: 'ignore' });
    } catch {
      ok = false;
    }
  }
  cache.set(name, ok);
  return ok;
}

export const isCI = process.env.CI === 'true';

/** Missing peers of a list; under CI a missing peer is an error, so the test fails rather than skips. */
export function missingPeers(names: PeerName[]): string[] {
  return names.filter((n) => !hasPeer(n)).map((n) => `${PEERS[n].bin} (apt-get install -y ${PEERS[n].apt})`);
}

/**
 * `describe` that runs only when every peer is installed. Outside CI a missing peer skips the block with the
 * install hint in its name; under CI=true it registers a failing test instead.
 */
export function describeWithPeers(names: PeerName[], title: string, body: () => void): void {
  const missing = missingPeers(names);
  if (missing.length === 0) {
    describe(title, body);
  } else if (isCI) {
    describe(title, () => {
      it(`needs ${missing.join(', ')}`, () => {
        throw new Error(`test peer missing under CI: ${missing.join(', ')}`);
      });
    });
  } else {
    describe.skip(`${title} [skipped: install ${missing.join(', ')}]`, body);
  }
}
