import type { Flows } from '../domain/flows.js';
import type { EventHistory } from '../domain/history.js';
import type { Lifecycle } from '../domain/lifecycle.js';
import type { QueueAdmin } from '../domain/queues.js';
import type { TaskLogs } from '../domain/taskLogs.js';
import type { Schedules } from '../domain/schedules.js';
import type { Updates } from '../domain/updates.js';
import type { WorkerRegistry } from '../domain/workers.js';
import type { Html } from './html.js';
import type { Viewer } from './session.js';

/** The domain services the dashboard reads and acts through: the same ones the gRPC API calls. */
export interface DashboardServices {
  lifecycle: Lifecycle;
  queues: QueueAdmin;
  workers: WorkerRegistry;
  updates: Updates;
  history: EventHistory;
  logs: TaskLogs;
  schedules: Schedules;
  flows: Flows;
}

export interface ViewContext {
  services: DashboardServices;
  viewer: Viewer;
  url: URL;
  now: number;
}

/**
 * What the page's live region follows: events of these queues (of one task), the log lines appended to one task,
 * and a re-render every tickMs.
 */
export interface LiveSpec {
  queues: string[];
  taskId?: string;
  logsOf?: { queue: string; taskId: string };
  tickMs?: number;
}

export interface View {
  title: string;
  /** The live region: rendered again and pushed over server-sent events when what it follows changes. */
  body: Html;
  /** Above the live region (search forms): not replaced while the user types. */
  head?: Html;
  live?: LiveSpec;
  status?: number;
}

/** A refusal shown as a page: 403 when the viewer lacks the role, 404 when a thing does not exist. */
export class PageError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function requireRole(viewer: Viewer, role: 'watch' | 'admin', queue: string): void {
  if (!viewer.can(role, queue)) {
    throw new PageError(403, `${viewer.name === undefined ? 'you lack' : `principal "${viewer.name}" lacks`} the ${role} role on queue "${queue}"`);
  }
}
