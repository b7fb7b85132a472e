import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { run, runOk } from './support/exec.js';
import { REPO_ROOT } from './support/helm.js';

const SDK_DIR = join(REPO_ROOT, 'clients/typescript');
const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');

/** A producer and a worker, as a user's first program would be: typed, against the packed SDK. */
const PROGRAM = `
import { BatonClient, createWorker, PermanentError } from '@baton/client';
import type { Task } from '@baton/client';

const [address = '', queue = ''] = process.argv.slice(2);
const client = new BatonClient(address);
const worker = createWorker({
  client,
  queues: queue,
  concurrency: 2,
  handler: (task: Task) => {
    if (task.payload.length === 0) throw new PermanentError('empty payload');
    return \`done \${task.payload.toString()}\`;
  },
});
const running = worker.run();
const { task } = await client.submitTask({ queue, task_id: 'first', payload: Buffer.from('hello') });
const outcome = await client.waitTask({ queue, task_id: task?.id ?? '', timeout: { seconds: 10 } });
console.log(outcome.task?.state, outcome.task?.result.toString());
await worker.close();
await running;
client.close();
`;

function project(kind: 'module' | 'commonjs'): string {
  const dir = mkdtempSync(join(tmpdir(), `baton-sdk-${kind}-`));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${kind}`, private: true, type: kind }));
  const moduleKind = kind === 'module' ? 'nodenext' : 'commonjs';
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: moduleKind,
        moduleResolution: kind === 'module' ? 'nodenext' : 'node10',
        strict: true,
        outDir: 'out',
        types: ['node'],
      },
      include: ['main.ts'],
    }),
  );
  // Top-level await is for ES modules only; a CommonJS program wraps the same lines in a function.
  const source = kind === 'module' ? PROGRAM : PROGRAM.replace(/^(const \[address[\s\S]*)$/m, 'void (async () => {\n$1\n})();');
  writeFileSync(join(dir, 'main.ts'), source);
  return dir;
}

describe('the TypeScript SDK package', () => {
  let packDir: string;
  let tarball: string;
  let redis: TestRedis;
  let server: TestServer;
  const dirs: string[] = [];

  before(async () => {
    packDir = mkdtempSync(join(tmpdir(), 'baton-sdk-pack-'));
    await runOk('npm', ['pack', '--pack-destination', packDir, '--loglevel=error'], { cwd: SDK_DIR, timeoutMs: 180_000 });
    const [file] = readdirSync(packDir).filter((name) => name.endsWith('.tgz'));
    assert.ok(file, 'npm pack wrote a tarball');
    tarball = join(packDir, file);
    redis = await startPlainRedis();
    server = await startTestServer(redis.config);
  });
  after(async () => {
    await server.stop();
    await redis.stop();
    for (const dir of [packDir, ...dirs]) rmSync(dir, { recursive: true, force: true });
  });

  it('ships compiled JavaScript, type declarations and the CLI, and depends only on grpc-js, the protobuf runtime and the OpenTelemetry API', async () => {
    const listing = await runOk('tar', ['-tzf', tarball]);
    const files = listing.stdout.split('\n');
    for (const file of ['package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/cli/main.js', 'package/dist/gen/baton/v1/task.js']) {
      assert.ok(files.includes(file), `${file} is in the package`);
    }
    assert.ok(!files.some((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')), 'no TypeScript sources');
    const manifest = JSON.parse((await runOk('tar', ['-xzOf', tarball, 'package/package.json'])).stdout) as {
      dependencies: Record<string, string>;
    };
    assert.deepEqual(Object.keys(manifest.dependencies).sort(), ['@bufbuild/protobuf', '@grpc/grpc-js', '@opentelemetry/api']);
  });

  for (const kind of ['module', 'commonjs'] as const) {
    it(`installs into an empty ${kind === 'module' ? 'ESM' : 'CommonJS'} TypeScript project that type-checks and runs a worker`, async () => {
      const dir = project(kind);
      dirs.push(dir);
      await runOk('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, '@types/node@20'], {
        cwd: dir,
        timeoutMs: 180_000,
      });
      const compiled = await run(process.execPath, [TSC, '-p', dir], { cwd: dir });
      assert.equal(compiled.code, 0, `tsc:\n${compiled.stdout}${compiled.stderr}`);
      const queue = uniqueQueue(`sdk-${kind}`);
      const ran = await run(process.execPath, [join(dir, 'out/main.js'), server.baton.grpcAddress, queue], {
        cwd: dir,
        timeoutMs: 30_000,
      });
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(ran.stdout.trim(), 'TASK_STATE_SUCCEEDED done hello');
    });
  }

  it('runs its baton command from the package', async () => {
    const dir = dirs[0];
    assert.ok(dir, 'an installed project from the test above');
    const listed = await run(join(dir, 'node_modules/.bin/baton'), ['get', 'nowhere', 'none', '--server', server.baton.grpcAddress]);
    assert.equal(listed.code, 1);
    assert.match(listed.stderr, /NOT_FOUND/);
  });
});
