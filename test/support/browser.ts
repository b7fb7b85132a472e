import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildDashboardClient } from '../../tools/dashboard/build.js';

/** Debian's Chromium (scripts/install-test-deps.sh installs it); playwright-core downloads no browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** The dashboard's client script, built by esbuild as `npm run build` builds it, into a fresh directory. */
export async function buildClientAssets(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-dashboard-assets-'));
  await buildDashboardClient(dir);
  return dir;
}

/** What a page did that a test should know of: bytes it received, and console errors (CSP violations among them). */
export interface Watched {
  page: Page;
  bytes: () => number;
  errors: string[];
}

export async function watchedPage(context: BrowserContext): Promise<Watched> {
  const page = await context.newPage();
  const errors: string[] = [];
  let bytes = 0;
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('dialog', (dialog) => {
    errors.push(`unexpected dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('requestfinished', (request) => {
    void request.sizes().then(
      (sizes) => (bytes += sizes.responseBodySize + sizes.responseHeadersSize),
      () => undefined,
    );
  });
  return { page, bytes: () => bytes, errors };
}

export function screenshotDir(): string {
  return mkdtempSync(join(tmpdir(), 'baton-dashboard-shots-'));
}
