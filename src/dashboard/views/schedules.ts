import type { Schedule } from '../../domain/scheduleStore.js';
import { tickTaskId } from '../../domain/schedules.js';
import { isCron } from '../../domain/scheduleTimes.js';
import { PageError } from '../context.js';
import type { View, ViewContext } from '../context.js';
import { duration, html, seg, time } from '../html.js';
import type { Html } from '../html.js';

/** The most schedules the page reads; the API pages through more. */
export const SCHEDULES_SHOWN_MAX = 1000;

function when(schedule: Schedule): string {
  const { cadence } = schedule.spec;
  return isCron(cadence) ? `${cadence.cron} (${cadence.timeZone})` : `every ${duration(cadence.intervalMs)}`;
}

function lastRun({ spec, state }: Schedule): Html {
  if (state.lastRunTime === undefined) return html`—`;
  const taskId = tickTaskId(spec.id, state.lastRunTime);
  return html`<a href="/queues/${seg(spec.queue)}/tasks/${seg(taskId)}">${time(state.lastRunTime)}</a>`;
}

/** The schedules of the queues the viewer watches, by queue and id: read only (the API and the CLI change them). */
export async function schedulesPage(ctx: ViewContext): Promise<View> {
  const { viewer, services } = ctx;
  if (!viewer.canSomewhere('watch')) throw new PageError(403, `principal "${viewer.name ?? ''}" holds the watch role on no queue`);
  const page = await services.schedules.list('', SCHEDULES_SHOWN_MAX, '');
  const shown = page.schedules.filter((schedule) => viewer.can('watch', schedule.spec.queue));
  const policy = (text: string): string => text.toLowerCase().replace(/_/g, '-');
  return {
    title: 'Schedules',
    body: html`<p class="meta">${shown.length} schedule${shown.length === 1 ? '' : 's'}${page.nextPageToken === '' ? '' : ` (the first ${SCHEDULES_SHOWN_MAX})`}</p>
<table class="schedules"><thead><tr><th>queue</th><th>schedule</th><th>when</th><th>next run</th><th>last run</th><th>overlap</th><th>catch up</th></tr></thead><tbody>${shown.map(
      (s) => html`<tr data-schedule="${s.spec.queue}/${s.spec.id}"><td><a href="/queues/${seg(s.spec.queue)}">${s.spec.queue}</a></td><td>${s.spec.id}</td><td>${when(
        s,
      )}</td><td>${s.state.paused ? html`<span class="state paused">paused</span>` : time(s.state.nextRunTime)}</td><td>${lastRun(s)}</td><td>${policy(
        s.spec.overlap,
      )}</td><td>${policy(s.spec.catchUp.policy)}</td></tr>`,
    )}</tbody></table>`,
    // A tick writes an event in its task's queue only: the page is rendered again every 5 s.
    live: { queues: [], tickMs: 5_000 },
  };
}
