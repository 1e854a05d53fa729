/**
 * One level of the subscription trie. Most nodes of a large trie sit on device-specific chains with one child and
 * one subscription (`site/7/dev/4242/cmd`), so the first child and the first entry live in fields and a Map is made
 * only for the second: this halves the memory per subscription and saves a hash lookup per level on such chains.
 */

/** A subscription as stored; `value` is replaced in place on re-insert so cached result lists stay valid. */
export interface MutableEntry<T> {
  readonly filter: string;
  readonly key: string;
  value: T;
}

export class TrieNode<T> {
  plus: TrieNode<T> | undefined;
  hash: TrieNode<T> | undefined;
  private soloLevel = '';
  private solo: TrieNode<T> | undefined;
  private children: Map<string, TrieNode<T>> | undefined;
  private soloEntry: MutableEntry<T> | undefined;
  private entries: Map<string, MutableEntry<T>> | undefined;

  constructor(
    readonly parent: TrieNode<T> | undefined,
    readonly level: string,
  ) {}

  isEmpty(): boolean {
    return (
      this.solo === undefined &&
      this.children === undefined &&
      this.plus === undefined &&
      this.hash === undefined &&
      !this.hasEntries()
    );
  }

  hasEntries(): boolean {
    return this.soloEntry !== undefined || this.entries !== undefined;
  }

  /** The literal (non-wildcard) child for a level. */
  child(level: string): TrieNode<T> | undefined {
    if (this.solo !== undefined) return this.soloLevel === level ? this.solo : undefined;
    return this.children?.get(level);
  }

  /** The literal child for a level, created when missing. */
  childOrCreate(level: string): TrieNode<T> {
    const existing = this.child(level);
    if (existing !== undefined) return existing;
    const created = new TrieNode(this, level);
    if (this.solo !== undefined) {
      this.children = new Map([[this.soloLevel, this.solo]]);
      this.solo = undefined;
      this.soloLevel = '';
    }
    if (this.children !== undefined) this.children.set(level, created);
    else {
      this.solo = created;
      this.soloLevel = level;
    }
    return created;
  }

  /** Detach a child node (literal, `+` or `#`) that has become empty. */
  detach(node: TrieNode<T>): void {
    if (this.plus === node) this.plus = undefined;
    else if (this.hash === node) this.hash = undefined;
    else if (this.solo === node) {
      this.solo = undefined;
      this.soloLevel = '';
    } else if (this.children?.get(node.level) === node) {
      this.children.delete(node.level);
      if (this.children.size === 0) this.children = undefined;
    }
  }

  entry(key: string): MutableEntry<T> | undefined {
    if (this.soloEntry !== undefined) return this.soloEntry.key === key ? this.soloEntry : undefined;
    return this.entries?.get(key);
  }

  /** Add an entry whose key is not present yet. */
  addEntry(entry: MutableEntry<T>): void {
    if (this.soloEntry !== undefined) {
      this.entries = new Map([[this.soloEntry.key, this.soloEntry]]);
      this.soloEntry = undefined;
    }
    if (this.entries !== undefined) this.entries.set(entry.key, entry);
    else this.soloEntry = entry;
  }

  removeEntry(key: string): boolean {
    if (this.soloEntry !== undefined) {
      if (this.soloEntry.key !== key) return false;
      this.soloEntry = undefined;
      return true;
    }
    if (this.entries?.delete(key) !== true) return false;
    if (this.entries.size === 0) this.entries = undefined;
    return true;
  }

  pushEntries(out: MutableEntry<T>[]): void {
    if (this.soloEntry !== undefined) out.push(this.soloEntry);
    else if (this.entries !== undefined) for (const e of this.entries.values()) out.push(e);
  }
}
