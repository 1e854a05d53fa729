/**
 * Bounds of the dashboard's message views against a real in-process broker: the dead-letter ring keeps only the
 * newest entries, and a live stream whose client does not read skips messages and counts them instead of
 * buffering them.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelope } from '../../src/envelope.js';
import { DlqRing } from '../../src/http/dlq-ring.js';
import { LiveStreams } from '../../src/http/live.js';
import { eventually, startHub, stopAllHubs, type StartedHub } from '../support/hub.js';

/** A response whose socket never drains: `writableLength` grows with every write, like a stalled browser. */
class StalledResponse extends EventEmitter {
  chunks: string[] = [];
  writableLength = 0;
  writableEnded = false;
  writeHead() {
    return this;
  }
  write(chunk: string) {
    this.chunks.push(chunk);
    this.writableLength += Buffer.byteLength(chunk);
    return false;
  }
  end() {
    this.writableEnded = true;
  }
}

describe('dashboard message views are bounded', () => {
  let h: StartedHub;
  beforeAll(async () => {
    h = await startHub();
  });
  afterAll(() => stopAllHubs());

  it('the dead-letter ring keeps the newest N, newest first, and counts the overwritten', async () => {
    const ring = new DlqRing(3, 4);
    ring.start(h.hub.broker);
    for (let i = 0; i < 5; i++)
      await h.hub.broker.publish(
        envelope(`$hub/dlq/zeromq.z`, `payload-${i}`, { properties: { userProperties: { reason: 'malformed' } } }),
      );
    await eventually(() => ring.overwritten === 2, 'two overwritten');
    const latest = ring.latest();
    expect(latest.map((e) => e.gateway)).toEqual(['zeromq.z', 'zeromq.z', 'zeromq.z']);
    expect(latest.map((e) => e.payload)).toEqual(['payl', 'payl', 'payl']);
    expect(latest.every((e) => e.truncated && e.payload_size === 9 && e.reason === 'malformed')).toBe(true);
    expect(ring.latest(1)).toHaveLength(1);
    ring.stop();
  });

  it('a stalled live viewer skips messages beyond its buffer limit and counts them; limits viewers', async () => {
    const live = new LiveStreams({ maxViewers: 1, maxPreview: 16, maxBuffered: 1000, heartbeatMs: 60_000 });
    const req = new EventEmitter() as IncomingMessage;
    const res = new StalledResponse();
    live.open(h.hub.broker, req, res as unknown as ServerResponse, 'load/#');
    expect(() => live.open(h.hub.broker, req, res as unknown as ServerResponse, 'load/#')).toThrow(/at most 1/);
    for (let i = 0; i < 50; i++) await h.hub.broker.publish(envelope(`load/${i}`, 'x'.repeat(100)));
    const sent = () => res.chunks.filter((c) => c.startsWith('event: message')).length;
    await eventually(() => sent() + live.dropped === 50, 'every message sent or counted as dropped');
    expect(live.dropped).toBeGreaterThan(0);
    expect(res.writableLength).toBeLessThan(1000 + 1000);
    req.emit('close');
    expect(live.count).toBe(0);
    expect(res.writableEnded).toBe(true);
  });
});
