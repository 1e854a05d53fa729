/**
 * The keys each peer holds in one of the gateway's bounded tables (Block1 transfers, Block2 bodies), oldest first:
 * what the per-peer bound counts and what "forget this peer" walks. A peer with no key left has no entry.
 */
export class PeerKeys {
  private readonly byPeer = new Map<string, Set<string>>();

  count(peer: string): number {
    return this.byPeer.get(peer)?.size ?? 0;
  }

  oldest(peer: string): string | undefined {
    return this.byPeer.get(peer)?.values().next().value;
  }

  /** A copy, so the caller may delete while it walks them. */
  keys(peer: string): string[] {
    return [...(this.byPeer.get(peer) ?? [])];
  }

  add(peer: string, key: string): void {
    let keys = this.byPeer.get(peer);
    if (!keys) this.byPeer.set(peer, (keys = new Set()));
    keys.add(key);
  }

  delete(peer: string, key: string): void {
    const keys = this.byPeer.get(peer);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.byPeer.delete(peer);
  }
}
