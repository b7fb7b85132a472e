// The Grafana dashboard shipped in helm/baton/files/dashboard.json and its ConfigMap.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { only, REDIS_CLUSTER, render } from './support/chart';
import { CHART_DIR } from './support/helm';
import { promtool } from './support/promtool';

interface Target {
  readonly expr: string;
  readonly refId: string;
}

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly targets?: readonly Target[];
}

interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly { readonly name: string }[] };
}

const DASHBOARD_TEXT = readFileSync(join(CHART_DIR, 'files/dashboard.json'), 'utf8');
const dashboard = JSON.parse(DASHBOARD_TEXT) as Dashboard;
const panels = dashboard.panels.filter((p) => p.type !== 'row');

function panel(title: string): Panel {
  const found = panels.find((p) => p.title === title);
  assert.ok(found, `panel "${title}" exists`);
  return found;
}

function exprs(p: Panel): string[] {
  return (p.targets ?? []).map((t) => t.expr);
}

void describe('Grafana dashboard', () => {
  void it('has the panels operators need', () => {
    const throughput = exprs(panel('Throughput by queue')).join('\n');
    assert.match(throughput, /sum by \(queue\) \(rate\(baton_tasks_submitted_total/);
    assert.match(throughput, /baton_tasks_succeeded_total/);
    assert.match(exprs(panel('Queue depth by state')).join(), /max by \(queue, state\) \(baton_queue_tasks\{/);
    assert.match(exprs(panel('Oldest pending age')).join(), /max by \(queue\) \(baton_queue_oldest_pending_age_seconds\{/);
    assert.match(exprs(panel('Live workers')).join(), /max by \(queue\) \(baton_queue_live_workers\{/);
    assert.match(exprs(panel('gRPC error rate')).join(), /grpc_server_handled_total\{[^}]*grpc_code=~/);
    assert.match(exprs(panel('gRPC p99 latency')).join(), /histogram_quantile\(0\.99, .*grpc_server_handling_seconds_bucket/);
  });

  void it('aggregates cluster-wide queue gauges with max, never sum', () => {
    const all = panels.flatMap(exprs).join('\n');
    const gaugeUses = all.match(/baton_queue_\w+/g) ?? [];
    const maxUses = all.match(/max by \([^)]*\bqueue\b[^)]*\) \(baton_queue_\w+/g) ?? [];
    assert.ok(gaugeUses.length >= 4);
    assert.equal(maxUses.length, gaugeUses.length);
  });

  void it('has only valid PromQL (checked by promtool with Grafana variables filled in)', async () => {
    const fill = (expr: string): string =>
      expr.replaceAll('$__rate_interval', '5m').replaceAll('$namespace', '.*').replaceAll('$queue', '.*');
    const rules = panels.flatMap(exprs).map((expr, i) => ({ record: `baton:dashboard_query_${i}`, expr: fill(expr) }));
    const dir = mkdtempSync(join(tmpdir(), 'baton-dashboard-'));
    try {
      writeFileSync(join(dir, 'queries.yaml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
      assert.match(await promtool(['check', 'rules', 'queries.yaml'], dir), /SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('filters every query by the namespace variable and reads the datasource variable', () => {
    assert.deepEqual(
      dashboard.templating.list.map((v) => v.name),
      ['datasource', 'namespace', 'queue'],
    );
    for (const p of panels) {
      assert.ok((p.targets ?? []).length > 0, `${p.title} has queries`);
      for (const expr of exprs(p)) assert.match(expr, /namespace=~"\$namespace"/, `${p.title}: ${expr}`);
    }
    assert.ok(!DASHBOARD_TEXT.includes('"uid": "prometheus"'), 'no hard-coded datasource');
  });

  void it('has unique panel ids and a layout inside the 24-column grid', () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const p of dashboard.panels) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the grid`);
    }
  });

  void it('is shipped verbatim in a ConfigMap labelled for the Grafana sidecar', async () => {
    const objects = await render({ ...REDIS_CLUSTER, dashboard: { enabled: true } });
    const configMap = only(objects, 'ConfigMap', 'rel-baton-dashboard');
    assert.equal(configMap.metadata?.labels?.grafana_dashboard, '1');
    assert.deepEqual(JSON.parse(configMap.data?.['baton.json'] ?? ''), dashboard);
  });
});
