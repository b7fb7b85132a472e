// The Helm chart's access control: auth on by default, the tokens file from a Secret mounted read-only as a
// directory (so a rotated token reaches the pod without a restart), reflection off, TLS from a Secret with probes
// on a plaintext health port, and the values checked.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Principals } from '../../src/auth/principals.js';
import { loadConfig } from '../../src/config.js';
import { only, REDIS_CLUSTER, render, renderNotes, RELEASE, template } from './support/chart';
import { helmPath } from './support/helm';
import { validateObject } from './support/kube';

const FULLNAME = `${RELEASE}-baton`;
const HASH = 'a'.repeat(64);
const PRINCIPALS = [
  { name: 'billing-api', tokenSha256: HASH, grants: [{ queues: ['billing-*'], roles: ['produce', 'watch'] }], rate: { callsPerSecond: 50, burst: 100 } },
  { name: 'worker.billing', certificate: true, grants: [{ queues: 'billing-*', roles: ['work'] }] },
];

void describe('helm/baton chart: authentication', () => {
  before(async () => {
    await helmPath();
  });

  void it('by default turns auth on, with the tokens file of a chart Secret mounted read-only, and reflection off', async () => {
    const objects = await render({ ...REDIS_CLUSTER, auth: { enabled: true, principals: PRINCIPALS } });
    for (const object of objects) validateObject(object);
    const data = only(objects, 'ConfigMap', FULLNAME).data ?? {};
    assert.equal(data.BATON_AUTH_TOKENS_FILE, '/etc/baton/auth/tokens.json');
    assert.equal(data.BATON_REFLECTION, 'off');
    const secret = only(objects, 'Secret', `${FULLNAME}-auth`);
    // What the chart writes is a file the server accepts.
    const file = Buffer.from(secret.data?.['tokens.json'] ?? '', 'base64').toString();
    assert.equal(Principals.parse(file).size, 2);
    assert.ok(file.includes('"rate":{"burst":100,"callsPerSecond":50}'), 'a rate limit reaches the file');
    const pod = only(objects, 'Deployment').spec?.template;
    const mount = pod?.spec?.containers[0]?.volumeMounts?.find((m) => m.name === 'auth');
    // The whole directory: a subPath mount would never see a rotated token.
    assert.deepEqual(mount, { name: 'auth', mountPath: '/etc/baton/auth', readOnly: true });
    assert.equal(pod?.spec?.volumes?.find((v) => v.name === 'auth')?.secret?.secretName, `${FULLNAME}-auth`);
    assert.equal(pod.metadata?.annotations?.['checksum/auth'], undefined, 'a token rotation must not roll the pods');
  });

  void it('with an existing Secret mounts that one and creates none', async () => {
    const objects = await render({ ...REDIS_CLUSTER, auth: { enabled: true, existingSecret: 'baton-tokens', existingSecretKey: 'principals.json' } });
    assert.ok(!objects.some((o) => o.kind === 'Secret'));
    assert.equal(only(objects, 'ConfigMap', FULLNAME).data?.BATON_AUTH_TOKENS_FILE, '/etc/baton/auth/principals.json');
    const volume = only(objects, 'Deployment').spec?.template.spec?.volumes?.find((v) => v.name === 'auth');
    assert.equal(volume?.secret?.secretName, 'baton-tokens');
  });

  void it('with auth off sets no tokens file and says in NOTES that access is open', async () => {
    const values = { ...REDIS_CLUSTER, auth: { enabled: false }, config: { logLevel: 'info', retention: '24h', shutdownGraceSeconds: 25, reflection: true } };
    const objects = await render(values);
    assert.ok(!objects.some((o) => o.kind === 'Secret'));
    const data = only(objects, 'ConfigMap', FULLNAME).data ?? {};
    assert.equal(data.BATON_AUTH_TOKENS_FILE, undefined);
    assert.equal(data.BATON_REFLECTION, 'on');
    assert.match(await renderNotes(values), /Access is OPEN/);
  });

  void it('with TLS from a Secret, mounts it read-only, turns mTLS on when asked, and probes a plaintext health port', async () => {
    const objects = await render({ ...REDIS_CLUSTER, tls: { enabled: true, secretName: 'baton-tls', clientCa: true, healthPort: 8081 } });
    for (const object of objects) validateObject(object);
    const data = only(objects, 'ConfigMap', FULLNAME).data ?? {};
    // The server takes these settings as they are.
    const config = loadConfig([], data);
    assert.deepEqual(config.tls, { certFile: '/etc/baton/tls/tls.crt', keyFile: '/etc/baton/tls/tls.key', clientCaFile: '/etc/baton/tls/ca.crt' });
    assert.equal(config.healthAddress, '0.0.0.0:8081');
    const spec = only(objects, 'Deployment').spec?.template.spec;
    const [container] = spec?.containers ?? [];
    assert.ok(container);
    assert.deepEqual(container.volumeMounts?.find((m) => m.name === 'tls'), { name: 'tls', mountPath: '/etc/baton/tls', readOnly: true });
    assert.equal(spec?.volumes?.find((v) => v.name === 'tls')?.secret?.secretName, 'baton-tls');
    assert.ok(container.ports?.some((p) => p.name === 'health' && p.containerPort === 8081));
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      assert.equal(probe?.grpc?.port, 8081, 'Kubernetes gRPC probes speak plaintext: they check the health port');
    }
  });

  void it('without TLS serves plaintext and probes the gRPC port, with no health listener', async () => {
    const objects = await render(REDIS_CLUSTER);
    const data = only(objects, 'ConfigMap', FULLNAME).data ?? {};
    assert.deepEqual([data.BATON_TLS_CERT, data.BATON_TLS_CLIENT_CA, data.BATON_HEALTH_ADDR], [undefined, undefined, undefined]);
    const [container] = only(objects, 'Deployment').spec?.template.spec?.containers ?? [];
    assert.ok(container);
    assert.equal(container.readinessProbe?.grpc?.port, 50051);
    assert.ok(!container.ports?.some((p) => p.name === 'health'));
  });

  void it('says in NOTES when no principal is configured yet', async () => {
    assert.match(await renderNotes(REDIS_CLUSTER), /No principals yet/);
  });

  void describe('refuses to render', () => {
    const cases: readonly (readonly [string, object, RegExp])[] = [
      ['a token instead of its hash', { auth: { principals: [{ name: 'a', tokenSha256: 'my-token', grants: [] }] } }, /tokenSha256/],
      ['an unknown role', { auth: { principals: [{ name: 'a', tokenSha256: HASH, grants: [{ queues: '*', roles: ['root'] }] }] } }, /roles/],
      ['a misspelt auth value', { auth: { enable: true } }, /Additional property enable is not allowed/],
      ['a rate without callsPerSecond', { auth: { principals: [{ name: 'a', tokenSha256: HASH, grants: [], rate: { burst: 5 } }] } }, /callsPerSecond/],
      ['TLS without its Secret', { tls: { enabled: true } }, /tls\.enabled needs tls\.secretName/],
    ];
    for (const [name, values, message] of cases) {
      void it(`with ${name}`, async () => {
        const result = await template({ ...REDIS_CLUSTER, ...values, auth: { enabled: true, ...(values as { auth: object }).auth } });
        assert.notEqual(result.code, 0, 'helm template must fail');
        assert.match(result.stderr, message);
      });
    }
  });
});
