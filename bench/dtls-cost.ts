/**
 * CPU cost of werift-dtls as the CoAP DTLS listener uses it (no network, no CoAP): one ECDHE-ECDSA P-256 handshake
 * with both ends in this process, and per-record decrypt (client → server) and encrypt (server → client) of a
 * 40-byte CoAP-sized payload. `npx tsx bench/dtls-cost.ts` — CPU time per operation, so a loaded box inflates it
 * less than wall time would; the figures in docs/gateways/coap.md came from one run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DtlsClient, DtlsServer } from 'werift-dtls/lib/dtls/src/index.js';
import { dtlsCredentials } from '../gateways/coap/dtls-credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'dtls-cost-'));
const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
ssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'k.pem']);
ssl(['req', '-x509', '-new', '-key', 'k.pem', '-subj', '/CN=localhost', '-days', '1', '-out', 'c.pem']);
const cred = dtlsCredentials(readFileSync(join(dir, 'c.pem'), 'utf8'), readFileSync(join(dir, 'k.pem'), 'utf8'));
rmSync(dir, { recursive: true });

type Pipe = ReturnType<typeof pipe>;
function pipe(to: () => Pipe) {
  return {
    type: 'udp',
    closed: false,
    address: { address: '127.0.0.1', family: 'IPv4', port: 1 },
    onData: (_d: Buffer, _a: readonly [string, number]): void => undefined,
    send: (d: Buffer): Promise<void> => {
      setImmediate(() => to().onData(d, ['127.0.0.1', 1]));
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

async function pair(): Promise<{ server: DtlsServer; client: DtlsClient; st: Pipe; ct: Pipe }> {
  const st: Pipe = pipe(() => ct);
  const ct: Pipe = pipe(() => st);
  const server = new DtlsServer({
    cert: cred.certPem,
    key: cred.keyPem,
    signatureHash: cred.signatureHash,
    transport: st,
  });
  const client = new DtlsClient({ transport: ct });
  await new Promise<void>((resolve) => {
    server.onConnect.subscribe(() => resolve());
    client.connect();
  });
  return { server, client, st, ct };
}

const cpuUs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return u.user + u.system;
};

const HANDSHAKES = 50;
let t = process.cpuUsage();
for (let i = 0; i < HANDSHAKES; i++) {
  const p = await pair();
  p.st.closed = p.ct.closed = true;
}
console.log(`handshake, both ends: ${(cpuUs(t) / HANDSHAKES / 1000).toFixed(2)} ms CPU`);

const RECORDS = 20_000;
const { server, client, st, ct } = await pair();
const records: Buffer[] = [];
ct.send = (d) => (records.push(d), Promise.resolve());
const payload = Buffer.alloc(40, 1);
for (let i = 0; i < RECORDS; i++) await client.send(payload);
let received = 0;
server.onData.subscribe(() => received++);
t = process.cpuUsage();
for (const r of records) st.onData(r, ['127.0.0.1', 1]);
console.log(`decrypt: ${(cpuUs(t) / RECORDS).toFixed(1)} µs CPU per record (${received} of ${RECORDS} delivered)`);
st.send = () => Promise.resolve();
t = process.cpuUsage();
for (let i = 0; i < RECORDS; i++) await server.send(payload);
console.log(`encrypt: ${(cpuUs(t) / RECORDS).toFixed(1)} µs CPU per record`);
process.exit(0);
