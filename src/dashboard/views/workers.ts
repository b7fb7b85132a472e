import type { Task } from '../../domain/task.js';
import { PageError } from '../context.js';
import type { View, ViewContext } from '../context.js';
import { ago, duration, href, html, seg } from '../html.js';
import type { Html } from '../html.js';

export const WORKER_PAGE_SIZE = 50;

function held(task: Task, now: number): Html {
  const progress = task.progress ? html` · ${task.progress.current}/${task.progress.total}${task.progress.message === '' ? '' : html` ${task.progress.message}`}` : '';
  return html`<li><a href="/queues/${seg(task.queue)}/tasks/${seg(task.id)}">${task.queue}/${task.id}</a> · lease ends in ${duration(
    (task.lease?.expireTime ?? now) - now,
  )}${progress}</li>`;
}

/**
 * Workers, alive first, a page at a time, with what each holds now. A viewer sees the workers that serve a queue it
 * watches, and of each only those queues and tasks: a worker record names queues the viewer may not know of.
 */
export async function workersPage(ctx: ViewContext): Promise<View> {
  const { viewer, url, services, now } = ctx;
  if (!viewer.canSomewhere('watch')) throw new PageError(403, `principal "${viewer.name ?? ''}" holds the watch role on no queue`);
  const showLost = url.searchParams.get('lost') === '1';
  const offset = Math.max(0, Number.parseInt(url.searchParams.get('from') ?? '0', 10) || 0);
  const all = (await services.workers.list({ includeLost: showLost }))
    .map((w) => ({ ...w, queues: w.queues.filter((q) => viewer.can('watch', q)) }))
    .filter((w) => w.queues.length > 0);
  const shown = all.slice(offset, offset + WORKER_PAGE_SIZE);
  // Only workers with tasks under lease are asked, queue by queue: never every queue of the cluster.
  const holdings = await Promise.all(
    shown.map(async (w) =>
      w.activeTasks === 0
        ? []
        : (await Promise.all(w.queues.map((q) => services.queues.activeTasks(q, w.workerId).catch(() => [])))).flat().flatMap((g) => g.tasks),
    ),
  );
  const queuesFollowed = [...new Set(shown.flatMap((w) => w.queues))].slice(0, 25);
  return {
    title: 'Workers',
    body: html`<p class="meta">${all.length} worker${all.length === 1 ? '' : 's'} ${showLost ? 'alive or lost' : 'alive'} · ${
      showLost ? html`<a href="/workers">alive only</a>` : html`<a href="/workers?lost=1">show lost workers too</a>`
    }</p>
<table class="workers"><thead><tr><th>worker</th><th>status</th><th>queues</th><th>host</th><th>sdk</th><th>last seen</th><th class="num">done</th><th class="num">failed</th><th>holds now</th></tr></thead><tbody>${shown.map(
      (w, i) => html`<tr data-worker="${w.workerId}"><td>${w.workerId}</td><td><span class="state ${w.status.toLowerCase()}">${w.status.toLowerCase()}</span></td><td>${w.queues.map(
        (q) => html`<a href="/queues/${seg(q)}">${q}</a> `,
      )}</td><td>${w.hostname ?? ''}${w.pid === undefined ? '' : ` (pid ${w.pid})`}</td><td>${w.sdkName ?? ''} ${w.sdkVersion ?? ''}</td><td>${ago(w.lastSeen, now)}</td><td class="num">${w.processedCount}</td><td class="num">${w.failedCount}</td><td>${
        (holdings[i] ?? []).length === 0 ? '—' : html`<ul class="held">${(holdings[i] ?? []).map((t) => held(t, now))}</ul>`
      }</td></tr>`,
    )}</tbody></table>
<p class="pager">${offset > 0 ? html`<a href="${href('/workers', { lost: showLost ? 1 : undefined, from: Math.max(0, offset - WORKER_PAGE_SIZE) })}">← previous</a> ` : ''}${
      offset + WORKER_PAGE_SIZE < all.length ? html`<a rel="next" href="${href('/workers', { lost: showLost ? 1 : undefined, from: offset + WORKER_PAGE_SIZE })}">Next page →</a>` : ''
    }</p>`,
    // A worker turning lost or a lease running down writes no event: the page is also rendered again every 5 s.
    live: { queues: queuesFollowed, tickMs: 5_000 },
  };
}
