import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { WatchedProcess } from './childProcess.js';
import type { RawStatus } from './rawGrpc.js';

/** One raw call: a frame claiming `length` bytes of `path`'s request, filled with `entry` repeated. */
export interface AbusiveCall {
  path: string;
  length: number;
  entry: number[];
  /** Entries per chunk written (the child repeats one chunk, so a huge request costs it no memory). */
  chunkEntries: number;
}

/** The abusive client's process (abusiveClientMain.ts): started and ready before it is told to send. */
export class AbusiveClient extends WatchedProcess {
  private constructor(
    address: string,
    calls: readonly AbusiveCall[],
    private readonly lines: string[],
  ) {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'abusiveClientMain.ts'), address, JSON.stringify(calls)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    super(child, (line) => lines.push(line));
  }

  /** Starts the process and waits until it has built its requests and waits to send them. */
  static async start(address: string, calls: readonly AbusiveCall[]): Promise<AbusiveClient> {
    const client = new AbusiveClient(address, calls, []);
    await client.waitUntil(
      () => (client.lines.includes('ready') ? true : undefined),
      (outcome) => `the abusive client ${outcome} before it was ready: ${client.stderrText}`,
      60_000,
    );
    return client;
  }

  /** Sends the calls, all at once; resolves with how each ended, in order. */
  async send(): Promise<RawStatus[]> {
    this.child.stdin?.write('go\n');
    const result = await this.waitUntil(
      () => this.lines.find((line) => line.startsWith('result ')),
      (outcome) => `the abusive client ${outcome} before its result: ${this.stderrText}`,
      120_000,
    );
    await this.exited;
    return JSON.parse(result.slice('result '.length)) as RawStatus[];
  }
}
