// The web dashboard against a Redis Cluster with two Baton replicas, in a real browser: an action taken on one
// replica's page shows live on a page the other replica serves, and the overview stays small and cheap at 10,000
// queues (one page of queues read, whatever the total).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { buildClientAssets, launchChromium, watchedPage } from '../support/browser.js';

const LIVE_MS = 10_000;
const QUEUES = 10_000;
// Maintenance and reaping would read queues in the background; here only the pages should.
const QUIET = { maintenanceTickMs: 3_600_000, maintenanceMaxIntervalMs: 3_600_000 };

describe('web dashboard on two replicas of one Redis Cluster', () => {
  let redis: TestRedis | undefined;
  const replicas: TestServer[] = [];
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let assets = '';
  const dashboard = (i: number): string => `http://${replicas[i]?.baton.dashboardAddress ?? ''}`;
  const client = () => {
    const [first] = replicas;
    assert.ok(first);
    return first.client;
  };

  /** Commands Redis ran (scripts' inner commands included), over every master of the cluster. */
  async function redisCommands(): Promise<number> {
    let calls = 0;
    for (const master of redis?.masters ?? []) {
      for (const match of (await master.client.info('commandstats')).matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) {
        if (match[1] !== 'info') calls += Number(match[2]);
      }
    }
    return calls;
  }

  before(async () => {
    assets = await buildClientAssets();
    redis = await startRedisCluster();
    for (let i = 0; i < 2; i++) {
      // Room for the 10,000-queue case beside the other tests' queues (the default limit is 10,000).
      const config = { dashboardAddress: '127.0.0.1:0', maxQueues: 2 * QUEUES };
      replicas.push(await startTestServer(redis.config, config, { dashboardAssetsDir: assets, ...QUIET }));
    }
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    for (const replica of replicas) await replica.stop();
    await redis?.stop();
    rmSync(assets, { recursive: true, force: true });
  });

  it('a queue paused from one replica page shows paused, live, on the page of the other replica', async () => {
    assert.ok(context);
    const queue = uniqueQueue('replicas');
    await client().submitTask({ queue, task_id: 'r1' });
    const onA = await watchedPage(context);
    const onB = await watchedPage(context);
    try {
      await onB.page.goto(`${dashboard(1)}/queues/${queue}`);
      await onB.page.waitForSelector('body[data-live="open"]', { timeout: LIVE_MS });
      assert.equal(await onB.page.locator('.badge.paused').count(), 0);
      await onA.page.goto(`${dashboard(0)}/queues/${queue}`);
      await onA.page.getByRole('button', { name: 'Pause' }).click();
      await onA.page.waitForSelector('.badge.paused');
      await onB.page.waitForSelector('.badge.paused', { timeout: LIVE_MS });
      assert.ok(await onB.page.getByRole('button', { name: 'Resume' }).isVisible(), 'replica B offers to resume');
      await client().submitTask({ queue, task_id: 'r2' });
      await onB.page.waitForSelector('tr[data-task="r2"]', { timeout: LIVE_MS });
      assert.deepEqual([...onA.errors, ...onB.errors], []);
    } finally {
      await onA.page.close();
      await onB.page.close();
    }
  });

  it(`at ${QUEUES.toLocaleString('en')} queues the overview loads one page of them: under 200 KB and a bounded number of Redis commands`, { timeout: 180_000 }, async () => {
    assert.ok(context);
    const prefix = uniqueQueue('many');
    const names = Array.from({ length: QUEUES }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
    for (let at = 0; at < names.length; at += 1_000) {
      const reply = await client().submitTasks({ requests: names.slice(at, at + 1_000).map((queue) => ({ queue })) });
      assert.ok(reply.results.every((result) => result.error === undefined));
    }

    /** The overview page of queues matching `filter` on replica B: its HTML and the Redis commands it cost. */
    const overviewPage = async (filter: string): Promise<{ html: string; commands: number }> => {
      const before = await redisCommands();
      const response = await fetch(`${dashboard(1)}/?q=${filter}`);
      assert.equal(response.status, 200);
      const html = await response.text();
      return { html, commands: (await redisCommands()) - before };
    };
    const all = await overviewPage(prefix);
    assert.match(all.html, new RegExp(`${QUEUES} queues matching`));
    assert.equal(all.html.match(/<tr data-queue=/g)?.length, 25, 'one page of 25 queues');
    assert.ok(Buffer.byteLength(all.html) < 60 * 1024, `the page is ${Buffer.byteLength(all.html)} bytes`);
    // Each queue shown costs its figures script (which looks at each priority band) and a read of its recent events;
    // the queues not shown cost nothing, so a page of 25 out of 100 costs what a page of 25 out of 10,000 does.
    const hundred = await overviewPage(`${prefix}-000`);
    assert.match(hundred.html, /100 queues matching/);
    assert.ok(all.commands < 25 * 50, `${all.commands} Redis commands (scripts' own included) for one overview page`);
    assert.ok(Math.abs(all.commands - hundred.commands) <= 25, `${all.commands} commands at ${QUEUES} queues, ${hundred.commands} at 100`);

    const { page, bytes, errors } = await watchedPage(context);
    try {
      await page.goto(`${dashboard(0)}/?q=${prefix}`);
      assert.equal(await page.locator('tr[data-queue]').count(), 25);
      assert.ok(bytes() < 200 * 1024, `first load ${bytes()} bytes`);
      await page.getByRole('link', { name: 'Next page →' }).click();
      await page.waitForSelector(`tr[data-queue="${names[25] ?? ''}"]`);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
});
