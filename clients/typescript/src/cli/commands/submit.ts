import { readFile } from 'node:fs/promises';
import { durationFromMs } from '../../time.js';
import type { Input } from '../../client.js';
import type { SubmitTaskRequest } from '../../contract.js';
import type { Command, CommandContext, OptionSpec } from '../command.js';
import { UsageError, durationOption, intOption, println, stringOption, stringsOption } from '../command.js';
import { shortState, taskText, toJson } from '../format.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

async function payloadOf(ctx: CommandContext): Promise<Buffer> {
  const file = stringOption(ctx, 'payload-file');
  const inline = ctx.args[1];
  if (file !== undefined && inline !== undefined) throw new UsageError('give the payload as an argument or with --payload-file, not both');
  if (file === '-') return readAll(ctx.io.stdin);
  if (file !== undefined) {
    try {
      return await readFile(file);
    } catch (error) {
      throw new UsageError(`cannot read --payload-file: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return Buffer.from(inline ?? '', 'utf8');
}

function metadataOf(ctx: CommandContext): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const pair of stringsOption(ctx, 'metadata')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--metadata takes key=value, got "${pair}"`);
    metadata[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return metadata;
}

/** The options that describe a task to submit; `run` takes them too. */
export const SUBMIT_OPTIONS: Record<string, OptionSpec> = {
  id: { type: 'string', value: '<task-id>', help: 'task id (default: generated, sortable)' },
  type: { type: 'string', value: '<type>', help: 'task type, which workers route to a handler (default: untyped)' },
  'payload-file': { type: 'string', value: '<path>', help: 'read the payload from a file, or - for stdin' },
  metadata: { type: 'string', short: 'm', multiple: true, value: '<key=value>', help: 'a label; repeatable' },
  priority: { type: 'string', value: '<-9..9>', help: 'higher is claimed first (default 0)' },
  delay: { type: 'string', value: '<duration>', help: 'claimable only after this delay, e.g. 30s' },
  'max-attempts': { type: 'string', value: '<n>', help: 'claims allowed before EXHAUSTED (default 5)' },
  lease: { type: 'string', value: '<duration>', help: 'default lease for claims of this task (default 30s)' },
  'expire-in': { type: 'string', value: '<duration>', help: 'EXPIRED if not finished within this time' },
  'unique-key': {
    type: 'string',
    value: '<key>',
    help: 'while a task submitted with this key holds it, report that task instead of creating one',
  },
  'unique-for': { type: 'string', value: '<duration>', help: 'with --unique-key: the key holds this long, e.g. 10m' },
  'unique-until-finished': { type: 'boolean', help: 'with --unique-key: the key holds until its task finishes' },
  debounce: {
    type: 'string',
    value: '<duration>',
    help: 'with --unique-key: run this long after the last submit of the key, with its payload',
  },
  'concurrency-key': {
    type: 'string',
    value: '<key>',
    help: "tenant, account or API: at most the queue's key concurrency of its tasks run at once",
  },
  'partition-key': {
    type: 'string',
    value: '<key>',
    help: 'in a partitioned queue: tasks of one key share a partition, so they keep their order among themselves',
  },
};

/** The SubmitTaskRequest that ctx's <queue> [payload] and SUBMIT_OPTIONS describe. */
export async function submitRequestOf(ctx: CommandContext): Promise<Input<typeof SubmitTaskRequest>> {
  const queue = ctx.args[0] ?? '';
  const request: Input<typeof SubmitTaskRequest> = { queue, payload: await payloadOf(ctx), metadata: metadataOf(ctx) };
  const id = stringOption(ctx, 'id');
  if (id !== undefined) request.task_id = id;
  const concurrencyKey = stringOption(ctx, 'concurrency-key');
  if (concurrencyKey !== undefined) request.concurrency_key = concurrencyKey;
  const partitionKey = stringOption(ctx, 'partition-key');
  if (partitionKey !== undefined) request.partition_key = partitionKey;
  const type = stringOption(ctx, 'type');
  if (type !== undefined) request.type = type;
  const priority = intOption(ctx, 'priority', -9, 9);
  if (priority !== undefined) request.priority = priority;
  const maxAttempts = intOption(ctx, 'max-attempts', 1, 1000);
  if (maxAttempts !== undefined) request.max_attempts = maxAttempts;
  const delay = durationOption(ctx, 'delay');
  if (delay !== undefined) request.delay = durationFromMs(delay);
  const lease = durationOption(ctx, 'lease');
  if (lease !== undefined) request.lease_duration = durationFromMs(lease);
  const expireIn = durationOption(ctx, 'expire-in');
  if (expireIn !== undefined) {
    const at = Date.now() + expireIn;
    request.expire_time = { seconds: Math.floor(at / 1000), nanos: (at % 1000) * 1e6 };
  }
  const uniqueKey = stringOption(ctx, 'unique-key');
  if (uniqueKey !== undefined) request.unique_key = uniqueKey;
  const uniqueFor = durationOption(ctx, 'unique-for');
  if (uniqueFor !== undefined) request.unique_for = durationFromMs(uniqueFor);
  if (ctx.options['unique-until-finished'] === true) request.unique_until_finished = true;
  const debounce = durationOption(ctx, 'debounce');
  if (debounce !== undefined) request.debounce = durationFromMs(debounce);
  return request;
}

function submitVerb(created: boolean, debounced: boolean): string {
  if (created) return 'submitted';
  return debounced ? 'debounced:' : 'exists, unchanged:';
}

export const submit: Command = {
  name: 'submit',
  summary: 'submit a task to a queue',
  positionals: ['<queue>', '[payload]'],
  details: [
    'The payload is the argument as UTF-8, or the bytes of --payload-file (- reads stdin).',
    'Submitting an --id that exists changes nothing and reports the existing task.',
    'With --unique-key and one of --unique-for, --unique-until-finished or --debounce, a submit while the key is held',
    'reports the task holding it (or, with --debounce, gives that unstarted task this payload and pushes it back).',
  ].join('\n'),
  options: SUBMIT_OPTIONS,
  async run(ctx) {
    const request = await submitRequestOf(ctx);
    const { task, created, debounced } = await ctx.client.submitTask(request, ctx.call);
    if (!task) throw new Error('the server returned no task');
    if (ctx.json) {
      println(ctx.io.stdout, JSON.stringify({ created, debounced, task: toJson(task) }));
    } else {
      println(ctx.io.stdout, `${submitVerb(created, debounced)} ${task.id} (${shortState(task.state)})`);
      if (!created) println(ctx.io.stdout, taskText(task));
    }
  },
};
