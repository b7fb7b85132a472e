// What the chart tests render with, and how they read the result: value sets and the baton container's parts.
import assert from 'node:assert/strict';
import type { IContainer, IEnvVar, IPodSpec } from 'kubernetes-models/v1';
import { only, REDIS_CLUSTER, RELEASE } from './chart';
import type { KubeObject } from './kube';

export const FULLNAME = `${RELEASE}-baton`;

export const ALL_ON = {
  redis: {
    url: 'rediss://redis.example.internal:6380',
    username: 'baton',
    password: 's3cret',
    tls: true,
  },
  config: { logLevel: 'debug', retention: '48h', shutdownGraceSeconds: 40, redisCommandTimeout: '2s', maxPayloadBytes: 4194304, maxQueues: 500 },
  image: { repository: 'registry.example/baton', digest: `sha256:${'a'.repeat(64)}` },
  imagePullSecrets: [{ name: 'registry' }],
  extraEnv: [{ name: 'NODE_OPTIONS', value: '--enable-source-maps' }],
  terminationGracePeriodSeconds: 60,
  podAnnotations: { 'example.com/team': 'platform' },
  podLabels: { tier: 'backend' },
  commonLabels: { owner: 'platform' },
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'baton', effect: 'NoSchedule' }],
  priorityClassName: 'high',
  topologySpreadConstraints: [
    { maxSkew: 2, topologyKey: 'example.com/rack', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'x' } } },
  ],
  service: { headless: true, annotations: { 'example.com/lb': 'internal' } },
  podDisruptionBudget: { enabled: true, maxUnavailable: null, minAvailable: 1 },
  autoscaling: {
    enabled: true,
    minReplicas: 3,
    maxReplicas: 12,
    targetCPUUtilizationPercentage: 60,
    targetMemoryUtilizationPercentage: 80,
    behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
  },
  networkPolicy: {
    enabled: true,
    grpcFrom: [{ namespaceSelector: { matchLabels: { 'baton-client': 'true' } } }],
    metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    egress: { enabled: true, redisPorts: [6380], redisTo: [{ ipBlock: { cidr: '10.20.0.0/16' } }] },
  },
  serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' }, interval: '15s' },
  dashboard: { enabled: true, labels: { grafana_dashboard: '1', team: 'platform' }, annotations: { grafana_folder: 'Baton' } },
  prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' }, runbookBaseUrl: 'https://runbooks.example/baton' },
};

export const EXISTING_SECRET = {
  redis: {
    existingSecret: 'baton-redis',
    existingSecretPasswordKey: 'password',
    existingSecretClusterKey: 'seeds',
  },
};

export const VALUE_SETS: readonly (readonly [string, object])[] = [
  ['defaults with Redis Cluster endpoints', REDIS_CLUSTER],
  ['every option on', ALL_ON],
  ['an existing Secret for Redis', EXISTING_SECRET],
];

export function podSpec(objects: readonly KubeObject[]): IPodSpec {
  const spec = only(objects, 'Deployment').spec?.template.spec;
  assert.ok(spec, 'Deployment has a pod spec');
  return spec;
}

export function batonContainer(objects: readonly KubeObject[]): IContainer {
  const containers = podSpec(objects).containers;
  assert.equal(containers.length, 1);
  const [container] = containers;
  assert.ok(container);
  return container;
}

export function envVar(container: IContainer, name: string): IEnvVar | undefined {
  return container.env?.find((e) => e.name === name);
}

export function configData(objects: readonly KubeObject[]): Record<string, string> {
  return only(objects, 'ConfigMap', FULLNAME).data ?? {};
}

