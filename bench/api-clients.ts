/**
 * Issue-15 figure: `GET /api/v5/clients?limit=100` with 10,000 connected clients, p99 ≤ 50 ms.
 * protohub runs as its own process at its defaults (plus HTTP on a free port and a bench API key); 10,000 raw
 * MQTT 3.1.1 connections (CONNECT, wait for CONNACK, keep alive off) are held open from this process; then
 * sequential requests over one kept-alive connection, after a warm-up, are timed: first page, a middle page,
 * and a filtered query (username, which scans every session).
 */
import { connect, type Socket } from 'node:net';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqttPacket from 'mqtt-packet';
import { ApiKeyStore } from '../src/http/api-keys.js';
import { freePort } from '../test/support/net.js';
import { startProtohub } from './brokers.js';
import type { Figures } from './scenarios.js';

export const API_CLIENTS = { full: 10_000, quick: 2_000 };

function connectOne(port: number, id: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.once('error', reject);
    s.once('data', (d: Buffer) =>
      d[0] === 0x20 && d[3] === 0 ? resolve(s) : reject(new Error(`CONNACK ${d.toString('hex')}`)),
    );
    s.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId: id,
        clean: true,
        keepalive: 0,
      }),
    );
  });
}

function get(
  port: number,
  path: string,
  auth: string,
  agent: Agent,
): Promise<{ status: number; ms: number; bytes: number }> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { authorization: auth } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

export async function apiClients(clients: number, requests = 300): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'protohub-bench-api-'));
  const keysFile = join(dir, 'keys.json');
  const key = new ApiKeyStore(keysFile).create('bench');
  const auth = `Basic ${Buffer.from(`${key.key}:${key.secret}`).toString('base64')}`;
  const httpPort = await freePort();
  const hub = await startProtohub({
    extraConfig: { http: { enable: true, bind: `127.0.0.1:${httpPort}`, api_keys_file: keysFile } },
  });
  const sockets: Socket[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < clients; i += 500) {
      const batch = Array.from({ length: Math.min(500, clients - i) }, (_, j) =>
        connectOne(hub.port, `bench-${i + j}`),
      );
      sockets.push(...(await Promise.all(batch)));
    }
    const stats = await get(httpPort, '/api/v5/stats', auth, agent);
    if (stats.status !== 200) throw new Error(`stats answered ${stats.status}`);
    const figures: Figures = { clients };
    const paths = {
      first: '/api/v5/clients?limit=100',
      middle: `/api/v5/clients?limit=100&page=${Math.max(1, Math.floor(clients / 200))}`,
      filtered: '/api/v5/clients?limit=100&username=nobody',
    };
    for (const [name, path] of Object.entries(paths)) {
      for (let i = 0; i < 30; i++) await get(httpPort, path, auth, agent); // warm-up (JIT)
      const ms: number[] = [];
      let bytes = 0;
      for (let i = 0; i < requests; i++) {
        const r = await get(httpPort, path, auth, agent);
        if (r.status !== 200) throw new Error(`${path} answered ${r.status}`);
        ms.push(r.ms);
        bytes = r.bytes;
      }
      ms.sort((a, b) => a - b);
      figures[`${name}_p50_ms`] = +pct(ms, 50).toFixed(2);
      figures[`${name}_p99_ms`] = +pct(ms, 99).toFixed(2);
      if (name === 'first') figures.first_page_kb = +(bytes / 1024).toFixed(1);
    }
    return figures;
  } finally {
    agent.destroy();
    for (const s of sockets) s.destroy();
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// `npx tsx bench/api-clients.ts [--quick]` runs this scenario alone (npm run build first) without replacing
// the recorded full run in bench/results/latest.json
if (process.argv[1]?.endsWith('api-clients.ts')) {
  const quick = process.argv.includes('--quick');
  apiClients(quick ? API_CLIENTS.quick : API_CLIENTS.full).then(
    (f) => {
      console.log(JSON.stringify({ scenario: 'api-clients', at: new Date().toISOString(), figures: f }, null, 2));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
