import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM files of one test certificate: the certificate and its key. */
export interface CertFiles {
  cert: string;
  key: string;
}

const openssl = (args: string[], cwd: string): void => {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
};

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A throwaway CA in `dir` (made at test time with openssl: no key is ever committed). */
export function makeCa(dir: string, name: string): CertFiles {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  openssl(['req', '-x509', ...KEY, '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', `/CN=${name}`], dir);
  return files;
}

/**
 * A certificate `ca` signed for `commonName`, with `altNames` (e.g. DNS:localhost, IP:127.0.0.1) as its SANs,
 * written to `<dir>/<file>.pem` and `.key`.
 */
export function makeCert(dir: string, ca: CertFiles, file: string, commonName: string, altNames: readonly string[]): CertFiles {
  const files = { cert: join(dir, `${file}.pem`), key: join(dir, `${file}.key`) };
  const csr = join(dir, `${file}.csr`);
  const ext = join(dir, `${file}.ext`);
  writeFileSync(ext, `subjectAltName=${altNames.join(',')}\n`);
  openssl(['req', ...KEY, '-keyout', files.key, '-out', csr, '-subj', `/CN=${commonName}`], dir);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', String(randomInt(1, 2 ** 47)), '-days', '2', '-extfile', ext, '-out', files.cert],
    dir,
  );
  return files;
}

/** A server certificate for 127.0.0.1 and localhost. */
export function makeServerCert(dir: string, ca: CertFiles, file = 'server'): CertFiles {
  return makeCert(dir, ca, file, 'localhost', ['DNS:localhost', 'IP:127.0.0.1']);
}
