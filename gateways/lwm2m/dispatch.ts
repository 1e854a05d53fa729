/**
 * Commands of one endpoint (MQTT → device) and their results (device → MQTT): parse the EMQX JSON, hold it while a
 * queue-mode device sleeps (bounded), send it through the Requester, publish the result on up/resp and observe
 * notifications on up/notify with a sequence number. Every refusal is an up/resp error with code and reason.
 */
import type { DeviceDelivery } from '../../src/gateway/index.js';
import { Opt, Rsp, codeText, uintOption, type CoapMessage } from '../coap/index.js';
import { bodyFormatOf, registrationEvent, type Lwm2mClient } from './client.js';
import { CommandError, codeMsg, errorResult, parseCommand, type Command } from './commands.js';
import { decodeContent, Format } from './content.js';
import type { EndpointPorts } from './endpoint.js';
import { splitLinks } from './link-format.js';
import { formatPath, parsePath } from './path.js';
import type { ObjectRegistry } from './objects.js';
import { Requester, type RequestOutcome } from './requester.js';
import type { Lwm2mConfig } from './schema.js';
import { toJsonValue } from './values.js';

/** Where a command's single result goes: the endpoint's `up/resp` topic, or an HTTP API caller. */
export type Reply = (result: Buffer) => void;

export class Dispatcher {
  /** Commands waiting in all endpoints' queues (the instance's downlink queue depth gauge). */
  private waiting = 0;
  /** Their bytes, bounded by max_queued_bytes_total (per-endpoint bounds times many endpoints is no bound). */
  private waitingBytes = 0;

  constructor(
    private readonly config: Lwm2mConfig,
    private readonly objects: ObjectRegistry,
    private readonly requester: Requester,
    private readonly ports: EndpointPorts,
  ) {}

  private async publish(
    c: Lwm2mClient,
    kind: 'response' | 'notify' | 'register' | 'update',
    payload: Buffer,
  ): Promise<void> {
    const t = this.config.translators[kind];
    const session = c.session;
    if (!session || session.closed) return;
    try {
      await session.publish({ topic: t.topic, payload, qos: t.qos, retain: false });
    } catch (err) {
      this.ports.metrics.dropped('publish_refused');
      this.ports.logger.warn({ ep: c.ep, topic: t.topic, err: (err as Error).message }, 'LwM2M publish refused');
    }
  }

  event(c: Lwm2mClient, kind: 'register' | 'update'): Promise<void> {
    return this.publish(c, kind, registrationEvent(c, kind));
  }

  deregisterEvent(c: Lwm2mClient, reason: string): Promise<void> {
    return this.publish(
      c,
      'register',
      Buffer.from(JSON.stringify({ msgType: 'deregister', data: { ep: c.ep, reason } })),
    );
  }

  /** Any message from the device: a queue-mode device is awake for qmode_time_window (TS 1.1 Core §6.5). */
  seen(c: Lwm2mClient, now: number): void {
    c.awakeUntil = now + this.config.qmode_time_window;
    this.flush(c, now);
  }

  /**
   * Sends queued commands while the endpoint has a free NSTART slot (RFC 7252 §4.7: at most NSTART outstanding
   * interactions with one server endpoint) and, in queue mode, is awake (TS 1.1 Core §6.5: requests only within
   * the window after the device's last message). Called on submit, on every message from the device, when a
   * request is released and from the tick.
   */
  flush(c: Lwm2mClient, now: number): void {
    const nstart = this.config.transmission.nstart;
    while (c.queued.length > 0 && !c.closed && c.outstanding < nstart && (!c.queueMode || now < c.awakeUntil)) {
      const q = c.queued.shift()!;
      c.queuedBytes -= q.bytes;
      this.waiting--;
      this.waitingBytes -= q.bytes;
      this.send(c, q.cmd, now, q.reply);
    }
    this.ports.metrics.queueDepth('downlink', this.waiting);
  }

  /**
   * A command from the endpoint's session. QoS >= 1 deliveries are acknowledged to the broker only once the
   * command has its result (published on up/resp), so the session's inflight_window holds further commands in
   * the broker's bounded session queue instead of acknowledging work the device never did.
   */
  onDelivery(c: Lwm2mClient, d: DeviceDelivery): void {
    this.submit(c, d.payload, (result) => {
      void this.publish(c, 'response', result).finally(() => d.ack());
    });
  }

  private toResponseTopic(c: Lwm2mClient): Reply {
    return (result) => void this.publish(c, 'response', result);
  }

  /**
   * One command for an endpoint, from MQTT (`dn`) or the HTTP API; `reply` gets exactly one result document
   * (the EMQX `up/resp` JSON), now or when the device answers. Notifications of an observe go to `up/notify`.
   */
  submit(c: Lwm2mClient, payload: Buffer, reply: Reply): void {
    const now = this.ports.now();
    let cmd: Command;
    try {
      cmd = parseCommand(payload, {
        typeOf: this.objects.typeOf,
        rootPath: c.objects.rootPath,
        bodyFormat: bodyFormatOf(c),
        accept: bodyFormatOf(c),
      });
    } catch (err) {
      const e = err instanceof CommandError ? err : new CommandError(undefined, undefined, undefined, String(err));
      this.ports.metrics.dropped('bad_command');
      this.ports.logger.debug({ ep: c.ep, reqPath: e.reqPath, err: e.message }, 'LwM2M command refused');
      reply(errorResult(e.reqID, e.msgType, e.reqPath, Rsp.BadRequest, e.message));
      return;
    }
    if (
      this.objects.get(cmd.path.objectId) === undefined &&
      !c.objects.objectList.some((o) => o.split('/')[1] === String(cmd.path.objectId))
    )
      this.ports.metrics.socketEvent('unknown_object_command'); // still sent: the device answers 4.04 if it lacks it
    const reqPath = formatPath(cmd.path);
    const refuse = (counter: string, log: object, message: string, code: number, why: string): void => {
      this.ports.metrics.dropped(counter);
      this.ports.logger.debug({ ep: c.ep, reqPath, ...log }, message);
      reply(errorResult(cmd.reqID, cmd.msgType, reqPath, code, why));
    };
    // RFC 7252 §4.6: a message must fit one datagram; refused now rather than dropped at the socket after it took
    // an NSTART slot (no Block1 transfers to devices yet)
    const size = Requester.oversize(cmd.request, this.config.max_datagram_size);
    if (size !== undefined) {
      const why = `request of ${Number.isFinite(size) ? size : 'more than 65507'} bytes exceeds max_datagram_size ${this.config.max_datagram_size}`;
      return refuse('request_too_large', {}, `LwM2M command refused: ${why}`, Rsp.RequestEntityTooLarge, why);
    }
    if (this.waitingBytes + payload.length > this.config.max_queued_bytes_total) {
      const why = `command queues of the gateway are full (${this.waitingBytes} bytes waiting)`;
      const log = { bytes: this.waitingBytes };
      return refuse(
        'gateway_queue_full',
        log,
        'LwM2M command queues of the instance full',
        Rsp.ServiceUnavailable,
        why,
      );
    }
    // observes still queued or waiting for their answer count too, or concurrent ones would all pass the bound
    const observe = cmd.msgType === 'observe';
    if (
      observe &&
      !c.observations.has(reqPath) &&
      c.observations.size + c.observesPending >= this.config.max_observations
    ) {
      const message = 'LwM2M observe refused: max_observations';
      return refuse('max_observations', {}, message, Rsp.ServiceUnavailable, 'too many observations');
    }
    // Every command goes through the endpoint's queue (bounded in messages and bytes), awake device or not.
    if (
      c.queued.length >= this.config.max_queued_commands ||
      c.queuedBytes + payload.length > this.config.max_queued_bytes
    ) {
      const asleep = c.queueMode && now >= c.awakeUntil;
      const why = `command queue of ${asleep ? 'the sleeping' : 'the'} endpoint is full (${c.queued.length} waiting, ${c.queuedBytes} bytes)`;
      const log = { queued: c.queued.length, asleep };
      return refuse('command_queue_full', log, 'LwM2M command queue full', Rsp.ServiceUnavailable, why);
    }
    if (observe) c.observesPending++;
    const answer: Reply = observe
      ? (r) => {
          c.observesPending--; // every command gets exactly one result: queued, sent or dropped with the endpoint
          reply(r);
        }
      : reply;
    c.queued.push({ cmd, reply: answer, bytes: payload.length });
    c.queuedBytes += payload.length;
    this.waiting++;
    this.waitingBytes += payload.length;
    this.flush(c, now);
  }

  private send(c: Lwm2mClient, cmd: Command, now: number, reply: Reply): void {
    const reqPath = formatPath(cmd.path);
    const onNotify = cmd.msgType === 'observe' ? (m: CoapMessage) => this.notify(c, cmd, m) : undefined;
    // RFC 7641 §3.6: a GET with Observe 1 cancels the observation that has the same token; the relation is
    // forgotten here so its later notifications get RST, whatever the device answers
    let cancelled: string | undefined;
    if (cmd.msgType === 'cancel-observe') {
      cancelled = c.observations.get(reqPath);
      if (cancelled !== undefined) this.requester.forget(cancelled);
      c.observations.delete(reqPath);
    }
    c.outstanding++;
    let token: string;
    try {
      const handlers = {
        done: (o: RequestOutcome) => this.done(c, cmd, reqPath, o, token, reply),
        onNotify,
        onRelease: () => {
          c.outstanding--;
          this.flush(c, this.ports.now());
        },
      };
      token = this.requester.request(c.peer.key, cmd.request, now, handlers, cancelled);
    } catch (err) {
      // submit checked the size, so this is a bug; the slot is freed and the command answered, never a crash
      c.outstanding--;
      this.ports.metrics.dropped('internal_error');
      this.ports.logger.error({ ep: c.ep, reqPath, err: (err as Error).message }, 'LwM2M request not sent');
      reply(errorResult(cmd.reqID, cmd.msgType, reqPath, Rsp.InternalServerError, (err as Error).message));
      return;
    }
    this.ports.metrics.message('downlink');
  }

  private done(c: Lwm2mClient, cmd: Command, reqPath: string, o: RequestOutcome, token: string, reply: Reply): void {
    if (o.kind !== 'response') {
      this.ports.metrics.dropped(`request_${o.kind}`);
      const reason =
        o.kind === 'timeout'
          ? o.after === 'deadline'
            ? `no answer within ${this.config.request_timeout / 1000}s`
            : `no acknowledgement after ${this.config.transmission.max_retransmit + 1} transmissions`
          : o.kind === 'reset'
            ? 'the device reset the request'
            : o.reason;
      reply(
        errorResult(
          cmd.reqID,
          cmd.msgType,
          reqPath,
          o.kind === 'timeout' ? Rsp.GatewayTimeout : Rsp.ServiceUnavailable,
          reason,
        ),
      );
      return;
    }
    const m = o.message;
    if (cmd.msgType === 'observe' && m.code >> 5 === 2 && uintOption(m, Opt.Observe) !== undefined) {
      const old = c.observations.get(reqPath);
      if (old) this.requester.forget(old);
      c.observations.set(reqPath, token);
    }
    reply(this.resultOf(c, cmd, reqPath, m));
  }

  private resultOf(c: Lwm2mClient, cmd: Command, reqPath: string, m: CoapMessage, seqNum?: number): Buffer {
    const data: Record<string, unknown> = { reqPath, code: codeText(m.code), codeMsg: codeMsg(m.code) };
    if (m.code === Rsp.Content && m.payload.length > 0) {
      const format = uintOption(m, Opt.ContentFormat);
      if (format === Format.LinkFormat) data.content = splitLinks(m.payload.toString('utf8'));
      else {
        try {
          const nowSec = Date.now() / 1000;
          data.content = decodeContent(format, m.payload, cmd.path, this.objects.typeOf).map((r) => ({
            path: r.path,
            value: toJsonValue(r.value),
            ...(r.time === undefined ? {} : { ts: absoluteTime(r.time, nowSec) }),
          }));
        } catch (err) {
          this.ports.metrics.dropped('bad_content');
          this.ports.logger.warn({ ep: c.ep, reqPath, err: (err as Error).message }, 'LwM2M content not decodable');
          data.reason = (err as Error).message;
        }
      }
    } else if (m.code >> 5 !== 2 && m.payload.length > 0) data.reason = m.payload.toString('utf8');
    const doc =
      seqNum === undefined
        ? { reqID: cmd.reqID, msgType: cmd.msgType, data }
        : { reqID: cmd.reqID, msgType: 'notify', seqNum, data };
    return Buffer.from(JSON.stringify(doc), 'utf8');
  }

  /**
   * `seqNum` is the notification's Observe option (RFC 7641 §3.4 sequence number), as EMQX publishes it; a final
   * error notification has none (§3.2) and gets the endpoint's running count instead.
   */
  private notify(c: Lwm2mClient, cmd: Command, m: CoapMessage): void {
    c.seqNum++;
    this.ports.metrics.message('uplink', m.payload.length);
    const seqNum = uintOption(m, Opt.Observe) ?? c.seqNum;
    void this.publish(c, 'notify', this.resultOf(c, cmd, formatPath(cmd.path), m, seqNum));
  }

  /** auto_observe: observe every object instance the endpoint listed (reqID "auto"). */
  autoObserve(c: Lwm2mClient, now: number): void {
    for (const o of c.objects.objectList) {
      // one bad entry must not skip the others nor surface as an error to the registration already answered 2.01
      try {
        const p = parsePath(o);
        if (p.instanceId === undefined || p.objectId === 0 || p.objectId === 21) continue; // Security / OSCORE are not readable
        const payload = Buffer.from(JSON.stringify({ reqID: 'auto', msgType: 'observe', data: { path: o } }));
        this.submit(c, payload, this.toResponseTopic(c));
      } catch (err) {
        this.ports.metrics.dropped('internal_error');
        this.ports.logger.error({ ep: c.ep, path: o, err: (err as Error).message }, 'LwM2M auto_observe failed');
      }
    }
    void now;
  }

  /** The endpoint went away: pending and queued commands are answered with an error, observations forgotten. */
  end(c: Lwm2mClient, reason: string): void {
    this.waitingBytes -= c.queuedBytes;
    c.queuedBytes = 0;
    this.waiting -= c.queued.length;
    this.ports.metrics.queueDepth('downlink', this.waiting);
    for (const { cmd, reply } of c.queued.splice(0))
      reply(errorResult(cmd.reqID, cmd.msgType, formatPath(cmd.path), Rsp.ServiceUnavailable, `endpoint ${reason}`));
    for (const t of c.observations.values()) this.requester.forget(t);
    c.observations.clear();
    this.requester.dropPeer(c.peer.key, `endpoint ${reason}`);
  }
}

/** RFC 8428 §4.5.3: a time below 2^28 is relative to now (historical values are usually negative offsets). */
function absoluteTime(time: number, nowSec: number): number {
  return time < 2 ** 28 ? nowSec + time : time;
}
