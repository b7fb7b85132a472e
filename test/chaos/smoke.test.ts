/**
 * The chaos suite's fastest half, also run by `npm test`: faults Baton survives today with nothing lost, done twice,
 * accepted stale or leased twice. Each test runs a scenario from scratch (docs/chaos.md) and prints its figures.
 */
import { after, describe, it } from 'node:test';
import { assertSafe, runScenario, summary } from './harness.js';
import * as scenarios from './scenarios.js';

describe('chaos: faults of workers, Baton replicas and Redis replicas', () => {
  after(() => {
    process.stdout.write(`\n${summary()}\n`);
  });

  it('a worker killed with -9 holding leases: its tasks run elsewhere once the leases run out', async () => {
    assertSafe(await runScenario(scenarios.workerKill));
  });

  it('a worker frozen past its lease: every completion under an old token is refused once it resumes', async () => {
    assertSafe(await runScenario(scenarios.workerPause));
  });

  it('a Baton replica killed with -9: clients move to the other replica, nothing it acknowledged is lost', async () => {
    assertSafe(await runScenario(scenarios.batonKill));
  });

  it('a Baton replica stopped with SIGTERM: it drains, clients move to the other replica', async () => {
    assertSafe(await runScenario(scenarios.batonTerm));
  });

  it('a Redis replica killed and restarted: no effect on what Baton acknowledges', async () => {
    assertSafe(await runScenario(scenarios.replicaKill));
  });

  it('CLUSTER FAILOVER (a replica takes over in step with its master): nothing lost', async () => {
    assertSafe(await runScenario(scenarios.manualFailover));
  });
});
