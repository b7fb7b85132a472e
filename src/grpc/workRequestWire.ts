/**
 * WorkTasksRequest, the message a worker sends for every batch of finished tasks (credit and completions), written
 * and read straight from protobuf bytes on both ends of the session. proto-loader's serializer copies each
 * completion into a message instance (fromObject) before encoding it, and its deserializer decodes and then copies
 * again (toObject): about 1.1 µs and 0.75 µs per completion, on the path every task takes.
 *
 * Field numbers are those of proto/baton/v1/worker_service.proto. The decoder's output has exactly proto-loader's
 * shape (PROTO_LOADER_OPTIONS); test/unit/work-request-wire.test.ts compares both directions with proto-loader's.
 */
import type { CompleteTaskRequest__Output } from './generated/baton/v1/CompleteTaskRequest.js';
import type { WorkTasksRequest, WorkTasksRequest__Output } from './generated/baton/v1/WorkTasksRequest.js';
import type { WorkTasksStart__Output } from './generated/baton/v1/WorkTasksStart.js';
import { EMPTY, LENGTH_DELIMITED, VARINT, WireReader, readTime } from './wireReader.js';
import type { NodeBuffer } from './wireReader.js';
import { WireWriter } from './wireWriter.js';

/** Bytes of a completion besides its strings and result: keys, lengths and the nested message's own length. */
const COMPLETION_OVERHEAD = 16;

/**
 * Encodes `message`, or returns undefined when it is not in the shape sent per batch (a `start`, or a result given
 * as a base64 string): the caller then uses proto-loader's serializer.
 */
export function encodeWorkTasksRequest(message: WorkTasksRequest): Buffer | undefined {
  if (message.start) return undefined;
  const completions = message.completions ?? [];
  let sizeHint = 8;
  for (const completion of completions) {
    if (typeof completion.result === 'string') return undefined;
    sizeHint +=
      COMPLETION_OVERHEAD +
      (completion.queue?.length ?? 0) +
      (completion.task_id?.length ?? 0) +
      (completion.lease_token?.length ?? 0) +
      (completion.result?.length ?? 0);
  }
  const writer = new WireWriter(sizeHint);
  writer.int(2, (message.credit ?? 0) | 0);
  for (const completion of completions) {
    const mark = writer.begin(3);
    writer.string(1, completion.queue ?? '');
    writer.string(2, completion.task_id ?? '');
    writer.string(3, completion.lease_token ?? '');
    const result = completion.result; // not a string: checked above
    if (result && typeof result !== 'string') {
      writer.bytes(4, Buffer.isBuffer(result) ? result : Buffer.from(result.buffer, result.byteOffset, result.length));
    }
    writer.end(mark);
  }
  return writer.finish();
}

function readStart(reader: WireReader, end: number): WorkTasksStart__Output {
  const start: WorkTasksStart__Output = { queues: [], worker_id: '', lease_duration: null };
  while (reader.before(end)) {
    const key = reader.key();
    if (key === (1 << 3) + LENGTH_DELIMITED) start.queues.push(reader.string());
    else if (key === (2 << 3) + LENGTH_DELIMITED) start.worker_id = reader.string();
    else if (key === (3 << 3) + LENGTH_DELIMITED) start.lease_duration = readTime(reader, reader.message());
    else reader.skip(key & 7);
  }
  return start;
}

function readCompletion(reader: WireReader, end: number): CompleteTaskRequest__Output {
  const completion: CompleteTaskRequest__Output = { queue: '', task_id: '', lease_token: '', result: EMPTY };
  while (reader.before(end)) {
    const key = reader.key();
    switch (key) {
      case (1 << 3) + LENGTH_DELIMITED:
        completion.queue = reader.string();
        break;
      case (2 << 3) + LENGTH_DELIMITED:
        completion.task_id = reader.string();
        break;
      case (3 << 3) + LENGTH_DELIMITED:
        completion.lease_token = reader.string();
        break;
      case (4 << 3) + LENGTH_DELIMITED:
        completion.result = reader.bytes();
        break;
      default:
        reader.skip(key & 7);
    }
  }
  return completion;
}

export function decodeWorkTasksRequest(bytes: Buffer): WorkTasksRequest__Output {
  const reader = new WireReader(bytes as NodeBuffer);
    const end = bytes.length;
  const request: WorkTasksRequest__Output = { start: null, credit: 0, completions: [] };
  while (reader.before(end)) {
    const key = reader.key();
    if (key === (1 << 3) + LENGTH_DELIMITED) request.start = readStart(reader, reader.message());
    else if (key === (2 << 3) + VARINT) request.credit = reader.int32();
    else if (key === (3 << 3) + LENGTH_DELIMITED) request.completions.push(readCompletion(reader, reader.message()));
    else reader.skip(key & 7);
  }
  return request;
}
