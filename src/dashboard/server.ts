import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Principals } from '../auth/principals.js';
import { BatonError } from '../domain/errors.js';
import { listenHttp } from '../httpListen.js';
import type { Logger } from '../log.js';
import { performAction } from './actions.js';
import { PageError } from './context.js';
import type { DashboardServices, View, ViewContext } from './context.js';
import { html } from './html.js';
import { page } from './layout.js';
import { serveLive } from './live.js';
import { Sessions, clearedCookie, sameToken } from './session.js';
import type { Viewer } from './session.js';
import { STYLE } from './style.js';
import { confirmPage } from './views/confirm.js';
import { loginPage } from './views/login.js';
import { overview } from './views/overview.js';
import { Redirect, queuePage } from './views/queue.js';
import { taskPage } from './views/task.js';
import { schedulesPage } from './views/schedules.js';
import { workersPage } from './views/workers.js';

/**
 * No inline script or style, nothing from another origin, no framing: a value that escaped the escaping still
 * could not run. Forms post only to this origin.
 */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  // Not no-referrer: with it, browsers send `Origin: null` on form posts, and the origin check below needs the origin.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};
/** Open pages live at most this many per replica: each holds a watch on up to a page of queues. */
const MAX_LIVE_STREAMS = 500;
const MAX_FORM_BYTES = 16 * 1024;

export interface DashboardOptions {
  /** Undefined: open access, everyone may do everything (as on the gRPC port). */
  principals: (() => Principals) | undefined;
  /** Where the built client script (app.js) is; default: assets/ next to this module (dist/src/dashboard/assets). */
  assetsDir?: string;
}

export interface DashboardServer {
  address: string;
  close(): Promise<void>;
}

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

function asset(type: string, text: string | Buffer): Asset {
  const body = Buffer.from(text);
  return { type, body, gzip: gzipSync(body), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

function loadAssets(dir: string, log: Logger): Map<string, Asset> {
  const assets = new Map([['/assets/style.css', asset('text/css; charset=utf-8', STYLE)]]);
  try {
    assets.set('/assets/app.js', asset('text/javascript; charset=utf-8', readFileSync(join(dir, 'app.js'))));
  } catch {
    // Pages still render and act without it; they just do not update live.
    log.warn('dashboard client script not found: pages will not update live (run npm run build)', { dir });
  }
  return assets;
}

function send(request: IncomingMessage, response: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  const raw = Buffer.from(body);
  const gzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '') && raw.length > 1_024;
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'cache-control': 'no-store',
    ...(gzip ? { 'content-encoding': 'gzip', vary: 'accept-encoding' } : {}),
    ...headers,
  });
  response.end(request.method === 'HEAD' ? undefined : gzip ? gzipSync(raw) : raw);
}

function redirect(response: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  response.writeHead(303, { ...SECURITY_HEADERS, location, ...headers }).end();
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new PageError(413, 'form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A POST from a page of another origin is refused, whatever it carries (defence in depth over SameSite and CSRF). */
function sameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** A path this dashboard may send the browser to after login: its own, never another host's (//evil.example). */
function localPath(value: string | null): string {
  return value !== null && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

type Route = (ctx: ViewContext) => Promise<View>;

function route(path: string): Route | undefined {
  if (path === '/') return overview;
  if (path === '/workers') return workersPage;
  if (path === '/schedules') return schedulesPage;
  const parts = path.split('/').slice(1).map(decodeURIComponent);
  if (parts[0] !== 'queues' || parts[1] === undefined || parts[1] === '') return undefined;
  const queue = parts[1];
  if (parts.length === 2) return (ctx) => queuePage(ctx, queue);
  if (parts.length === 3 && parts[2] === 'confirm') return (ctx) => confirmPage(ctx, queue);
  if (parts.length === 4 && parts[2] === 'tasks' && parts[3] !== undefined) {
    const taskId = parts[3];
    return (ctx) => taskPage(ctx, queue, taskId);
  }
  return undefined;
}

function statusOf(error: unknown): { status: number; message: string } | undefined {
  if (error instanceof PageError) return { status: error.status, message: error.message };
  if (error instanceof BatonError) {
    const status = { NOT_FOUND: 404, INVALID_ARGUMENT: 400, FAILED_PRECONDITION: 409, PERMISSION_DENIED: 403 }[error.code as string];
    if (status !== undefined) return { status, message: error.message };
  }
  return undefined;
}

/** The dashboard's HTTP server: pages, their live streams, actions, login, and the two static assets. */
export async function startDashboardServer(
  address: string,
  services: DashboardServices,
  options: DashboardOptions,
  log: Logger,
): Promise<DashboardServer> {
  const sessions = new Sessions(options.principals, false);
  const assets = loadAssets(options.assetsDir ?? join(__dirname, 'assets'), log);
  const shutdown = new AbortController();
  let liveStreams = 0;

  const render = async (viewer: Viewer, url: URL, routeFn: Route): Promise<View> =>
    routeFn({ services, viewer, url, now: Date.now() });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    const method = request.method ?? 'GET';
    const staticAsset = assets.get(path);
    if (staticAsset !== undefined) {
      const notModified = request.headers['if-none-match'] === staticAsset.etag;
      const gzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
      response.writeHead(notModified ? 304 : 200, {
        ...SECURITY_HEADERS,
        'content-type': staticAsset.type,
        'cache-control': 'no-cache',
        etag: staticAsset.etag,
        vary: 'accept-encoding',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      response.end(notModified || method === 'HEAD' ? undefined : gzip ? staticAsset.gzip : staticAsset.body);
      return;
    }
    if (method === 'POST' && !sameOrigin(request)) {
      send(request, response, 403, 'text/plain; charset=utf-8', 'cross-origin request refused\n');
      return;
    }
    if (path === '/login') {
      if (method === 'POST') {
        const form = await readForm(request);
        const cookie = sessions.login(form.get('token')?.trim() ?? '');
        if (cookie === undefined) {
          send(request, response, 401, 'text/html; charset=utf-8', page(loginPage('That token is not valid.', form.get('next') ?? '/'), undefined, path, false));
          return;
        }
        redirect(response, localPath(form.get('next')), { 'set-cookie': cookie });
        return;
      }
      send(request, response, 200, 'text/html; charset=utf-8', page(loginPage('', url.searchParams.get('next') ?? '/'), undefined, path, false));
      return;
    }
    const session = sessions.resolve(request);
    if (session.kind === 'login') {
      if (method === 'GET' && path !== '/live') {
        send(request, response, 401, 'text/html; charset=utf-8', page(loginPage(session.reason, path + url.search), undefined, path, false), {
          'set-cookie': clearedCookie(),
        });
      } else {
        send(request, response, 401, 'text/plain; charset=utf-8', 'log in first\n');
      }
      return;
    }
    const { viewer } = session;
    const cookie: Record<string, string> = session.setCookie === undefined ? {} : { 'set-cookie': session.setCookie };
    if (method === 'POST') {
      const form = await readForm(request);
      if (!sameToken(form.get('csrf') ?? '', viewer.csrf)) throw new PageError(403, 'the form is stale or from elsewhere: reload the page and try again');
      if (path === '/logout') {
        redirect(response, '/login', { 'set-cookie': clearedCookie() });
        return;
      }
      redirect(response, await performAction(services, viewer, path, form), cookie);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      send(request, response, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD, POST' });
      return;
    }
    if (path === '/live') {
      const target = new URL(localPath(url.searchParams.get('path')), 'http://dashboard');
      const routeFn = route(target.pathname);
      if (routeFn === undefined) throw new PageError(404, 'no such page');
      if (liveStreams >= MAX_LIVE_STREAMS) throw new PageError(503, 'too many live pages open on this replica');
      const first = await render(viewer, target, routeFn);
      if (first.live === undefined) throw new PageError(404, 'this page does not update live');
      liveStreams += 1;
      request.on('close', () => (liveStreams -= 1));
      serveLive(request, response, first.live, async () => (await render(viewer, target, routeFn)).body.text, services, shutdown.signal, log);
      return;
    }
    const routeFn = route(path);
    if (routeFn === undefined) throw new PageError(404, `no page at ${path}`);
    const view = await render(viewer, url, routeFn);
    send(request, response, view.status ?? 200, 'text/html; charset=utf-8', page(view, viewer, path + url.search, sessions.open), cookie);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof Redirect) {
        redirect(response, error.location);
        return;
      }
      const known = statusOf(error);
      if (known === undefined) log.error('dashboard request failed', { path: request.url, error: error instanceof Error ? error.stack : String(error) });
      const status = known?.status ?? 500;
      const message = known?.message ?? 'something went wrong; the server log has the details';
      if (response.headersSent) {
        response.end();
        return;
      }
      const view: View = { title: status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Error', body: html`<p class="error">${message}</p><p><a href="/">Back to the queues</a></p>` };
      send(request, response, status, 'text/html; charset=utf-8', page(view, undefined, '/', false));
    });
  });
  const bound = await listenHttp(server, address, 'dashboard');
  return {
    address: bound,
    close: () =>
      new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
