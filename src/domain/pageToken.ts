import { invalidArgument } from './errors.js';
import { TASK_STATES } from './task.js';
import type { TaskState } from './task.js';

interface PageTokenBody {
  q: string;
  s: TaskState | '';
  c: string;
}

/** Page tokens are opaque to clients; they bind the cursor to the query so a token cannot be reused elsewhere. */
export function encodePageToken(queue: string, state: TaskState | undefined, cursor: string): string {
  const body: PageTokenBody = { q: queue, s: state ?? '', c: cursor };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function decodePageToken(token: string, queue: string, state: TaskState | undefined): string {
  let body: Partial<PageTokenBody>;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<PageTokenBody>;
  } catch {
    throw invalidArgument('page_token', 'is not a token returned by this method');
  }
  const validState = body.s === '' || TASK_STATES.includes(body.s as TaskState);
  if (typeof body.c !== 'string' || !/^\d+$/.test(body.c) || !validState || typeof body.q !== 'string') {
    throw invalidArgument('page_token', 'is not a token returned by this method');
  }
  if (body.q !== queue || body.s !== (state ?? '')) {
    throw invalidArgument('page_token', 'belongs to a different queue or state filter');
  }
  return body.c;
}
