import { html } from './html.js';
import type { Html } from './html.js';
import type { TaskEvent } from '../domain/task.js';

/** The chart's window: the last five minutes, in 15-second buckets. */
export const WINDOW_MS = 5 * 60_000;
export const BUCKET_MS = 15_000;
/** Events read back per queue for the chart; a busier queue's chart is a lower bound, and says so. */
export const SCAN_PER_QUEUE = 2_000;

const FINISHED = new Set(['succeeded', 'failed', 'exhausted', 'expired', 'cancelled']);
const FAILED = new Set(['failed', 'exhausted', 'expired']);

export function isFinishEvent(event: TaskEvent): boolean {
  return FINISHED.has(event.type);
}

export interface Throughput {
  /** Finished tasks per bucket, oldest first. */
  done: number[];
  failed: number[];
  /** Some queue had more events than were read: the figures are lower bounds. */
  partial: boolean;
}

export function emptyThroughput(): Throughput {
  const buckets = WINDOW_MS / BUCKET_MS;
  return { done: new Array<number>(buckets).fill(0), failed: new Array<number>(buckets).fill(0), partial: false };
}

/** Adds finish events (a failure with a retry counts as a failed attempt) into the buckets ending at `now`. */
export function addEvents(into: Throughput, events: readonly TaskEvent[], now: number): void {
  const start = now - WINDOW_MS;
  for (const event of events) {
    const i = Math.floor((event.time - start) / BUCKET_MS);
    if (i < 0 || i >= into.done.length) continue;
    into.done[i] = (into.done[i] ?? 0) + 1;
    if (FAILED.has(event.type)) into.failed[i] = (into.failed[i] ?? 0) + 1;
  }
}

export function total(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/**
 * A small inline SVG bar chart: finished tasks per bucket, failures stacked in red. Plain SVG attributes only
 * (no style attributes), so the strict Content-Security-Policy needs no 'unsafe-inline'.
 */
export function throughputChart(t: Throughput, label: string): Html {
  const width = 300;
  const height = 48;
  const n = t.done.length;
  const max = Math.max(1, ...t.done);
  const barWidth = width / n;
  const bars = t.done.map((done, i) => {
    const failed = t.failed[i] ?? 0;
    const h = (done / max) * (height - 2);
    const hf = (failed / max) * (height - 2);
    const x = (i * barWidth + 1).toFixed(1);
    const w = (barWidth - 2).toFixed(1);
    return html`<rect class="ok" x="${x}" y="${(height - h).toFixed(1)}" width="${w}" height="${h.toFixed(1)}"><title>${done} finished, ${failed} failed</title></rect>${
      failed > 0 ? html`<rect class="bad" x="${x}" y="${(height - hf).toFixed(1)}" width="${w}" height="${hf.toFixed(1)}"></rect>` : ''
    }`;
  });
  const sum = total(t.done);
  const failedSum = total(t.failed);
  return html`<figure class="chart"><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${label}">${bars}</svg>
<figcaption>${label}: ${t.partial ? '≥' : ''}${sum} finished in 5 min (${(sum / 300).toFixed(2)}/s)${
    failedSum > 0 ? html`, <span class="bad">${failedSum} failed</span>` : ''
  }</figcaption></figure>`;
}
