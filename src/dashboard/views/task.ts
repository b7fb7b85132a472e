import { TASK_LOG_LINES_MAX } from '../../domain/limits.js';
import type { TaskLogPage } from '../../domain/taskLogs.js';
import { TERMINAL_STATES } from '../../domain/task.js';
import type { TaskEvent } from '../../domain/task.js';
import type { ChildRecord } from '../../domain/store.js';
import { RETRYABLE_STATES } from '../../domain/queues.js';
import { requireRole } from '../context.js';
import type { View, ViewContext } from '../context.js';
import { duration, href, html, seg, time } from '../html.js';
import type { Html } from '../html.js';
import { actionForm } from '../layout.js';
import { preview } from '../preview.js';

/** Events of the queue read back for one task's timeline (from its creation on). */
const TIMELINE_SCAN = 5_000;

function previewBlock(label: string, value: Buffer | undefined): Html {
  const p = preview(value);
  if (p.kind === 'empty') return html`<section><h2>${label}</h2><p class="empty">empty</p></section>`;
  return html`<section><h2>${label} <small>${p.size} bytes · ${p.kind}${p.truncated ? ' · truncated' : ''}</small></h2><pre class="preview ${p.kind}">${p.text}</pre></section>`;
}

function logSection(page: TaskLogPage): Html {
  const dropped = page.firstPosition > 1 ? page.firstPosition - 1 : 0;
  const summary = page.lastPosition === 0 ? '' : html` <small>${page.lines.length} lines${dropped > 0 ? ` · ${dropped} older dropped` : ''}</small>`;
  const lines =
    page.lines.length === 0
      ? html`<p class="empty">No log lines.</p>`
      : html`<ol class="logs">${page.lines.map(
          (line) =>
            html`<li data-position="${line.position}">${time(line.timeMs)} <span class="attempt">#${line.attempt}</span> <span class="text">${line.text}</span>${line.truncated ? html` <small class="meta">[truncated]</small>` : ''}</li>`,
        )}</ol>`;
  return html`<section id="logs"><h2>Logs${summary}</h2>${lines}</section>`;
}

/** Children listed on a parent's page at most; `baton tree` and ListChildren show them all. */
const CHILDREN_SHOWN = 200;

function taskLink(queue: string, id: string): Html {
  return html`<a href="/queues/${seg(queue)}/tasks/${seg(id)}">${queue}/${id}</a>`;
}

function childrenSection(children: readonly ChildRecord[], total: number): Html {
  if (children.length === 0) return html``;
  const finished = children.filter((c) => c.outcome).length;
  const summary = total > children.length ? `${finished} of the first ${children.length} of ${total} finished` : `${finished} of ${total} finished`;
  const rows = children.map(
    (c) =>
      html`<tr><td>${taskLink(c.queue, c.id)}</td><td>${c.outcome ? html`<span class="state ${c.outcome.state.toLowerCase()}">${c.outcome.state.toLowerCase()}</span>` : 'unfinished'}</td><td>${c.failurePolicy.toLowerCase().replace('_', ' ')}</td></tr>`,
  );
  const more = total > children.length ? html`<p class="meta">${total - children.length} more not shown (baton tree lists them all).</p>` : '';
  return html`<section id="children"><h2>Children <small>${summary}</small></h2><table class="children"><thead><tr><th>task</th><th>finished as</th><th>if it fails</th></tr></thead><tbody>${rows}</tbody></table>${more}</section>`;
}

function timeline(events: readonly TaskEvent[], truncated: boolean): Html {
  if (events.length === 0) return html`<p class="empty">No events retained for this task.</p>`;
  return html`<ol class="timeline">${events.map(
    (e) => html`<li data-event="${e.type}">${time(e.time)} <b>${e.type}</b>${e.task ? html` → ${e.task.state.toLowerCase()} (attempt ${e.task.attempt})` : ''}${e.workerId ? html` by ${e.workerId}` : ''}</li>`,
  )}</ol>${truncated ? html`<p class="meta">More events may follow beyond what was read.</p>` : ''}`;
}

/** One task: its fields, payload and result previews, attempts with their errors, its log, its event timeline, controls. */
export async function taskPage(ctx: ViewContext, queue: string, taskId: string): Promise<View> {
  const { viewer, services, now } = ctx;
  requireRole(viewer, 'watch', queue);
  const task = await services.lifecycle.get(queue, taskId);
  const [history, logs, children] = await Promise.all([
    services.history.since(queue, task.createTime - 1, TIMELINE_SCAN, (e) => e.task?.id === task.id),
    services.logs.read(queue, task.id, 0, TASK_LOG_LINES_MAX),
    task.childCount
      ? services.flows.listChildren({ queue, id: task.id, includeTasks: false, pageSize: CHILDREN_SHOWN, pageToken: '' }).then((page) => page.children)
      : Promise.resolve([]),
  ]);
  const base = `/queues/${seg(queue)}/tasks/${seg(task.id)}`;
  const admin = viewer.can('admin', queue);
  const controls = !admin
    ? ''
    : html`<div class="actions">${
        TERMINAL_STATES.has(task.state) ? '' : html`<a class="button danger" href="${href(`/queues/${seg(queue)}/confirm`, { action: 'cancel', task: task.id })}">Cancel…</a>`
      }${RETRYABLE_STATES.includes(task.state) ? actionForm(viewer, `${base}/retry`, 'Retry') : ''}</div>`;
  const row = (label: string, value: Html | string | number | undefined): Html =>
    html`<tr><th>${label}</th><td>${value ?? '—'}</td></tr>`;
  return {
    title: `Task ${task.id}`,
    body: html`<p><a href="/queues/${seg(queue)}">← queue ${queue}</a></p>${controls}
<table class="fields">${[
      row('state', html`<span class="state ${task.state.toLowerCase()}">${task.state.toLowerCase()}</span>${task.cancelRequested ? ' (cancel requested)' : ''}`),
      row('type', task.type === '' ? '—' : task.type),
      // A child's links to its parent and its flow's root; a task outside a flow shows neither.
      ...(task.parent
        ? [
            row('parent', html`${taskLink(task.parent.queue, task.parent.id)} (its failure: ${task.parent.failurePolicy.toLowerCase().replace('_', ' ')})`),
            row('flow root', task.root && taskLink(task.root.queue, task.root.id)),
          ]
        : []),
      row('trace', task.traceContext && html`<code>${task.traceContext.traceparent}</code>`),
      row('unique key', task.uniqueKey),
      row('attempt', `${task.attempt} of ${task.maxAttempts}`),
      row('priority', task.priority),
      row('created', time(task.createTime)),
      row('scheduled for', time(task.scheduleTime)),
      row('started', time(task.startTime)),
      row('ended', time(task.endTime)),
      row('expires', time(task.expireTime)),
      row('lease', task.lease ? html`${task.lease.workerId}, expires in ${duration(task.lease.expireTime - now)}` : undefined),
      row('progress', task.progress ? `${task.progress.current}/${task.progress.total} ${task.progress.message}` : undefined),
      row('metadata', Object.keys(task.metadata).length === 0 ? undefined : html`<dl class="metadata">${Object.entries(task.metadata).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`),
    ]}</table>
${childrenSection(children, task.childCount ?? 0)}${previewBlock('Payload', task.payload)}${previewBlock('Result', task.result)}
<section><h2>Attempts</h2>${
      task.errors.length === 0
        ? html`<p class="empty">No failed attempts.</p>`
        : html`<table class="errors"><thead><tr><th>attempt</th><th>time</th><th>type</th><th>message</th><th>details</th></tr></thead><tbody>${task.errors.map(
            (e) => html`<tr><td class="num">${e.attempt}</td><td>${time(e.time)}</td><td>${e.type}</td><td>${e.message}</td><td><pre class="details">${e.details.slice(0, 2_000)}</pre></td></tr>`,
          )}</tbody></table>`
    }</section>
${logSection(logs)}
<section><h2>Timeline</h2>${timeline(history.events, history.truncated)}</section>`,
    live: {
      queues: [queue],
      taskId: task.id,
      ...(task.lease ? { tickMs: 5_000 } : {}),
      ...(TERMINAL_STATES.has(task.state) ? {} : { logsOf: { queue, taskId: task.id } }),
    },
  };
}
