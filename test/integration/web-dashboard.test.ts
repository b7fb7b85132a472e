// The web dashboard in a real browser (Debian's Chromium through playwright-core), against a real Baton and Redis
// Cluster, with open access: each page loads, acts, and shows changes made elsewhere arrive live.
import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { durationFromMs } from '../../clients/typescript/src/time.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { buildClientAssets, launchChromium, screenshotDir, watchedPage } from '../support/browser.js';
import type { Watched } from '../support/browser.js';

/** Set BATON_UPDATE_SCREENSHOT=1 to refresh the README's screenshot (docs/dashboard.png) from this run. */
const UPDATE_SCREENSHOT = process.env.BATON_UPDATE_SCREENSHOT === '1';
const LIVE_MS = 10_000;

describe('web dashboard in a browser', () => {
  let redis: TestRedis | undefined;
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let assets = '';
  const shots = screenshotDir();
  const base = (): string => `http://${server?.baton.dashboardAddress ?? ''}`;
  const client = () => {
    assert.ok(server);
    return server.client;
  };
  let current: Page | undefined;
  /** One page at a time: each open page holds a live stream, and Chromium allows six connections per host. */
  const open = async (path: string): Promise<Watched> => {
    assert.ok(context);
    await current?.close();
    const watched = await watchedPage(context);
    current = watched.page;
    const response = await watched.page.goto(base() + path);
    assert.equal(response?.status(), 200, `GET ${path}`);
    return watched;
  };
  /** The page says it is following the update stream. */
  const live = async (page: Page): Promise<void> => {
    await page.waitForSelector('body[data-live="open"]', { timeout: LIVE_MS });
  };
  const shot = async (page: Page, name: string): Promise<string> => {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
  };

  before(async () => {
    assets = await buildClientAssets();
    redis = await startRedisCluster();
    server = await startTestServer(redis.config, { dashboardAddress: '127.0.0.1:0' }, { dashboardAssetsDir: assets });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    await redis?.stop();
    rmSync(assets, { recursive: true, force: true });
  });

  it('lists queues with counts on the overview, and a new task arrives live', async () => {
    const queue = uniqueQueue('overview');
    await client().submitTask({ queue, json: { n: 1 } });
    const { page, bytes, errors } = await open('/');
    const row = page.locator(`tr[data-queue="${queue}"]`);
    assert.equal(await row.locator('td').nth(2).textContent(), '1', 'one pending task');
    await live(page);
    await client().submitTasks({ requests: [{ queue }, { queue }] });
    await eventually(async () => ((await row.locator('td').nth(2).textContent()) === '3' ? true : undefined), LIVE_MS);
    assert.ok(await page.locator('figure.chart svg').isVisible(), 'the throughput chart');
    assert.ok(bytes() < 200 * 1024, `first load ${bytes()} bytes`);
    const path = await shot(page, 'overview');
    if (UPDATE_SCREENSHOT) copyFileSync(path, join(__dirname, '../../docs/dashboard.png'));
    assert.deepEqual(errors, []);
  });

  it('pauses a queue from its page, and shows a resume made through the API arrive live', async () => {
    const queue = uniqueQueue('pause');
    await client().submitTask({ queue, task_id: 'p1', type: 'email' });
    const { page, errors } = await open(`/queues/${queue}`);
    assert.ok(await page.locator('tr[data-task="p1"]').isVisible());
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.waitForSelector('.badge.paused');
    assert.equal((await client().getQueue({ queue })).queue?.paused, true);
    await live(page);
    await client().resumeQueue({ queue });
    await page.getByRole('button', { name: 'Pause' }).waitFor({ timeout: LIVE_MS });
    assert.equal(await page.locator('.badge.paused').count(), 0);
    await shot(page, 'queue');
    assert.deepEqual(errors, []);
  });

  it('searches a queue by id and by type, and pages through its tasks', async () => {
    const queue = uniqueQueue('search');
    const requests = Array.from({ length: 60 }, (_, i) => ({ queue, task_id: `t${String(i).padStart(2, '0')}`, type: i % 2 === 0 ? 'even' : 'odd' }));
    await client().submitTasks({ requests });
    const { page } = await open(`/queues/${queue}`);
    assert.equal(await page.locator('tr[data-task]').count(), 50, 'one page of 50');
    await page.getByRole('link', { name: 'Next page →' }).click();
    assert.equal(await page.locator('tr[data-task]').count(), 10);
    await page.goto(`${base()}/queues/${queue}?type=odd`);
    assert.equal(await page.locator('tr[data-task]').count(), 30);
    await page.goto(`${base()}/queues/${queue}`);
    await page.getByLabel('task id').fill('t07');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/tasks\/t07$/);
    await page.goto(`${base()}/queues/${queue}?id=nope`);
    assert.match((await page.locator('.notice').textContent()) ?? '', /No task “nope”/);
  });

  it('searches a queue by metadata a bounded number of tasks per page, saying how many it searched', async () => {
    const queue = uniqueQueue('meta');
    const requests = Array.from({ length: 700 }, (_, i) => ({
      queue,
      task_id: `m${String(i).padStart(3, '0')}`,
      metadata: { tenant: i === 5 || i === 690 ? 'acme' : 'other', n: String(i) },
    }));
    await client().submitTasks({ requests });
    const { page, errors } = await open(`/queues/${queue}`);
    /** The page lists exactly this task. */
    const listsOnly = async (id: string): Promise<void> => {
      assert.equal(await page.locator('tr[data-task]').count(), 1);
      assert.equal(await page.locator(`tr[data-task="${id}"]`).count(), 1, `lists ${id}`);
    };
    await page.getByLabel('metadata key=value').fill('tenant=acme');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/meta=tenant%3Dacme/);
    await listsOnly('m690');
    assert.match((await page.locator('.searched').textContent()) ?? '', /Searched 500 tasks .*tenant=acme; the next page searches on/);
    await page.getByRole('link', { name: 'Next page →' }).click();
    await listsOnly('m005');
    assert.match((await page.locator('.searched').textContent()) ?? '', /Searched 700 tasks .*\(all of them\)/);
    await page.goto(`${base()}/queues/${queue}?meta=tenant%3Dnobody`);
    assert.match((await page.locator('.empty').textContent()) ?? '', /No pending tasks with tenant=nobody on this page/);
    assert.deepEqual(errors, []);
  });

  it('shows a task with previews, attempts and timeline; retries it and cancels it after confirming', async () => {
    const queue = uniqueQueue('task');
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await client().submitTask({
      queue,
      task_id: 'job',
      json: { user: 'ada', items: [1, 2] },
      metadata: { note: '<script>window.xss=1</script>' },
      trace_context: { traceparent, tracestate: '' },
      unique_key: 'report-ada',
      unique_until_finished: true,
    });
    const { page, errors } = await open(`/queues/${queue}/tasks/job`);
    assert.match((await page.locator('pre.preview.json').textContent()) ?? '', /"user": "ada"/);
    assert.equal(await page.locator('.fields code').textContent(), traceparent, 'the trace it was submitted in');
    assert.equal(await page.locator('.fields tr', { hasText: 'unique key' }).locator('td').textContent(), 'report-ada');
    assert.equal(await page.locator('dd').first().textContent(), '<script>window.xss=1</script>', 'metadata shown as text');
    await live(page);
    const claimed = (await client().claimTasks({ queues: [queue], worker_id: 'w-1', max_tasks: 1 })).tasks[0];
    assert.ok(claimed);
    await client().failTask({ queue, task_id: 'job', lease_token: claimed.lease_token, error: { type: 'Boom', message: 'it broke' }, permanent: true });
    await page.locator('.fields .state.failed').waitFor({ timeout: LIVE_MS });
    assert.match((await page.locator('table.errors').textContent()) ?? '', /Boom.*it broke/s);
    assert.ok((await page.locator('.timeline li').count()) >= 3, 'submitted, claimed, failed');
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.locator('.fields .state.pending').waitFor();
    await page.getByRole('link', { name: 'Cancel…' }).click();
    assert.match((await page.locator('.confirm').textContent()) ?? '', /cancels task job .* it ends cancelled now/s);
    await shot(page, 'confirm-cancel');
    await page.getByRole('button', { name: 'Cancel the task' }).click();
    await page.locator('.fields .state.cancelled').waitFor();
    assert.equal((await client().getTask({ queue, task_id: 'job' })).task?.state, 'TASK_STATE_CANCELLED');
    await shot(page, 'task');
    assert.equal(await page.evaluate('window.xss'), undefined);
    assert.deepEqual(errors, []);
  });

  it("shows a running task's log lines as text, and lines appended meanwhile arrive live", async () => {
    const queue = uniqueQueue('logs');
    await client().submitTask({ queue, task_id: 'logged' });
    const claimed = (await client().claimTasks({ queues: [queue], worker_id: 'w-log', max_tasks: 1, lease_duration: durationFromMs(60_000) })).tasks[0];
    assert.ok(claimed);
    const held = { queue, task_id: 'logged', lease_token: claimed.lease_token };
    await client().appendTaskLogs({ ...held, lines: [{ text: 'resizing 3 images' }, { text: '<img src=x onerror="window.xss=1">' }] });
    const { page, errors } = await open(`/queues/${queue}/tasks/logged`);
    const lines = page.locator('#logs ol.logs li');
    assert.equal(await lines.count(), 2);
    assert.equal(await lines.nth(0).locator('.text').textContent(), 'resizing 3 images');
    assert.equal(await lines.nth(1).locator('.text').textContent(), '<img src=x onerror="window.xss=1">', 'a line is shown as text');
    assert.equal(await lines.nth(0).locator('.attempt').textContent(), '#1');
    await live(page);
    await client().appendTaskLogs({ ...held, lines: [{ text: 'image 1 done' }] });
    await page.locator('#logs li .text', { hasText: 'image 1 done' }).waitFor({ timeout: LIVE_MS });
    await shot(page, 'task-logs');
    assert.equal(await page.evaluate('window.xss'), undefined);
    assert.deepEqual(errors, []);
  });

  it('shows binary payloads as hex and long text truncated', async () => {
    const queue = uniqueQueue('preview');
    await client().submitTask({ queue, task_id: 'bin', payload: Buffer.from([0, 1, 2, 0xff, 0xfe, 0x41]) });
    await client().submitTask({ queue, task_id: 'long', payload: 'é'.repeat(10_000) });
    const { page } = await open(`/queues/${queue}/tasks/bin`);
    assert.match((await page.locator('pre.preview.hex').textContent()) ?? '', /^00000000 {2}00 01 02 ff fe 41/);
    await page.goto(`${base()}/queues/${queue}/tasks/long`);
    assert.match((await page.locator('h2', { hasText: 'Payload' }).textContent()) ?? '', /20000 bytes · text · truncated/);
    assert.equal(((await page.locator('pre.preview.text').textContent()) ?? '').length, 4_096);
  });

  it('purges and bulk-retries only after a page that says what will happen', async () => {
    const queue = uniqueQueue('bulk');
    await client().submitTasks({ requests: [{ queue }, { queue }, { queue, task_id: 'f' }] });
    const claimed = (await client().claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 3 })).tasks.find((t) => t.task?.id === 'f');
    assert.ok(claimed);
    await client().failTask({ queue, task_id: 'f', lease_token: claimed.lease_token, permanent: true });
    const { page } = await open(`/queues/${queue}`);
    await page.getByRole('link', { name: /^Retry failed/ }).click();
    assert.match((await page.locator('.confirm').textContent()) ?? '', /makes the 1 tasks .* failed pending again/s);
    await page.getByRole('button', { name: 'Retry 1 tasks' }).click();
    await page.waitForURL(new RegExp(`/queues/${queue}$`));
    assert.equal((await client().getTask({ queue, task_id: 'f' })).task?.state, 'TASK_STATE_PENDING');
    await page.getByRole('link', { name: 'Purge…' }).click();
    assert.match((await page.locator('.confirm').textContent()) ?? '', /deletes the 1 pending and 0 scheduled tasks .* under lease \(2\) stay/s);
    await page.getByRole('button', { name: 'Delete 1 waiting tasks' }).click();
    await page.waitForURL(new RegExp(`/queues/${queue}$`));
    assert.equal((await client().getQueue({ queue })).queue?.counts?.pending ?? 0, 0);
  });

  it('shows workers alive with what they hold, lease expiry and progress, updating live', async () => {
    const queue = uniqueQueue('workers');
    await client().submitTask({ queue, task_id: 'held' });
    const claimed = (await client().claimTasks({ queues: [queue], worker_id: 'w-busy', max_tasks: 1, lease_duration: durationFromMs(60_000) })).tasks[0];
    assert.ok(claimed);
    const { page, errors } = await open('/workers');
    const row = page.locator('tr[data-worker="w-busy"]');
    assert.match((await row.textContent()) ?? '', /alive.*held · lease ends in/s);
    await live(page);
    await client().heartbeat({ queue, task_id: 'held', lease_token: claimed.lease_token, progress: { current: 3, total: 4, message: 'resizing' } });
    await row.filter({ hasText: '3/4 resizing' }).waitFor({ timeout: LIVE_MS });
    await shot(page, 'workers');
    assert.deepEqual(errors, []);
  });

  it('lists schedules with when they run next and a link to the last tick\'s task', async () => {
    const queue = uniqueQueue('schedules');
    await client().createSchedule({ schedule_id: 'nightly', cron: '30 2 * * *', time_zone: 'Europe/Berlin', task: { queue } });
    await client().createSchedule({ schedule_id: 'paused', interval: durationFromMs(60_000), task: { queue }, paused: true });
    await client().createSchedule({ schedule_id: 'ticking', interval: durationFromMs(1_000), task: { queue } });
    await eventually(async () => ((await client().getSchedule({ queue, schedule_id: 'ticking' })).schedule?.last_task_id ? true : undefined), 10_000);
    const { page, errors } = await open('/schedules');
    const { schedule } = await client().getSchedule({ queue, schedule_id: 'ticking' });
    const link = page.locator(`tr[data-schedule="${queue}/ticking"] a[href*="/tasks/"]`);
    assert.equal(decodeURIComponent((await link.getAttribute('href')) ?? '').startsWith(`/queues/${queue}/tasks/ticking@`), true);
    assert.ok(schedule?.last_task_id.startsWith('ticking@'));
    assert.match((await page.locator(`tr[data-schedule="${queue}/nightly"]`).textContent()) ?? '', /30 2 \* \* \* \(Europe\/Berlin\)\d{4}-/);
    assert.match((await page.locator(`tr[data-schedule="${queue}/paused"]`).textContent()) ?? '', /every 1m0spaused/);
    await shot(page, 'schedules');
    assert.deepEqual(errors, []);
  });
});
