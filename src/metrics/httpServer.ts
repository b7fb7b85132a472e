import { createServer } from 'node:http';
import type { Registry } from 'prom-client';
import { listenHttp } from '../httpListen.js';
import type { Logger } from '../log.js';

export interface MetricsServer {
  /** host:port actually bound (the port is real even when 0 was asked for). */
  address: string;
  close(): Promise<void>;
}

/** Serves the registry at GET /metrics on its own port, apart from gRPC. */
export async function startMetricsServer(address: string, registry: Registry, log: Logger): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics are at /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    registry.metrics().then(
      (body) => {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        log.error('metrics collection failed', { error: error instanceof Error ? error.stack : String(error) });
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics collection failed\n');
      },
    );
  });
  const bound = await listenHttp(server, address, 'metrics');
  return {
    address: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        // Prometheus keeps its connection open between scrapes.
        server.closeAllConnections();
      }),
  };
}
