import { describe, expect, it } from 'vitest';
import { MatchCache } from '../../src/broker/topic/match-cache.js';
import { ConfigError } from '../../src/errors.js';

describe('MatchCache', () => {
  it('is bounded and gives recently hit topics a second chance', () => {
    const cache = new MatchCache<number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1); // 'a' referenced: survives the next eviction
    cache.set('d', 4);
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.get('d')).toBe(4);
    expect(cache.stats()).toMatchObject({ evictions: 1, size: 3, capacity: 3 });
  });
  it('evicts even when every slot was hit', () => {
    const cache = new MatchCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.get('b');
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.get('c')).toBe(3);
  });
  it('counts hits, misses and clears; capacity 0 stores nothing', () => {
    const cache = new MatchCache<number>(2);
    cache.get('x');
    cache.set('x', 1);
    cache.get('x');
    cache.set('x', 2);
    expect(cache.get('x')).toBe(2);
    cache.clear();
    cache.clear();
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1, clears: 1, size: 0 });
    const off = new MatchCache<number>(0);
    off.set('x', 1);
    expect(off.get('x')).toBeUndefined();
    expect(() => new MatchCache<number>(-1)).toThrow(ConfigError);
    expect(() => new MatchCache<number>(1.5)).toThrow(/PH_CONFIG_INVALID|integer/);
  });
});
