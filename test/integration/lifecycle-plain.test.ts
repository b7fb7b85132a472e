import { after, before, describe } from 'node:test';
import { startTestServer } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { startPlainRedis } from '../support/redis.js';
import type { TestRedis } from '../support/redis.js';
import { lifecycleScenarios } from '../scenarios/lifecycle.js';

describe('task lifecycle on a single plain Redis', () => {
  let redis: TestRedis;
  let server: TestServer;
  before(async () => {
    redis = await startPlainRedis();
    server = await startTestServer(redis.config);
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });
  lifecycleScenarios(() => server);
});
