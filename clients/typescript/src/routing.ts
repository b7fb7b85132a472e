import { PermanentError } from './errors.js';
import type { Handler } from './handler.js';

/** Handlers by task type (the `type` a producer gives a task), as Celery task names or BullMQ job names. */
export type Handlers = Readonly<Record<string, Handler>>;

/** A task's type has no handler on this worker (and the worker has no default handler): failed permanently. */
export class NoHandlerError extends PermanentError {
  constructor(readonly taskType: string) {
    super(`no handler for task type ${JSON.stringify(taskType)}`);
    this.name = 'NoHandlerError';
  }
}

/**
 * One handler that routes each task by its type: to `handlers[type]` when there is one, else to `fallback` (the
 * default handler, which untyped tasks get too); with neither, the task fails permanently with a NoHandlerError
 * naming its type, since retrying it on this worker would not help.
 */
export function routeByType(handlers: Handlers | undefined, fallback: Handler | undefined): Handler {
  const byType = new Map(Object.entries(handlers ?? {}));
  if (byType.size === 0 && fallback) return fallback;
  if (byType.size === 0) throw new TypeError('createWorker: give a handler, or handlers by task type');
  for (const [type, handler] of byType) {
    if (typeof handler !== 'function') throw new TypeError(`createWorker: the handler for task type "${type}" is not a function`);
  }
  return (task, ctx) => {
    const handler = byType.get(task.type) ?? fallback;
    if (!handler) throw new NoHandlerError(task.type);
    return handler(task, ctx);
  };
}
