import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/**
 * `count` distinct free ports: all are held open until every one is chosen, so parallel callers of freePort cannot
 * be handed the same port twice.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  const ports = await Promise.all(
    servers.map(
      (server) =>
        new Promise<number>((resolve, reject) => {
          server.on('error', reject);
          server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            resolve(typeof address === 'object' && address ? address.port : 0);
          });
        }),
    ),
  );
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** A redis-server this process started, ready for connections. */
export interface RedisProcess {
  port: number;
  process: ChildProcess;
  /** Stops it with `signal` (SIGTERM: a clean shutdown) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts redis-server on loopback `port` with its files in `dir`, keeping nothing on disk unless `args` say
 * otherwise, and resolves once it accepts connections. The one place Baton's tooling (dev mode, tests, bench)
 * starts a Redis.
 */
export async function startRedisServer(
  dir: string,
  port: number,
  args: readonly string[] = [],
  redisServerPath = 'redis-server',
): Promise<RedisProcess> {
  const child = spawn(
    redisServerPath,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (output.includes('Ready to accept connections')) {
        clearInterval(check);
        resolve();
      }
    }, 20);
    child.once('error', (error) => {
      clearInterval(check);
      reject(new Error(`could not start redis-server (is it installed and on the PATH?): ${error.message}`));
    });
    child.once('exit', (code) => {
      clearInterval(check);
      reject(new Error(`redis-server exited with code ${String(code)}: ${output.slice(-500)}`));
    });
  });
  child.stdout.off('data', collect);
  child.stderr.off('data', collect);
  child.stdout.resume();
  child.stderr.resume();
  return {
    port,
    process: child,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}

export interface LocalRedis {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway redis-server on a free loopback port in a temporary directory, for development when no Redis
 * is configured. It keeps nothing on disk and is removed on stop.
 */
export async function startLocalRedis(redisServerPath = 'redis-server'): Promise<LocalRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-redis-'));
  const server = await startRedisServer(dir, await freePort(), [], redisServerPath).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    url: `redis://127.0.0.1:${server.port}`,
    dir,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
