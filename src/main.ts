import { format } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { ConfigError, loadConfig, usage } from './config.js';
import { StartupError, startBaton } from './app.js';
import { createLogger } from './log.js';
import { packageVersion } from '../clients/typescript/src/version.js';
import { startLocalRedis } from '../tools/redis/local.js';
import { hashToken } from './auth/principals.js';
import type { LocalRedis } from '../tools/redis/local.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  if (argv.includes('--version') || argv.includes('-V')) {
    process.stdout.write(`${packageVersion(__dirname)}\n`);
    return;
  }
  if (argv.includes('--hash-token')) {
    // From stdin, not an argument: a token on the command line would show up in ps and the shell history.
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const token = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    if (token === '') throw new ConfigError('--hash-token: no token on stdin');
    process.stdout.write(`${hashToken(token)}\n`);
    return;
  }
  const config = loadConfig(argv, process.env);
  // A log reader that went away (a closed pipe) must not take the service down with it.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  const log = createLogger(config.logLevel, { format: config.logFormat ?? (process.stdout.isTTY ? 'text' : 'json') });
  // grpc-js logs some failures itself (a port it cannot bind) that Baton reports in its own words.
  grpc.setLogger({
    error: (...args: unknown[]) => {
      log.debug('grpc-js', { message: format(...args) });
    },
  });

  let localRedis: LocalRedis | undefined;
  let redisConfig = config.redis;
  if (redisConfig === undefined) {
    localRedis = await startLocalRedis();
    log.info('no Redis configured (BATON_REDIS_URL / BATON_REDIS_CLUSTER): started a local redis-server for development', {
      url: localRedis.url,
      dir: localRedis.dir,
    });
    redisConfig = { url: localRedis.url, tls: false, commandTimeoutMs: 5_000 };
  }

  const baton = await startBaton(config, redisConfig, log).catch(async (error: unknown) => {
    // The redis-server started above would outlive this process.
    await localRedis?.stop();
    throw error;
  });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    baton
      .stop()
      .then(() => localRedis?.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error('shutdown failed', { error: String(error) });
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => {
    shutdown('SIGTERM');
  });
  process.on('SIGINT', () => {
    shutdown('SIGINT');
  });
}

main().catch((error: unknown) => {
  // What the user can fix is one line naming the setting; a stack is for what they cannot.
  if (error instanceof ConfigError) {
    process.stderr.write(`baton: ${error.message} (see baton-server --help)\n`);
    process.exit(2);
  }
  if (error instanceof StartupError) {
    process.stderr.write(`baton: failed to start: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`baton: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
