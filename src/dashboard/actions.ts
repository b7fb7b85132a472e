import type { DashboardServices } from './context.js';
import { PageError, requireRole } from './context.js';
import { seg } from './html.js';
import type { Viewer } from './session.js';
import { retryStates } from './views/confirm.js';

/**
 * Runs one action a form posted (the caller checked its CSRF token), as the admin role allows, through the same
 * domain services as the gRPC API, and says where to send the browser next: back to the page the action concerns.
 */
export async function performAction(services: DashboardServices, viewer: Viewer, path: string, form: URLSearchParams): Promise<string> {
  const parts = path.split('/').slice(1).map(decodeURIComponent);
  const queue = parts[1];
  if (parts[0] !== 'queues' || queue === undefined || queue === '') throw new PageError(404, `no action at ${path}`);
  requireRole(viewer, 'admin', queue);
  const queuePath = `/queues/${seg(queue)}`;
  if (parts.length === 3) {
    switch (parts[2]) {
      case 'pause':
        await services.queues.pause(queue);
        return queuePath;
      case 'resume':
        await services.queues.resume(queue);
        return queuePath;
      case 'purge':
        await services.queues.purge(queue, form.get('finished') === '1');
        return queuePath;
      case 'retry':
        await services.queues.retryTasks(queue, retryStates(form.get('states')));
        return queuePath;
    }
  }
  const taskId = parts[3];
  if (parts.length === 5 && parts[2] === 'tasks' && taskId !== undefined) {
    const taskPath = `${queuePath}/tasks/${seg(taskId)}`;
    switch (parts[4]) {
      case 'cancel':
        // A parent's cancel cancels its unfinished children too, as CancelTask does.
        await services.flows.cancel(queue, taskId);
        return taskPath;
      case 'retry':
        await services.lifecycle.retry(queue, taskId);
        return taskPath;
    }
  }
  throw new PageError(404, `no action at ${path}`);
}
