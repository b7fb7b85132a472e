import type { QueueInfo } from '../../domain/store.js';
import { TASK_STATES } from '../../domain/task.js';
import { SCAN_PER_QUEUE, WINDOW_MS, addEvents, emptyThroughput, isFinishEvent, throughputChart, total } from '../chart.js';
import type { Throughput } from '../chart.js';
import { PageError } from '../context.js';
import type { View, ViewContext } from '../context.js';
import { duration, href, html, seg } from '../html.js';
import type { Html } from '../html.js';

/** Queues per overview page: each is one read, one chart scan and one live subscription while the page is open. */
export const OVERVIEW_PAGE_SIZE = 25;

/**
 * Every queue the viewer may watch, by name, a page at a time (10,000 queues are 400 pages, and a filter on the
 * name), with counts by state, oldest pending age, paused flag, live workers, and each queue's throughput and
 * failures over the last five minutes, read back from its update stream.
 */
export async function overview(ctx: ViewContext): Promise<View> {
  const { viewer, url, services, now } = ctx;
  if (!viewer.canSomewhere('watch')) throw new PageError(403, `principal "${viewer.name ?? ''}" holds the watch role on no queue`);
  const filter = url.searchParams.get('q') ?? '';
  const after = url.searchParams.get('after') ?? '';
  const visible = (await services.queues.names()).filter((name) => name.includes(filter) && viewer.can('watch', name));
  const rest = visible.filter((name) => name > after);
  const names = rest.slice(0, OVERVIEW_PAGE_SIZE);
  const settled = await Promise.allSettled(names.map((name) => services.queues.get(name)));
  const infos = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const charts = await Promise.all(
    infos.map(async (info) => {
      const t = emptyThroughput();
      const recent = await services.history.since(info.name, now - WINDOW_MS, SCAN_PER_QUEUE, isFinishEvent);
      addEvents(t, recent.events, now);
      t.partial = recent.truncated;
      return t;
    }),
  );
  const sum = emptyThroughput();
  charts.forEach((t) => {
    t.done.forEach((v, i) => (sum.done[i] = (sum.done[i] ?? 0) + v));
    t.failed.forEach((v, i) => (sum.failed[i] = (sum.failed[i] ?? 0) + v));
    sum.partial ||= t.partial;
  });
  const last = names.at(-1);
  const next = rest.length > names.length && last !== undefined ? href('/', { q: filter, after: last }) : '';
  const row = (info: QueueInfo, t: Throughput | undefined): Html => {
    const done = t ? total(t.done) : 0;
    const failed = t ? total(t.failed) : 0;
    return html`<tr data-queue="${info.name}"><td><a href="/queues/${seg(info.name)}">${info.name}</a>${
      info.paused ? html` <span class="badge paused">paused</span>` : ''
    }</td>${TASK_STATES.map((state) => html`<td class="num">${info.counts[state]}</td>`)}<td class="num">${duration(
      info.oldestPendingAgeMs,
    )}</td><td class="num">${info.liveWorkers}</td><td class="num">${t?.partial ? '≥' : ''}${(done / 300).toFixed(2)}</td><td class="num">${
      done === 0 ? '—' : `${Math.round((failed / done) * 100)}%`
    }</td></tr>`;
  };
  return {
    title: 'Queues',
    head: html`<form method="get" action="/" class="search"><input name="q" value="${filter}" placeholder="filter by name" aria-label="filter queues by name"><button>Filter</button></form>`,
    body: html`${throughputChart(sum, 'Throughput of the queues below')}
<p class="meta">${visible.length} queue${visible.length === 1 ? '' : 's'}${filter === '' ? '' : html` matching “${filter}”`}${
      after === '' ? '' : html` · after “${after}” · <a href="${href('/', { q: filter })}">first page</a>`
    }</p>
<table class="queues"><thead><tr><th>queue</th>${TASK_STATES.map((s) => html`<th class="num">${s.toLowerCase()}</th>`)}<th class="num">oldest pending</th><th class="num">live workers</th><th class="num">done/s (5m)</th><th class="num">failed (5m)</th></tr></thead>
<tbody>${infos.map((info, i) => row(info, charts[i]))}</tbody></table>
${next === '' ? '' : html`<p class="pager"><a href="${next}" rel="next">Next page →</a></p>`}`,
    live: { queues: names, tickMs: 5_000 },
  };
}
