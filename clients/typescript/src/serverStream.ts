import * as grpc from '@grpc/grpc-js';
import { statusOf } from './errors.js';

/**
 * The items of a server stream's messages, in order, as an async generator: the loop ends when the server ends
 * the stream cleanly or when `signal` aborts (nothing is yielded after that); it throws the gRPC error when the
 * stream fails. Breaking out of the loop cancels the call.
 */
export async function* itemsOf<Message, Item>(
  stream: grpc.ClientReadableStream<Message>,
  items: (message: Message) => readonly Item[],
  signal: AbortSignal | undefined,
): AsyncGenerator<Item, void, undefined> {
  const cancel = (): void => {
    stream.cancel();
  };
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for await (const message of stream as AsyncIterable<Message>) {
      for (const item of items(message)) {
        if (signal?.aborted) return;
        yield item;
      }
    }
  } catch (error) {
    if (signal?.aborted && statusOf(error) === grpc.status.CANCELLED) return;
    throw error;
  } finally {
    signal?.removeEventListener('abort', cancel);
    stream.cancel();
  }
}
