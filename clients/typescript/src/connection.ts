import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { propagationInterceptor } from './tracing.js';

/** How a client reaches Baton: a bearer token and TLS. Each unset field falls back to its environment variable. */
export interface ConnectionOptions {
  /** Sent as `authorization: Bearer <token>` on every call (BATON_TOKEN). */
  token?: string;
  /**
   * TLS: true uses Node's CA store (BATON_TLS=true); an object also names PEM files (a string is a path) or holds
   * PEM bytes (a Buffer): `ca` to trust a private CA (BATON_TLS_CA), `cert` and `key` for a client certificate
   * (mTLS; BATON_TLS_CERT, BATON_TLS_KEY). Setting any of the variables turns TLS on.
   */
  tls?: boolean | { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
  /** Where the fallbacks are read (default process.env); `{}` reads none. */
  env?: NodeJS.ProcessEnv;
}

export interface Connection {
  credentials: grpc.ChannelCredentials;
  /** Adds the active trace context to every call, and the token when there is one. */
  interceptors: grpc.Interceptor[];
}

const pem = (value: string | Buffer | undefined): Buffer | null =>
  value === undefined ? null : Buffer.isBuffer(value) ? value : readFileSync(value);

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);

/**
 * The channel credentials and interceptors for `options`. The token goes in an interceptor rather than call
 * credentials: grpc-js refuses call credentials on a plaintext channel, and a token over plaintext is what a
 * service mesh or a TLS-terminating proxy in front of Baton needs.
 */
export function connectionFor(options: ConnectionOptions = {}): Connection {
  const env = options.env ?? process.env;
  const token = options.token ?? nonEmpty(env.BATON_TOKEN);
  const files = { ca: nonEmpty(env.BATON_TLS_CA), cert: nonEmpty(env.BATON_TLS_CERT), key: nonEmpty(env.BATON_TLS_KEY) };
  const fromEnv = env.BATON_TLS === 'true' || Object.values(files).some((v) => v !== undefined);
  const tls = options.tls ?? (fromEnv ? files : false);
  let credentials = grpc.credentials.createInsecure();
  if (tls !== false) {
    const { ca, cert, key } = tls === true ? {} : tls;
    if ((cert === undefined) !== (key === undefined)) throw new TypeError('a client certificate needs both tls.cert and tls.key');
    credentials = grpc.credentials.createSsl(pem(ca), pem(key), pem(cert));
  }
  const interceptors: grpc.Interceptor[] =
    token === undefined
      ? [propagationInterceptor]
      : [
          propagationInterceptor,
          (callOptions, nextCall) =>
            new grpc.InterceptingCall(nextCall(callOptions), {
              start: (metadata, listener, next) => {
                metadata.set('authorization', `Bearer ${token}`);
                next(metadata, listener);
              },
            }),
        ];
  return { credentials, interceptors };
}

/** Addresses as a list: one `host:port`, a comma-separated list of them, or an array. */
export function parseAddresses(address: string | readonly string[]): string[] {
  const list = (typeof address === 'string' ? address.split(',') : [...address]).map((a) => a.trim()).filter((a) => a !== '');
  if (list.length === 0) throw new TypeError('BatonClient: give at least one server address (host:port)');
  return list;
}
