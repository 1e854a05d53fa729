/**
 * Collects load problems with the best location known: the offending field, else its rule, else the source.
 */
import type { PositionOf } from './types.js';

export type IssuePath = (string | number)[];

export class IssueList {
  readonly #source: string;
  readonly #positionOf: PositionOf | undefined;
  readonly items: string[] = [];

  constructor(source: string, positionOf?: PositionOf) {
    this.#source = source;
    this.#positionOf = positionOf;
  }

  /** `path` is the field's path in the definition, e.g. ["uplink", 2, "topic"]; `rule` its label. */
  add(path: IssuePath, rule: string | undefined, message: string): void {
    const where = this.#locate(path);
    this.items.push(rule === undefined ? `${where}: ${message}` : `${where} rule ${rule}: ${message}`);
  }

  #locate(path: IssuePath): string {
    for (let n = path.length; n >= 0 && this.#positionOf; n--) {
      const pos = this.#positionOf(path.slice(0, n));
      if (pos) return `${pos.file}:${pos.line}`;
    }
    return this.#source;
  }
}
