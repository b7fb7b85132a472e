import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { html } from '../../src/dashboard/html.js';
import { sseMessage } from '../../src/dashboard/live.js';
import { PREVIEW_CHARS, preview } from '../../src/dashboard/preview.js';
import { csrfFor } from '../../src/dashboard/session.js';
import { flowControl } from '../../src/dashboard/views/flowControl.js';
import type { QueueInfo } from '../../src/domain/store.js';

describe('dashboard html', () => {
  it('escapes every interpolated value, and passes through only what the template made', () => {
    const name = '<img src=x onerror="alert(1)">&\'';
    assert.equal(html`<td>${name}</td>`.text, '<td>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;</td>');
    assert.equal(html`<p>${html`<b>${'<i>'}</b>`}</p>`.text, '<p><b>&lt;i&gt;</b></p>');
    assert.equal(html`${[1, 'a<', undefined, null, false]}`.text, '1a&lt;');
  });

  it('puts each line of a server-sent event on its own data line', () => {
    assert.equal(sseMessage('main', 'a\nb'), 'event: main\ndata: a\ndata: b\n\n');
  });
});

describe('dashboard previews', () => {
  it('pretty-prints JSON, shows text as text and anything else as hex', () => {
    assert.deepEqual(preview(Buffer.from('{"a":[1]}')), { kind: 'json', text: '{\n  "a": [\n    1\n  ]\n}', size: 9, truncated: false });
    assert.equal(preview(Buffer.from('hello')).kind, 'text');
    assert.equal(preview(Buffer.alloc(0)).kind, 'empty');
    const hex = preview(Buffer.from([0xff, 0x00, 0x41]));
    assert.equal(hex.kind, 'hex');
    assert.equal(hex.text, `00000000  ${'ff 00 41'.padEnd(47)}  ..A`);
  });

  it('truncates by characters, never inside a character, and hex by bytes', () => {
    const text = preview(Buffer.from('😀'.repeat(PREVIEW_CHARS + 10)));
    assert.equal(Array.from(text.text).length, PREVIEW_CHARS);
    assert.ok(text.truncated);
    assert.ok(!text.text.includes('\ufffd'));
    const bytes = preview(Buffer.alloc(5_000, 0xff));
    assert.ok(bytes.truncated);
    assert.equal(bytes.text.split('\n').length, 32, '512 bytes, 16 a line');
  });

  it('treats valid UTF-8 with control characters as binary', () => {
    assert.equal(preview(Buffer.from('a\u0001b')).kind, 'hex');
  });
});

describe('dashboard sessions', () => {
  it('derives one CSRF token per session, the same on every replica', () => {
    assert.equal(csrfFor('token-a'), csrfFor('token-a'));
    assert.notEqual(csrfFor('token-a'), csrfFor('token-b'));
    assert.match(csrfFor('x'), /^[A-Za-z0-9_-]{32}$/);
  });
});

describe('dashboard configuration', () => {
  it('listens on loopback with open access, on every interface with tokens, and can be turned off', () => {
    assert.equal(loadConfig([], {}).dashboardAddress, '127.0.0.1:8080');
    assert.equal(loadConfig([], { BATON_AUTH_TOKENS_FILE: '/t.json' }).dashboardAddress, '0.0.0.0:8080');
    assert.equal(loadConfig(['--dashboard-addr', 'off'], {}).dashboardAddress, undefined);
    assert.equal(loadConfig([], { BATON_DASHBOARD_ADDR: '127.0.0.1:9000' }).dashboardAddress, '127.0.0.1:9000');
  });

  it('is off with client certificates and no tokens file, and refuses to be turned on then', () => {
    const mtls = { BATON_TLS_CERT: 'c.pem', BATON_TLS_KEY: 'k.pem', BATON_TLS_CLIENT_CA: 'ca.pem' };
    assert.equal(loadConfig([], mtls).dashboardAddress, undefined);
    assert.throws(() => loadConfig(['--dashboard-addr', '0.0.0.0:8080'], mtls), (e: unknown) => e instanceof ConfigError && /--auth-tokens-file/.test(e.message));
  });
});

describe('dashboard flow control', () => {
  const info = (overrides: Partial<QueueInfo>, settings: Partial<QueueInfo['settings']> = {}): QueueInfo => ({
    name: 'q',
    counts: { SCHEDULED: 0, PENDING: 0, ACTIVE: 0, SUCCEEDED: 0, FAILED: 0, EXHAUSTED: 0, CANCELLED: 0, EXPIRED: 0, WAITING_CHILDREN: 0 },
    paused: false,
    settings: {
      maxAttempts: 5,
      leaseDurationMs: 30_000,
      retentionMs: 0,
      completedRingSize: 1000,
      eventRetention: 10_000,
      eventMaxAgeMs: 0,
      maxPendingTasks: 0,
      maxStoredPayloadBytes: 0,
      concurrencyKeyLimit: 0,
      ...settings,
    },
    liveWorkers: 0,
    storedPayloadBytes: 0,
    uniqueKeys: 0,
    topConcurrencyKeys: [],
    keyLimitedTasks: 0,
    throttledClaims: 0,
    throttledMs: 0,
    keyThrottledTasks: 0,
    throttledKeys: 0,
    ...overrides,
  });

  it('shows nothing for a queue without limits or keys', () => {
    assert.equal(flowControl(info({})), '');
  });

  it('shows the limits, what they hold back and the busiest keys, escaped', () => {
    const text = String(
      flowControl(
        info(
          { topConcurrencyKeys: [{ key: '<t1>', active: 2, waiting: 7 }], keyLimitedTasks: 7, throttledClaims: 3 },
          { concurrencyKeyLimit: 2, claimRateLimit: { claims: 100, periodMs: 1000 } },
        ),
      ),
    );
    assert.match(text, /key concurrency <b>2<\/b> · claim rate <b>100 per 1.0s<\/b> · key claim rate <b>none<\/b> · waiting for their key <b>7<\/b> · throttled claims <b>3<\/b>/);
    assert.match(text, /<li><code>&lt;t1&gt;<\/code> 2 active, 7 waiting<\/li>/);
  });
});
