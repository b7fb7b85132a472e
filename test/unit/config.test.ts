import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseDuration, usage } from '../../src/config.js';

describe('configuration', () => {
  it('with nothing set, listens on 0.0.0.0:50051 and asks for a local Redis', () => {
    const config = loadConfig([], {});
    assert.equal(config.grpcAddress, '0.0.0.0:50051');
    assert.equal(config.metricsAddress, '0.0.0.0:9464');
    assert.equal(config.redis, undefined);
    assert.equal(config.retentionMs, 24 * 3_600_000);
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

  it('parses durations in ms, s, m, h and d', () => {
    assert.deepEqual(['500ms', '30s', '5m', '24h', '7d'].map((d) => parseDuration(d, 'x')), [
      500, 30_000, 300_000, 86_400_000, 604_800_000,
    ]);
  });

  it('documents every option with its environment variable', () => {
    assert.match(usage(), /--redis-cluster <value>\s+BATON_REDIS_CLUSTER/);
  });
});
