import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatonClient, parseAddresses } from '../../clients/typescript/src/client.js';
import { NoHandlerError, routeByType } from '../../clients/typescript/src/routing.js';
import { PermanentError } from '../../clients/typescript/src/errors.js';
import type { Task, TaskContext } from '../../clients/typescript/src/handler.js';

const ctx = {} as TaskContext;
const task = (type: string): Task => ({ type }) as Task;

describe('routeByType', () => {
  it('runs the handler of the task type, else the default handler', async () => {
    const route = routeByType({ a: () => 'A', b: () => 'B' }, (t) => `default ${t.type}`);
    assert.equal(await route(task('a'), ctx), 'A');
    assert.equal(await route(task('b'), ctx), 'B');
    assert.equal(await route(task(''), ctx), 'default ');
    assert.equal(await route(task('c'), ctx), 'default c');
  });

  it('without a default handler, throws a permanent NoHandlerError naming the type, also for inherited names', () => {
    const route = routeByType({ a: () => 'A' }, undefined);
    for (const type of ['nope', 'constructor', '__proto__', '']) {
      assert.throws(
        () => route(task(type), ctx),
        (error: unknown) =>
          error instanceof NoHandlerError &&
          error instanceof PermanentError &&
          error.message === `no handler for task type ${JSON.stringify(type)}`,
      );
    }
  });

  it('is the default handler itself when no types are registered, and refuses no handler at all', () => {
    const only = (): string => 'x';
    assert.equal(routeByType(undefined, only), only);
    assert.throws(() => routeByType({}, undefined), /give a handler, or handlers by task type/);
  });
});

describe('BatonClient addresses', () => {
  it('parses one address, a comma-separated list, or an array', () => {
    assert.deepEqual(parseAddresses('a:1'), ['a:1']);
    assert.deepEqual(parseAddresses(' a:1, b:2 ,'), ['a:1', 'b:2']);
    assert.deepEqual(parseAddresses(['a:1', 'b:2']), ['a:1', 'b:2']);
    assert.throws(() => parseAddresses(' , '), /at least one server address/);
  });

  it('moves to the next address in turn, once per failure however many calls report it', () => {
    const client = new BatonClient(['a:1', 'b:2', 'c:3']);
    try {
      assert.equal(client.address, 'a:1');
      const seen = client.generation;
      client.failover(seen);
      client.failover(seen); // a second call that failed on a:1 changes nothing more
      assert.equal(client.address, 'b:2');
      client.failover(client.generation);
      client.failover(client.generation);
      assert.equal(client.address, 'a:1', 'after the last, the first again');
    } finally {
      client.close();
    }
  });

  it('stays on its only address', () => {
    const client = new BatonClient('a:1');
    client.failover(client.generation);
    assert.equal(client.address, 'a:1');
    client.close();
  });
});
