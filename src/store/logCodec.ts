import type { TaskLogLine } from '../domain/taskLogs.js';

/**
 * A task's log as lua/includes/logBlob.lua stores it: a header (position of the oldest line kept as a double, lines
 * kept as uint32), then each line (time ms as a double, attempt as uint32, flags as a byte, text length as uint16,
 * the text), big-endian.
 */
const HEADER_BYTES = 12;
const LINE_HEADER_BYTES = 15;
const TRUNCATED = 1;

export interface DecodedLog {
  firstPosition: number;
  lastPosition: number;
  /** The lines after the position asked for, oldest first, at most the limit asked for. */
  lines: TaskLogLine[];
}

/** The lines of `blob` after position `after`, at most `limit`; an empty blob is a log without lines. */
export function decodeLog(blob: Buffer, after: number, limit: number): DecodedLog {
  if (blob.length < HEADER_BYTES) return { firstPosition: 0, lastPosition: 0, lines: [] };
  const first = blob.readDoubleBE(0);
  const count = blob.readUInt32BE(8);
  const lines: TaskLogLine[] = [];
  let offset = HEADER_BYTES;
  for (let i = 0; i < count && lines.length < limit; i++) {
    const length = blob.readUInt16BE(offset + 13);
    const position = first + i;
    if (position > after) {
      const start = offset + LINE_HEADER_BYTES;
      lines.push({
        position,
        timeMs: blob.readDoubleBE(offset),
        attempt: blob.readUInt32BE(offset + 8),
        truncated: ((blob[offset + 12] ?? 0) & TRUNCATED) !== 0,
        text: blob.toString('utf8', start, start + length),
      });
    }
    offset += LINE_HEADER_BYTES + length;
  }
  return count === 0 ? { firstPosition: 0, lastPosition: 0, lines } : { firstPosition: first, lastPosition: first + count - 1, lines };
}
