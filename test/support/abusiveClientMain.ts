// The abusive client of the request-bounds tests, in a process of its own so that building and sending huge
// requests costs the server's process nothing the tests measure. Prints `ready`, waits for `go` on stdin, makes
// the calls at once, prints `result <JSON statuses in call order>` and exits.
import { createInterface } from 'node:readline';
import { rawCall, repeated } from './rawGrpc.js';
import type { AbusiveCall } from './abusiveClient.js';

const [address = '', callsJson = '[]'] = process.argv.slice(2);
const calls = JSON.parse(callsJson) as AbusiveCall[];
const chunks = calls.map((call) => repeated(call.entry, call.chunkEntries));
const input = createInterface({ input: process.stdin });
input.once('line', () => {
  void Promise.all(calls.map((call, i) => rawCall(address, call.path, call.length, chunks[i] ?? Buffer.alloc(0)))).then((statuses) => {
    process.stdout.write(`result ${JSON.stringify(statuses)}\n`);
    input.close();
  });
});
process.stdout.write('ready\n');
