/**
 * The one duration grammar of Baton's server settings and the CLI: one or more numbers, each with a unit of ms, s,
 * m, h or d, e.g. `250ms`, `90s`, `1.5h`, `1h30m`, `2d`. A bare `0` is zero; any other bare number is refused, as it
 * always was, since nobody can tell whether `30` means seconds or milliseconds.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// `ms` before `m` and `s`, so 5ms is five milliseconds.
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y;
const EXAMPLES = 'e.g. 250ms, 90s, 1.5h, 1h30m or 2d';

/**
 * Milliseconds from a duration in Baton's grammar (see above), rounded to a whole millisecond. Throws a RangeError
 * saying what is wrong; callers put the name of the setting in front of its message.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    throw new RangeError(`"${text}" has no unit: write ${trimmed}s, ${trimmed}ms or another unit (ms, s, m, h, d)`);
  }
  let total = 0;
  let at = 0;
  while (at < trimmed.length || at === 0) {
    PART.lastIndex = at;
    const match = PART.exec(trimmed);
    if (!match) throw new RangeError(`"${text}" is not a duration: numbers with a unit of ms, s, m, h or d, ${EXAMPLES}`);
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    at = PART.lastIndex;
  }
  const ms = Math.round(total);
  if (!Number.isSafeInteger(ms)) throw new RangeError(`"${text}" is too long a duration`);
  return ms;
}
