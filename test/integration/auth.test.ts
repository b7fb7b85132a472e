import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { BatonClient } from '../../clients/typescript/src/client.js';
import { HealthClient, WorkTasksRequest } from '../../clients/typescript/src/contract.js';
import { startPlainRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { rejectsWith } from '../support/api.js';
import { clientWith, writeTokensFile } from '../support/auth.js';
import type { TestPrincipal } from '../support/auth.js';
import { eventually, startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';

const PRINCIPALS: TestPrincipal[] = [
  { name: 'billing-producer', tokens: ['t-produce'], grants: [{ queues: 'billing-*', roles: ['produce'] }] },
  { name: 'billing-worker', tokens: ['t-work'], grants: [{ queues: ['billing-*'], roles: ['work'] }] },
  { name: 'ops', tokens: ['t-admin'], grants: [{ queues: '*', roles: ['admin'] }] },
];

describe('authentication and authorization with a tokens file', () => {
  let dir = '';
  let tokensFile = '';
  let redis: TestRedis | undefined;
  let server: TestServer | undefined;
  const clients: BatonClient[] = [];
  const as = (token: string | undefined): BatonClient => {
    const client = clientWith(address(), token === undefined ? {} : { token });
    clients.push(client);
    return client;
  };
  const address = (): string => server?.baton.grpcAddress ?? '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-auth-'));
    tokensFile = join(dir, 'tokens.json');
    writeTokensFile(tokensFile, PRINCIPALS);
    redis = await startPlainRedis();
    server = await startTestServer(redis.config, { authTokensFile: tokensFile }, { reloadPollMs: 100 });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers UNAUTHENTICATED to a call without a token or with an unknown one', async () => {
    await rejectsWith(as(undefined).submitTask({ queue: 'billing-a' }), grpc.status.UNAUTHENTICATED, /missing bearer token/);
    await rejectsWith(as('t-nope').submitTask({ queue: 'billing-a' }), grpc.status.UNAUTHENTICATED, /unknown bearer token/);
    await rejectsWith(as(undefined).getQueue({ queue: 'billing-a' }), grpc.status.UNAUTHENTICATED);
  });

  it('refuses a producer that claims, naming principal, role and queue, and changes nothing', async () => {
    const queue = uniqueQueue('billing');
    const { task } = await as('t-produce').submitTask({ queue });
    assert.ok(task);
    await rejectsWith(
      as('t-produce').claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 1 }),
      grpc.status.PERMISSION_DENIED,
      new RegExp(`principal "billing-producer" lacks the work role on queue "${queue}"`),
    );
    const { queue: info } = await as('t-admin').getQueue({ queue });
    assert.equal(info?.counts?.pending, 1);
    assert.equal(info.counts.active, 0);
    const { task: after } = await as('t-produce').getTask({ queue, task_id: task.id });
    assert.equal(after?.state, 'TASK_STATE_PENDING');
    assert.equal(after.attempt, 0);
  });

  it("lets a worker append to its task's log and a producer read it, but not the other way round", async () => {
    const queue = uniqueQueue('billing-logs');
    await as('t-produce').submitTask({ queue, task_id: 'logged' });
    const [claimed] = (await as('t-work').claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 1 })).tasks;
    assert.ok(claimed);
    const held = { queue, task_id: 'logged', lease_token: claimed.lease_token, lines: [{ text: 'working' }] };
    await as('t-work').appendTaskLogs(held);
    await rejectsWith(as('t-produce').appendTaskLogs(held), grpc.status.PERMISSION_DENIED, /lacks the work role/);
    const page = await as('t-produce').getTaskLogs({ queue, task_id: 'logged' });
    assert.deepEqual(page.lines.map((line) => line.text), ['working']);
    await rejectsWith(as('t-work').getTaskLogs({ queue, task_id: 'logged' }), grpc.status.PERMISSION_DENIED, /lacks the produce or watch role/);
  });

  it('allows queues its pattern matches and no other; a refused submit stores nothing', async () => {
    await as('t-produce').submitTask({ queue: 'billing-eu', task_id: 'allowed' });
    await rejectsWith(
      as('t-produce').submitTask({ queue: 'other', task_id: 'refused' }),
      grpc.status.PERMISSION_DENIED,
      /lacks the produce role on queue "other"/,
    );
    await rejectsWith(
      as('t-produce').submitTasks({ requests: [{ queue: 'billing-eu' }, { queue: 'other' }] }),
      grpc.status.PERMISSION_DENIED,
      /queue "other"/,
    );
    await rejectsWith(as('t-admin').getTask({ queue: 'other', task_id: 'refused' }), grpc.status.NOT_FOUND);
    const { queue } = await as('t-admin').getQueue({ queue: 'billing-eu' });
    assert.equal(queue?.counts?.pending, 1, 'the refused batch added nothing to billing-eu either');
  });

  it('refuses a WorkTasks session naming a queue the token may not work', async () => {
    const stream = as('t-work').workers.workTasks();
    const ended = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
    stream.on('data', () => undefined);
    stream.write(WorkTasksRequest.fromPartial({ start: { queues: ['billing-a', 'other'], worker_id: 'w1' }, credit: 1 }));
    const error = await ended;
    assert.equal(error.code, grpc.status.PERMISSION_DENIED);
    assert.match(error.details, /"billing-worker" lacks the work role on queue "other"/);
  });

  it('refuses a call naming no queue to a principal without the role on any queue', async () => {
    await rejectsWith(as('t-work').listQueues({}), grpc.status.PERMISSION_DENIED, /holds the watch role on no queue/);
    await rejectsWith(as('t-produce').pauseQueue({ queue: 'billing-a' }), grpc.status.PERMISSION_DENIED, /admin role/);
  });

  it('lets an admin do everything, and lists only the queues a principal may watch', async () => {
    await as('t-admin').submitTask({ queue: 'elsewhere' });
    await as('t-admin').pauseQueue({ queue: 'elsewhere' });
    const { queues } = await as('t-admin').listQueues({});
    assert.ok(queues.some((q) => q.name === 'elsewhere'));
    writeTokensFile(tokensFile, [...PRINCIPALS, { name: 'eu-watcher', tokens: ['t-watch'], grants: [{ queues: 'billing-eu', roles: ['watch'] }] }]);
    const watcher = as('t-watch');
    const listed = await eventually(async () => (await watcher.listQueues({}).catch(() => undefined))?.queues);
    assert.deepEqual(
      listed.map((q) => q.name),
      ['billing-eu'],
    );
  });

  it('picks up a rotated token when the file is rewritten, without a restart', async () => {
    writeTokensFile(tokensFile, [{ ...PRINCIPALS[0], tokens: ['t-produce-2'] } as TestPrincipal, ...PRINCIPALS.slice(1)]);
    await eventually(async () => ((await as('t-produce-2').submitTask({ queue: 'billing-r' }).catch(() => undefined)) ? true : undefined));
    await rejectsWith(as('t-produce').submitTask({ queue: 'billing-r' }), grpc.status.UNAUTHENTICATED);
  });

  it('keeps the previous principals when the new file does not parse', async () => {
    writeTokensFile(tokensFile, PRINCIPALS);
    await eventually(async () => ((await as('t-produce').submitTask({ queue: 'billing-r' }).catch(() => undefined)) ? true : undefined));
    writeTokensFile(tokensFile, [{ name: 'broken', grants: [] }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await as('t-produce').submitTask({ queue: 'billing-r' });
  });

  it('leaves health open to callers without a token', async () => {
    const health = new HealthClient(address(), grpc.credentials.createInsecure());
    try {
      const status = await new Promise<string>((resolve, reject) => {
        health.check({ service: '' }, (error, response) => {
          if (error) reject(error);
          else resolve(response.status);
        });
      });
      assert.equal(status, 'SERVING');
    } finally {
      health.close();
    }
  });
});
