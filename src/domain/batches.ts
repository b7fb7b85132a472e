import { BatonError, invalidArgument } from './errors.js';

export function checkBatchSize(items: readonly unknown[], max: number): void {
  if (items.length === 0 || items.length > max) {
    throw invalidArgument('requests', `must hold 1 to ${max} items, got ${items.length}`);
  }
}

/**
 * Runs a batch as one storage call per queue (each queue's call succeeds or fails alone), keeping the callers' order: each item is prepared (validated) alone,
 * and an item that fails preparation gets its error, prefixed with its index, in its place.
 */
export async function inBatchesByQueue<Input, Prepared extends { queue: string }, Outcome>(
  inputs: readonly Input[],
  prepare: (input: Input) => Prepared,
  store: (queue: string, items: Prepared[]) => Promise<Outcome[]>,
): Promise<(Outcome | { error: BatonError })[]> {
  const outcomes = new Array<Outcome | { error: BatonError }>(inputs.length);
  const byQueue = new Map<string, { index: number; item: Prepared }[]>();
  inputs.forEach((input, index) => {
    try {
      const item = prepare(input);
      const group = byQueue.get(item.queue) ?? [];
      group.push({ index, item });
      byQueue.set(item.queue, group);
    } catch (error) {
      if (!(error instanceof BatonError)) throw error;
      outcomes[index] = { error: new BatonError(error.code, `requests[${index}].${error.message}`) };
    }
  });
  // Each queue's call succeeds or fails alone: a queue whose Redis node is down fails only its own items.
  const settled = await Promise.allSettled(
    [...byQueue].map(async ([queue, group]) => {
      try {
        const results = await store(
          queue,
          group.map((g) => g.item),
        );
        results.forEach((result, i) => {
          const entry = group[i];
          if (entry) outcomes[entry.index] = result;
        });
      } catch (error) {
        if (!(error instanceof BatonError)) throw error;
        for (const { index } of group) outcomes[index] = { error };
      }
    }),
  );
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  return outcomes;
}
