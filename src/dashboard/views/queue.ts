import { BatonError } from '../../domain/errors.js';
import { TASK_STATES } from '../../domain/task.js';
import type { MetadataEntry, Task, TaskState } from '../../domain/task.js';
import { RETRYABLE_STATES } from '../../domain/queues.js';
import { SCAN_PER_QUEUE, WINDOW_MS, addEvents, emptyThroughput, isFinishEvent, throughputChart } from '../chart.js';
import { PageError, requireRole } from '../context.js';
import type { View, ViewContext } from '../context.js';
import { ago, duration, href, html, seg } from '../html.js';
import type { Html } from '../html.js';
import { actionForm } from '../layout.js';
import { flowControl } from './flowControl.js';

export const TASK_PAGE_SIZE = 50;

function stateParam(value: string | null): TaskState {
  const upper = (value ?? 'PENDING').toUpperCase();
  if (!(TASK_STATES as readonly string[]).includes(upper)) throw new PageError(400, `unknown state "${value ?? ''}"`);
  return upper as TaskState;
}

/** The metadata search "key=value" (the value may be empty or hold "="), or undefined when none is asked for. */
function metadataParam(value: string | null): MetadataEntry | undefined {
  const text = (value ?? '').trim();
  if (text === '') return undefined;
  const equals = text.indexOf('=');
  if (equals <= 0) throw new PageError(400, `search metadata as key=value, not "${text.slice(0, 100)}"`);
  return { key: text.slice(0, equals), value: text.slice(equals + 1) };
}

/** A count carried from page to page (tasks searched so far); 0 when absent or not a count. */
function countParam(value: string | null): number {
  const count = Number(value ?? '0');
  return Number.isSafeInteger(count) && count > 0 ? count : 0;
}

function metadataText(metadata: Record<string, string>): string {
  const text = Object.entries(metadata)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

export function taskRow(task: Task, now: number): Html {
  return html`<tr data-task="${task.id}"><td><a href="/queues/${seg(task.queue)}/tasks/${seg(task.id)}">${task.id}</a></td><td>${task.type}</td><td><span class="state ${task.state.toLowerCase()}">${task.state.toLowerCase()}</span></td><td class="num">${task.attempt}/${task.maxAttempts}</td><td class="num">${task.priority}</td><td>${ago(task.createTime, now)}</td><td>${ago(task.updateTime, now)}</td><td>${task.lease?.workerId ?? ''}</td><td class="meta">${metadataText(task.metadata)}</td></tr>`;
}

export function taskTable(tasks: readonly Task[], now: number): Html {
  return html`<table class="tasks"><thead><tr><th>id</th><th>type</th><th>state</th><th class="num">attempt</th><th class="num">priority</th><th>created</th><th>updated</th><th>worker</th><th>metadata</th></tr></thead><tbody>${tasks.map(
    (t) => taskRow(t, now),
  )}</tbody></table>`;
}

/** One queue: its figures and controls, and its tasks in one state a page at a time, filtered by type. */
export async function queuePage(ctx: ViewContext, queue: string): Promise<View> {
  const { viewer, url, services, now } = ctx;
  requireRole(viewer, 'watch', queue);
  const id = (url.searchParams.get('id') ?? '').trim();
  if (id !== '') {
    // Search by id: the task's own page, or a not-found note on this one.
    const found = await services.lifecycle.get(queue, id).catch((error: unknown) => {
      if (error instanceof BatonError && (error.code === 'NOT_FOUND' || error.code === 'INVALID_ARGUMENT')) return undefined;
      throw error;
    });
    if (found) throw new Redirect(`/queues/${seg(queue)}/tasks/${seg(found.id)}`);
  }
  const state = stateParam(url.searchParams.get('state'));
  const type = url.searchParams.get('type') ?? '';
  const metaText = (url.searchParams.get('meta') ?? '').trim();
  const metadata = metadataParam(metaText);
  const pageToken = url.searchParams.get('page') ?? '';
  const [info, list, recent] = await Promise.all([
    services.queues.get(queue),
    services.lifecycle.list({
      queue,
      state,
      pageSize: TASK_PAGE_SIZE,
      pageToken,
      includePayload: false,
      type,
      ...(metadata === undefined ? {} : { metadata }),
    }),
    services.history.since(queue, now - WINDOW_MS, SCAN_PER_QUEUE, isFinishEvent),
  ]);
  // A filtered page reads a bounded number of tasks (newest first), so say how many were searched, not "no match".
  const searched = countParam(url.searchParams.get('searched')) + list.examined;
  const filters = { state, type, meta: metaText };
  const chart = emptyThroughput();
  addEvents(chart, recent.events, now);
  chart.partial = recent.truncated;
  const base = `/queues/${seg(queue)}`;
  const admin = viewer.can('admin', queue);
  const retryable = RETRYABLE_STATES.filter((s) => info.counts[s] > 0);
  const controls = admin
    ? html`<div class="actions">${
        info.paused ? actionForm(viewer, `${base}/resume`, 'Resume') : actionForm(viewer, `${base}/pause`, 'Pause')
      }<a class="button danger" href="${href(`${base}/confirm`, { action: 'purge' })}">Purge…</a>${
        retryable.length > 0 ? html`<a class="button" href="${href(`${base}/confirm`, { action: 'retry', states: retryable.join(',') })}">Retry ${retryable.map((s) => s.toLowerCase()).join(', ')}…</a>` : ''
      }</div>`
    : '';
  return {
    title: `Queue ${queue}`,
    head: html`<form method="get" action="${base}" class="search"><input type="hidden" name="state" value="${state}"><input name="id" value="${id}" placeholder="task id" aria-label="task id"><input name="type" value="${type}" placeholder="type" aria-label="task type"><input name="meta" value="${metaText}" placeholder="metadata key=value" aria-label="metadata key=value"><button>Search</button></form>`,
    body: html`<section class="summary"><p>${info.paused ? html`<span class="badge paused">paused</span> ` : ''}oldest pending: <b>${duration(info.oldestPendingAgeMs)}</b> · live workers: <b>${info.liveWorkers}</b> · last claim: ${ago(info.lastClaimTime, now)} · lease ${duration(info.settings.leaseDurationMs)} · max attempts ${info.settings.maxAttempts}${(info.settings.partitions ?? 1) > 1 ? html` · partitions <b>${info.settings.partitions ?? 1}</b>` : ''}</p>${flowControl(info)}${controls}${throughputChart(chart, `Throughput of ${queue}`)}</section>
${id !== '' ? html`<p class="notice">No task “${id}” in this queue.</p>` : ''}
<nav class="tabs">${TASK_STATES.map(
      (s) => html`<a href="${href(base, { ...filters, state: s })}"${s === state ? html` class="current" aria-current="page"` : ''}>${s.toLowerCase()} <span class="count">${info.counts[s]}</span></a>`,
    )}</nav>
${metadata === undefined ? '' : html`<p class="notice searched">Searched ${searched.toLocaleString('en')} tasks of the queue, newest first, for ${metadata.key}=${metadata.value}${list.nextPageToken === '' ? ' (all of them)' : '; the next page searches on'}.</p>`}
${list.tasks.length === 0 ? html`<p class="empty">No ${state.toLowerCase()} tasks${type === '' ? '' : html` of type “${type}”`}${metadata === undefined ? '' : html` with ${metadata.key}=${metadata.value}`}${list.nextPageToken === '' ? '' : ' on this page'}.</p>` : taskTable(list.tasks, now)}
<p class="pager">${pageToken === '' ? '' : html`<a href="${href(base, filters)}">← first page</a> `}${
      list.nextPageToken === '' ? '' : html`<a rel="next" href="${href(base, { ...filters, page: list.nextPageToken, ...(metadata === undefined ? {} : { searched: String(searched) }) })}">Next page →</a>`
    }</p>`,
    live: { queues: [queue] },
  };
}

/** A view that answers with a redirect (search by id finding the task). */
export class Redirect extends Error {
  constructor(readonly location: string) {
    super(location);
  }
}
