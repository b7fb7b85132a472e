import { ConfigError, loadConfig, usage } from './config.js';
import { startBaton } from './app.js';
import { createLogger } from './log.js';
import { startLocalRedis } from './store/localRedis.js';
import type { LocalRedis } from './store/localRedis.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const config = loadConfig(argv, process.env);
  // A log reader that went away (a closed pipe) must not take the service down with it.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  const log = createLogger(config.logLevel);

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
  if (error instanceof ConfigError) {
    process.stderr.write(`baton: ${error.message}\n\n${usage()}\n`);
    process.exit(2);
  }
  process.stderr.write(`baton: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
