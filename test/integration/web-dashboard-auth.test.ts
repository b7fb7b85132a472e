// The web dashboard with a tokens file: a login form, a session cookie the page cannot read, the API's grants
// applied to every page and action, and forms that other sites cannot submit.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { BatonClient } from '../../clients/typescript/src/client.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { clientWith, writeTokensFile } from '../support/auth.js';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { buildClientAssets, launchChromium } from '../support/browser.js';

const PRINCIPALS = [
  { name: 'billing-viewer', tokens: ['t-watch'], grants: [{ queues: 'billing-*', roles: ['watch' as const] }] },
  { name: 'ops', tokens: ['t-admin'], grants: [{ queues: '*', roles: ['admin' as const] }] },
];

describe('web dashboard with authentication', () => {
  let dir = '';
  let redis: TestRedis | undefined;
  let server: TestServer | undefined;
  let admin: BatonClient | undefined;
  let browser: Browser | undefined;
  const billing = uniqueQueue('billing');
  const other = uniqueQueue('other');
  const base = (): string => `http://${server?.baton.dashboardAddress ?? ''}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-dashboard-auth-'));
    const tokensFile = join(dir, 'tokens.json');
    writeTokensFile(tokensFile, PRINCIPALS);
    const assets = await buildClientAssets();
    redis = await startPlainRedis();
    server = await startTestServer(redis.config, { authTokensFile: tokensFile, dashboardAddress: '127.0.0.1:0' }, { dashboardAssetsDir: assets });
    admin = clientWith(server.baton.grpcAddress, { token: 't-admin' });
    await admin.submitTask({ queue: billing, task_id: 'b1' });
    await admin.submitTask({ queue: other, task_id: 'o1' });
    browser = await launchChromium();
  });
  after(async () => {
    admin?.close();
    await browser?.close();
    await server?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const loggedIn = async (token: string): Promise<{ context: BrowserContext; page: Page }> => {
    assert.ok(browser);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base()}/queues/${billing}`);
    await page.getByLabel(/Bearer token/).fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base()}/queues/${billing}`);
    return { context, page };
  };

  it('asks for a token, refuses a wrong one, and keeps a good one in an HttpOnly SameSite=Strict cookie', async () => {
    const response = await fetch(`${base()}/`);
    assert.equal(response.status, 401);
    assert.match(await response.text(), /Bearer token/);
    assert.ok(browser);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base()}/`);
    await page.getByLabel(/Bearer token/).fill('t-wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    assert.match((await page.locator('.error').textContent()) ?? '', /not valid/);
    await context.close();
    const session = await loggedIn('t-watch');
    const [cookie] = await session.context.cookies();
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await session.page.evaluate('document.cookie'), '', 'scripts cannot read the session');
    assert.equal(await session.page.locator('.who').textContent(), 'billing-viewer');
    await session.page.getByRole('button', { name: 'Log out' }).click();
    await session.page.waitForURL(/\/login$/);
    await session.page.goto(`${base()}/`);
    assert.equal(await session.page.getByLabel(/Bearer token/).count(), 1, 'logged out');
    await session.context.close();
  });

  it('shows a watcher only the queues it watches, without controls, and refuses its actions', async () => {
    const { context, page } = await loggedIn('t-watch');
    assert.equal(await page.getByRole('button', { name: 'Pause' }).count(), 0, 'no controls without admin');
    await page.goto(`${base()}/`);
    assert.equal(await page.locator(`tr[data-queue="${billing}"]`).count(), 1);
    assert.equal(await page.locator(`tr[data-queue="${other}"]`).count(), 0, 'a queue it may not watch is not listed');
    const refused = await page.goto(`${base()}/queues/${other}/tasks/o1`);
    assert.equal(refused?.status(), 403);
    assert.match((await page.locator('.error').textContent()) ?? '', /lacks the watch role on queue/);
    // The form it cannot see, posted anyway with a valid CSRF token: refused by role.
    await page.goto(`${base()}/queues/${billing}`);
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    const posted = await page.request.post(`${base()}/queues/${billing}/pause`, { form: { csrf }, maxRedirects: 0 });
    assert.equal(posted.status(), 403);
    assert.equal((await admin?.getQueue({ queue: billing }))?.queue?.paused, false);
    await context.close();
  });

  it('lets an admin act, and refuses a post without the session CSRF token or from another origin', async () => {
    const { context, page } = await loggedIn('t-admin');
    const noToken = await page.request.post(`${base()}/queues/${billing}/pause`, { form: { csrf: 'guess' }, maxRedirects: 0 });
    assert.equal(noToken.status(), 403);
    const cookie = (await context.cookies())[0]?.value ?? '';
    const crossSite = await fetch(`${base()}/queues/${billing}/pause`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', cookie: `baton_session=${cookie}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'csrf=x',
      redirect: 'manual',
    });
    assert.equal(crossSite.status, 403);
    assert.equal((await admin?.getQueue({ queue: billing }))?.queue?.paused, false);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.waitForSelector('.badge.paused');
    assert.equal((await admin?.getQueue({ queue: billing }))?.queue?.paused, true);
    await context.close();
  });

  it('sends a strict Content-Security-Policy with every page', async () => {
    const response = await fetch(`${base()}/login`);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
  });
});
