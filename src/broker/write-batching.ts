/**
 * Write batching of the network connections (connection.ts): when a connection's batch leaves, and how it is
 * written to the socket.
 */
import type { Duplex } from 'node:stream';

/** A connection as write batching sees it. */
export interface BatchedWriter {
  /** 0 = no write yet this iteration, 1 = wrote (later writes wait for setImmediate). */
  writeTurn: 0 | 1;
  /** Sends the current batch (connection.ts). */
  flushWrites(): void;
}

/**
 * Write batching, shared by all connections. Packets for a client are collected and leave in one socket write
 * (small packets copied into one buffer: one Writable.write and one syscall instead of a write() per packet and
 * a many-chunk writev). The first batch to a client in an event-loop iteration leaves at the end of the
 * callback that caused it (nextTick): a lone message is not held back, which is the latency path. Packets to
 * the same client later in that iteration (caused by other sockets' reads or datagrams handled in the same poll
 * phase) wait for the check phase (setImmediate) and leave together: the fan-in and gateway throughput path.
 * A batch that reaches COALESCE_BYTES leaves at once. So a client gets two writes per iteration, plus one per
 * 64 KB beyond; one nextTick and one setImmediate serve all clients.
 */
let flushAtTickEnd: BatchedWriter[] = [];
let flushAtTurnEnd: BatchedWriter[] = [];
/** Clients that wrote in this iteration (their next writes wait for the check phase). */
let wroteThisTurn: BatchedWriter[] = [];
// emptied lists kept for the next round (a new array per tick and per iteration is garbage at every message)
let spareTick: BatchedWriter[] = [];
let spareTurn: BatchedWriter[] = [];
let spareWrote: BatchedWriter[] = [];

function flushTick(): void {
  const list = flushAtTickEnd;
  flushAtTickEnd = spareTick;
  for (let i = 0; i < list.length; i++) list[i].flushWrites();
  list.length = 0;
  spareTick = list;
}

function flushTurn(): void {
  const list = flushAtTurnEnd;
  const wrote = wroteThisTurn;
  flushAtTurnEnd = spareTurn;
  wroteThisTurn = spareWrote;
  for (let i = 0; i < wrote.length; i++) wrote[i].writeTurn = 0;
  for (let i = 0; i < list.length; i++) list[i].flushWrites();
  wrote.length = 0;
  list.length = 0;
  spareTurn = list;
  spareWrote = wrote;
}

/** Packets up to this many bytes in all are copied into one buffer; bigger batches go as chunks of about this size. */
export const COALESCE_BYTES = 64 * 1024;

/** Called when the first packet enters an empty batch: schedules the flush that sends it. */
export function scheduleFlush(writer: BatchedWriter): void {
  if (writer.writeTurn === 0) {
    // first batch this iteration: out at the end of the current callback (see flushTick)
    writer.writeTurn = 1;
    if (wroteThisTurn.length === 0) setImmediate(flushTurn);
    wroteThisTurn.push(writer);
    if (flushAtTickEnd.length === 0) process.nextTick(flushTick);
    flushAtTickEnd.push(writer);
  } else {
    // more in the same iteration: batched until the check phase (flushTurn is scheduled, this client
    // being in wroteThisTurn)
    flushAtTurnEnd.push(writer);
  }
}

/** Writes the first `n` packets of `out` (`bytes` in all) to the socket. */
export function writeBatch(socket: Duplex, out: Buffer[], n: number, bytes: number): void {
  if (n === 1) {
    socket.write(out[0]);
    return;
  }
  if (bytes <= COALESCE_BYTES) {
    socket.write(Buffer.concat(out, bytes));
    return;
  }
  // a large batch: chunks of about COALESCE_BYTES (a big packet goes as it is), one writev for them all
  socket.cork();
  let from = 0;
  let size = 0;
  for (let i = 0; i < n; i++) {
    const len = out[i].length;
    if (size > 0 && size + len > COALESCE_BYTES) {
      writeRun(socket, out, from, i, size);
      from = i;
      size = 0;
    }
    size += len;
  }
  writeRun(socket, out, from, n, size);
  socket.uncork();
}

function writeRun(socket: Duplex, out: Buffer[], from: number, to: number, size: number): void {
  socket.write(to - from === 1 ? out[from] : Buffer.concat(out.slice(from, to), size));
}
