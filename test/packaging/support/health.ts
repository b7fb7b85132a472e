// grpc.health.v1.Health/Check, as Kubernetes' native gRPC probe calls it.
import * as grpc from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';

/** Same flags as scripts/gen-proto-types.mjs and src/transport/grpc/protos.ts. */
const LOADER_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

/** Calls Check once; resolves with the serving status or rejects with the gRPC error. */
export function checkHealth(healthProto: string, address: string, service = '', timeoutMs = 2_000): Promise<string> {
  const definition = loadSync(healthProto, LOADER_OPTIONS);
  const healthService = definition['grpc.health.v1.Health'];
  const check = (healthService as Record<string, MethodDefinition<object, object>> | undefined)?.Check;
  if (check === undefined) throw new Error(`${healthProto} does not define grpc.health.v1.Health/Check`);
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<string>((resolve, reject) => {
    client.makeUnaryRequest(
      check.path,
      check.requestSerialize,
      check.responseDeserialize,
      { service },
      { deadline: Date.now() + timeoutMs },
      (error, response) => {
        client.close();
        if (error) reject(error);
        else resolve(String((response as { status?: unknown } | undefined)?.status));
      },
    );
  });
}

/** Polls Check until it answers SERVING; rejects with the last answer after `timeoutMs` or when `alive()` fails. */
export async function waitUntilServing(
  healthProto: string,
  address: string,
  timeoutMs: number,
  alive: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const dead = alive();
    if (dead !== undefined) throw new Error(dead);
    try {
      last = await checkHealth(healthProto, address);
      if (last === 'SERVING') return;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not SERVING after ${timeoutMs}ms: ${last}`);
}
