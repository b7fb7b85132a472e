// The Helm chart's values: Redis credentials from values or an existing Secret, what NOTES.txt says, and the values
// it refuses to render.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { only, REDIS_CLUSTER, render, renderNotes, template } from './support/chart';
import { ALL_ON, batonContainer, configData, envVar, EXISTING_SECRET, FULLNAME } from './support/chartValues';
import { helmPath } from './support/helm';

void describe('helm/baton chart: values', () => {
  before(async () => {
    await helmPath();
  });

  void describe('Redis credentials', () => {
    void it('stores a password given in values in the chart Secret and references it', async () => {
      const objects = await render(ALL_ON);
      const secret = only(objects, 'Secret', `${FULLNAME}-redis`);
      assert.equal(secret.metadata?.name, `${FULLNAME}-redis`);
      assert.equal(Buffer.from(secret.data?.['redis-password'] ?? '', 'base64').toString(), 's3cret');
      assert.equal(Buffer.from(secret.data?.['redis-username'] ?? '', 'base64').toString(), 'baton');
      const container = batonContainer(objects);
      assert.deepEqual(envVar(container, 'BATON_REDIS_PASSWORD')?.valueFrom?.secretKeyRef, {
        name: `${FULLNAME}-redis`,
        key: 'redis-password',
      });
      assert.deepEqual(envVar(container, 'BATON_REDIS_USERNAME')?.valueFrom?.secretKeyRef, {
        name: `${FULLNAME}-redis`,
        key: 'redis-username',
      });
      const configMap = only(objects, 'ConfigMap', FULLNAME);
      assert.ok(!JSON.stringify(configMap).includes('s3cret'), 'the password stays out of the ConfigMap');
    });

    void it('with existingSecret creates no Redis Secret and takes password and endpoints from the named one', async () => {
      const objects = await render(EXISTING_SECRET);
      assert.ok(!objects.some((o) => o.kind === 'Secret' && o.metadata.name.endsWith('-redis')), 'the chart creates no Redis Secret');
      const container = batonContainer(objects);
      assert.deepEqual(envVar(container, 'BATON_REDIS_PASSWORD')?.valueFrom?.secretKeyRef, {
        name: 'baton-redis',
        key: 'password',
      });
      assert.deepEqual(envVar(container, 'BATON_REDIS_CLUSTER')?.valueFrom?.secretKeyRef, {
        name: 'baton-redis',
        key: 'seeds',
      });
      assert.equal(envVar(container, 'BATON_REDIS_URL'), undefined);
      assert.equal(configData(objects).BATON_REDIS_CLUSTER, undefined);
    });

    void it('with existingSecret and endpoints in values references only the password key', async () => {
      const objects = await render({ redis: { ...REDIS_CLUSTER.redis, existingSecret: 'baton-redis' } });
      const container = batonContainer(objects);
      assert.deepEqual(
        container.env?.map((e) => [e.name, e.valueFrom?.secretKeyRef?.name, e.valueFrom?.secretKeyRef?.key]),
        [['BATON_REDIS_PASSWORD', 'baton-redis', 'redis-password']],
      );
      assert.ok(configData(objects).BATON_REDIS_CLUSTER?.startsWith('redis-0.redis:6379'));
    });
  });

  void describe('key namespace', () => {
    void it('passes redis.namespace as BATON_NAMESPACE, and nothing when it is empty (the original key names)', async () => {
      assert.equal(configData(await render({ redis: { ...REDIS_CLUSTER.redis, namespace: 'staging' } })).BATON_NAMESPACE, 'staging');
      assert.equal(configData(await render(REDIS_CLUSTER)).BATON_NAMESPACE, undefined);
    });
  });

  void describe('NOTES.txt', () => {
    void it('tells how to reach and check the release', async () => {
      const notes = await renderNotes({ ...REDIS_CLUSTER, service: { headless: true } });
      assert.match(notes, /rel-baton\.baton-test\.svc:50051/);
      assert.match(notes, /dns:\/\/\/rel-baton-headless\.baton-test\.svc:50051/);
      assert.match(notes, /grpc\.health\.v1\.Health\/Check/);
      assert.match(notes, /cluster seeds redis-0\.redis:6379, /);
      assert.match(notes, /max by \(queue\)/);
    });

    void it('names the Secret when Redis comes from an existing one', async () => {
      assert.match(await renderNotes(EXISTING_SECRET), /endpoints from Secret baton-redis/);
    });
  });

  void describe('refuses to render', () => {
    const cases: readonly (readonly [string, object, RegExp])[] = [
      ['without Redis endpoints', {}, /Redis endpoints are required: set redis\.cluster/],
      [
        'with an existingSecret that names no endpoints and none in values',
        { redis: { existingSecret: 'baton-redis' } },
        /Redis endpoints are required/,
      ],
      [
        'with both a cluster and a URL',
        { redis: { ...REDIS_CLUSTER.redis, url: 'redis://r:6379' } },
        /Set only one Redis endpoint source/,
      ],
      [
        'with an endpoint key but no existingSecret',
        { redis: { existingSecretClusterKey: 'seeds' } },
        /need redis\.existingSecret/,
      ],
      [
        'with an unknown top-level value',
        { ...REDIS_CLUSTER, replicas: 3 },
        /Additional property replicas is not allowed/,
      ],
      [
        'with a misspelt nested value',
        { redis: { clustr: ['redis-0:6379'] } },
        /redis: Additional property clustr is not allowed/,
      ],
      [
        'with a cluster seed that is not host:port',
        { redis: { cluster: ['redis-0'] } },
        /redis\.cluster\.0: Does not match pattern/,
      ],
      [
        'with a namespace that could not be part of a key',
        { redis: { ...REDIS_CLUSTER.redis, namespace: 'a:b' } },
        /redis\.namespace: Does not match pattern/,
      ],
      [
        'with an unknown log level',
        { ...REDIS_CLUSTER, config: { logLevel: 'verbose', retention: '24h', shutdownGraceSeconds: 25 } },
        /config\.logLevel/,
      ],
      [
        'with a retention the server cannot parse',
        { ...REDIS_CLUSTER, config: { logLevel: 'info', retention: '1 day', shutdownGraceSeconds: 25 } },
        /config\.retention: Does not match pattern/,
      ],
      [
        'with a termination grace period shorter than the drain',
        { ...REDIS_CLUSTER, terminationGracePeriodSeconds: 20 },
        /terminationGracePeriodSeconds \(20\) must exceed/,
      ],
    ];
    for (const [name, values, message] of cases) {
      void it(name, async () => {
        const result = await template(values);
        assert.notEqual(result.code, 0, 'helm template must fail');
        assert.match(result.stderr, message);
      });
    }
  });
});
