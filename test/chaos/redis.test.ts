/**
 * The chaos suite's Redis half: failovers that move or may drop data, resharding, a full outage, and
 * min-replicas-to-write. Each test runs a scenario from scratch (docs/chaos.md) and prints its figures.
 *
 * The two paused-master scenarios lose acknowledged writes without replicated acknowledgements
 * (BATON_CHAOS_REPLICA_ACKS=0): they assert that the checker's findings are reported, and in strict mode (the
 * default, with N=1) that nothing is lost.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { assertLeasesHeldOnce, assertReported, assertSafe, runScenario, summary } from './harness.js';
import * as scenarios from './scenarios.js';

describe('chaos: Redis failovers, resharding and outages', () => {
  after(() => {
    process.stdout.write(`\n${summary()}\n`);
  });

  it('a master killed with -9: its replica takes over, nothing acknowledged is lost', async () => {
    assertSafe(await runScenario(scenarios.masterKill));
  });

  it('a busy queue\'s slot moved to another master under load: nothing lost', async () => {
    assertSafe(await runScenario(scenarios.reshard));
  });

  it('every Redis node killed and restarted from its AOF (appendfsync always): nothing lost', async () => {
    assertSafe(await runScenario(scenarios.allRedisDown));
  });

  it('a master frozen past the node timeout, then resumed: nothing lost with replica acks (the loss reported at N=0)', async () => {
    const result = await runScenario(scenarios.masterPause);
    assertReported(result);
    assertLeasesHeldOnce(result);
  });

  it("a master frozen with no failover possible: the other masters' queues keep at least 80% of their rate, and no lease is stranded", async () => {
    const result = await runScenario(scenarios.masterFrozen);
    assertSafe(result);
    const { stranded, sparedRate } = result.findings;
    assert.equal(stranded, 0, 'every lease granted reached a worker or was given back');
    assert.ok(sparedRate, 'the spared queues were measured');
    assert.ok(
      sparedRate.during >= 0.8 * sparedRate.before,
      `the other masters' queues kept ${sparedRate.during.toFixed(1)} of ${sparedRate.before.toFixed(1)} completions/s`,
    );
  });

  it('min-replicas-to-write 1 with the replica down: writes refused UNAVAILABLE, nothing lost', async () => {
    const result = await runScenario(scenarios.minReplicasReplicaKill);
    assertSafe(result);
  });

  it('min-replicas-to-write 1 and a master frozen past the node timeout: nothing lost with replica acks (the loss reported at N=0)', async () => {
    const result = await runScenario(scenarios.minReplicasMasterPause);
    assertReported(result);
    assertLeasesHeldOnce(result);
  });
});
