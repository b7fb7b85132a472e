// The Helm chart's web dashboard: on by default on a container port, a Service port and the NetworkPolicy, with
// Baton told to listen there; off leaves no port and tells Baton to serve none.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { only, REDIS_CLUSTER, render, renderNotes, RELEASE, template } from './support/chart';
import { helmPath } from './support/helm';
import { validateObject } from './support/kube';

const FULLNAME = `${RELEASE}-baton`;

void describe('helm/baton chart: the web dashboard', () => {
  before(async () => {
    await helmPath();
  });

  void it('by default serves it on container port 8080, Service port 8080, and tells Baton so', async () => {
    const objects = await render(REDIS_CLUSTER);
    for (const object of objects) validateObject(object);
    assert.equal(only(objects, 'ConfigMap', FULLNAME).data?.BATON_DASHBOARD_ADDR, '0.0.0.0:8080');
    const ports = only(objects, 'Deployment').spec?.template.spec?.containers[0]?.ports ?? [];
    assert.deepEqual(ports.find((p) => p.name === 'dashboard'), { name: 'dashboard', containerPort: 8080, protocol: 'TCP' });
    const service = only(objects, 'Service', FULLNAME).spec?.ports ?? [];
    assert.deepEqual(service.find((p) => p.name === 'dashboard'), { name: 'dashboard', port: 8080, targetPort: 'dashboard', protocol: 'TCP', appProtocol: 'http' });
    assert.match(await renderNotes(REDIS_CLUSTER), /Web dashboard[\s\S]*port-forward svc\/rel-baton 8080:8080/);
  });

  void it('takes its ports and the peers allowed to reach it from the values', async () => {
    const dashboardFrom = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ops' } } }];
    const objects = await render({
      ...REDIS_CLUSTER,
      webDashboard: { enabled: true, port: 8088 },
      service: { dashboardPort: 80 },
      networkPolicy: { enabled: true, dashboardFrom },
    });
    for (const object of objects) validateObject(object);
    assert.equal(only(objects, 'ConfigMap', FULLNAME).data?.BATON_DASHBOARD_ADDR, '0.0.0.0:8088');
    const ports = only(objects, 'Deployment').spec?.template.spec?.containers[0]?.ports ?? [];
    assert.equal(ports.find((p) => p.name === 'dashboard')?.containerPort, 8088);
    assert.equal((only(objects, 'Service', FULLNAME).spec?.ports ?? []).find((p) => p.name === 'dashboard')?.port, 80);
    const rules = only(objects, 'NetworkPolicy').spec?.ingress ?? [];
    const rule = rules.find((r) => r.ports?.some((p) => p.port === 'dashboard'));
    assert.deepEqual(rule?.from, dashboardFrom);
  });

  void it('off: Baton serves no dashboard, and no pod, Service or NetworkPolicy port is opened for it', async () => {
    const values = { ...REDIS_CLUSTER, webDashboard: { enabled: false }, networkPolicy: { enabled: true } };
    const objects = await render(values);
    assert.equal(only(objects, 'ConfigMap', FULLNAME).data?.BATON_DASHBOARD_ADDR, 'off');
    const ports = only(objects, 'Deployment').spec?.template.spec?.containers[0]?.ports ?? [];
    assert.deepEqual(ports.map((p) => p.name), ['grpc', 'metrics']);
    assert.deepEqual((only(objects, 'Service', FULLNAME).spec?.ports ?? []).map((p) => p.name), ['grpc', 'metrics']);
    const rules = only(objects, 'NetworkPolicy').spec?.ingress ?? [];
    assert.ok(!rules.some((r) => r.ports?.some((p) => p.port === 'dashboard')));
    assert.doesNotMatch(await renderNotes(values), /Web dashboard/);
  });

  void it('refuses a dashboard port that is the gRPC or metrics port', async () => {
    const result = await template({ ...REDIS_CLUSTER, webDashboard: { enabled: true, port: 9464 } });
    assert.notEqual(result.code, 0, 'helm template must fail');
    assert.match(result.stderr, /webDashboard\.port/);
  });
});
