/**
 * The `ps/{topic}` resource: POST/PUT publish (Block1 reassembled), GET + Observe 0 subscribes, Observe 1
 * unsubscribes, a plain GET reads the retained message, a GET with Block2 NUM > 0 fetches the next block of a
 * large body (RFC 7959 §2.4, §3.4).
 */
import type { DeviceSession, QoS } from '../../src/gateway/index.js';
import { atSize, decodeBlock, encodeBlock, szxFor, type BlockOption } from './block-option.js';
import { sliceBlock } from './block2-store.js';
import type { CoapChannel } from './channel.js';
import { contentFormatOf, mediaTypeOf } from './content-format.js';
import type { EndpointCore } from './core.js';
import { Method, Opt, Rsp, encodeUint, firstOption, uintOption } from './message.js';
import { bindRelation, endRelation, flushPending } from './notifier.js';
import { publishErrorCode, refusalCode, refuseAtLimit } from './refusal.js';
import { answer, armSeparateResponse, fail, responseSzx, type Exchange } from './responder.js';
import { connectedChannel, connectionlessChannel, ensureSession } from './sessions.js';
import type { QosParam, RequestQuery } from './uri.js';

function qosOf(param: QosParam | undefined, mode: string, ex: Exchange): QoS {
  const p = param ?? (mode === 'coap' ? 'coap' : (Number(mode.slice(3)) as QoS));
  if (p === 'coap') return ex.request.type === 'CON' ? 1 : 0;
  return p;
}

type Ctx = { channel: CoapChannel; session: DeviceSession };

/**
 * The channel and session a request acts for, or an answer already sent. Synchronous when the client's session
 * is open (every request after a connectionless client's first, every connection-mode request): the per-message
 * path of a NON publish takes no promise hops it does not need.
 */
function sessionFor(core: EndpointCore, ex: Exchange, query: RequestQuery): Ctx | undefined | Promise<Ctx | undefined> {
  if (core.config.connection_required) {
    const channel = connectedChannel(core, ex.peer, query);
    if (!channel)
      return void fail(
        core,
        ex,
        Rsp.Unauthorized,
        'not_connected',
        'connection mode: clientid and token of a connection required',
      );
    return { channel, session: channel.session! };
  }
  const channel = connectionlessChannel(core, ex.peer, query);
  if (!channel) return void refuseAtLimit(core, ex, 'clients_limit', 'too many CoAP clients', core.config.heartbeat);
  if (channel.session && !channel.session.closed) return { channel, session: channel.session };
  return ensureSession(core, channel, query, { keepAlive: 0, cleanStart: true, sessionExpiry: 0 }).then((s) => {
    if ('refused' in s) return void fail(core, ex, refusalCode(s.refused), `connect_${s.refused}`, s.detail);
    return { channel, session: s.session };
  });
}

export function handlePs(core: EndpointCore, ex: Exchange, topic: string, query: RequestQuery): Promise<void> | void {
  const code = ex.request.code;
  if (code === Method.POST || code === Method.PUT) return publish(core, ex, topic, query);
  if (code === Method.GET) return get(core, ex, topic, query);
  fail(core, ex, Rsp.MethodNotAllowed, 'method_not_allowed', 'ps/{topic} takes POST, PUT and GET');
}

function publish(core: EndpointCore, ex: Exchange, topic: string, query: RequestQuery): Promise<void> | void {
  const req = ex.request;
  const format = uintOption(req, Opt.ContentFormat);
  const contentType = format === undefined ? undefined : mediaTypeOf(format);
  if (format !== undefined && contentType === undefined)
    return fail(core, ex, Rsp.UnsupportedContentFormat, 'bad_content_format', `unknown Content-Format ${format}`);
  let body = req.payload;
  const block1Value = firstOption(req, Opt.Block1);
  const tooLarge = () =>
    answer(core, ex, {
      code: Rsp.RequestEntityTooLarge,
      options: [{ number: Opt.Size1, value: encodeUint(core.config.max_body_size) }],
      payload: Buffer.from(`body over ${core.config.max_body_size} bytes`),
    });
  let block1Echo: Buffer | undefined;
  if (block1Value) {
    const block = decodeBlock(block1Value);
    if (!block) return fail(core, ex, Rsp.BadRequest, 'bad_block_option', 'invalid Block1 option');
    const r = core.block1.offer(ex.peer.key, `${ex.peer.key}|${req.code}|${ex.resourceKey}`, block, body, core.now());
    block1Echo = encodeBlock(block);
    if (r.kind === 'continue') {
      // RFC 7959 §2.3/§2.5: the Block1 option of a 2.31 carries the server's preferred block size; a block larger
      // than max_block_size is kept whole and acknowledged at our size (its NUM rescaled), so the client sends
      // the rest in smaller blocks, numbered from the bytes we already hold.
      const ours = szxFor(core.config.max_block_size);
      if (block.szx > ours) core.ports.metrics.socketEvent('block1_size_reduced');
      const ack = encodeBlock(atSize(block, ours));
      return answer(core, ex, { code: Rsp.Continue, options: [{ number: Opt.Block1, value: ack }] });
    }
    if (r.kind === 'incomplete')
      return fail(core, ex, Rsp.RequestEntityIncomplete, 'block_incomplete', 'block out of sequence');
    if (r.kind === 'too_large') {
      core.ports.metrics.dropped('too_large');
      return tooLarge();
    }
    if (r.kind === 'overloaded')
      return refuseAtLimit(
        core,
        ex,
        `block_transfers_${r.scope}`,
        'too many block transfers in progress',
        core.config.block_timeout,
      );
    body = r.body;
  } else if (body.length > core.config.max_body_size) {
    core.ports.metrics.dropped('too_large');
    return tooLarge();
  }
  armSeparateResponse(core, ex);
  const found = sessionFor(core, ex, query);
  const request: PublishRequest = { topic, body, query, contentType, block1Echo };
  if (found instanceof Promise) return found.then((ctx) => ctx && publishWith(core, ex, ctx.session, request));
  if (found) return publishWith(core, ex, found.session, request);
}

interface PublishRequest {
  topic: string;
  body: Buffer;
  query: RequestQuery;
  contentType: string | undefined;
  block1Echo: Buffer | undefined;
}

function publishWith(core: EndpointCore, ex: Exchange, session: DeviceSession, r: PublishRequest): Promise<void> {
  const qos = qosOf(r.query.qos, core.config.publish_qos, ex);
  const properties =
    r.contentType !== undefined || r.query.expiry !== undefined
      ? { contentType: r.contentType, messageExpiryInterval: r.query.expiry }
      : undefined;
  return session.publish({ topic: r.topic, payload: r.body, qos, retain: r.query.retain ?? false, properties }).then(
    () => {
      core.ports.metrics.message('uplink', r.body.length);
      answer(core, ex, {
        code: Rsp.Changed,
        options: r.block1Echo ? [{ number: Opt.Block1, value: r.block1Echo }] : undefined,
      });
    },
    (err: unknown) => {
      const e = err as { code?: string; message?: string };
      const reason = `publish_${(e.code ?? 'error').toLowerCase()}`;
      fail(core, ex, publishErrorCode(e.code), reason, e.message ?? 'publish failed');
    },
  );
}

async function get(core: EndpointCore, ex: Exchange, topic: string, query: RequestQuery): Promise<void> {
  const req = ex.request;
  const block2 = firstOption(req, Opt.Block2);
  const b2 = block2 ? decodeBlock(block2) : undefined;
  if (block2 && !b2) return fail(core, ex, Rsp.BadRequest, 'bad_block_option', 'invalid Block2 option');
  if (b2 && b2.num > 0) return nextBlock(core, ex, b2);
  const observe = uintOption(req, Opt.Observe);
  if (observe === 0) return register(core, ex, topic, query);
  if (observe === 1) return deregister(core, ex);
  // A plain GET: the retained message on that topic ([EMQX CoAP gateway semantics]).
  if (/[+#]/.test(topic))
    return fail(core, ex, Rsp.BadRequest, 'bad_request', 'a GET without Observe reads one topic: no wildcards');
  // The reader is a client like any other: authenticated (connection mode: its token) and authorized to
  // subscribe to the topic it reads.
  armSeparateResponse(core, ex);
  const ctx = await sessionFor(core, ex, query);
  if (!ctx) return;
  const read = ctx.session.readRetained(topic);
  if (!read.ok) {
    return fail(
      core,
      ex,
      read.reason === 'not_authorized' ? Rsp.Forbidden : Rsp.BadRequest,
      `read_${read.reason}`,
      `read refused: ${read.reason}`,
    );
  }
  if (!read.message) return fail(core, ex, Rsp.NotFound, 'no_retained', `no retained message on ${topic}`);
  const contentFormat = contentFormatOf(read.message.properties?.contentType);
  // RFC 7252 §5.10.4: an Accept the representation does not match → 4.06 (one without a known format matches none)
  const accept = uintOption(req, Opt.Accept);
  if (accept !== undefined && accept !== contentFormat)
    return fail(
      core,
      ex,
      Rsp.NotAcceptable,
      'not_acceptable',
      `the retained message is not in Content-Format ${accept}`,
    );
  answer(core, ex, { code: Rsp.Content, payload: read.message.payload, contentFormat });
}

function nextBlock(core: EndpointCore, ex: Exchange, asked: BlockOption): void {
  const stored = core.block2.get(ex.peer.key, ex.resourceKey, core.now());
  // RFC 7959 §2.4: the representation is gone (lifetime): the client starts over from block 0.
  if (!stored)
    return fail(core, ex, Rsp.RequestEntityIncomplete, 'block2_gone', 'no body in progress for this resource');
  // RFC 7959 §2.4: the server uses the size asked for or a smaller one (never larger than max_block_size, the
  // NUM then counts blocks of our size); a client asking for a smaller size than before (late negotiation)
  // gets it, and so do the later notifications of its observations of this resource.
  const { num, szx } = atSize(asked, Math.min(asked.szx, szxFor(core.config.max_block_size)));
  for (const relation of core.registry.ofPeer(ex.peer.key))
    if (relation.resourceKey === ex.resourceKey && szx < relation.blockSzx) relation.blockSzx = szx;
  const slice = sliceBlock(stored.body, num, szx);
  if (!slice) return fail(core, ex, Rsp.BadOption, 'block2_past_end', `block ${num} is past the end`);
  const options = [
    { number: Opt.ETag, value: stored.etag },
    { number: Opt.Block2, value: encodeBlock({ num, more: slice.more, szx }) },
  ];
  answer(core, ex, { code: Rsp.Content, options, payload: slice.payload, contentFormat: stored.contentFormat });
}

async function register(core: EndpointCore, ex: Exchange, filter: string, query: RequestQuery): Promise<void> {
  armSeparateResponse(core, ex);
  const ctx = await sessionFor(core, ex, query);
  if (!ctx) return;
  const { channel, session } = ctx;
  const qos = qosOf(query.qos, core.config.subscribe_qos, ex);
  const reg = core.registry.register(ex.peer.key, ex.request.token, filter, core.config.notify_type, ex.resourceKey);
  if ('refused' in reg) return refuseAtLimit(core, ex, `observe_limit_${reg.refused}`, 'too many observations');
  // the 24-hour CON clock (RFC 7641 §4.5) starts at registration, or continues across a re-registration
  if (reg.replaced) reg.relation.continueFrom(reg.replaced);
  else reg.relation.lastConAt = core.now();
  // RFC 7959 §2.4 early negotiation: a Block2 option in the registration sets the block size of its notifications
  reg.relation.blockSzx = responseSzx(core, ex.request);
  const [outcome] = session.subscribe([{ filter, qos }]);
  if (!outcome || !outcome.ok) {
    core.registry.remove(reg.relation);
    const reason = outcome && !outcome.ok ? outcome.reason : 'refused';
    const code = reason === 'not_authorized' ? Rsp.Forbidden : Rsp.BadRequest;
    return fail(core, ex, code, `subscribe_${reason}`, `subscribe refused: ${reason}`);
  }
  bindRelation(reg.relation, ex.peer, channel);
  // the replaced registration leaves after the new one is bound, so the shared subscription stays
  if (reg.replaced) endRelation(core, reg.replaced, 'reregistered');
  // RFC 7641 §4.1: the registration's answer carries the Observe option; retained messages follow as
  // notifications (the session hands them over after this synchronous answer).
  answer(core, ex, {
    code: Rsp.Content,
    options: [{ number: Opt.Observe, value: encodeUint(reg.relation.nextSeq()) }],
  });
  if (core.config.connection_required) flushPending(core, channel, reg.relation);
}

function deregister(core: EndpointCore, ex: Exchange): void {
  // RFC 7641 §3.6: GET with Observe 1 and the registration's token cancels it.
  const relation = core.registry.get(ex.peer.key, ex.request.token);
  if (relation) endRelation(core, relation, 'deregistered');
  answer(core, ex, { code: Rsp.Content });
}
