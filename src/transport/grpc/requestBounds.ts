import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import * as limits from '../../domain/limits.js';
import type { Logger } from '../../log.js';
import { WirePlans } from './wirePlan.js';
import type { MessagePlan } from './wirePlan.js';
import { scanMessage, WireRefusal } from './wireScan.js';

/** The most entries of each repeated or map field of a request (repeated enums default to their value count). */
export const REPEATED_LIMITS: Readonly<Record<string, number>> = {
  'SubmitTaskRequest.metadata': limits.METADATA_MAX_ENTRIES,
  'StartTaskRequest.metadata': limits.METADATA_MAX_ENTRIES,
  'RegisterWorkerRequest.labels': limits.METADATA_MAX_ENTRIES,
  'RegisterWorkerRequest.queues': limits.WORKER_QUEUES_MAX,
  'SubmitTasksRequest.requests': limits.SUBMIT_BATCH_MAX,
  'SubmitTasksStreamRequest.requests': limits.SUBMIT_BATCH_MAX,
  'CompleteTasksRequest.requests': limits.COMPLETE_BATCH_MAX,
  'WorkTasksRequest.completions': limits.COMPLETE_BATCH_MAX,
  'ClaimTasksRequest.queues': limits.CLAIM_MAX_QUEUES,
  'WorkTasksStart.queues': limits.CLAIM_MAX_QUEUES,
  'AppendTaskLogsRequest.lines': limits.TASK_LOG_APPEND_MAX_LINES,
  'FlowNode.children': limits.FLOW_CHILDREN_MAX,
};

/** Methods whose one message carries many tasks or results, and so gets the batch budget. */
const BATCH_METHODS = new Set([
  '/baton.v1.TaskService/SubmitTasks',
  '/baton.v1.TaskService/SubmitTasksStream',
  '/baton.v1.TaskService/SubmitFlow',
  '/baton.v1.WorkerService/CompleteTasks',
  '/baton.v1.WorkerService/WorkTasks',
]);

export interface RequestBudgets {
  /** Any one-task request: the payload limit plus room for the rest of the task. */
  item: number;
  /** A batch message: one item's budget plus room for many small items. */
  batch: number;
  /** The server's receive limit: the largest budget. Bigger messages are refused before they are read. */
  receive: number;
}

export function requestBudgets(maxPayloadBytes: number): RequestBudgets {
  const item = maxPayloadBytes + limits.REQUEST_ITEM_OVERHEAD_BYTES;
  const batch = item + limits.REQUEST_BATCH_EXTRA_BYTES;
  return { item, batch, receive: batch };
}

const REFUSED = Symbol('refused request');

/** What a deserializer hands on instead of a message it refused: grpc-js would turn a throw into INTERNAL. */
interface RefusedRequest {
  [REFUSED]: { code: grpc.status; details: string };
}

function isRefused(message: unknown): message is RefusedRequest {
  return typeof message === 'object' && message !== null && REFUSED in message;
}

type AnyMethod = grpc.MethodDefinition<unknown, unknown>;

/**
 * Wraps one method's deserializer: the byte budget first, then the wire scan (counts, enums, time ranges), then
 * the generated decoder, whose throws become INVALID_ARGUMENT. Nothing past a refusal runs, so no request of any
 * shape costs more than its budget allows.
 */
export function boundedDeserializer(method: string, plan: MessagePlan, budget: number, decode: (bytes: Buffer) => unknown): (bytes: Buffer) => unknown {
  const refuse = (code: grpc.status, details: string): RefusedRequest => ({ [REFUSED]: { code, details } });
  return (bytes) => {
    if (bytes.length > budget) {
      return refuse(grpc.status.RESOURCE_EXHAUSTED, `${method} request is ${bytes.length} bytes; the limit is ${budget} bytes (the payload limit --max-payload-bytes plus room for the rest)`);
    }
    try {
      scanMessage(plan, bytes);
      return decode(bytes);
    } catch (error) {
      if (error instanceof WireRefusal) return refuse(grpc.status.INVALID_ARGUMENT, error.message);
      return refuse(grpc.status.INVALID_ARGUMENT, `request: not a valid ${plan.name} message (${error instanceof Error ? error.message : String(error)})`);
    }
  };
}

/** Service definitions with every method's request deserializer bounded; built once per server. */
export class RequestBounds {
  readonly budgets: RequestBudgets;
  private readonly plans: WirePlans;

  constructor(maxPayloadBytes: number, definition: protoLoader.PackageDefinition) {
    this.budgets = requestBudgets(maxPayloadBytes);
    this.plans = new WirePlans(definition, REPEATED_LIMITS);
  }

  /** The request plan of a method, by the full name of its request type. */
  planFor(requestType: string): MessagePlan {
    return this.plans.forType(requestType);
  }

  bound<Service extends grpc.ServiceDefinition>(service: Service, packageName: string): Service {
    const bounded: Record<string, AnyMethod> = {};
    for (const [name, method] of Object.entries(service as Record<string, AnyMethod>)) {
      const requestType = requestTypeName(packageName, method.path);
      const budget = BATCH_METHODS.has(method.path) ? this.budgets.batch : this.budgets.item;
      bounded[name] = {
        ...method,
        requestDeserialize: boundedDeserializer(method.path, this.planFor(requestType), budget, method.requestDeserialize),
      };
    }
    return bounded as Service;
  }
}

/** "baton.v1" and "/baton.v1.TaskService/SubmitTask" → "baton.v1.SubmitTaskRequest" (the proto names every request so). */
function requestTypeName(packageName: string, path: string): string {
  const rpc = path.slice(path.lastIndexOf('/') + 1);
  return packageName === 'grpc.health.v1' ? 'grpc.health.v1.HealthCheckRequest' : `${packageName}.${rpc}Request`;
}

/**
 * Answers a refused request with its status before anything else sees it: placed first on the receiving side, so
 * access control and handlers only ever get decoded, bounded messages. The call ends; nothing changed.
 */
export function refusedRequestInterceptor(log: Logger): grpc.ServerInterceptor {
  return (method, call) => {
    let refused = false;
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMessage: (message, forward) => {
            if (refused) return;
            if (isRefused(message)) {
              refused = true;
              const { code, details } = message[REFUSED];
              log.debug('request refused', { method: method.path, code: grpc.status[code], details });
              call.sendStatus({ code, details, metadata: new grpc.Metadata() });
              return;
            }
            forward(message);
          },
          onReceiveHalfClose: (forward) => {
            if (!refused) forward();
          },
        });
      },
    });
  };
}
