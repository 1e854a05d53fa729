/**
 * nanomsg reports no connection events, so a dialling socket cannot tell that its peer died. This probe opens
 * (and at once closes) a plain stream connection to every dial URL at an interval: a refused connection means
 * the peer's listener is gone, which health then shows with the error. The SP peer sees only a connection that
 * closes before the SP header, which NNG and nanomsg drop silently.
 */
import { connect, type Socket } from 'node:net';

export interface DialTarget {
  url: string;
  /** False until the first probe succeeded. */
  reachable: boolean;
  probed: boolean;
  lastError?: string;
}

function endpointOf(url: string): { path: string } | { host: string; port: number } | undefined {
  if (url.startsWith('ipc://')) return { path: url.slice('ipc://'.length) };
  const m = /^(?:tcp|ws):\/\/(.+):(\d+)$/.exec(url);
  if (!m) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

function probe(url: string, timeoutMs: number): Promise<string | undefined> {
  const ep = endpointOf(url);
  if (!ep) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const sock: Socket = connect(ep as never);
    const done = (err?: string): void => {
      sock.destroy();
      resolve(err);
    };
    sock.setTimeout(timeoutMs, () => done('connect timed out'));
    sock.once('connect', () => done());
    sock.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

export class DialLiveness {
  readonly targets: DialTarget[];
  readonly #intervalMs: number;
  readonly #onChange: (target: DialTarget) => void;
  #timer?: NodeJS.Timeout;
  #running = false;

  constructor(urls: string[], intervalMs: number, onChange: (target: DialTarget) => void) {
    this.targets = urls.map((url) => ({ url, reachable: false, probed: false }));
    this.#intervalMs = intervalMs;
    this.#onChange = onChange;
  }

  /** Probing is on (interval > 0) and there is something to probe. */
  get enabled(): boolean {
    return this.#intervalMs > 0 && this.targets.length > 0;
  }

  start(): void {
    if (this.#intervalMs <= 0 || this.targets.length === 0 || this.#timer) return;
    this.#timer = setInterval(() => void this.#round(), this.#intervalMs);
    this.#timer.unref();
    void this.#round();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #round(): Promise<void> {
    if (this.#running) return; // a slow round must not pile up behind itself
    this.#running = true;
    try {
      await Promise.all(
        this.targets.map(async (t) => {
          const err = await probe(t.url, Math.max(100, this.#intervalMs));
          const reachable = err === undefined;
          if (t.probed && reachable === t.reachable && (reachable || err === t.lastError)) return;
          t.probed = true;
          t.reachable = reachable;
          if (err !== undefined) t.lastError = `dial ${t.url}: ${err}`;
          this.#onChange(t);
        }),
      );
    } finally {
      this.#running = false;
    }
  }
}
