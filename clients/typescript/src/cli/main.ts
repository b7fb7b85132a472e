#!/usr/bin/env node
// The `baton` command line. See cli.ts; `baton --help` lists the commands.
import { runCli } from './cli.js';

const interrupted = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // Once: a second Ctrl-C ends the process at once, should the first one's clean ending hang.
  process.once(signal, () => {
    interrupted.abort(signal);
  });
}

void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }, interrupted.signal).then(
  (code) => {
    process.exitCode = code;
  },
);
