import { readFile } from 'node:fs/promises';
import { durationFromMs } from '../../client/client.js';
import type { SubmitTaskRequest } from '../../grpc/generated/baton/v1/SubmitTaskRequest.js';
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
  'payload-file': { type: 'string', value: '<path>', help: 'read the payload from a file, or - for stdin' },
  metadata: { type: 'string', short: 'm', multiple: true, value: '<key=value>', help: 'a label; repeatable' },
  priority: { type: 'string', value: '<-9..9>', help: 'higher is claimed first (default 0)' },
  delay: { type: 'string', value: '<duration>', help: 'claimable only after this delay, e.g. 30s' },
  'max-attempts': { type: 'string', value: '<n>', help: 'claims allowed before EXHAUSTED (default 5)' },
  lease: { type: 'string', value: '<duration>', help: 'default lease for claims of this task (default 30s)' },
  'expire-in': { type: 'string', value: '<duration>', help: 'EXPIRED if not finished within this time' },
};

/** The SubmitTaskRequest that ctx's <queue> [payload] and SUBMIT_OPTIONS describe. */
export async function submitRequestOf(ctx: CommandContext): Promise<SubmitTaskRequest> {
  const queue = ctx.args[0] ?? '';
  const request: SubmitTaskRequest = { queue, payload: await payloadOf(ctx), metadata: metadataOf(ctx) };
  const id = stringOption(ctx, 'id');
  if (id !== undefined) request.task_id = id;
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
  return request;
}

export const submit: Command = {
  name: 'submit',
  summary: 'submit a task to a queue',
  positionals: ['<queue>', '[payload]'],
  details: [
    'The payload is the argument as UTF-8, or the bytes of --payload-file (- reads stdin).',
    'Submitting an --id that exists changes nothing and reports the existing task.',
  ].join('\n'),
  options: SUBMIT_OPTIONS,
  async run(ctx) {
    const request = await submitRequestOf(ctx);
    const { task, created } = await ctx.client.submitTask(request, ctx.call);
    if (!task) throw new Error('the server returned no task');
    if (ctx.json) {
      println(ctx.io.stdout, JSON.stringify({ created, task: toJson(task) }));
    } else {
      println(ctx.io.stdout, `${created ? 'submitted' : 'exists, unchanged:'} ${task.id} (${shortState(task.state)})`);
      if (!created) println(ctx.io.stdout, taskText(task));
    }
  },
};
