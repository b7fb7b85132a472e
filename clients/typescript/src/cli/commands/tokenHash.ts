import { createHash } from 'node:crypto';
import type { Command } from '../command.js';
import { UsageError, println } from '../command.js';

/** `baton token-hash`: what the server's tokens file stores for a token, so the token itself is never stored there. */
export const tokenHash: Command = {
  name: 'token-hash',
  summary: "print the SHA-256 of a token read from stdin, for the server's tokens file",
  positionals: [],
  details: [
    'Reads the token from stdin (not an argument: arguments show up in ps and shell history), without its',
    'trailing newline, and prints its hex SHA-256, the tokenSha256 of a principal. For example:',
    '  openssl rand -base64 32 | tee token.txt | baton token-hash',
  ].join('\n'),
  options: {},
  globals: [],
  run: async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const token = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    if (token === '') throw new UsageError('no token on stdin');
    println(ctx.io.stdout, createHash('sha256').update(token, 'utf8').digest('hex'));
  },
};
