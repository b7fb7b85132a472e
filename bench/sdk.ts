/**
 * The SDK as users run it: its built package (clients/typescript/dist/), like the server. Loaded through tsx from
 * src/, every closure it creates per task is wrapped by esbuild's keepNames helper, which made the bench's worker
 * measurably slower.
 */
import type * as BatonSdk from '../clients/typescript/src/index.js';

// BATON_BENCH_SDK=/path/to/other/index.js runs another build of the SDK (an A/B of the worker's side).
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const sdk = require(process.env.BATON_BENCH_SDK ?? '../clients/typescript/dist/index.js') as typeof BatonSdk;
export type { BatonSdk };
