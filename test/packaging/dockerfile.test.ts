// What the Dockerfile and .dockerignore claim, read statically (image.test.ts replays the build).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { envPairs, instructionArgs, isIgnored, stageByName, type Instruction, type Stage } from './support/dockerfile';
import { CHART_DIR, REPO_ROOT } from './support/helm';
import { readDockerfile } from './support/image';

const { dockerfile, ignore } = readDockerfile(REPO_ROOT);
const runtime = stageByName(dockerfile, 'runtime');
const build = stageByName(dockerfile, 'build');

function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

function last(stage: Stage, keyword: string): Instruction {
  const found = all(stage, keyword).at(-1);
  assert.ok(found, `${stage.name ?? stage.index} has ${keyword}`);
  return found;
}

void describe('Dockerfile', () => {
  void it('is multi-stage, with the runtime stage last on a slim Node 20 base', () => {
    assert.ok(dockerfile.stages.length >= 2);
    assert.equal(dockerfile.stages.at(-1), runtime, 'the runtime stage is the image docker build produces');
    assert.match(runtime.from, /^node:20[.\d]*-(bookworm|bullseye|trixie)-slim(@sha256:[a-f0-9]{64})?$/);
    assert.equal(build.from, runtime.from, 'both stages build against the same Node');
  });

  void it('builds with dev dependencies in the build stage', () => {
    const runs = all(build, 'RUN').map((i) => i.args);
    assert.ok(runs.some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev')), runs.join('\n'));
    assert.ok(runs.some((r) => /\bnpm run build\b/.test(r)), runs.join('\n'));
  });

  void it('installs production dependencies only in the runtime stage, from the lock file', () => {
    const runs = all(runtime, 'RUN').map((i) => i.args);
    assert.equal(runs.length, 1, runs.join('\n'));
    assert.match(runs[0] ?? '', /\bnpm ci\b.*--omit=dev/);
  });

  void it('copies only package files, proto/ and the built dist/ into the runtime stage', () => {
    const copies = all(runtime, 'COPY').map((i) => ({ from: i.flags.get('from'), args: instructionArgs(i) }));
    const sources = copies.flatMap((c) => c.args.slice(0, -1).map((s) => (c.from === undefined ? s : `${c.from}:${s}`)));
    assert.deepEqual(sources.sort(), ['build:/app/dist', 'package-lock.json', 'package.json', 'proto'].sort());
  });

  void it('runs as a numeric non-root user, after every RUN', () => {
    const user = last(runtime, 'USER');
    const [uid, gid] = user.args.trim().split(':');
    assert.match(uid ?? '', /^[1-9]\d*$/, 'numeric uid, so runAsNonRoot can verify it');
    assert.match(gid ?? '', /^[1-9]\d*$/);
    const lastRun = last(runtime, 'RUN');
    assert.ok(user.line > lastRun.line, 'USER comes after the last RUN');
  });

  void it('runs as the same uid the Helm chart declares', () => {
    const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as {
      securityContext: { runAsUser: number; runAsGroup: number };
      podSecurityContext: { runAsUser: number };
    };
    const [uid, gid] = last(runtime, 'USER').args.trim().split(':').map(Number);
    assert.equal(values.securityContext.runAsUser, uid);
    assert.equal(values.podSecurityContext.runAsUser, uid);
    assert.equal(values.securityContext.runAsGroup, gid);
  });

  void it('stops on SIGTERM, exposes gRPC, metrics and dashboard ports and sets NODE_ENV=production', () => {
    assert.equal(last(runtime, 'STOPSIGNAL').args.trim(), 'SIGTERM');
    const ports = all(runtime, 'EXPOSE').flatMap(instructionArgs);
    assert.ok(ports.includes('50051') && ports.includes('9464') && ports.includes('8080'), `EXPOSE ${ports.join(' ')}`);
    const env = new Map(all(runtime, 'ENV').flatMap(envPairs));
    assert.equal(env.get('NODE_ENV'), 'production');
    assert.equal(env.get('BATON_DASHBOARD_ADDR'), '0.0.0.0:8080', 'a container listens on every interface');
  });

  void it('builds the dashboard client script into dist/, so it ships in the image', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.build ?? '', /tools\/dashboard\/build\.ts dist\/src\/dashboard\/assets/);
    const copied = all(build, 'COPY').flatMap((i) => instructionArgs(i).slice(0, -1));
    assert.ok(copied.includes('tools') && copied.includes('src'), 'the build stage has the bundler step and the client source');
  });

  void it('starts node on the built entry point in exec form, as npm start does', () => {
    const cmd = last(runtime, 'CMD');
    assert.ok(cmd.args.trim().startsWith('['), 'exec form: node is PID 1 and receives SIGTERM itself');
    assert.deepEqual(instructionArgs(cmd), ['node', '--max-semi-space-size=32', 'dist/src/main.js']);
    assert.equal(all(runtime, 'ENTRYPOINT').length, 0);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.start, instructionArgs(cmd).join(' '));
  });
});

void describe('.dockerignore', () => {
  void it('keeps local state out of the build context', () => {
    for (const path of ['node_modules/x/index.js', 'dist/src/main.js', '.git/HEAD', '.env', 'src/.env', 'test/unit/a.test.ts', 'helm/baton/values.yaml', 'clients/typescript/dist/index.js', 'clients/python/baton/client.py', 'bench/run.ts']) {
      assert.ok(isIgnored(ignore, path), `${path} is excluded`);
    }
  });

  void it('keeps every path the Dockerfile copies from the context', () => {
    const sources = dockerfile.stages
      .flatMap((stage) => all(stage, 'COPY'))
      .filter((i) => !i.flags.has('from'))
      .flatMap((i) => instructionArgs(i).slice(0, -1));
    assert.ok(sources.length > 0);
    for (const source of sources) {
      const probe = ['src', 'tools', 'scripts', 'proto'].includes(source) ? `${source}/some-file` : source;
      assert.ok(!isIgnored(ignore, probe), `${source} reaches the build`);
    }
  });
});
