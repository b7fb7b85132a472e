import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { allows, holdsAnywhere } from '../auth/principals.js';
import type { Principals, Role } from '../auth/principals.js';

export const SESSION_COOKIE = 'baton_session';

/** Who is looking at the dashboard, and what they may see and do: the API's grants, checked the same way. */
export interface Viewer {
  /** The principal's name; undefined with open access. */
  name: string | undefined;
  can(role: Extract<Role, 'watch' | 'admin'>, queue: string): boolean;
  canSomewhere(role: Extract<Role, 'watch' | 'admin'>): boolean;
  /** The token every form that changes something must carry back (see csrfFor). */
  csrf: string;
}

/**
 * The anti-CSRF token of a session, derived from the session cookie rather than stored: any replica behind a load
 * balancer computes the same one, and a page on another site can neither read the HttpOnly cookie nor derive it.
 */
export function csrfFor(sessionValue: string): string {
  return createHash('sha256').update(`baton-dashboard-csrf\0${sessionValue}`).digest('base64url').slice(0, 32);
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function readCookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** HttpOnly: scripts never see the token; SameSite=Strict: other sites' pages never send it. */
export function sessionCookie(value: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}

export type Session =
  | { kind: 'viewer'; viewer: Viewer; /** A cookie to set (open access hands out an anonymous session). */ setCookie?: string }
  | { kind: 'login'; reason: string };

/**
 * Sessions. With a principals file, the session cookie holds the bearer token itself, checked on every request
 * against the current file (a removed or rotated token logs the session out at once, on every replica). With open
 * access everyone may do everything, and the cookie is a random nonce that only anchors the CSRF token.
 */
export class Sessions {
  constructor(
    private readonly principals: (() => Principals) | undefined,
    private readonly secureCookies: boolean,
  ) {}

  get open(): boolean {
    return this.principals === undefined;
  }

  resolve(request: IncomingMessage): Session {
    const value = readCookie(request, SESSION_COOKIE);
    if (this.principals === undefined) {
      const nonce = value !== undefined && /^[A-Za-z0-9_-]{22,64}$/.test(value) ? value : randomBytes(18).toString('base64url');
      const viewer: Viewer = { name: undefined, can: () => true, canSomewhere: () => true, csrf: csrfFor(nonce) };
      return nonce === value ? { kind: 'viewer', viewer } : { kind: 'viewer', viewer, setCookie: sessionCookie(nonce, this.secureCookies) };
    }
    if (value === undefined || value === '') return { kind: 'login', reason: '' };
    const principal = this.principals().byToken(value);
    if (principal === undefined) return { kind: 'login', reason: 'That token is not (or no longer) valid.' };
    return {
      kind: 'viewer',
      viewer: {
        name: principal.name,
        can: (role, queue) => allows(principal, [role], queue),
        canSomewhere: (role) => holdsAnywhere(principal, [role]),
        csrf: csrfFor(value),
      },
    };
  }

  /** The cookie for a token given at the login form, or undefined when no principal holds it. */
  login(token: string): string | undefined {
    if (this.principals === undefined) return undefined;
    return this.principals().byToken(token) === undefined ? undefined : sessionCookie(token, this.secureCookies);
  }
}
