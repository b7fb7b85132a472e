import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';

export interface RawStatus {
  code: grpc.status;
  details: string;
}

/** A gRPC message frame's 5-byte prefix: not compressed, then the length. */
export function framePrefix(length: number): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(length, 1);
  return prefix;
}

/**
 * One gRPC call made by hand over HTTP/2: a frame whose prefix claims `length` bytes, followed by `chunk` repeated
 * until that many are sent (or the server has answered), so a huge request costs the test no memory.
 */
export async function rawCall(address: string, path: string, length: number, chunk: Buffer): Promise<RawStatus> {
  const session = http2.connect(`http://${address}`);
  session.on('error', () => undefined);
  try {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('error', () => undefined);
    let status: RawStatus | undefined;
    const read = (headers: http2.IncomingHttpHeaders): void => {
      if (headers['grpc-status'] !== undefined) {
        status = { code: Number(headers['grpc-status']) as unknown as grpc.status, details: decodeURIComponent(String(headers['grpc-message'] ?? '')) };
      }
    };
    stream.on('response', read);
    stream.on('trailers', read);
    stream.resume();
    const closed = once(stream, 'close');
    let sent = 0;
    stream.write(framePrefix(length));
    while (sent < length && status === undefined && !stream.destroyed) {
      const part = length - sent >= chunk.length ? chunk : chunk.subarray(0, length - sent);
      sent += part.length;
      if (!stream.write(part)) await Promise.race([once(stream, 'drain'), closed]);
    }
    if (!stream.destroyed) stream.end();
    await closed;
    return status ?? { code: grpc.status.UNKNOWN, details: 'no status' };
  } finally {
    session.destroy();
  }
}

/** The bytes of a message that repeats one field's `entry` bytes `count` times. */
export function repeated(entry: readonly number[], count: number): Buffer {
  const one = Buffer.from(entry);
  const bytes = Buffer.alloc(one.length * count);
  bytes.fill(one);
  return bytes;
}

const identity = (value: Buffer): Buffer => value;

export interface RawMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}

/** Calls any method with raw request bytes; resolves with the status the call ended with. */
export type RawInvoke = (path: string, bytes: Buffer, deadlineMs: number) => Promise<RawStatus>;

/**
 * A grpc-js generic client whose serializers are the identity, so a test can send bytes no generated client
 * would: each call sends one message, half-closes, and reports how the call ended.
 */
export function rawClient(address: string, methods: readonly RawMethod[]): { invoke: RawInvoke; close(): void } {
  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  for (const { path, requestStream, responseStream } of methods) {
    definition[path] = { path, requestStream, responseStream, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
  }
  const Client = grpc.makeGenericClientConstructor(definition, 'Raw');
  const client = new Client(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
  const byPath = new Map(methods.map((m) => [m.path, m]));
  const stub = client as unknown as Record<string, (...args: unknown[]) => grpc.ClientReadableStream<Buffer> & grpc.ClientWritableStream<Buffer>>;
  const invoke: RawInvoke = (path, bytes, deadlineMs) =>
    new Promise((resolve) => {
      const method = byPath.get(path);
      const call = stub[path];
      if (method === undefined || call === undefined) throw new Error(`unknown method ${path}`);
      const options = { deadline: Date.now() + deadlineMs };
      const ended = (status: { code: grpc.status; details: string }): void => {
        resolve({ code: status.code, details: status.details });
      };
      if (!method.requestStream && !method.responseStream) {
        call.call(client, bytes, new grpc.Metadata(), options, (error: grpc.ServiceError | null) => {
          ended(error ?? { code: grpc.status.OK, details: '' });
        });
        return;
      }
      const stream = method.requestStream ? call.call(client, new grpc.Metadata(), options) : call.call(client, bytes, new grpc.Metadata(), options);
      stream.on('data', () => undefined);
      stream.on('error', () => undefined);
      stream.on('status', ended);
      if (method.requestStream) {
        stream.write(bytes);
        stream.end();
      }
    });
  return {
    invoke,
    close: () => {
      client.close();
    },
  };
}
