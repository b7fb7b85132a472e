import { createHash, timingSafeEqual } from 'node:crypto';
import type { CallRate } from './rateLimit.js';

/**
 * Who may do what: the principals file (--auth-tokens-file) parsed and checked. Pure: no gRPC, no files; the
 * transport asks it who a caller is and whether that caller holds a role on a queue.
 */
export const ROLES = ['produce', 'work', 'watch', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Grant {
  /** Glob patterns: `*` matches any run of characters, so `billing-*` or `*`. */
  queues: readonly string[];
  roles: readonly Role[];
}

export interface Principal {
  name: string;
  grants: readonly Grant[];
  /** The most calls it may make on this replica (see RateLimiter); undefined: no limit. */
  rate?: CallRate;
}

interface Entry extends Principal {
  /** SHA-256 digests (32 bytes) of the tokens that authenticate as this principal; two during a rotation. */
  tokenHashes: readonly Buffer[];
  /** A verified client certificate whose CN or a SAN equals `name` authenticates as this principal. */
  certificate: boolean;
}

/** The queue name that stands for "every queue": a call naming no queue needs its role on all of them. */
export const ALL_QUEUES = '*';

export class PrincipalsError extends Error {}

/** The hex SHA-256 of a token, as the principals file stores it (`baton-server --hash-token`). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's');
}

function fail(where: string, message: string): never {
  throw new PrincipalsError(`${where}: ${message}`);
}

function strings(value: unknown, where: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v): v is string => typeof v === 'string' && v !== '')) {
    fail(where, 'must be a non-empty string or list of non-empty strings');
  }
  return list;
}

function parseGrant(value: unknown, where: string): Grant {
  if (typeof value !== 'object' || value === null) fail(where, 'must be an object with queues and roles');
  const { queues, roles, ...rest } = value as Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) fail(where, `unknown key "${unknownKey}"`);
  const roleList = strings(roles, `${where}.roles`);
  for (const role of roleList) {
    if (!(ROLES as readonly string[]).includes(role)) fail(`${where}.roles`, `"${role}" is not one of ${ROLES.join(', ')}`);
  }
  return { queues: strings(queues, `${where}.queues`), roles: roleList as Role[] };
}

function parseEntry(value: unknown, where: string): Entry {
  if (typeof value !== 'object' || value === null) fail(where, 'must be an object');
  const { name, tokenSha256, certificate, grants, rate, ...rest } = value as Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) fail(where, `unknown key "${unknownKey}"`);
  if (typeof name !== 'string' || name === '') fail(`${where}.name`, 'must be a non-empty string');
  const hashes = tokenSha256 === undefined ? [] : strings(tokenSha256, `${where}.tokenSha256`);
  for (const hash of hashes) {
    // A raw token pasted here by mistake would otherwise just never match: say so instead.
    if (!/^[0-9a-f]{64}$/i.test(hash)) fail(`${where}.tokenSha256`, 'must be 64 hex digits (baton-server --hash-token), not the token');
  }
  if (certificate !== undefined && typeof certificate !== 'boolean') fail(`${where}.certificate`, 'must be true or false');
  if (hashes.length === 0 && certificate !== true) fail(where, 'needs tokenSha256 or certificate: true, or nobody can be it');
  if (!Array.isArray(grants)) fail(`${where}.grants`, 'must be a list');
  return {
    name,
    tokenHashes: hashes.map((h) => Buffer.from(h, 'hex')),
    certificate: certificate === true,
    grants: grants.map((g, i) => parseGrant(g, `${where}.grants[${i}]`)),
    ...(rate === undefined ? {} : { rate: parseRate(rate, `${where}.rate`) }),
  };
}

/** `{ "callsPerSecond": n, "burst": m }`: burst defaults to one second's calls (at least 1). */
function parseRate(value: unknown, where: string): CallRate {
  if (typeof value !== 'object' || value === null) fail(where, 'must be an object with callsPerSecond (and burst)');
  const { callsPerSecond, burst, ...rest } = value as Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) fail(where, `unknown key "${unknownKey}"`);
  if (typeof callsPerSecond !== 'number' || !(callsPerSecond > 0) || callsPerSecond > 1_000_000) {
    fail(`${where}.callsPerSecond`, 'must be a number above 0, at most 1000000');
  }
  if (burst !== undefined && (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1 || burst > 1_000_000)) {
    fail(`${where}.burst`, 'must be an integer from 1 to 1000000');
  }
  return { callsPerSecond, burst: burst ?? Math.max(1, Math.ceil(callsPerSecond)) };
}

/** Compiled queue patterns, shared by every version of the file (a call keeps the principal it started with). */
const compiled = new Map<string, RegExp>();

function matches(pattern: string, queue: string): boolean {
  if (queue === ALL_QUEUES) return pattern === ALL_QUEUES;
  let regExp = compiled.get(pattern);
  if (regExp === undefined) {
    regExp = globToRegExp(pattern);
    compiled.set(pattern, regExp);
  }
  return regExp.test(queue);
}

function grantsRole(grant: Grant, roles: readonly Role[]): boolean {
  return grant.roles.includes('admin') || grant.roles.some((r) => roles.includes(r));
}

/** Whether `principal` holds one of `roles` (admin holds them all) on `queue` (ALL_QUEUES: on every queue). */
export function allows(principal: Principal, roles: readonly Role[], queue: string): boolean {
  return principal.grants.some((grant) => grantsRole(grant, roles) && grant.queues.some((pattern) => matches(pattern, queue)));
}

/** Whether `principal` holds one of `roles` on any queue at all. */
export function holdsAnywhere(principal: Principal, roles: readonly Role[]): boolean {
  return principal.grants.some((grant) => grantsRole(grant, roles));
}

/** The principals of one version of the file. */
export class Principals {
  private constructor(private readonly entries: readonly Entry[]) {}

  /** Parses the file's JSON text; throws PrincipalsError naming the first thing wrong. */
  static parse(text: string): Principals {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new PrincipalsError(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const list = (document as { principals?: unknown } | null)?.principals;
    if (!Array.isArray(list)) throw new PrincipalsError('expected {"principals": [...]}');
    const entries = list.map((p, i) => parseEntry(p, `principals[${i}]`));
    const names = new Set<string>();
    for (const entry of entries) {
      if (names.has(entry.name)) throw new PrincipalsError(`principal "${entry.name}" appears twice`);
      names.add(entry.name);
    }
    return new Principals(entries);
  }

  get size(): number {
    return this.entries.length;
  }

  /**
   * The principal whose token this is. Every stored digest is compared, in constant time, whether or not one
   * matched earlier: how long this takes says nothing about which digest came close.
   */
  byToken(token: string): Principal | undefined {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: Entry | undefined;
    for (const entry of this.entries) {
      for (const hash of entry.tokenHashes) {
        if (timingSafeEqual(hash, digest) && found === undefined) found = entry;
      }
    }
    return found;
  }

  /** The principal a verified client certificate names (its CN or one of its SANs), if one opted in. */
  byCertificateNames(names: readonly string[]): Principal | undefined {
    return this.entries.find((entry) => entry.certificate && names.includes(entry.name));
  }
}
