// The Helm chart's workload: lint, render with several value sets, validate every object and check the fields that
// make Baton safe to run (probes, security context, drain time) and the optional objects.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { helmWithValues, kinds, only, REDIS_CLUSTER, render } from './support/chart';
import { ALL_ON, batonContainer, configData, envVar, EXISTING_SECRET, FULLNAME, podSpec, VALUE_SETS } from './support/chartValues';
import { helmPath, REPO_ROOT } from './support/helm';
import { validateObject, type KubeObject } from './support/kube';

void describe('helm/baton chart', () => {
  before(async () => {
    await helmPath(); // fetch helm once, outside the first test's time
  });

  void describe('helm lint --strict', () => {
    for (const [name, values] of VALUE_SETS) {
      void it(`passes with ${name}`, async () => {
        const result = await helmWithValues(['lint', '--strict'], values);
        assert.equal(result.code, 0, result.stdout + result.stderr);
      });
    }
  });

  void describe('every rendered object matches its Kubernetes schema', () => {
    for (const [name, values] of VALUE_SETS) {
      void it(`with ${name}`, async () => {
        const objects = await render(values);
        assert.ok(objects.length >= 5, `rendered ${objects.length} objects`);
        for (const object of objects) validateObject(object);
        for (const object of objects) {
          if (object.kind !== 'ConfigMap' || !object.metadata.name.endsWith('-dashboard')) {
            assert.equal(object.metadata.namespace, 'baton-test', `${object.kind} ${object.metadata.name} namespace`);
          }
        }
      });
    }
  });

  void describe('Deployment', () => {
    let objects: KubeObject[] = [];
    before(async () => {
      objects = await render(REDIS_CLUSTER);
    });

    void it('probes Baton with native gRPC health checks on port 50051', () => {
      const container = batonContainer(objects);
      for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
        assert.ok(probe, 'probe is set');
        assert.deepEqual(probe.grpc, { port: 50051 });
        assert.equal(probe.httpGet, undefined);
        assert.equal(probe.exec, undefined);
        assert.equal(probe.tcpSocket, undefined);
      }
      assert.deepEqual(
        container.ports?.map((p) => [p.name, p.containerPort]),
        [
          ['grpc', 50051],
          ['metrics', 9464],
          ['dashboard', 8080],
        ],
      );
    });

    void it('runs as a non-root user with a read-only root filesystem and no privileges', () => {
      const pod = podSpec(objects);
      assert.equal(pod.securityContext?.runAsNonRoot, true);
      assert.equal(pod.securityContext.runAsUser, 10001);
      assert.equal(pod.securityContext.seccompProfile?.type, 'RuntimeDefault');
      const sc = batonContainer(objects).securityContext;
      assert.ok(sc);
      assert.equal(sc.runAsNonRoot, true);
      assert.equal(sc.runAsUser, 10001);
      assert.equal(sc.readOnlyRootFilesystem, true);
      assert.equal(sc.allowPrivilegeEscalation, false);
      assert.equal(sc.privileged, false);
      assert.deepEqual(sc.capabilities?.drop, ['ALL']);
      assert.equal(sc.capabilities.add, undefined);
      assert.equal(sc.seccompProfile?.type, 'RuntimeDefault');
      assert.equal(pod.automountServiceAccountToken, false);
      assert.equal(pod.enableServiceLinks, false, 'service links would add BATON_* variables');
    });

    void it('mounts a writable emptyDir at /tmp', () => {
      const mount = batonContainer(objects).volumeMounts?.find((m) => m.mountPath === '/tmp');
      assert.ok(mount, '/tmp is mounted');
      const volume = podSpec(objects).volumes?.find((v) => v.name === mount.name);
      assert.ok(volume?.emptyDir, '/tmp is an emptyDir');
      assert.notEqual(mount.readOnly, true);
    });

    void it('gives the pod more time to stop than Baton takes to drain', () => {
      const grace = podSpec(objects).terminationGracePeriodSeconds;
      assert.equal(configData(objects).BATON_SHUTDOWN_GRACE, '25s');
      const preStop = batonContainer(objects).lifecycle?.preStop?.exec?.command;
      assert.deepEqual(preStop, ['sleep', '5']);
      assert.ok(grace !== undefined && grace > 25 + 5, `terminationGracePeriodSeconds ${grace} > 30`);
    });

    void it('reads its configuration from the ConfigMap', () => {
      const container = batonContainer(objects);
      assert.deepEqual(container.envFrom, [{ configMapRef: { name: FULLNAME } }]);
      assert.deepEqual(configData(objects), {
        BATON_GRPC_ADDR: '0.0.0.0:50051',
        BATON_METRICS_ADDR: '0.0.0.0:9464',
        BATON_DASHBOARD_ADDR: '0.0.0.0:8080',
        BATON_REFLECTION: 'off',
        BATON_AUTH_TOKENS_FILE: '/etc/baton/auth/tokens.json',
        BATON_REDIS_CLUSTER: 'redis-0.redis:6379,redis-1.redis:6379,redis-2.redis:6379',
        BATON_REDIS_TLS: 'false',
        BATON_LOG_LEVEL: 'info',
        BATON_RETENTION: '24h',
        BATON_SHUTDOWN_GRACE: '25s',
        BATON_REDIS_REPLICA_ACKS: '1',
      });
      assert.equal(container.env, undefined, 'no password, so no Secret reference');
      assert.deepEqual(
        objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name),
        [`${FULLNAME}-auth`],
        'only the tokens file (chart-auth.test.ts)',
      );
    });

    void it('sets only environment variables the server reads (src/config.ts)', async () => {
      const known = new Set(readFileSync(join(REPO_ROOT, 'src/config.ts'), 'utf8').match(/BATON_[A-Z_]+/g));
      for (const values of [REDIS_CLUSTER, ALL_ON, EXISTING_SECRET]) {
        const rendered = await render(values);
        const names = [...Object.keys(configData(rendered)), ...(batonContainer(rendered).env ?? []).map((e) => e.name)];
        for (const name of names.filter((n) => n.startsWith('BATON_'))) {
          assert.ok(known.has(name), `${name} is read by the server`);
        }
      }
    });

    void it('spreads replicas over zones and nodes', () => {
      const deployment = only(objects, 'Deployment');
      assert.equal(deployment.spec?.replicas, 2);
      const constraints = podSpec(objects).topologySpreadConstraints ?? [];
      assert.deepEqual(
        constraints.map((c) => c.topologyKey),
        ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'],
      );
      for (const constraint of constraints) {
        assert.deepEqual(constraint.labelSelector?.matchLabels, deployment.spec.selector.matchLabels);
      }
    });

    void it('rolls out without losing capacity', () => {
      const strategy = only(objects, 'Deployment').spec?.strategy;
      assert.equal(strategy?.rollingUpdate?.maxUnavailable, 0);
    });
  });

  void describe('Service', () => {
    void it('exposes gRPC with appProtocol grpc, the metrics port and the web dashboard', async () => {
      const service = only(await render(REDIS_CLUSTER), 'Service');
      assert.deepEqual(
        service.spec?.ports?.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, appProtocol: p.appProtocol })),
        [
          { name: 'grpc', port: 50051, targetPort: 'grpc', appProtocol: 'grpc' },
          { name: 'metrics', port: 9464, targetPort: 'metrics', appProtocol: 'http' },
          { name: 'dashboard', port: 8080, targetPort: 'dashboard', appProtocol: 'http' },
        ],
      );
    });
  });

  void describe('optional objects', () => {
    void it('by default renders a PodDisruptionBudget but no autoscaler, policy or monitoring objects', async () => {
      const objects = await render(REDIS_CLUSTER);
      assert.deepEqual(kinds(objects), ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Secret', 'Service', 'ServiceAccount']);
      const pdb = only(objects, 'PodDisruptionBudget');
      assert.equal(pdb.spec?.maxUnavailable, 1);
    });

    void it('with every option on renders each of them, wired to the Deployment', async () => {
      const objects = await render(ALL_ON);
      assert.deepEqual(kinds(objects), [
        'ConfigMap',
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'PrometheusRule',
        'Secret',
        'Secret',
        'Service',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
      ]);
      const deployment = only(objects, 'Deployment');
      const selector = deployment.spec?.selector.matchLabels;
      assert.equal(deployment.spec?.replicas, undefined, 'the autoscaler owns the replica count');

      const pdb = only(objects, 'PodDisruptionBudget');
      assert.equal(pdb.spec?.minAvailable, 1);
      assert.equal(pdb.spec.maxUnavailable, undefined);
      assert.deepEqual(pdb.spec.selector?.matchLabels, selector);

      const hpa = only(objects, 'HorizontalPodAutoscaler');
      assert.deepEqual(hpa.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: FULLNAME });
      assert.equal(hpa.spec.minReplicas, 3);
      assert.equal(hpa.spec.maxReplicas, 12);
      assert.deepEqual(
        hpa.spec.metrics?.map((m) => [m.resource?.name, m.resource?.target.averageUtilization]),
        [
          ['cpu', 60],
          ['memory', 80],
        ],
      );

      const policy = only(objects, 'NetworkPolicy').spec;
      assert.ok(policy);
      assert.deepEqual(policy.podSelector.matchLabels, selector);
      assert.deepEqual(policy.policyTypes, ['Ingress', 'Egress']);
      assert.deepEqual(policy.ingress?.[0]?.from, ALL_ON.networkPolicy.grpcFrom);
      assert.deepEqual(policy.ingress[0].ports, [{ port: 'grpc', protocol: 'TCP' }]);
      assert.deepEqual(
        policy.egress?.flatMap((rule) => rule.ports?.map((p) => p.port) ?? []),
        [53, 53, 6380],
      );

      const monitor = only(objects, 'ServiceMonitor');
      assert.equal(monitor.metadata?.labels?.release, 'kube-prometheus-stack');
      assert.deepEqual(monitor.spec.selector.matchLabels, selector);
      assert.deepEqual(
        monitor.spec.endpoints.map((e) => [e.port, e.path, e.interval]),
        [['metrics', '/metrics', '15s']],
      );

      const dashboard = only(objects, 'ConfigMap', `${FULLNAME}-dashboard`);
      assert.equal(dashboard.metadata?.labels?.grafana_dashboard, '1');
      assert.equal(dashboard.metadata.labels.team, 'platform');
      assert.equal(dashboard.metadata.annotations?.grafana_folder, 'Baton');
      const dashboardJson = dashboard.data?.['baton.json'];
      assert.ok(dashboardJson !== undefined);
      assert.equal((JSON.parse(dashboardJson) as { uid: string }).uid, 'baton-overview');

      const headless = only(objects, 'Service', `${FULLNAME}-headless`);
      assert.equal(headless.spec?.clusterIP, 'None');

      const container = batonContainer(objects);
      assert.equal(container.image, `registry.example/baton@sha256:${'a'.repeat(64)}`);
      assert.equal(podSpec(objects).terminationGracePeriodSeconds, 60);
      assert.equal(configData(objects).BATON_SHUTDOWN_GRACE, '40s');
      assert.equal(configData(objects).BATON_REDIS_URL, 'rediss://redis.example.internal:6380');
      assert.equal(configData(objects).BATON_REDIS_TLS, 'true');
      assert.equal(configData(objects).BATON_REDIS_CLUSTER, undefined);
      assert.equal(configData(objects).BATON_REDIS_COMMAND_TIMEOUT, '2s');
      assert.equal(configData(objects).BATON_MAX_PAYLOAD_BYTES, '4194304');
      assert.equal(configData(objects).BATON_MAX_QUEUES, '500');
      assert.deepEqual(envVar(container, 'NODE_OPTIONS'), { name: 'NODE_OPTIONS', value: '--enable-source-maps' });
    });
  });
});
