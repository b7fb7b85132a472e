/**
 * Where waiting claims park until their queues may have work. A wake-up comes from Redis pub/sub (published by
 * the script that made tasks claimable, on any replica), so a waiting claim reacts within milliseconds.
 */
export interface Alarm {
  /** Resolves on a wake-up of one of the queues (possibly one that came before this call), at `untilMs`, or on abort. */
  wait(untilMs: number, signal: AbortSignal): Promise<void>;
  disarm(): void;
}

export class WakeBoard {
  private readonly alarmsByQueue = new Map<string, Set<() => void>>();

  /** Arms an alarm before the claim attempt, so a wake-up that races with the attempt is not missed. */
  arm(queues: readonly string[]): Alarm {
    let rang = false;
    let onRing: (() => void) | undefined;
    const ring = (): void => {
      rang = true;
      onRing?.();
    };
    for (const queue of queues) {
      let alarms = this.alarmsByQueue.get(queue);
      if (!alarms) {
        alarms = new Set();
        this.alarmsByQueue.set(queue, alarms);
      }
      alarms.add(ring);
    }
    const disarm = (): void => {
      for (const queue of queues) {
        const alarms = this.alarmsByQueue.get(queue);
        alarms?.delete(ring);
        if (alarms?.size === 0) this.alarmsByQueue.delete(queue);
      }
    };
    return {
      disarm,
      wait: (untilMs, signal) =>
        new Promise<void>((resolve) => {
          const delay = untilMs - Date.now();
          if (rang || signal.aborted || delay <= 0) {
            resolve();
            return;
          }
          const done = (): void => {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            onRing = undefined;
            resolve();
          };
          const timer = setTimeout(done, delay);
          signal.addEventListener('abort', done, { once: true });
          onRing = done;
        }),
    };
  }

  ring(queue: string): void {
    const alarms = this.alarmsByQueue.get(queue);
    if (!alarms) return;
    for (const ring of [...alarms]) ring();
  }

  get waitingQueues(): number {
    return this.alarmsByQueue.size;
  }
}
