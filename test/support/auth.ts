import { writeFileSync, renameSync } from 'node:fs';
import { BatonClient } from '../../clients/typescript/src/client.js';
import type { ConnectionOptions } from '../../clients/typescript/src/connection.js';
import { hashToken } from '../../src/auth/principals.js';
import type { Role } from '../../src/auth/principals.js';

export interface TestPrincipal {
  name: string;
  tokens?: readonly string[];
  certificate?: boolean;
  grants: { queues: string | string[]; roles: Role[] }[];
  rate?: { callsPerSecond: number; burst?: number };
}

/** Writes a tokens file the way an operator (or a Secret update) would: whole, by a rename. */
export function writeTokensFile(path: string, principals: readonly TestPrincipal[]): void {
  const document = {
    principals: principals.map(({ name, tokens, certificate, grants, rate }) => ({
      name,
      ...(tokens ? { tokenSha256: tokens.map(hashToken) } : {}),
      ...(certificate ? { certificate } : {}),
      grants,
      ...(rate ? { rate } : {}),
    })),
  };
  writeFileSync(`${path}.tmp`, JSON.stringify(document, null, 2));
  renameSync(`${path}.tmp`, path);
}

/** A client that authenticates with `token` and reads nothing from the environment. */
export function clientWith(address: string, connection: ConnectionOptions): BatonClient {
  return new BatonClient(address, { env: {}, ...connection });
}
