import type { BatonClient } from '../client.js';
import type { CallOptions } from '../unaryCall.js';
import { parseDuration } from '../duration.js';

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
export type GlobalOption = 'server' | 'json' | 'timeout' | ConnectionOption;

/** How to reach the server: every command that takes --server takes these too. */
export const CONNECTION_OPTIONS = ['token', 'tls', 'tls-ca', 'tls-cert', 'tls-key'] as const;
export type ConnectionOption = (typeof CONNECTION_OPTIONS)[number];

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
/** Terminal control characters (C0 but tab and newline, DEL, C1): what a stored string could drive a terminal with. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_OR_LINE = /[\u0000-\u001f\u007f-\u009f]/g;
const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * A stored string (metadata, progress, error text) made safe to print on one line: every control character,
 * newlines included, as a \u escape, so no task can move the cursor, recolour or retitle the operator's terminal.
 * The \u form is also valid inside a JSON string.
 */
export function printable(text: string): string {
  return text.replace(CONTROL_OR_LINE, escapeChar);
}

/** Every line the CLI prints goes through here: control characters other than tab and newline never reach the terminal. */
export function println(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(`${line.replace(CONTROL, escapeChar)}\n`);
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

/** Milliseconds from a duration the user typed for `what` (e.g. "--lease"), in the grammar of ../duration.ts. */
export function durationArg(raw: string, what: string): number {
  try {
    return parseDuration(raw);
  } catch (error) {
    throw new UsageError(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function durationOption(ctx: CommandContext, name: string): number | undefined {
  const raw = stringOption(ctx, name);
  return raw === undefined ? undefined : durationArg(raw, `--${name}`);
}
