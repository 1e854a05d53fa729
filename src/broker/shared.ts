/**
 * Shared subscription groups ($share/{group}/{filter}): each message goes to one member, round robin,
 * preferring members that are connected and have room in their in-flight window ([MQTT-4.8.2-3]).
 */
import type { StoredSubscription } from '../store/types.js';
import type { Session } from './session.js';

export interface Member {
  session: Session;
  sub: StoredSubscription;
}

export class SharedGroup {
  readonly key: string;
  readonly members = new Map<string, Member>();
  #rr = 0;

  constructor(
    readonly group: string,
    readonly filter: string,
  ) {
    this.key = `$share/${group}/${filter}`;
  }

  /** Next member to receive a message; `exclude` skips a session that is giving the message up. */
  pick(exclude?: Session): Member | undefined {
    const all = [...this.members.values()].filter((m) => m.session !== exclude);
    if (all.length === 0) return undefined;
    const start = this.#rr++ % all.length;
    // first pass: connected with window room; second: connected; last: anyone (offline persistent queues it)
    for (const accept of [
      (m: Member) => m.session.sink !== undefined && m.session.inflightCount < m.session.sink.receiveMaximum,
      (m: Member) => m.session.sink !== undefined,
      () => true,
    ]) {
      for (let i = 0; i < all.length; i++) {
        const m = all[(start + i) % all.length];
        if (accept(m)) return m;
      }
    }
    return undefined;
  }
}
