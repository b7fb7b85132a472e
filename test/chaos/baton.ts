import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from '../../tools/redis/local.js';

/**
 * Replicated acknowledgements of the Baton processes (--redis-replica-acks): 1 unless BATON_CHAOS_REPLICA_ACKS
 * says otherwise (0 measures the loss without them: see docs/chaos.md).
 */
export const REPLICA_ACKS = Number(process.env.BATON_CHAOS_REPLICA_ACKS ?? '1');

const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');

/** What one Baton replica logged over a run, across its restarts. */
export interface BatonLogCounts {
  /** `unexpected error` lines: a call answered INTERNAL. */
  unexpected: number;
  errors: number;
  warnings: number;
  /** Lines on stderr: Node's own warnings (e.g. MaxListenersExceededWarning) and crashes. */
  stderr: number;
  /** The first few error lines, to show in a finding. */
  samples: string[];
}

/**
 * A built Baton server (dist/, `npm run build` first) as its own process on a fixed loopback port, so it can be
 * killed and started again where its clients expect it. Its log is read for error lines.
 */
export class BatonReplica {
  process: ChildProcess | undefined;
  readonly log: BatonLogCounts = { unexpected: 0, errors: 0, warnings: 0, stderr: 0, samples: [] };

  private constructor(
    readonly port: number,
    readonly metricsPort: number,
    private readonly redisSeeds: string,
  ) {}

  static async start(redisSeeds: string): Promise<BatonReplica> {
    const [port = 0, metricsPort = 0] = await freePorts(2);
    const replica = new BatonReplica(port, metricsPort, redisSeeds);
    await replica.restart();
    return replica;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  async restart(): Promise<void> {
    if (this.running) throw new Error(`baton on ${this.port} is still running`);
    const child = spawn(process.execPath, ['--max-semi-space-size=32', MAIN], {
      env: {
        ...process.env,
        BATON_GRPC_ADDR: this.address,
        BATON_METRICS_ADDR: `127.0.0.1:${this.metricsPort}`,
        BATON_DASHBOARD_ADDR: 'off',
        BATON_REDIS_CLUSTER: this.redisSeeds,
        BATON_LOG_LEVEL: 'info',
        BATON_LOG_FORMAT: 'json',
        BATON_SHUTDOWN_GRACE: '3s',
        BATON_REDIS_REPLICA_ACKS: String(REPLICA_ACKS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    let partial = '';
    let ready = false;
    const readyNow = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (line.includes('baton serving')) {
            ready = true;
            resolve();
          }
          this.count(line);
        }
      });
      child.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        if (!ready) partial += text;
        for (const line of text.split('\n')) {
          if (line.trim() === '') continue;
          this.log.stderr++;
          if (process.env.BATON_CHAOS_LOG_DIR) appendFileSync(join(process.env.BATON_CHAOS_LOG_DIR, `baton-${this.port}.log`), `stderr: ${line}\n`);
          if (this.log.samples.length < 5 && /Warning|Error/.test(line)) this.log.samples.push(line.slice(0, 600));
        }
      });
      child.once('exit', (code, signal) => {
        if (!ready) reject(new Error(`baton exited (${String(code ?? signal)}) before serving: ${partial.slice(-1000)}`));
      });
    });
    await readyNow;
  }

  private count(line: string): void {
    if (process.env.BATON_CHAOS_LOG_DIR) appendFileSync(join(process.env.BATON_CHAOS_LOG_DIR, `baton-${this.port}.log`), `${line}\n`);
    if (line.includes('"level":"warn"')) this.log.warnings++;
    if (!line.includes('"level":"error"')) return;
    this.log.errors++;
    if (line.includes('unexpected error')) this.log.unexpected++;
    if (this.log.samples.length < 5) this.log.samples.push(line.slice(0, 600));
  }

  /** Sends `signal` and waits for the process to exit (SIGTERM: a graceful drain). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
