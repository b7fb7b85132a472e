import type { QueueInfo, RateLimit } from '../../domain/store.js';
import { duration, html } from '../html.js';
import type { Html } from '../html.js';

function rateText(limit: RateLimit | undefined): string {
  return limit === undefined ? 'none' : `${limit.claims} per ${duration(limit.periodMs)}`;
}

/**
 * A queue's flow control in one line, with its busiest concurrency keys; nothing for a queue that uses none (no
 * limit set, no keyed task seen ACTIVE).
 */
export function flowControl(info: QueueInfo): Html | '' {
  const { concurrencyKeyLimit, claimRateLimit, keyRateLimit } = info.settings;
  const used = concurrencyKeyLimit > 0 || claimRateLimit !== undefined || keyRateLimit !== undefined || info.topConcurrencyKeys.length > 0;
  if (!used) return '';
  const keys = info.topConcurrencyKeys.map((usage) => html`<li><code>${usage.key}</code> ${usage.active} active, ${usage.waiting} waiting</li>`);
  return html`<section class="flow-control"><p>key concurrency <b>${concurrencyKeyLimit > 0 ? concurrencyKeyLimit : 'no limit'}</b> · claim rate <b>${rateText(claimRateLimit)}</b> · key claim rate <b>${rateText(keyRateLimit)}</b> · waiting for their key <b>${info.keyLimitedTasks}</b> · throttled claims <b>${info.throttledClaims}</b> (${duration(info.throttledMs)}) · keys waiting for a token <b>${info.throttledKeys}</b></p>${
    keys.length === 0 ? '' : html`<p>Busiest keys:</p><ul class="top-keys">${keys}</ul>`
  }</section>`;
}
