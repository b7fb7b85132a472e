import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS } from '../../src/transport/grpc/protos.js';

type ReflectionResponse = { list_services_response?: { service: { name: string }[] } };

/**
 * The services a server lists through gRPC server reflection, asked as grpcurl would (with `token` as a bearer
 * token when given); rejects with the call's error when the server refuses.
 */
export async function listServices(address: string, token?: string): Promise<string[]> {
  const definition = protoLoader.loadSync('grpc/reflection/v1alpha/reflection.proto', {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [`${require.resolve('@grpc/reflection/package.json').replace(/package\.json$/, '')}build/proto`],
  });
  const reflection = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { reflection: { v1alpha: { ServerReflection: grpc.ServiceClientConstructor } } };
  };
  const client = new reflection.grpc.reflection.v1alpha.ServerReflection(address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const open = client as unknown as { ServerReflectionInfo: (metadata: grpc.Metadata) => grpc.ClientDuplexStream<object, ReflectionResponse> };
      const stream = open.ServerReflectionInfo(metadata);
      stream.on('data', (response: ReflectionResponse) => {
        resolve(response.list_services_response?.service.map((s) => s.name) ?? []);
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ list_services: '' });
    });
  } finally {
    client.close();
  }
}
