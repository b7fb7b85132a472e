import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { BatonClient } from '../client.js';
import type { ConnectionOptions } from '../connection.js';
import { statusName, statusOf } from '../errors.js';
import type { Command, CommandContext, GlobalOption, Io, OptionSpec } from './command.js';
import { CONNECTION_OPTIONS, CommandExit, UsageError, durationArg, printable, println } from './command.js';
import { packageVersion } from '../version.js';
import { COMMANDS } from './commands/index.js';
import { EXIT } from './exit.js';

export { EXIT };

const DEFAULT_SERVER = 'localhost:50051';

const DEFAULT_CALL_TIMEOUT_MS = 10_000;

const GLOBAL_OPTIONS: Record<GlobalOption, OptionSpec> = {
  server: { type: 'string', short: 's', value: '<host:port>', help: `Baton server (env BATON_SERVER, default ${DEFAULT_SERVER})` },
  json: { type: 'boolean', help: 'print JSON instead of text' },
  timeout: { type: 'string', value: '<duration>', help: 'deadline for each call (default 10s)' },
  token: { type: 'string', value: '<token>', help: 'bearer token (prefer env BATON_TOKEN: arguments show in ps)' },
  tls: { type: 'boolean', help: "connect with TLS, trusting Node's CA store (env BATON_TLS=true)" },
  'tls-ca': { type: 'string', value: '<pem file>', help: 'trust this CA; implies --tls (env BATON_TLS_CA)' },
  'tls-cert': { type: 'string', value: '<pem file>', help: 'client certificate for mTLS, with --tls-key (env BATON_TLS_CERT)' },
  'tls-key': { type: 'string', value: '<pem file>', help: 'private key of --tls-cert (env BATON_TLS_KEY)' },
};
const HELP_OPTION: Record<string, OptionSpec> = { help: { type: 'boolean', short: 'h', help: 'show help' } };

const ALL_GLOBALS = Object.keys(GLOBAL_OPTIONS) as GlobalOption[];

/** The global options `command` takes. */
function globalsOf(command: Command): readonly GlobalOption[] {
  const globals = command.globals ?? ALL_GLOBALS;
  return globals.includes('server') && command.globals ? [...globals, ...CONNECTION_OPTIONS] : globals;
}

/** Token and TLS from the flags; what they leave unset comes from the environment (BATON_TOKEN, BATON_TLS*). */
function connectionOf(values: Record<string, unknown>, env: NodeJS.ProcessEnv): ConnectionOptions {
  const text = (name: string): string | undefined => (typeof values[name] === 'string' ? values[name] : undefined);
  const [ca, cert, key] = [text('tls-ca'), text('tls-cert'), text('tls-key')];
  const files = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  const token = text('token');
  return {
    env,
    ...(token === undefined ? {} : { token }),
    ...(Object.keys(files).length > 0 ? { tls: files } : values.tls === true ? { tls: true } : {}),
  };
}

/** Every option `command` takes: its own, the global ones it takes, and --help. */
function optionsOf(command: Command): Record<string, OptionSpec> {
  const globals = globalsOf(command);
  const clash = globals.find((name) => name in command.options);
  // A programming error: the command must leave the global option out to give the name its own meaning.
  if (clash !== undefined) throw new Error(`baton ${command.name} declares --${clash} and also takes the global --${clash}`);
  return { ...command.options, ...Object.fromEntries(globals.map((name) => [name, GLOBAL_OPTIONS[name]])), ...HELP_OPTION };
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return `  ${flag.padEnd(34)} ${spec.help}`;
  });
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const pick = (names: GlobalOption[]): Record<string, OptionSpec> => Object.fromEntries(names.map((n) => [n, GLOBAL_OPTIONS[n]]));
  const withoutIt = (name: GlobalOption): string[] => COMMANDS.filter((c) => !globalsOf(c).includes(name)).map((c) => c.name);
  const forSome = ALL_GLOBALS.filter((name) => withoutIt(name).length > 0);
  const listed = (names: string[]): string => (names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`);
  return [
    'baton: the command line for Baton, the task queue.',
    '',
    'Usage: baton <command> [arguments] [options]',
    '       baton --version     (or -V) print the version',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options for every command:',
    ...optionLines({ ...pick(ALL_GLOBALS.filter((name) => !forSome.includes(name))), ...HELP_OPTION }),
    ...forSome.flatMap((name) => ['', `Options for every command but ${listed(withoutIt(name))}:`, ...optionLines(pick([name]))]),
    '',
    'Exit codes: 0 ok, 1 the server refused or could not be reached (the message names the gRPC status), 2 usage error,',
    '3 wait or run: the timeout passed before the task finished, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).',
    "Run 'baton <command> --help' for a command's arguments and options.",
  ].join('\n');
}

export function commandHelp(command: Command): string {
  return [
    `Usage: baton ${command.name} ${command.positionals.join(' ')} [options]`.replace('  ', ' '),
    '',
    `${command.summary[0]?.toUpperCase() ?? ''}${command.summary.slice(1)}.`,
    ...(command.details ? ['', command.details] : []),
    '',
    'Options:',
    ...optionLines(optionsOf(command)),
  ].join('\n');
}

function parse(command: Command, argv: string[]): ReturnType<typeof parseArgs> {
  const options: ParseArgsConfig['options'] = {};
  for (const [name, spec] of Object.entries(optionsOf(command))) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Says that the command was interrupted; the exit code is the one shells report for a command a signal ended. */
function interruptedExit(name: string, signal: AbortSignal, io: Io): number {
  const terminated = signal.reason === 'SIGTERM';
  println(io.stderr, `baton ${name}: interrupted by ${terminated ? 'SIGTERM' : 'SIGINT'}`);
  return terminated ? EXIT.terminated : EXIT.interrupted;
}

function checkPositionals(command: Command, args: string[]): void {
  const required = command.positionals.filter((p) => p.startsWith('<')).length;
  if (args.length < required) {
    const missing = command.positionals.slice(args.length, required).join(' ');
    throw new UsageError(`missing ${missing}`);
  }
  if (args.length > command.positionals.length) {
    throw new UsageError(`unexpected argument "${args[command.positionals.length] ?? ''}"`);
  }
}

/**
 * Runs `baton <argv...>` and returns the exit code. Never throws. `signal` is aborted with the name of the signal
 * that interrupts the command ('SIGINT' or 'SIGTERM').
 */
export async function runCli(argv: string[], io: Io, signal: AbortSignal = new AbortController().signal): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    println(name === undefined ? io.stderr : io.stdout, topic ? commandHelp(topic) : mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    println(io.stdout, packageVersion());
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    println(io.stderr, `baton: unknown command "${name}"\nRun 'baton --help' for the commands.`);
    return EXIT.usage;
  }

  let client: BatonClient | undefined;
  try {
    const { values, positionals } = parse(command, rest);
    if (values.help === true) {
      println(io.stdout, commandHelp(command));
      return EXIT.ok;
    }
    checkPositionals(command, positionals);
    const fromEnv = io.env.BATON_SERVER;
    const server = typeof values.server === 'string' ? values.server : fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_SERVER;
    // A command that does not take the global --timeout may have one of its own, which is not a call deadline.
    const callTimeout = globalsOf(command).includes('timeout') ? values.timeout : undefined;
    const timeoutMs = typeof callTimeout === 'string' ? durationArg(callTimeout, '--timeout') : DEFAULT_CALL_TIMEOUT_MS;
    try {
      // A command that talks to no server (token-hash) must not fail on a TLS file it would never use.
      client = new BatonClient(server, globalsOf(command).includes('server') ? connectionOf(values, io.env) : { env: {} });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const ctx: CommandContext = {
      client,
      args: positionals,
      options: values,
      json: values.json === true,
      call: { timeoutMs, retry: false, signal },
      signal,
      io,
    };
    await command.run(ctx);
    return signal.aborted ? interruptedExit(name, signal, io) : EXIT.ok;
  } catch (error) {
    // However the command ended (a stream ends cleanly, a call fails CANCELLED), the user stopped it.
    if (signal.aborted) return interruptedExit(name, signal, io);
    if (error instanceof CommandExit) {
      if (error.message !== '') println(io.stderr, `baton ${name}: ${error.message}`);
      return error.code;
    }
    if (error instanceof UsageError) {
      println(io.stderr, `baton ${name}: ${error.message}\nRun 'baton ${name} --help' for usage.`);
      return EXIT.usage;
    }
    const code = statusOf(error);
    if (code !== undefined) {
      const details = (error as { details?: string }).details ?? '';
      println(io.stderr, `baton ${name}: ${statusName(code)}: ${printable(details)}`);
      return EXIT.serverError;
    }
    println(io.stderr, `baton ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.serverError;
  } finally {
    client?.close();
  }
}
