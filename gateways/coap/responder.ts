/**
 * Answers to requests (RFC 7252 §5.2): piggybacked on the ACK of a CON when the answer is ready in time, else an
 * empty ACK first and the answer later as its own CON (separate response, §5.2.2); a NON request gets a NON
 * answer (§5.2.3). Bodies larger than the block size leave as Block2 (RFC 7959 §2.4) from the body store.
 */
import { encodeBlock, szxFor, blockSize, decodeBlock } from './block-option.js';
import { sliceBlock } from './block2-store.js';
import type { PeerAddress } from './channel.js';
import { encodeCoap } from './codec.js';
import type { EndpointCore } from './core.js';
import { Opt, codeText, encodeUint, firstOption, type CoapMessage, type CoapOption } from './message.js';

/** One request being handled. */
export class Exchange {
  answered = false;
  /** An empty ACK went out: the answer must be a separate CON. */
  emptyAcked = false;
  separateTimer?: ReturnType<typeof setTimeout>;
  #resourceKey?: string;

  constructor(
    readonly peer: PeerAddress,
    readonly request: CoapMessage,
  ) {}

  /** Key of the requested resource (Uri-Path + Uri-Query) for Block1/Block2/Observe bookkeeping; built on first use. */
  get resourceKey(): string {
    this.#resourceKey ??= this.request.options
      .filter((o) => o.number === Opt.UriPath || o.number === Opt.UriQuery)
      .map((o) => `${o.number}=${o.value.toString('hex')}`)
      .join('&');
    return this.#resourceKey;
  }
}

export interface Answer {
  code: number;
  options?: CoapOption[];
  payload?: Buffer;
  contentFormat?: number;
}

/** Block size for a body sent to this request: the client's Block2 SZX if it asked for one, capped by ours. */
export function responseSzx(core: EndpointCore, request: CoapMessage): number {
  const ours = szxFor(core.config.max_block_size);
  const asked = firstOption(request, Opt.Block2);
  const b = asked ? decodeBlock(asked) : undefined;
  return b ? Math.min(b.szx, ours) : ours;
}

/**
 * RFC 7959 §2.4/§3.4: a body over the block size leaves as its first block, the rest on request, all from the one
 * representation kept in the Block2 store. Adds ETag, Block2 and Size2 to `options`; returns the first block.
 */
export function firstBlock(
  core: EndpointCore,
  peerKey: string,
  resourceKey: string,
  body: Buffer,
  szx: number,
  contentFormat: number | undefined,
  options: CoapOption[],
): Buffer {
  const stored = core.block2.put(peerKey, resourceKey, body, core.now(), contentFormat);
  const first = sliceBlock(body, 0, szx)!;
  options.push({ number: Opt.ETag, value: stored.etag });
  options.push({ number: Opt.Block2, value: encodeBlock({ num: 0, more: first.more, szx }) });
  options.push({ number: Opt.Size2, value: encodeUint(body.length) });
  return first.payload;
}

export function answer(core: EndpointCore, ex: Exchange, a: Answer): void {
  if (ex.answered) return;
  ex.answered = true;
  if (ex.separateTimer) clearTimeout(ex.separateTimer);
  const options: CoapOption[] = [...(a.options ?? [])];
  if (a.contentFormat !== undefined) options.push({ number: Opt.ContentFormat, value: encodeUint(a.contentFormat) });
  let payload = a.payload ?? Buffer.alloc(0);
  const szx = responseSzx(core, ex.request);
  if (payload.length > blockSize(szx))
    payload = firstBlock(core, ex.peer.key, ex.resourceKey, payload, szx, a.contentFormat, options);
  const req = ex.request;
  const piggyback = req.type === 'CON' && !ex.emptyAcked;
  const msg: CoapMessage = {
    type: piggyback ? 'ACK' : req.type === 'CON' ? 'CON' : 'NON',
    code: a.code,
    messageId: piggyback ? req.messageId : core.nextMessageId(ex.peer.key),
    token: req.token,
    options,
    payload,
  };
  const bytes = encodeCoap(msg);
  core.send(ex.peer, bytes);
  if (piggyback) core.dedup.answered(ex.peer.key, req.messageId, bytes);
  else if (msg.type === 'CON')
    core.retransmit.track(ex.peer.key, msg.messageId, bytes, { kind: 'response', peer: ex.peer }, core.now());
}

/**
 * Error answers carry a diagnostic payload (RFC 7252 §5.5.2), leave a debug line with the peer, and count
 * `protohub_gateway_dropped_total{reason}`: every error answer is counted here, once, by what went wrong.
 */
export function fail(
  core: EndpointCore,
  ex: Exchange,
  code: number,
  reason: string,
  diagnostic: string,
  options?: CoapOption[],
): void {
  const text = codeText(code);
  core.ports.metrics.dropped(reason);
  core.ports.logger.debug({ peer: ex.peer.key, code: text, reason }, `CoAP request answered ${text}: ${diagnostic}`);
  answer(core, ex, { code, options, payload: Buffer.from(diagnostic, 'utf8') });
}

/** RFC 7252 §5.2.2: acknowledge a CON now when its answer will take longer. */
export function armSeparateResponse(core: EndpointCore, ex: Exchange): void {
  if (ex.request.type !== 'CON' || ex.answered) return;
  ex.separateTimer = setTimeout(() => {
    if (ex.answered) return;
    ex.emptyAcked = true;
    const bytes = encodeCoap({
      type: 'ACK',
      code: 0,
      messageId: ex.request.messageId,
      token: Buffer.alloc(0),
      options: [],
      payload: Buffer.alloc(0),
    });
    core.send(ex.peer, bytes);
    core.dedup.answered(ex.peer.key, ex.request.messageId, bytes);
  }, core.separateAfterMs);
  ex.separateTimer.unref?.();
}
