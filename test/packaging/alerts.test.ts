// The alert rules the chart ships, unit-tested with promtool: the PrometheusRule is rendered with
// `helm template` and its spec.groups become the rule file, so the tested rules are exactly the shipped ones.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { only, REDIS_CLUSTER, render } from './support/chart';
import { validateObject } from './support/kube';
import { promtool } from './support/promtool';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

const FIXTURE = join(__dirname, 'fixtures/alerts.promtool.yaml');
const REQUIRED_ALERTS = [
  'BatonBacklogGrowing',
  'BatonOldestTaskTooOld',
  'BatonTasksExhausted',
  'BatonNoLiveWorkers',
  'BatonHighGrpcErrorRate',
];

const ENABLED = { ...REDIS_CLUSTER, prometheusRule: { enabled: true } };

interface Rule {
  readonly alert?: string;
  readonly expr: string;
}

/** spec.groups of the rendered PrometheusRule, exactly as shipped. */
async function renderGroups(values: object): Promise<IPrometheusRule['spec']['groups']> {
  const objects = await render(values);
  for (const object of objects) validateObject(object);
  return only(objects, 'PrometheusRule').spec.groups;
}

async function renderRules(values: object): Promise<Rule[]> {
  const groups = (await renderGroups(values)) ?? [];
  return groups.flatMap((g) => g.rules ?? []).map((r) => ({ alert: r.alert, expr: String(r.expr) }));
}

void describe('PrometheusRule alerts', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-alerts-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  void it('ships the Baton alerts', async () => {
    const alerts = (await renderRules(ENABLED)).map((r) => r.alert);
    for (const name of REQUIRED_ALERTS) assert.ok(alerts.includes(name), `${name} is shipped`);
  });

  void it('aggregates cluster-wide queue gauges with max, never sum', async () => {
    const exprs = (await renderRules(ENABLED)).map((r) => r.expr);
    const gaugeUses = exprs.join('\n').match(/baton_queue_\w+/g) ?? [];
    const maxUses = exprs.join('\n').match(/max by \([^)]*\bqueue\b[^)]*\) \((?:\w+\()?baton_queue_\w+/g) ?? [];
    assert.ok(gaugeUses.length > 0);
    assert.equal(maxUses.length, gaugeUses.length, exprs.join('\n---\n'));
  });

  void it('takes thresholds from values', async () => {
    const rules = await renderRules({
      ...REDIS_CLUSTER,
      prometheusRule: { enabled: true, alerts: { backlogGrowing: { enabled: true, minPending: 7, window: '3m', for: '1m', severity: 'info' } } },
    });
    const backlog = rules.find((r) => r.alert === 'BatonBacklogGrowing');
    assert.match(backlog?.expr ?? '', /> 7\)/);
    assert.match(backlog?.expr ?? '', /\[3m\]/);
  });

  void it('pass promtool check rules and the promtool unit tests', async () => {
    const groups = await renderGroups(ENABLED);
    assert.ok(groups !== undefined && groups.length > 0);
    writeFileSync(join(dir, 'baton-rules.yaml'), stringify({ groups }));
    copyFileSync(FIXTURE, join(dir, 'alerts.promtool.yaml'));
    const checked = await promtool(['check', 'rules', 'baton-rules.yaml'], dir);
    assert.match(checked, /SUCCESS/);
    const tested = await promtool(['test', 'rules', 'alerts.promtool.yaml'], dir);
    assert.match(tested, /SUCCESS/);
  });
});
