/**
 * One chaos worker, run as a process of its own so that a scenario can kill -9 or SIGSTOP it. Its configuration is
 * the JSON in CHAOS_WORKER (see WorkerConfig). SIGTERM stops it gracefully.
 *
 * Every WorkerService call it makes is recorded at the wire, by a grpc-js interceptor, into its history file: the
 * leases it receives (ClaimTasks replies and WorkTasks pushes, with their tokens), each completion, release and
 * heartbeat with the server's answer, and every other call that failed. Recording at the wire rather than in the
 * handler sees exactly what the server said, whichever path the SDK chose (session message or CompleteTasks).
 */
import * as grpc from '@grpc/grpc-js';
import { BatonClient } from '../../clients/typescript/src/client.js';
import { durationFromMs, timestampToMs } from '../../clients/typescript/src/time.js';
import { createWorker } from '../../clients/typescript/src/worker.js';
import { WorkerServiceClient } from '../../clients/typescript/src/contract.js';
import type {
  ClaimTasksResponse,
  ClaimedTask,
  CompleteTaskRequest,
  CompleteTasksResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  ReleaseTaskRequest,
  WorkTasksRequest,
  WorkTasksResponse,
} from '../../clients/typescript/src/contract.js';
import { HistoryFile, outcomeOf } from './history.js';

export interface WorkerConfig {
  /** session: createWorker (a WorkTasks session); unary: a ClaimTasks / CompleteTask loop. */
  mode: 'session' | 'unary';
  /** A gRPC target naming every Baton replica, e.g. `ipv4:127.0.0.1:5001,127.0.0.1:5002`. */
  target: string;
  queues: string[];
  workerId: string;
  historyPath: string;
  leaseMs: number;
}

const config = JSON.parse(process.env.CHAOS_WORKER ?? '') as WorkerConfig;
const history = new HistoryFile(config.historyPath);
const worker = config.workerId;

function leaseEvent(claimed: ClaimedTask, via: 'claim' | 'session'): void {
  const task = claimed.task;
  if (!task) return;
  history.record({
    op: 'lease',
    t: Date.now(),
    queue: task.queue,
    task: task.id,
    token: claimed.lease_token,
    attempt: task.attempt,
    worker,
    expire: timestampToMs(task.lease?.expire_time) ?? 0,
    via,
  });
}

type Item = Pick<CompleteTaskRequest, 'queue' | 'task_id' | 'lease_token'>;

function itemEvent(op: 'complete' | 'release', item: Item, sent: number, code: number, via: 'unary' | 'batch' | 'session'): void {
  history.record({
    op,
    t: Date.now(),
    sent,
    queue: item.queue,
    task: item.task_id,
    token: item.lease_token,
    worker,
    outcome: outcomeOf(code),
    ...(code === 0 ? {} : { code }),
    via,
  });
}

/** Records one WorkerService call: what it asked, what the server answered (message by message for WorkTasks). */
const recorder: grpc.Interceptor = (options, nextCall) => {
  const method = options.method_definition.path.split('/').pop() ?? '';
  const sent = Date.now();
  let request: unknown;
  const responses: unknown[] = [];
  /** WorkTasks: the completions of each message sent, waiting for their answer (answered in order). */
  const awaiting: { sent: number; items: Item[] }[] = [];
  const requester = new grpc.RequesterBuilder()
    .withStart((metadata, _listener, next) => {
      next(
        metadata,
        new grpc.ListenerBuilder()
          .withOnReceiveMessage((message: unknown, nextMessage) => {
            if (message === null || message === undefined) {
              // a message grpc-js could not decode: the call fails, and its status is recorded
            } else if (method === 'WorkTasks') {
              const pushed = message as WorkTasksResponse;
              for (const claimed of pushed.tasks) leaseEvent(claimed, 'session');
              if (pushed.completed.length > 0) {
                const batch = awaiting.shift();
                pushed.completed.forEach((result, i) => {
                  const item = batch?.items[i];
                  if (item) itemEvent('complete', item, batch.sent, result.error?.code ?? 0, 'session');
                });
              }
            } else if (method === 'ClaimTasks') {
              for (const claimed of (message as ClaimTasksResponse).tasks) leaseEvent(claimed, 'claim');
            } else {
              responses.push(message);
            }
            nextMessage(message);
          })
          .withOnReceiveStatus((status, nextStatus) => {
            record(method, sent, request, responses, status);
            // A session that ended before answering: its completions may or may not have been made.
            for (const batch of awaiting.splice(0)) {
              for (const item of batch.items) itemEvent('complete', item, batch.sent, grpc.status.UNAVAILABLE, 'session');
            }
            nextStatus(status);
          })
          .build(),
      );
    })
    .withSendMessage((message: unknown, next) => {
      if (method === 'WorkTasks') {
        const completions = (message as Partial<WorkTasksRequest>).completions ?? [];
        if (completions.length > 0) awaiting.push({ sent: Date.now(), items: completions });
      } else {
        request = message;
      }
      next(message);
    })
    .build();
  return new grpc.InterceptingCall(nextCall(options), requester);
};

function record(method: string, sent: number, request: unknown, responses: unknown[], status: grpc.StatusObject): void {
  const code: number = status.code;
  switch (method) {
    case 'CompleteTask':
      itemEvent('complete', request as Item, sent, code, 'unary');
      return;
    case 'CompleteTasks': {
      const items = (request as { requests: Item[] }).requests;
      const results = (responses[0] as CompleteTasksResponse | undefined)?.results ?? [];
      items.forEach((item, i) => {
        itemEvent('complete', item, sent, code === 0 ? (results[i]?.error?.code ?? 0) : code, 'batch');
      });
      return;
    }
    case 'ReleaseTask':
      itemEvent('release', request as ReleaseTaskRequest, sent, code, 'unary');
      return;
    case 'Heartbeat': {
      const beat = request as HeartbeatRequest;
      const expire = timestampToMs((responses[0] as HeartbeatResponse | undefined)?.lease_expire_time);
      history.record({
        op: 'heartbeat',
        t: Date.now(),
        sent,
        queue: beat.queue,
        task: beat.task_id,
        token: beat.lease_token,
        worker,
        outcome: outcomeOf(code),
        ...(code === 0 ? {} : { code }),
        ...(expire === undefined ? {} : { expire }),
      });
      return;
    }
    default:
      if (status.code !== grpc.status.OK && status.code !== grpc.status.CANCELLED) {
        history.record({ op: 'error', t: Date.now(), worker, method, code, message: status.details });
      }
  }
}

const client = new BatonClient(config.target);
// The SDK opens its WorkerService client without interceptors: give it one that records (same channel).
Object.defineProperty(client, 'workers', {
  value: new WorkerServiceClient(config.target, grpc.credentials.createInsecure(), {
    channelOverride: client.tasks.getChannel(),
    interceptors: [recorder],
  }),
});

/**
 * 40-100 ms of "work" per task: at 100 tasks/s the four workers hold about seven tasks at any moment, so a worker
 * killed or frozen holds leases, and capacity (about twice the offered rate) drops noticeably when two stop.
 */
const work = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 40 + Math.random() * 60));

let stopping = false;

async function runSession(): Promise<void> {
  const w = createWorker({
    client,
    queues: config.queues,
    workerId: worker,
    concurrency: 4,
    leaseDuration: config.leaseMs,
    registerInterval: 0,
    handler: async () => {
      await work();
      return 'done';
    },
  });
  w.on('error', () => undefined); // each failed call is recorded by the interceptor
  process.once('SIGTERM', () => void w.close(2_000));
  await w.run();
}

async function runUnary(): Promise<void> {
  process.once('SIGTERM', () => {
    stopping = true;
  });
  while (!stopping) {
    let claimed: ClaimedTask[] = [];
    try {
      const reply = await client.claimTasks(
        { queues: config.queues, worker_id: worker, max_tasks: 4, wait_timeout: durationFromMs(500), lease_duration: durationFromMs(config.leaseMs) },
        { timeoutMs: 5_000 },
      );
      claimed = reply.tasks;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100)); // recorded by the interceptor
      continue;
    }
    await Promise.all(
      claimed.map(async ({ task, lease_token }) => {
        if (!task) return;
        await work();
        try {
          // The SDK retries a completion on UNAVAILABLE (it is idempotent); each try is recorded.
          await client.completeTask({ queue: task.queue, task_id: task.id, lease_token, result: 'done' }, { timeoutMs: config.leaseMs });
        } catch {
          // refused or unknown: recorded; the lease runs out and the task comes back if it was not completed
        }
      }),
    );
  }
}

const running = config.mode === 'session' ? runSession() : runUnary();
process.stdout.write('ready\n');
running
  .catch((error: unknown) => {
    process.stderr.write(`chaos worker ${worker} failed: ${String(error)}\n`);
  })
  .finally(() => {
    history.close();
    client.close();
    process.exit(0);
  });
