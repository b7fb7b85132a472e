import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { ALL_QUEUES, allows, holdsAnywhere } from '../../auth/principals.js';
import type { Principal, Principals, Role } from '../../auth/principals.js';
import type { Logger } from '../../log.js';
import { RateLimiter } from '../../auth/rateLimit.js';
import { WATCHES_PER_PRINCIPAL_MAX } from '../../domain/limits.js';
import { ACCESS_RULES, REFLECTION_RULE, visiblePart } from './accessRules.js';
import type { AccessRule } from './accessRules.js';

/** Health stays open: Kubernetes probes and load balancers carry no token. */
const OPEN_PREFIXES = ['/grpc.health.v1.Health/'];
const REFLECTION_PREFIX = '/grpc.reflection.';
/** Calls counted against a principal's open watch streams. */
const WATCH_METHOD = '/baton.v1.TaskService/WatchTasks';
/** Trailer of a call refused by a rate limit: milliseconds until the principal may call again. */
export const RETRY_AFTER_KEY = 'retry-after-ms';

/** The names a client certificate goes by: its CN and every DNS, URI, email or IP SAN. */
export function certificateNames(certificate: PeerCertificate): string[] {
  const names = certificate.subject.CN ? [certificate.subject.CN].flat() : [];
  for (const entry of (certificate.subjectaltname ?? '').split(', ')) {
    const colon = entry.indexOf(':');
    if (colon > 0) names.push(entry.slice(colon + 1));
  }
  return [...new Set(names)];
}

function rolesText(roles: readonly Role[]): string {
  return roles.length === 1 ? `the ${roles[0]} role` : `the ${roles.slice(0, -1).join(', ')} or ${roles.at(-1) ?? ''} role`;
}

function queueText(queue: string): string {
  return queue === ALL_QUEUES ? 'every queue (a grant for "*")' : `queue "${queue}"`;
}

/**
 * Who the caller is: the principal of its bearer token, or else of its verified client certificate. A string
 * says why nobody: the client is told it as UNAUTHENTICATED.
 */
function authenticate(principals: Principals, metadata: grpc.Metadata, call: grpc.ServerInterceptingCallInterface): Principal | string {
  const header = metadata.get('authorization')[0];
  if (header !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(String(header));
    if (!match?.[1]) return 'the authorization metadata must be "Bearer <token>"';
    return principals.byToken(match[1]) ?? 'unknown bearer token';
  }
  const certificate = call.getAuthContext().sslPeerCertificate;
  if (certificate) {
    const names = certificateNames(certificate);
    return principals.byCertificateNames(names) ?? `no principal for the client certificate (${names.join(', ')})`;
  }
  return 'missing bearer token: send the metadata "authorization: Bearer <token>"';
}

/**
 * Authentication and authorization for every call, as one server interceptor, so handlers stay unaware of it:
 * the caller is authenticated from its metadata (or client certificate) when the call starts, and each request
 * message is checked against the method's access rule (a role on each queue it names) before the handler sees it. A refused call or message
 * never reaches a handler, so it changes nothing.
 */
export function accessInterceptor(
  currentPrincipals: () => Principals,
  log: Logger,
  /** WatchTasks streams one principal may hold open on this replica, over all its connections. */
  watchesPerPrincipalMax = WATCHES_PER_PRINCIPAL_MAX,
  rates = new RateLimiter(),
): grpc.ServerInterceptor {
  const openWatches = new Map<string, number>();
  return (method, call) => {
    if (OPEN_PREFIXES.some((prefix) => method.path.startsWith(prefix))) return new grpc.ServerInterceptingCall(call);
    const rule: AccessRule<unknown> | undefined = method.path.startsWith(REFLECTION_PREFIX) ? REFLECTION_RULE : ACCESS_RULES.get(method.path);
    let principal: Principal | undefined;
    let refused = false;
    let first = true;
    /** The principal whose open watches this call counts in, until it ends. */
    let countedWatch: string | undefined;
    const releaseWatch = (): void => {
      if (countedWatch === undefined) return;
      const left = (openWatches.get(countedWatch) ?? 1) - 1;
      if (left <= 0) openWatches.delete(countedWatch);
      else openWatches.set(countedWatch, left);
      countedWatch = undefined;
    };
    const refuse = (code: grpc.status, details: string, retryAfterMs?: number): void => {
      refused = true;
      releaseWatch();
      log.debug('call refused', { method: method.path, code: grpc.status[code], details });
      const metadata = new grpc.Metadata();
      if (retryAfterMs !== undefined) metadata.set(RETRY_AFTER_KEY, String(retryAfterMs));
      call.sendStatus({ code, details, metadata });
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, forward) => {
            const who = authenticate(currentPrincipals(), metadata, call);
            if (typeof who === 'string') {
              refuse(grpc.status.UNAUTHENTICATED, who);
            } else if (rule === undefined) {
              refuse(grpc.status.PERMISSION_DENIED, `no access rule for ${method.path}`);
            } else if (method.path === WATCH_METHOD && (openWatches.get(who.name) ?? 0) >= watchesPerPrincipalMax) {
              refuse(
                grpc.status.RESOURCE_EXHAUSTED,
                `principal "${who.name}" has ${watchesPerPrincipalMax} WatchTasks streams open on this server, its limit; close one first`,
              );
            } else {
              principal = who;
              if (method.path === WATCH_METHOD) {
                openWatches.set(who.name, (openWatches.get(who.name) ?? 0) + 1);
                countedWatch = who.name;
              }
              forward(metadata);
            }
          },
          onCancel: () => {
            releaseWatch();
          },
          onReceiveMessage: (message, forward) => {
            if (refused || principal === undefined || rule === undefined) return;
            const queues = rule.queues(message as never);
            // A request naming no queue (ListQueues, a bare RegisterWorker) still needs the role somewhere; later
            // messages of a stream that name none (WorkTasks credit) act within what the first one opened.
            if (queues.length === 0 && first && !holdsAnywhere(principal, rule.roles)) {
              refuse(grpc.status.PERMISSION_DENIED, `principal "${principal.name}" holds ${rolesText(rule.roles)} on no queue`);
              return;
            }
            first = false;
            // Each request message is a call against the principal's rate (a unary call has one).
            const waitMs = principal.rate ? rates.take(principal.name, principal.rate) : 0;
            if (waitMs > 0 && principal.rate) {
              const { callsPerSecond, burst } = principal.rate;
              refuse(
                grpc.status.RESOURCE_EXHAUSTED,
                `principal "${principal.name}" is over its rate limit of ${callsPerSecond} calls/s (burst ${burst}); retry in ${waitMs} ms`,
                waitMs,
              );
              return;
            }
            for (const queue of queues) {
              if (!allows(principal, rule.roles, queue)) {
                refuse(grpc.status.PERMISSION_DENIED, `principal "${principal.name}" lacks ${rolesText(rule.roles)} on ${queueText(queue)}`);
                return;
              }
            }
            forward(message);
          },
          onReceiveHalfClose: (forward) => {
            if (!refused) forward();
          },
        });
      },
      sendStatus: (status, next) => {
        releaseWatch();
        next(status);
      },
      ...(rule?.visible === 'queues'
        ? {
            sendMessage: (message: unknown, forward: (message: unknown) => void) => {
              const who = principal;
              forward(who === undefined ? message : visiblePart(message, (queue) => allows(who, rule.roles, queue)));
            },
          }
        : {}),
    });
  };
}
