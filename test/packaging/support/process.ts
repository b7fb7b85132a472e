// Child processes for the image test: free loopback ports, a throwaway redis-server, exit waits.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A port nobody listens on right now, chosen by the kernel (never a fixed or well-known port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** Output of a child, kept for failure messages. */
export function collectOutput(child: ChildProcess): () => string {
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => output;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Resolves when the child exits, or with undefined after `timeoutMs`. */
export async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<Exit | undefined> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, undefined);
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  try {
    return await Promise.race([exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Kills a child we started (by its pid) if it is still running, and waits for it. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await waitForExit(child, 5_000);
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess;
}

/** Starts redis-server on a free loopback port, persisting nothing. */
export async function startRedis(dir: string): Promise<RedisServer> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = collectOutput(child);
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (output().includes('Ready to accept connections')) resolve();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${output()}`));
    });
  });
  const timeout = new Promise<never>((_, reject) => {
    setTimeout(() => {
      reject(new Error(`redis-server not ready after 10s:\n${output()}`));
    }, 10_000).unref();
  });
  try {
    await Promise.race([ready, timeout]);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { port, url: `redis://127.0.0.1:${port}`, process: child };
}
