import { describe } from 'node:test';
import { useTestServer } from '../support/baton.js';
import { lifecycleScenarios } from '../scenarios/lifecycle.js';

describe('task lifecycle on Redis Cluster', () => {
  const setup = useTestServer();
  lifecycleScenarios(() => setup.server);
});
