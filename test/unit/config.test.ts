import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, pageTokenKey, usage } from '../../src/config.js';

describe('configuration', () => {
  it('with nothing set, access is open: listens on loopback only, and asks for a local Redis', () => {
    const config = loadConfig([], {});
    assert.equal(config.grpcAddress, '127.0.0.1:50051');
    assert.equal(config.metricsAddress, '127.0.0.1:9464');
    assert.equal(config.reflection, true);
    assert.equal(config.redis, undefined);
    assert.equal(config.retentionMs, 24 * 3_600_000);
  });

  it('with a tokens file or a client CA, listens on every interface by default', () => {
    for (const env of [{ BATON_AUTH_TOKENS_FILE: '/etc/baton/tokens.json' }, { BATON_TLS_CERT: 'c', BATON_TLS_KEY: 'k', BATON_TLS_CLIENT_CA: 'ca' }]) {
      const config = loadConfig([], env);
      assert.equal(config.grpcAddress, '0.0.0.0:50051');
      assert.equal(config.metricsAddress, '0.0.0.0:9464');
    }
    const tlsOnly = loadConfig(['--tls-cert', 'c', '--tls-key', 'k', '--reflection', 'off'], {});
    assert.deepEqual(tlsOnly.tls, { certFile: 'c', keyFile: 'k' });
    assert.equal(tlsOnly.grpcAddress, '127.0.0.1:50051', 'TLS alone authenticates nobody: still open');
    assert.equal(tlsOnly.reflection, false);
  });

  it('refuses half a TLS configuration, naming what is missing', () => {
    assert.throws(() => loadConfig(['--tls-cert', 'c'], {}), /--tls-key or BATON_TLS_KEY/);
    assert.throws(() => loadConfig([], { BATON_TLS_CLIENT_CA: 'ca' }), /BATON_TLS_CLIENT_CA needs --tls-cert/);
    assert.throws(() => loadConfig(['--reflection', 'maybe'], {}), /--reflection: "maybe" is not one of on, off/);
  });

  it('reads Redis Cluster seed nodes and the password from the environment', () => {
    const config = loadConfig([], { BATON_REDIS_CLUSTER: 'r1:7000, r2:7001', BATON_REDIS_PASSWORD: 's3cret' });
    assert.deepEqual(config.redis?.clusterNodes, [
      { host: 'r1', port: 7000 },
      { host: 'r2', port: 7001 },
    ]);
    assert.equal(config.redis.password, 's3cret');
  });

  it('lets a flag win over its environment variable', () => {
    const config = loadConfig(['--grpc-addr', '127.0.0.1:1', '--retention=2h'], { BATON_GRPC_ADDR: '0.0.0.0:9' });
    assert.equal(config.grpcAddress, '127.0.0.1:1');
    assert.equal(config.retentionMs, 7_200_000);
  });

  it('rejects unknown options, bad durations, bad cluster nodes and two Redis settings, naming the setting', () => {
    assert.throws(() => loadConfig(['--nope'], {}), ConfigError);
    assert.throws(() => loadConfig([], { BATON_RETENTION: '1 day' }), /BATON_RETENTION/);
    assert.throws(() => loadConfig([], { BATON_REDIS_CLUSTER: 'no-port' }), /host:port/);
    assert.throws(() => loadConfig([], { BATON_REDIS_URL: 'redis://x', BATON_REDIS_CLUSTER: 'a:1' }), /only one/);
    assert.throws(() => loadConfig([], { BATON_LOG_LEVEL: 'loud' }), /BATON_LOG_LEVEL/);
  });

  it('takes durations in the grammar the CLI takes: fractions and several units', () => {
    const config = loadConfig(['--retention', '1.5h', '--worker-lost-after=1m30s'], { BATON_SHUTDOWN_GRACE: '250ms' });
    assert.equal(config.retentionMs, 5_400_000);
    assert.equal(config.workerLostAfterMs, 90_000);
    assert.equal(config.shutdownGraceMs, 250);
  });

  it('names the flag in an error when a flag was passed, the environment variable when it was set', () => {
    assert.throws(() => loadConfig(['--retention', '1 day'], {}), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^--retention: "1 day" is not a duration/);
      assert.doesNotMatch(error.message, /BATON_RETENTION/);
      return true;
    });
    assert.throws(() => loadConfig([], { BATON_RETENTION: '1 day' }), /^Error: BATON_RETENTION: "1 day" is not a duration/);
    assert.throws(() => loadConfig(['--log-level=loud'], {}), /^Error: --log-level: "loud" is not one of debug, info, warn, error/);
    assert.throws(() => loadConfig(['--max-payload-bytes', '0'], { BATON_MAX_PAYLOAD_BYTES: '5' }), /^Error: --max-payload-bytes:/);
    assert.throws(() => loadConfig(['--redis-cluster', 'r:1'], { BATON_REDIS_URL: 'redis://x' }), /one of BATON_REDIS_URL and --redis-cluster/);
  });

  it('turns metrics off with --metrics-addr off or BATON_METRICS_ADDR=off', () => {
    assert.equal(loadConfig(['--metrics-addr', 'off'], {}).metricsAddress, undefined);
    assert.equal(loadConfig([], { BATON_METRICS_ADDR: 'off' }).metricsAddress, undefined);
    assert.equal(loadConfig([], { BATON_METRICS_ADDR: '127.0.0.1:9' }).metricsAddress, '127.0.0.1:9');
  });

  it('forces the log format with --log-format or BATON_LOG_FORMAT, and leaves it to the terminal by default', () => {
    assert.equal(loadConfig([], {}).logFormat, undefined);
    assert.equal(loadConfig(['--log-format', 'auto'], {}).logFormat, undefined);
    assert.equal(loadConfig(['--log-format', 'text'], {}).logFormat, 'text');
    assert.equal(loadConfig([], { BATON_LOG_FORMAT: 'json' }).logFormat, 'json');
    assert.throws(() => loadConfig([], { BATON_LOG_FORMAT: 'xml' }), /BATON_LOG_FORMAT: "xml" is not one of auto, text, json/);
  });

  it('takes a namespace from --namespace or BATON_NAMESPACE, and refuses one that could not be part of a key', () => {
    assert.equal(loadConfig([], {}).namespace, undefined);
    assert.equal(loadConfig(['--namespace', 'staging'], {}).namespace, 'staging');
    assert.equal(loadConfig([], { BATON_NAMESPACE: 'team_a-2' }).namespace, 'team_a-2');
    assert.throws(() => loadConfig([], { BATON_NAMESPACE: 'a{b}' }), /BATON_NAMESPACE: "a\{b\}" is not 1 to 32 letters, digits/);
    assert.throws(() => loadConfig(['--namespace', 'a:b'], {}), /--namespace: "a:b" is not/);
    assert.throws(() => loadConfig(['--namespace', ''], {}), /--namespace: "" is not/);
    assert.throws(() => loadConfig(['--namespace', 'x'.repeat(33)], {}), /is not 1 to 32/);
  });

  it('signs page tokens with a key of their own per namespace, and as before without one', () => {
    const redis = { url: 'redis://127.0.0.1:7000', tls: false, commandTimeoutMs: 1_000 };
    const unnamed = pageTokenKey({ redis });
    assert.equal(unnamed, pageTokenKey({ redis }));
    assert.notEqual(pageTokenKey({ redis, namespace: 'a' }), unnamed);
    assert.notEqual(pageTokenKey({ redis, namespace: 'a' }), pageTokenKey({ redis, namespace: 'b' }));
  });

  it('documents every option with its environment variable', () => {
    assert.match(usage(), /--redis-cluster <value>\s+BATON_REDIS_CLUSTER/);
  });
});
