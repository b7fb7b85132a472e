import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { SecureContextOptions } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { watchFiles } from '../../auth/watchFiles.js';
import type { FileWatch } from '../../auth/watchFiles.js';
import type { Logger } from '../../log.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** Clients must present a certificate this CA signed (mTLS). */
  clientCaFile?: string;
}

/** The files' PEM contents as a secure context, checked: a key that does not fit the certificate throws. */
function contextOptions(files: TlsFiles, [cert, key, ca]: readonly (Buffer | undefined)[]): SecureContextOptions {
  const options: SecureContextOptions = { cert, key, ...(files.clientCaFile ? { ca } : {}) };
  createSecureContext(options);
  return options;
}

/**
 * Server TLS credentials that follow their files. grpc-js applies a new secure context to a listening server
 * (setSecureContext) when credentials report one, so a renewed certificate (cert-manager, a rotated Secret) takes
 * effect for new connections without a restart or a rebind; open connections keep the one they began with. A
 * set of files that does not load (a key written before its certificate) keeps the previous context.
 */
export class ReloadingServerCredentials extends grpc.ServerCredentials {
  private readonly watch: FileWatch;

  /** Throws when the files cannot be read or do not form a valid certificate and key. */
  constructor(files: TlsFiles, log: Logger, pollMs = 1_000) {
    const paths = [files.certFile, files.keyFile, ...(files.clientCaFile ? [files.clientCaFile] : [])];
    const initial = paths.map((path) => readFileSync(path));
    // requestCert + rejectUnauthorized: with a client CA, a client without a certificate it signed fails the handshake.
    super(files.clientCaFile ? { requestCert: true, rejectUnauthorized: true } : { requestCert: false }, contextOptions(files, initial));
    this.watch = watchFiles(
      paths,
      pollMs,
      (contents) => {
        try {
          this.updateSecureContextOptions(contextOptions(files, contents));
          log.info('TLS certificate reloaded', { cert: files.certFile });
        } catch (error) {
          log.warn('TLS files not reloaded: keeping the previous certificate', { cert: files.certFile, error: String(error) });
        }
      },
      (error) => {
        log.warn('TLS files unreadable: keeping the previous certificate', { error: error.message });
      },
      initial,
    );
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }

  stop(): void {
    this.watch.stop();
  }
}
