import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidArgument } from './errors.js';
import { TASK_STATES } from './task.js';
import type { MetadataEntry, TaskState } from './task.js';

interface PageTokenBody {
  q: string;
  s: TaskState | '';
  c: string;
  /** The type filter, absent when none. */
  t?: string;
  /** The metadata filter as [key, value], absent when none. */
  m?: [string, string];
}

/** Long enough that guessing a tag is hopeless, short enough to keep tokens compact. */
const TAG_BYTES = 16;
const NOT_OURS = 'is not a token returned by this method';

/**
 * Page tokens are opaque and signed: the body is bound to the query with an HMAC under a key every replica of a
 * deployment shares, so a client can neither forge a cursor nor reuse one elsewhere, and a garbled token is
 * refused before anything reads its body.
 */
/** A ListTasks cursor: a place in an unpartitioned queue, or a partition and a place in it (partitionedTasks.ts). */
const LIST_CURSOR = /^(?:\d+|P\d{1,3}\|\d*)$/;

export class PageTokens {
  private readonly key: Buffer;

  constructor(key: Buffer | string) {
    this.key = Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8');
    if (this.key.length === 0) throw new Error('a page token key must not be empty');
  }

  /** A key of this process alone: enough for one replica (tests, tools), not for paging across replicas. */
  static ephemeral(): PageTokens {
    return new PageTokens(randomBytes(32));
  }

  private tag(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, TAG_BYTES);
  }

  seal(body: string): string {
    const bytes = Buffer.from(body, 'utf8');
    return `${bytes.toString('base64url')}.${this.tag(bytes).toString('base64url')}`;
  }

  /** The body of a token this deployment sealed; INVALID_ARGUMENT naming `field` for anything else. */
  open(token: string, field = 'page_token'): string {
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 4096) throw invalidArgument(field, NOT_OURS);
    const body = Buffer.from(token.slice(0, dot), 'base64url');
    const tag = Buffer.from(token.slice(dot + 1), 'base64url');
    if (tag.length !== TAG_BYTES || !timingSafeEqual(tag, this.tag(body))) throw invalidArgument(field, NOT_OURS);
    return body.toString('utf8');
  }

  /** A ListTasks cursor, bound to its queue, state, type and metadata filters. */
  encodeList(queue: string, state: TaskState | undefined, cursor: string, type = '', metadata?: MetadataEntry): string {
    const body: PageTokenBody = { q: queue, s: state ?? '', c: cursor };
    if (type !== '') body.t = type;
    if (metadata !== undefined) body.m = [metadata.key, metadata.value];
    return this.seal(JSON.stringify(body));
  }

  decodeList(token: string, queue: string, state: TaskState | undefined, type = '', metadata?: MetadataEntry): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.open(token));
    } catch (error) {
      if (error instanceof SyntaxError) throw invalidArgument('page_token', NOT_OURS);
      throw error;
    }
    if (typeof parsed !== 'object' || parsed === null) throw invalidArgument('page_token', NOT_OURS);
    const body = parsed as Partial<PageTokenBody>;
    const validState = body.s === '' || TASK_STATES.includes(body.s as TaskState);
    if (typeof body.c !== 'string' || !LIST_CURSOR.test(body.c) || !validState || typeof body.q !== 'string') {
      throw invalidArgument('page_token', NOT_OURS);
    }
    const sameMetadata = metadata === undefined ? body.m === undefined : body.m?.[0] === metadata.key && body.m[1] === metadata.value;
    if (body.q !== queue || body.s !== (state ?? '') || (body.t ?? '') !== type || !sameMetadata) {
      throw invalidArgument('page_token', 'belongs to a different queue, state, type filter or metadata filter');
    }
    return body.c;
  }

  /** A ListWorkers position, bound to its queue filter and whether lost workers are included. */
  encodeWorkers(queue: string, includeLost: boolean, offset: number): string {
    return this.seal(JSON.stringify({ w: offset, q: queue, l: includeLost }));
  }

  decodeWorkers(token: string, queue: string, includeLost: boolean): number {
    let body: { w?: unknown; q?: unknown; l?: unknown } | null;
    try {
      body = JSON.parse(this.open(token)) as typeof body;
    } catch (error) {
      if (error instanceof SyntaxError) throw invalidArgument('page_token', NOT_OURS);
      throw error;
    }
    if (typeof body !== 'object' || body === null || typeof body.w !== 'number' || !Number.isSafeInteger(body.w) || body.w < 0) {
      throw invalidArgument('page_token', NOT_OURS);
    }
    if (body.q !== queue || body.l !== includeLost) {
      throw invalidArgument('page_token', 'belongs to a different queue or include_lost filter');
    }
    return body.w;
  }
}
