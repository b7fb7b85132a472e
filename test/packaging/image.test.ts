// The container image, built without Docker: the Dockerfile's build and runtime stages are replayed in a
// temporary directory (support/image.ts), then the runtime stage's CMD is started the way the image runs it
// (its ENV only, its USER when we are root, /app read-only, a writable /tmp) against a throwaway
// redis-server, and probed like Kubernetes does.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from './support/helm';
import { checkHealth, waitUntilServing } from './support/health';
import { buildStage, hostPath, type StageResult } from './support/image';
import { imageNpmBinDir } from './support/npm';
import { collectOutput, freePort, startRedis, stopChild, waitForExit, type RedisServer } from './support/process';

const BUILD_TIMEOUT_MS = 15 * 60_000;

/** chmod -R, so the service user cannot write the app and the test can delete it afterwards. */
function chmodTree(path: string, mode: (current: number, isDir: boolean) => number): void {
  const stat = statSync(path);
  if (stat.isDirectory()) {
    for (const entry of readdirSync(path)) chmodTree(join(path, entry), mode);
  }
  chmodSync(path, mode(stat.mode & 0o7777, stat.isDirectory()));
}

function httpGet(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body });
      });
    }).on('error', reject);
  });
}

void describe('container image (Dockerfile replayed without Docker)', () => {
  let work = '';
  let runtime: StageResult | undefined;
  let app = '';
  let redis: RedisServer | undefined;
  let server: ChildProcess | undefined;
  let serverOutput: () => string = () => '';
  let grpcAddress = '';
  let metricsAddress = '';

  before(
    async () => {
      work = mkdtempSync(join(tmpdir(), 'baton-image-'));
      chmodSync(work, 0o755); // the image user must reach /app under it
      runtime = await buildStage(REPO_ROOT, 'runtime', join(work, 'stages'), { pathPrefix: [await imageNpmBinDir()] });
      app = hostPath(runtime.root, runtime.workdir);
      redis = await startRedis(work);
    },
    { timeout: BUILD_TIMEOUT_MS },
  );

  after(async () => {
    await stopChild(server);
    await stopChild(redis?.process);
    if (work !== '' && existsSync(work)) {
      chmodTree(work, (mode, isDir) => mode | 0o200 | (isDir ? 0o100 : 0));
      rmSync(work, { recursive: true, force: true });
    }
  });

  void it('holds only dist/, proto/, package files and production dependencies in /app', () => {
    assert.deepEqual(readdirSync(app).sort(), ['dist', 'node_modules', 'package-lock.json', 'package.json', 'proto']);
    assert.ok(existsSync(join(app, 'dist/src/main.js')), 'dist/src/main.js is built');
    assert.ok(existsSync(join(app, 'dist/src/store/lua')), 'the Lua scripts are next to the compiled store');
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dependency of Object.keys(pkg.dependencies ?? {})) {
      assert.ok(existsSync(join(app, 'node_modules', dependency, 'package.json')), `${dependency} is installed`);
    }
    // The lock file marks packages only dev dependencies need: none of them may be in the image.
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages).filter(([path, entry]) => path !== '' && entry.dev === true);
    assert.ok(devOnly.some(([path]) => path === 'node_modules/typescript'), 'the lock marks typescript dev-only');
    const leaked = devOnly.map(([path]) => path).filter((path) => existsSync(join(app, path)));
    assert.deepEqual(leaked, [], 'dev-only packages in the image');
  });

  void it('starts as the image user with a read-only /app and reports SERVING on grpc.health.v1', async () => {
    assert.ok(runtime && redis);
    const [command, ...args] = runtime.cmd;
    assert.equal(command, 'node', 'CMD runs node');

    // The pod: /app read-only, /tmp an emptyDir writable by the pod's fsGroup, nothing else writable.
    chmodTree(app, (mode) => mode & ~0o222);
    const tmp = hostPath(runtime.root, '/tmp');
    mkdirSync(tmp, { recursive: true });
    chmodSync(tmp, 0o1777);
    const asRoot = process.getuid?.() === 0;
    const [uid, gid] = (runtime.user ?? '').split(':').map(Number);
    if (asRoot) {
      assert.ok(uid !== undefined && Number.isInteger(uid) && uid > 0, `USER ${runtime.user} is a numeric non-root uid`);
      chownSync(tmp, uid, gid ?? uid);
    }

    grpcAddress = `127.0.0.1:${await freePort()}`;
    metricsAddress = `127.0.0.1:${await freePort()}`;
    // Only what the image sets, plus what the chart's ConfigMap would: no host environment leaks in.
    const imageEnv = Object.fromEntries([...runtime.env].map(([k, v]) => [k, v.startsWith('/') ? hostPath(runtime?.root ?? '', v) : v]));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      TMPDIR: tmp,
      ...imageEnv,
      BATON_REDIS_URL: redis.url,
      BATON_GRPC_ADDR: grpcAddress,
      BATON_METRICS_ADDR: metricsAddress,
      // The image's own 0.0.0.0:8080 is for a container; here it would be a fixed port on the host.
      BATON_DASHBOARD_ADDR: '127.0.0.1:0',
      BATON_LOG_LEVEL: 'info',
      BATON_SHUTDOWN_GRACE: '5s',
    };
    server = spawn(process.execPath, args, {
      cwd: app,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot && uid !== undefined ? { uid, gid: gid ?? uid } : {}),
    });
    serverOutput = collectOutput(server);
    const running = server;
    await waitUntilServing(join(app, 'proto/grpc/health/v1/health.proto'), grpcAddress, 30_000, () =>
      running.exitCode !== null || running.signalCode !== null
        ? `the server exited (${running.exitCode ?? running.signalCode}) before serving:\n${serverOutput()}`
        : undefined,
    );
  });

  void it('serves Prometheus metrics on BATON_METRICS_ADDR', async () => {
    assert.ok(server, 'the server is running');
    const response = await httpGet(`http://${metricsAddress}/metrics`);
    assert.equal(response.status, 200, serverOutput());
    assert.match(response.type, /^text\/plain/);
    assert.match(response.body, /^# (HELP|TYPE) /m);
  });

  void it('drains and exits 0 on SIGTERM', async () => {
    assert.ok(server, 'the server is running');
    assert.equal(await checkHealth(join(app, 'proto/grpc/health/v1/health.proto'), grpcAddress), 'SERVING');
    server.kill('SIGTERM');
    const exit = await waitForExit(server, 10_000);
    assert.ok(exit, `still running 10s after SIGTERM:\n${serverOutput()}`);
    assert.deepEqual(exit, { code: 0, signal: null }, serverOutput());
  });
});
