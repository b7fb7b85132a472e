import * as grpc from '@grpc/grpc-js';
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { GRPC_SECONDS_BUCKETS } from './buckets.js';

const METHOD_LABELS = ['grpc_service', 'grpc_method', 'grpc_type'] as const;
const HANDLED_LABELS = ['grpc_service', 'grpc_method', 'grpc_type', 'grpc_code'] as const;
type MethodLabel = (typeof METHOD_LABELS)[number];
type HandledLabel = (typeof HANDLED_LABELS)[number];
type MethodLabels = Record<MethodLabel, string>;

/** Status code names as go-grpc-prometheus writes them (Go's codes.Code.String()). */
const CODE_NAMES = new Map<number, string>([
  [grpc.status.OK, 'OK'],
  [grpc.status.CANCELLED, 'Canceled'],
  [grpc.status.UNKNOWN, 'Unknown'],
  [grpc.status.INVALID_ARGUMENT, 'InvalidArgument'],
  [grpc.status.DEADLINE_EXCEEDED, 'DeadlineExceeded'],
  [grpc.status.NOT_FOUND, 'NotFound'],
  [grpc.status.ALREADY_EXISTS, 'AlreadyExists'],
  [grpc.status.PERMISSION_DENIED, 'PermissionDenied'],
  [grpc.status.RESOURCE_EXHAUSTED, 'ResourceExhausted'],
  [grpc.status.FAILED_PRECONDITION, 'FailedPrecondition'],
  [grpc.status.ABORTED, 'Aborted'],
  [grpc.status.OUT_OF_RANGE, 'OutOfRange'],
  [grpc.status.UNIMPLEMENTED, 'Unimplemented'],
  [grpc.status.INTERNAL, 'Internal'],
  [grpc.status.UNAVAILABLE, 'Unavailable'],
  [grpc.status.DATA_LOSS, 'DataLoss'],
  [grpc.status.UNAUTHENTICATED, 'Unauthenticated'],
]);
const ALL_CODES = [...CODE_NAMES.values()];

export function codeName(code: grpc.status | undefined): string {
  return (code === undefined ? undefined : CODE_NAMES.get(code)) ?? 'Unknown';
}

function methodLabels(method: { path: string; requestStream: boolean; responseStream: boolean }): MethodLabels {
  // path is "/package.Service/Method"
  const slash = method.path.lastIndexOf('/');
  const type = method.requestStream
    ? method.responseStream
      ? 'bidi_stream'
      : 'client_stream'
    : method.responseStream
      ? 'server_stream'
      : 'unary';
  return { grpc_service: method.path.slice(1, slash), grpc_method: method.path.slice(slash + 1), grpc_type: type };
}

/**
 * The server's copy of a call's deadline starts when the call arrives, so it ends later than the client's by the
 * call's transit and queueing time; the client's own timer then cancels the call a little before the server's
 * fires. A cancel this close to the server's deadline is the client's deadline.
 */
const DEADLINE_SLACK_MS = 200;

/** Whether a call cancelled now was ended by its deadline rather than by its client going away. */
function cancelledByDeadline(deadline: grpc.Deadline): boolean {
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  return Date.now() >= deadlineMs - DEADLINE_SLACK_MS;
}

/** gRPC server metrics with go-grpc-prometheus's names and labels, recorded by one server interceptor. */
export class GrpcMetrics {
  private readonly started: Counter<MethodLabel>;
  private readonly handled: Counter<HandledLabel>;
  private readonly handling: Histogram<MethodLabel>;

  constructor(registry: Registry) {
    this.started = new Counter({
      name: 'grpc_server_started_total',
      help: 'Total number of RPCs started on the server.',
      labelNames: METHOD_LABELS,
      registers: [registry],
    });
    this.handled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: HANDLED_LABELS,
      registers: [registry],
    });
    this.handling = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
      labelNames: METHOD_LABELS,
      buckets: GRPC_SECONDS_BUCKETS,
      registers: [registry],
    });
  }

  /**
   * Starts every series of these services' methods at 0, every status code included, as go-grpc-prometheus's
   * InitializeMetrics does: the first error of a kind is then an increase() rather than a new series.
   */
  initialize(services: readonly grpc.ServiceDefinition[]): void {
    for (const service of services) {
      for (const method of Object.values(service)) {
        const labels = methodLabels(method);
        this.started.inc(labels, 0);
        this.handling.zero(labels);
        for (const code of ALL_CODES) this.handled.inc({ ...labels, grpc_code: code }, 0);
      }
    }
  }

  /**
   * Counts each call when it arrives and when it ends: with the status the handler sent, or, when the client
   * went away first, Canceled (DeadlineExceeded if that was its deadline).
   */
  readonly interceptor: grpc.ServerInterceptor = (method, call) => {
    const labels = methodLabels(method);
    this.started.inc(labels);
    const startedAt = process.hrtime.bigint();
    let ended = false;
    const end = (code: grpc.status | undefined): void => {
      if (ended) return;
      ended = true;
      this.handled.inc({ ...labels, grpc_code: codeName(code) });
      this.handling.observe(labels, Number(process.hrtime.bigint() - startedAt) / 1e9);
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          // Also called after a normal end (ended is set by then).
          onCancel: () => {
            end(cancelledByDeadline(call.getDeadline()) ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED);
          },
        });
      },
      sendStatus: (status, next) => {
        end(status.code);
        next(status);
      },
    });
  };
}
