/**
 * The SDK as users run it: the built package (dist/), like the server. Loaded through tsx from src/, every closure
 * it creates per task is wrapped by esbuild's keepNames helper, which cost the bench's worker ~20% more CPU per task.
 */
import type * as BatonSdk from '../src/index.js';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const sdk = require('../dist/src/index.js') as typeof BatonSdk;
export type { BatonSdk };
