import { invalidArgument } from './errors.js';
import type { SubmitInput } from './inputs.js';
import * as limits from './limits.js';
import type { Uniqueness } from './task.js';
import { checkDuration } from './validation.js';

/**
 * A submit's unique key and how long it holds, validated; undefined for an ordinary submit. A key needs exactly one
 * mode, and no mode goes without a key. A debounce is the task's delay, so it excludes delay and schedule_time.
 */
export function toUniqueness(input: SubmitInput): Uniqueness | undefined {
  const key = input.uniqueKey ?? '';
  const modes: Uniqueness[] = [];
  if (input.uniqueForMs !== undefined) {
    modes.push({ key, mode: 'window', ms: checkDuration(input.uniqueForMs, 'unique_for', 1, limits.UNIQUE_WINDOW_MAX_MS) });
  }
  if (input.uniqueUntilFinished === true) modes.push({ key, mode: 'until_finished', ms: 0 });
  if (input.debounceMs !== undefined) {
    modes.push({ key, mode: 'debounce', ms: checkDuration(input.debounceMs, 'debounce', 1, limits.DEBOUNCE_MAX_MS) });
  }
  if (key === '') {
    if (modes[0] === undefined) return undefined;
    throw invalidArgument(fieldOf(modes[0]), 'needs a unique_key');
  }
  const bytes = Buffer.byteLength(key);
  if (bytes > limits.UNIQUE_KEY_MAX_BYTES) {
    throw invalidArgument('unique_key', `is ${bytes} bytes; the limit is ${limits.UNIQUE_KEY_MAX_BYTES} bytes`);
  }
  const [unique, extra] = modes;
  if (unique === undefined || extra !== undefined) {
    throw invalidArgument('unique_key', 'set exactly one of unique_for, unique_until_finished and debounce with it');
  }
  if (unique.mode === 'debounce' && (input.delayMs !== undefined || input.scheduleTime !== undefined)) {
    throw invalidArgument('debounce', 'is the delay of the task: set no delay or schedule_time with it');
  }
  return unique;
}

function fieldOf(unique: Uniqueness): string {
  if (unique.mode === 'window') return 'unique_for';
  return unique.mode === 'debounce' ? 'debounce' : 'unique_until_finished';
}
