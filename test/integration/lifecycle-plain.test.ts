import { describe } from 'node:test';
import { useTestServer } from '../support/baton.js';
import { startPlainRedis } from '../support/redis.js';
import { lifecycleScenarios } from '../scenarios/lifecycle.js';

describe('task lifecycle on a single plain Redis', () => {
  const setup = useTestServer(startPlainRedis);
  lifecycleScenarios(() => setup.server);
});
