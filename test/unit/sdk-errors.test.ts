import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { isStatus, statusError, statusOf } from '../../clients/typescript/src/errors.js';

describe('statusError', () => {
  it('builds an error that statusOf and isStatus read as they read a failed call', () => {
    const error = statusError(grpc.status.UNAVAILABLE, 'the session ended');
    assert.ok(error instanceof Error);
    assert.equal(statusOf(error), grpc.status.UNAVAILABLE);
    assert.ok(isStatus(error, grpc.status.UNAVAILABLE));
    assert.equal(error.details, 'the session ended');
    assert.ok(error.metadata instanceof grpc.Metadata);
    assert.equal(error.message, '14 UNAVAILABLE: the session ended');
  });

  it('turns a code grpc-js does not know into UNKNOWN', () => {
    const error = statusError(99, 'odd');
    assert.equal(statusOf(error), grpc.status.UNKNOWN);
    assert.equal(error.message, '2 UNKNOWN: odd');
  });
});

describe('statusOf', () => {
  it('is undefined for an error carrying a code but no metadata (not a gRPC status)', () => {
    assert.equal(statusOf(Object.assign(new Error('x'), { code: grpc.status.UNAVAILABLE })), undefined);
  });
});
