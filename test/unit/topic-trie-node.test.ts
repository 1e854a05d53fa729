import { describe, expect, it } from 'vitest';
import { TrieNode, type MutableEntry } from '../../src/broker/topic/trie-node.js';

const entry = (key: string): MutableEntry<number> => ({ filter: 'f', key, value: 0 });

describe('TrieNode (inline first child and entry, Map from the second)', () => {
  it('children: solo, promoted to a Map, detached back to empty', () => {
    const root = new TrieNode<number>(undefined, '');
    const a = root.childOrCreate('a');
    expect(root.childOrCreate('a')).toBe(a);
    expect(root.child('b')).toBeUndefined();
    const b = root.childOrCreate('b');
    const empty = root.childOrCreate('');
    expect([root.child('a'), root.child('b'), root.child('')]).toEqual([a, b, empty]);
    for (const n of [a, empty, b]) root.detach(n);
    expect(root.isEmpty()).toBe(true);
    expect(root.child('a')).toBeUndefined();
    expect(root.childOrCreate('c')).toBe(root.child('c'));
  });
  it('detach ignores a node that is not its child', () => {
    const root = new TrieNode<number>(undefined, '');
    root.childOrCreate('a');
    root.detach(new TrieNode(root, 'a'));
    expect(root.child('a')).toBeDefined();
  });
  it('entries: solo, promoted to a Map, removed', () => {
    const node = new TrieNode<number>(undefined, '');
    expect(node.hasEntries()).toBe(false);
    node.addEntry(entry('k1'));
    expect(node.removeEntry('k2')).toBe(false);
    node.addEntry(entry('k2'));
    const out: MutableEntry<number>[] = [];
    node.pushEntries(out);
    expect(out.map((e) => e.key)).toEqual(['k1', 'k2']);
    expect(node.entry('k2')?.key).toBe('k2');
    expect(node.removeEntry('k1')).toBe(true);
    expect(node.removeEntry('k1')).toBe(false);
    expect(node.removeEntry('k2')).toBe(true);
    expect(node.isEmpty()).toBe(true);
  });
});
