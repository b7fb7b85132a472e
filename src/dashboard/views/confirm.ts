import { RETRYABLE_STATES } from '../../domain/queues.js';
import type { TaskState } from '../../domain/task.js';
import { PageError, requireRole } from '../context.js';
import type { View, ViewContext } from '../context.js';
import { html, seg } from '../html.js';
import { actionForm } from '../layout.js';

/** The states a bulk retry names, checked: only finished states can be retried. */
export function retryStates(value: string | null): TaskState[] {
  const states = (value ?? '')
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
  for (const state of states) {
    if (!(RETRYABLE_STATES as readonly string[]).includes(state)) throw new PageError(400, `${state} cannot be retried`);
  }
  return states.length === 0 ? ['FAILED', 'EXHAUSTED'] : (states as TaskState[]);
}

/**
 * Every destructive action stops here first: a page that says exactly what will happen, with the numbers as they
 * are now, and one button that does it. It works without JavaScript and cannot be skipped by a stray click.
 */
export async function confirmPage(ctx: ViewContext, queue: string): Promise<View> {
  const { viewer, url, services } = ctx;
  requireRole(viewer, 'admin', queue);
  const action = url.searchParams.get('action') ?? '';
  const base = `/queues/${seg(queue)}`;
  const back = html`<a class="button" href="${base}">Back</a>`;
  const info = await services.queues.get(queue);
  if (action === 'purge') {
    const waiting = info.counts.PENDING + info.counts.SCHEDULED;
    const finished = info.counts.SUCCEEDED + info.counts.FAILED + info.counts.EXHAUSTED + info.counts.CANCELLED + info.counts.EXPIRED;
    return {
      title: `Purge ${queue}?`,
      body: html`<p class="confirm">This deletes the <b>${info.counts.PENDING}</b> pending and <b>${info.counts.SCHEDULED}</b> scheduled tasks of queue <b>${queue}</b> (${waiting} in all). Tasks under lease (${info.counts.ACTIVE}) stay with their workers. It cannot be undone.</p>
<div class="actions">${actionForm(viewer, `${base}/purge`, `Delete ${waiting} waiting tasks`, {}, true)}${actionForm(
        viewer,
        `${base}/purge`,
        `Delete ${waiting + finished} tasks, finished ones too`,
        { finished: '1' },
        true,
      )}${back}</div>`,
    };
  }
  if (action === 'retry') {
    const states = retryStates(url.searchParams.get('states'));
    const count = states.reduce((n, s) => n + info.counts[s], 0);
    return {
      title: `Retry tasks of ${queue}?`,
      body: html`<p class="confirm">This makes the <b>${count}</b> tasks of queue <b>${queue}</b> that are ${states.map((s) => s.toLowerCase()).join(' or ')} pending again, each with a fresh attempt budget, so workers run them again.</p>
<div class="actions">${actionForm(viewer, `${base}/retry`, `Retry ${count} tasks`, { states: states.join(',') }, true)}${back}</div>`,
    };
  }
  if (action === 'cancel') {
    const taskId = url.searchParams.get('task') ?? '';
    const task = await services.lifecycle.get(queue, taskId);
    const what =
      task.state === 'ACTIVE'
        ? html`It is running on <b>${task.lease?.workerId ?? 'a worker'}</b>: its worker is asked to stop, and it ends cancelled when the worker gives it up or its lease runs out.`
        : html`It is ${task.state.toLowerCase()}: it ends cancelled now and will not run.`;
    return {
      title: `Cancel task ${task.id}?`,
      body: html`<p class="confirm">This cancels task <b>${task.id}</b> of queue <b>${queue}</b>. ${what}</p>
<div class="actions">${actionForm(viewer, `${base}/tasks/${seg(task.id)}/cancel`, 'Cancel the task', {}, true)}<a class="button" href="${base}/tasks/${seg(task.id)}">Back</a></div>`,
    };
  }
  throw new PageError(400, `unknown action "${action}"`);
}
