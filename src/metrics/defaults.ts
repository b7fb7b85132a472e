import { collectDefaultMetrics } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * Gauges that prom-client names `_total`, which `promtool check metrics` rejects ("non-counter metrics should not
 * have _total suffix"). Each is the sum of its per-type gauge, e.g. sum(nodejs_active_handles), so nothing is lost.
 */
const DROPPED = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** prom-client's process and Node.js metrics, less the ones that fail promtool. */
export function registerDefaultMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED) registry.removeSingleMetric(name);
}
