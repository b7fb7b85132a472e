import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_QUEUES, allows, hashToken, holdsAnywhere, Principals, PrincipalsError } from '../../src/auth/principals.js';
import { RateLimiter } from '../../src/auth/rateLimit.js';
import { ACCESS_RULES } from '../../src/transport/grpc/accessRules.js';
import { QueueServiceService, ScheduleServiceService, TaskServiceService, WorkerServiceService } from '../../src/transport/grpc/contract.js';

const file = (principals: unknown[]): string => JSON.stringify({ principals });

describe('per-principal call rates (token buckets)', () => {
  it('reads a rate, its burst defaulting to one second of calls', () => {
    const parsed = Principals.parse(
      file([
        { name: 'a', tokenSha256: hashToken('a'), grants: [], rate: { callsPerSecond: 2.5 } },
        { name: 'b', tokenSha256: hashToken('b'), grants: [], rate: { callsPerSecond: 10, burst: 50 } },
        { name: 'c', tokenSha256: hashToken('c'), grants: [] },
      ]),
    );
    assert.deepEqual(parsed.byToken('a')?.rate, { callsPerSecond: 2.5, burst: 3 });
    assert.deepEqual(parsed.byToken('b')?.rate, { callsPerSecond: 10, burst: 50 });
    assert.equal(parsed.byToken('c')?.rate, undefined);
  });

  it('allows a burst, then one call per refill, and says how long to wait; principals are counted apart', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    const rate = { callsPerSecond: 4, burst: 2 };
    assert.deepEqual([limiter.take('p', rate), limiter.take('p', rate)], [0, 0]);
    assert.equal(limiter.take('p', rate), 250);
    assert.equal(limiter.take('q', rate), 0, 'another principal has its own bucket');
    now += 100;
    assert.equal(limiter.take('p', rate), 150);
    now += 150;
    assert.equal(limiter.take('p', rate), 0);
    now += 10_000;
    assert.deepEqual([limiter.take('p', rate), limiter.take('p', rate), limiter.take('p', rate)], [0, 0, 250], 'refills up to the burst only');
  });
});

describe('principals file', () => {
  const principals = Principals.parse(
    file([
      { name: 'billing', tokenSha256: hashToken('t-billing'), grants: [{ queues: 'billing-*', roles: ['produce', 'work'] }] },
      { name: 'ops', tokenSha256: [hashToken('old'), hashToken('new')], grants: [{ queues: ['*'], roles: ['admin'] }] },
      { name: 'worker.example', certificate: true, grants: [{ queues: ['jobs'], roles: ['work'] }] },
    ]),
  );

  it('finds a principal by its token, and by either token during a rotation', () => {
    assert.equal(principals.byToken('t-billing')?.name, 'billing');
    assert.equal(principals.byToken('old')?.name, 'ops');
    assert.equal(principals.byToken('new')?.name, 'ops');
    assert.equal(principals.byToken('t-billing '), undefined);
    assert.equal(principals.byToken(''), undefined);
  });

  it('finds a certificate principal only when it opted in', () => {
    assert.equal(principals.byCertificateNames(['x', 'worker.example'])?.name, 'worker.example');
    assert.equal(principals.byCertificateNames(['billing']), undefined);
  });

  it('matches queue patterns, and only "*" covers every queue; admin holds every role', () => {
    const billing = principals.byToken('t-billing');
    const ops = principals.byToken('new');
    assert.ok(billing && ops);
    assert.ok(allows(billing, ['work'], 'billing-eu'));
    assert.ok(!allows(billing, ['work'], 'other'));
    assert.ok(!allows(billing, ['work'], 'xbilling-eu'));
    assert.ok(!allows(billing, ['watch'], 'billing-eu'));
    assert.ok(!allows(billing, ['produce'], ALL_QUEUES));
    assert.ok(allows(ops, ['work'], 'anything'));
    assert.ok(allows(ops, ['watch'], ALL_QUEUES));
    assert.ok(holdsAnywhere(billing, ['produce', 'watch']));
    assert.ok(!holdsAnywhere(billing, ['watch']));
  });

  it('treats pattern characters other than * literally', () => {
    const dotted = Principals.parse(file([{ name: 'd', tokenSha256: hashToken('d'), grants: [{ queues: 'a.b', roles: ['watch'] }] }]));
    const d = dotted.byToken('d');
    assert.ok(d);
    assert.ok(allows(d, ['watch'], 'a.b'));
    assert.ok(!allows(d, ['watch'], 'axb'));
  });

  it('refuses a file with a mistake, naming where it is', () => {
    const bad: [unknown, RegExp][] = [
      [{}, /expected \{"principals"/],
      [[{ name: 'a', tokenSha256: 'not-a-hash', grants: [] }], /principals\[0\]\.tokenSha256: must be 64 hex digits/],
      [[{ name: 'a', grants: [] }], /needs tokenSha256 or certificate/],
      [[{ name: 'a', tokenSha256: hashToken('x'), grants: [{ queues: '*', roles: ['root'] }] }], /"root" is not one of/],
      [[{ name: 'a', tokenSha256: hashToken('x'), grants: [{ queue: '*', roles: ['admin'] }] }], /unknown key "queue"/],
      [[{ name: 'a', tokenSha256: hashToken('x'), grants: [], rate: { callsPerSecond: 0 } }], /principals\[0\]\.rate\.callsPerSecond: must be a number above 0/],
      [[{ name: 'a', tokenSha256: hashToken('x'), grants: [], rate: { callsPerSecond: 5, burst: 0.5 } }], /rate\.burst: must be an integer/],
      [[{ name: 'a', tokenSha256: hashToken('x'), grants: [], rate: { perSecond: 5 } }], /rate: unknown key "perSecond"/],
      [
        [
          { name: 'a', tokenSha256: hashToken('x'), grants: [] },
          { name: 'a', tokenSha256: hashToken('y'), grants: [] },
        ],
        /appears twice/,
      ],
    ];
    for (const [principals, message] of bad) {
      assert.throws(() => Principals.parse(JSON.stringify(Array.isArray(principals) ? { principals } : principals)), message);
      assert.throws(() => Principals.parse('{'), PrincipalsError);
    }
  });
});

describe('access rules', () => {
  it('cover every method of every Baton service', () => {
    const services: Record<string, { path: string }>[] = [TaskServiceService, WorkerServiceService, QueueServiceService, ScheduleServiceService];
    for (const service of services) {
      for (const method of Object.values(service)) assert.ok(ACCESS_RULES.get(method.path), method.path);
    }
  });

  it('read the queues a request names, an empty queue meaning every queue', () => {
    const queuesOf = (path: string, request: unknown): readonly string[] => ACCESS_RULES.get(path)?.queues(request) ?? [];
    assert.deepEqual(queuesOf('/baton.v1.TaskService/SubmitTasks', { requests: [{ queue: 'a' }, { queue: 'b' }] }), ['a', 'b']);
    assert.deepEqual(queuesOf('/baton.v1.WorkerService/WorkTasks', { start: { queues: ['a'] }, completions: [{ queue: 'c' }] }), ['a', 'c']);
    assert.deepEqual(queuesOf('/baton.v1.QueueService/ListWorkers', { queue: '' }), [ALL_QUEUES]);
    assert.deepEqual(queuesOf('/baton.v1.TaskService/RunTask', { task: { queue: 'r' } }), ['r']);
    assert.deepEqual(queuesOf('/baton.v1.ScheduleService/CreateSchedule', { task: { queue: 's' } }), ['s']);
    assert.deepEqual(queuesOf('/baton.v1.ScheduleService/ListSchedules', { queue: '' }), [ALL_QUEUES]);
    assert.deepEqual(queuesOf('/baton.v1.ScheduleService/UpdateSchedule', { queue: 'u', task: { queue: 'u' } }), ['u']);
  });

  it('UpdateSchedule needs what CreateSchedule needs', () => {
    const rolesOf = (method: string): unknown => ACCESS_RULES.get(`/baton.v1.ScheduleService/${method}`)?.roles;
    assert.deepEqual(rolesOf('UpdateSchedule'), rolesOf('CreateSchedule'));
  });
});
