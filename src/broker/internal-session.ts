/**
 * In-process sessions (BrokerApi.session$): a Session whose sink is an RxJS subscriber. Same QoS, window and
 * queueing semantics as a network client; `ack()` is the PUBACK/PUBCOMP.
 */
// the deep import loads Observable alone; the 'rxjs' index pulls every operator (~130 ms of start-up; 180–270 ms vs
// 27–64 ms measured under load for issue 9). rxjs is pinned exactly; test/unit/deps-internals.test.ts checks the path
import { Observable } from 'rxjs/internal/Observable';
import type { QoS } from '../envelope.js';
import { StateError, TopicError } from '../errors.js';
import type { Delivery, InternalSessionOptions } from './api.js';
import type { Broker } from './broker.js';
import { envelopeFromMessage, type Pending } from './message.js';
import type { Session, SessionSink } from './session.js';
import { validateTopicFilter } from './topic/index.js';
import { NEVER_EXPIRES } from './expiry.js';

export function internalSession$(broker: Broker, opts: InternalSessionOptions): Observable<Delivery> {
  return new Observable<Delivery>((subscriber) => {
    if (!broker.running) {
      subscriber.error(new StateError('PH_STATE_STOPPED', 'broker is not running'));
      return;
    }
    for (const s of opts.subscriptions) {
      const bad = validateTopicFilter(s.filter.replace(/^\$share\/[^/]+\//, ''), broker.options.max_topic_levels);
      if (bad) {
        subscriber.error(new TopicError('PH_TOPIC_INVALID', `invalid filter "${s.filter}": ${bad}`));
        return;
      }
    }
    const existing = broker.sessions.get(opts.clientId);
    if (existing?.sink) {
      subscriber.error(new StateError('PH_STATE_SESSION_BUSY', `session ${opts.clientId} is already attached`));
      return;
    }
    const { session } = broker.openSession(opts.clientId, {
      cleanStart: !opts.persistent,
      protocolVersion: 5,
      expiryInterval: opts.persistent ? NEVER_EXPIRES : 0,
      internal: true,
    });
    let closed = false;
    const sink: SessionSink = {
      writable: true,
      acceptsQos0: true,
      receiveMaximum: opts.receiveMaximum ?? 32,
      publish(p: Pending, packetId: number | undefined, dup: boolean) {
        if (closed) return true;
        let acked = false;
        const delivery: Delivery = {
          envelope: envelopeFromMessage(p.msg, p.qos as QoS, p.retain),
          qos: p.qos,
          redelivered: dup,
          ack: () => {
            if (acked || packetId === undefined || closed) return;
            acked = true;
            if (p.qos === 2) session.received(packetId);
            session.complete(packetId);
          },
        };
        subscriber.next(delivery);
        return true;
      },
      pubrel() {
        // an internal QoS 2 delivery is completed by ack(); nothing to send
      },
    };
    session.sink = sink;
    session.durableConsumer = opts.durableConsumer === true && session.persistent;
    // replace subscriptions that are no longer wanted (config changed between runs)
    const wanted = new Set(opts.subscriptions.map((s) => s.filter));
    for (const filter of [...session.subscriptions.keys()])
      if (!wanted.has(filter)) broker.unsubscribe(session, filter);
    for (const s of opts.subscriptions) {
      const prev = session.subscriptions.get(s.filter);
      const sub = {
        filter: s.filter,
        qos: s.qos,
        noLocal: s.noLocal ?? false,
        retainAsPublished: s.retainAsPublished ?? false,
        retainHandling: s.retainHandling ?? 0,
      };
      if (
        !prev ||
        prev.qos !== sub.qos ||
        prev.noLocal !== sub.noLocal ||
        prev.retainAsPublished !== sub.retainAsPublished
      ) {
        broker.deliverRetained(session, sub, broker.subscribe(session, sub));
      }
    }
    const stop = () => {
      if (!closed) subscriber.complete();
    };
    broker.onStop.push(stop);
    session.resume();
    return () => {
      closed = true;
      broker.onStop = broker.onStop.filter((f) => f !== stop);
      if (session.sink === sink) detachInternal(broker, session);
    };
  });
}

function detachInternal(broker: Broker, session: Session): void {
  if (broker.sessions.get(session.clientId) !== session) return;
  broker.detach(session);
}
