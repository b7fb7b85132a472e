import type { Cluster } from 'ioredis';

/** How soon after a subscriber connection ends a new one is tried. */
const RESELECT_DELAY_MS = 200;

/** What guardClusterSubscriber reaches inside ioredis's ClusterSubscriber (ioredis 5). */
interface SubscriberConnection {
  status: string;
  disconnect(reconnect?: boolean): void;
}
interface ClusterSubscriberInternals {
  subscriber: SubscriberConnection | null;
  lastActiveSubscriber?: SubscriberConnection;
  selectSubscriber(): void;
  /** An arrow function of the instance (ioredis binds it), so it may be called detached. */
  onSubscriberEnd: () => void;
}

const quieted = new WeakSet<SubscriberConnection>();

/**
 * ioredis's cluster subscriber leaks while every node is down. Its subscriber connection does not reconnect: when
 * it ends, a new one is made to another node, at once, and the channels are subscribed again from the last
 * subscriber that was ever active, which is disconnected again each time. Disconnecting a connection whose socket
 * is long closed adds a 'close' listener and a timer to that socket that never fire; with every node refusing
 * connections this loops as fast as they are refused, so listeners pile up by the thousand (Node's
 * MaxListenersExceededWarning on [Socket]) and memory with them, until a subscriber connects again.
 *
 * Here a connection that has ended is not disconnected again, and a new subscriber is tried at most every
 * RESELECT_DELAY_MS. Nothing changes once a subscriber is connected. (Reaches into ioredis's internals, as
 * guardLateCommands in redis.ts does; if they change, the guard does nothing and test/chaos/outage.test.ts says so.)
 */
export function guardClusterSubscriber(cluster: Cluster): void {
  const internals = (cluster as unknown as { subscriber?: Partial<ClusterSubscriberInternals> }).subscriber;
  if (typeof internals?.selectSubscriber !== 'function' || typeof internals.onSubscriberEnd !== 'function') return;
  const subscriber = internals as ClusterSubscriberInternals;
  const select = subscriber.selectSubscriber.bind(subscriber);
  subscriber.selectSubscriber = () => {
    for (const connection of [subscriber.lastActiveSubscriber, subscriber.subscriber]) {
      if (connection) quietWhenEnded(connection);
    }
    select();
  };
  const onEnd = subscriber.onSubscriberEnd;
  let pending: NodeJS.Timeout | undefined;
  // Every subscriber connection registers this property as its 'end' listener (and removes it by it), so replacing
  // it before the first connection is made covers them all.
  subscriber.onSubscriberEnd = () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      onEnd();
    }, RESELECT_DELAY_MS);
    pending.unref();
  };
}

function quietWhenEnded(connection: SubscriberConnection): void {
  if (quieted.has(connection)) return;
  quieted.add(connection);
  const disconnect = connection.disconnect.bind(connection);
  connection.disconnect = (reconnect?: boolean) => {
    if (connection.status !== 'end') disconnect(reconnect);
  };
}
