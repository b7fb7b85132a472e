import * as grpc from '@grpc/grpc-js';
import { statusOf } from '../../errors.js';
import { TaskEventType } from '../../contract.js';
import type { TaskEvent, WatchTasksRequest } from '../../contract.js';
import type { Input } from '../../client.js';
import type { Command, CommandContext } from '../command.js';
import { UsageError, println, stringOption, stringsOption } from '../command.js';
import { shortState, toJson } from '../format.js';

const TYPE_PREFIX = 'TASK_EVENT_TYPE_';
const NOTE_MAX = 80;

/** "CLAIMED" for TASK_EVENT_TYPE_CLAIMED. */
function shortType(type: string): string {
  return type.startsWith(TYPE_PREFIX) ? type.slice(TYPE_PREFIX.length) : type;
}

/** TASK_EVENT_TYPE_RETRY_SCHEDULED from "retry_scheduled", "retry-scheduled" or the full name. */
function parseType(raw: string): TaskEventType {
  const upper = raw.toUpperCase().replaceAll('-', '_');
  const name = upper.startsWith(TYPE_PREFIX) ? upper : `${TYPE_PREFIX}${upper}`;
  const type = Object.values(TaskEventType).find((t) => t === name);
  if (type === undefined || type === TaskEventType.TASK_EVENT_TYPE_UNSPECIFIED) {
    const names = Object.values(TaskEventType)
      .filter((t) => t !== TaskEventType.TASK_EVENT_TYPE_UNSPECIFIED)
      .map((t) => shortType(t).toLowerCase());
    throw new UsageError(`--type must be one of ${names.join(', ')}; got "${raw}"`);
  }
  return type;
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > NOTE_MAX ? `${oneLine.slice(0, NOTE_MAX)}…` : oneLine;
}

/** What else is worth a glance: the progress, the last error, or how many tasks a purge took. */
function noteOf(event: TaskEvent): string {
  const task = event.task;
  if (!task) return event.type === TaskEventType.TASK_EVENT_TYPE_QUEUE_PURGED ? `${event.count} tasks` : '';
  if (event.type === TaskEventType.TASK_EVENT_TYPE_PROGRESS && task.progress) {
    const { current, total, message } = task.progress;
    return clip(`progress ${current}/${total} ${message}`);
  }
  const showsError: string[] = [
    TaskEventType.TASK_EVENT_TYPE_FAILED,
    TaskEventType.TASK_EVENT_TYPE_RETRY_SCHEDULED,
    TaskEventType.TASK_EVENT_TYPE_LEASE_EXPIRED,
    TaskEventType.TASK_EVENT_TYPE_EXHAUSTED,
    TaskEventType.TASK_EVENT_TYPE_CANCELLED,
  ];
  if (showsError.includes(event.type) && task.error && (task.error.type !== '' || task.error.message !== '')) {
    return clip(`error ${[task.error.type, task.error.message].filter((s) => s !== '').join(': ')}`);
  }
  return '';
}

/** One event as one line: time, type, task id, state, attempt, worker and a note. */
export function eventLine(event: TaskEvent): string {
  const time = event.time ? new Date(event.time.seconds * 1000 + Math.floor(event.time.nanos / 1e6)).toISOString() : '-';
  const task = event.task;
  const cells = [
    time,
    shortType(event.type).padEnd(16),
    task ? task.id : '-',
    task ? shortState(task.state).padEnd(9) : '-',
    task ? `attempt ${task.attempt}/${task.max_attempts}` : '',
    task && task.type !== '' ? `type ${task.type}` : '',
    event.worker_id === '' ? '' : `worker ${event.worker_id}`,
    noteOf(event),
  ];
  return cells.filter((cell) => cell !== '').join('  ').trimEnd();
}

function requestOf(ctx: CommandContext): Input<typeof WatchTasksRequest> {
  const cursor = stringOption(ctx, 'cursor');
  const fromStart = ctx.options['from-start'] === true;
  if (cursor !== undefined && fromStart) throw new UsageError('give --cursor or --from-start, not both');
  const taskId = stringOption(ctx, 'task');
  return {
    queue: ctx.args[0] ?? '',
    event_types: stringsOption(ctx, 'type').map(parseType),
    start: fromStart ? 'WATCH_START_OLDEST' : 'WATCH_START_NOW',
    ...(cursor === undefined ? {} : { cursor }),
    ...(taskId === undefined ? {} : { task_id: taskId }),
  };
}

/** Errors after which reconnecting with the last cursor carries on where the stream stopped. */
const RESUMABLE = new Set<grpc.status | undefined>([grpc.status.RESOURCE_EXHAUSTED, grpc.status.UNAVAILABLE]);

export const watch: Command = {
  name: 'watch',
  summary: "follow a queue's changes as they happen (tail -f), one line per event",
  positionals: ['<queue>'],
  details: [
    'Runs until Ctrl-C (exit 130, or 143 on SIGTERM) or until the server ends the stream: exit 0 when it ends',
    'cleanly (the server shut down), 1 with the status name when it fails (OUT_OF_RANGE: the cursor is older than',
    'the retained events, resync with list). However it stops, the cursor to resume from is printed to stderr.',
    '--json prints one JSON object per event and line, with the cursor to resume from.',
  ].join('\n'),
  options: {
    task: { type: 'string', value: '<task-id>', help: "only this task's events" },
    type: {
      type: 'string',
      multiple: true,
      value: '<type>',
      help: 'only events of this type (submitted, claimed, progress, succeeded, failed, ...); repeatable',
    },
    'from-start': { type: 'boolean', help: 'start from the oldest retained event instead of now' },
    cursor: { type: 'string', value: '<cursor>', help: 'resume right after the event with this cursor' },
  },
  // A stream with no deadline: a per-call --timeout would do nothing.
  globals: ['server', 'json'],
  async run(ctx) {
    const request = requestOf(ctx);
    const queue = request.queue ?? '';
    let last = request.cursor ?? '';
    const resumeHint = (why: string): void => {
      if (last !== '') println(ctx.io.stderr, `baton watch: ${why}; resume with: baton watch ${queue} --cursor ${last}`);
    };
    try {
      for await (const event of ctx.client.watchTasks(request, { signal: ctx.signal })) {
        last = event.cursor;
        println(ctx.io.stdout, ctx.json ? JSON.stringify(toJson(event)) : eventLine(event));
      }
    } catch (error) {
      if (RESUMABLE.has(statusOf(error))) resumeHint('the stream broke');
      throw error;
    }
    resumeHint(ctx.signal.aborted ? 'stopped' : 'the server ended the stream (it is shutting down)');
  },
};
