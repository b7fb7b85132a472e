import type { BatonClient, CallOptions } from '../client/client.js';

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An outcome with its own exit code (see EXIT in exit.ts), e.g. wait's timeout: the message goes to stderr. */
export class CommandExit extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = 'CommandExit';
  }
}

/** An option as node:util parseArgs takes it, plus what `--help` says about it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help after the flag, e.g. "<duration>". */
  value?: string;
  help: string;
}

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export interface CommandContext {
  client: BatonClient;
  /** Positional arguments after the command name. */
  args: string[];
  /** Parsed options, by long name. */
  options: Record<string, string | boolean | (string | boolean)[] | undefined>;
  /** --json: machine-readable output, one JSON document (or one per line for streams). */
  json: boolean;
  /**
   * For every call: the --timeout deadline (the default for a command that takes no global --timeout), no retries
   * (a wrong --server fails at once), cancelled by `signal`.
   */
  call: CallOptions;
  /** Fires on SIGINT/SIGTERM, so long-running commands (streams) end cleanly. */
  signal: AbortSignal;
  io: Io;
}

/** Options that mean the same for every command that takes them (see GLOBAL_OPTIONS in cli.ts); --help always applies. */
export type GlobalOption = 'server' | 'json' | 'timeout';

/** One `baton <name>` command. Adding a command is one file in commands/ and one line in commands/index.ts. */
export interface Command {
  name: string;
  /** One line for `baton --help`. */
  summary: string;
  /** Positional arguments, e.g. ['<queue>', '<task-id>'] or ['<queue>', '[payload]']. */
  positionals: string[];
  /** More text for `baton <name> --help`. */
  details?: string;
  options: Record<string, OptionSpec>;
  /**
   * The global options this command takes; all of them when left out. One it leaves out is neither offered by its
   * help nor accepted, so nobody is told an option works where it does nothing; the command may then declare an
   * option of that name in `options` with its own meaning (wait's --timeout is how long to wait).
   */
  globals?: readonly GlobalOption[];
  run(ctx: CommandContext): Promise<void>;
}

/** Writes one line. */
export function println(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(`${line}\n`);
}

export function stringOption(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.options[name];
  return typeof value === 'string' ? value : undefined;
}

export function stringsOption(ctx: CommandContext, name: string): string[] {
  const value = ctx.options[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function intOption(ctx: CommandContext, name: string, min: number, max: number): number | undefined {
  const raw = stringOption(ctx, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds from "500ms", "30s", "1.5m", "2h" or "7d". */
export function parseDuration(raw: string, what: string): number {
  const match = DURATION.exec(raw.trim());
  const unit = UNIT_MS[match?.[2] ?? ''];
  if (!match || unit === undefined) throw new UsageError(`${what} must be a duration like 500ms, 30s, 5m, 2h or 7d, got "${raw}"`);
  return Number(match[1]) * unit;
}

export function durationOption(ctx: CommandContext, name: string): number | undefined {
  const raw = stringOption(ctx, name);
  return raw === undefined ? undefined : parseDuration(raw, `--${name}`);
}
