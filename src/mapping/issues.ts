/**
 * Collects load problems with the best location known: the offending field, else its rule, else the source.
 * Problems come out in file order (file-level first, then uplink rules, then downlink rules), whatever order
 * the checks found them in.
 */
import type { PositionOf } from './types.js';

export type IssuePath = (string | number)[];

const DIRECTION_ORDER: Record<string, number> = { uplink: 1, downlink: 2 };

export class IssueList {
  readonly #source: string;
  readonly #positionOf: PositionOf | undefined;
  readonly #found: { direction: number; index: number; seq: number; text: string }[] = [];

  constructor(source: string, positionOf?: PositionOf) {
    this.#source = source;
    this.#positionOf = positionOf;
  }

  /** `path` is the field's path in the definition, e.g. ["uplink", 2, "topic"]; `rule` its label. */
  add(path: IssuePath, rule: string | undefined, message: string): void {
    const where = this.#locate(path);
    const text = rule === undefined ? `${where}: ${message}` : `${where} rule ${rule}: ${message}`;
    const index = typeof path[1] === 'number' ? path[1] : -1;
    this.#found.push({ direction: DIRECTION_ORDER[String(path[0])] ?? 0, index, seq: this.#found.length, text });
  }

  get items(): string[] {
    return [...this.#found]
      .sort((a, b) => a.direction - b.direction || a.index - b.index || a.seq - b.seq)
      .map((i) => i.text);
  }

  #locate(path: IssuePath): string {
    for (let n = path.length; n >= 0 && this.#positionOf; n--) {
      const pos = this.#positionOf(path.slice(0, n));
      if (pos) return `${pos.file}:${pos.line}`;
    }
    return this.#source;
  }
}
