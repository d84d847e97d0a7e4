import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A throwaway certificate authority and a server certificate it signed for 127.0.0.1 and localhost. */
export interface TestCertificateAuthority {
  /** PEM file of the CA certificate: the value for NODE_EXTRA_CA_CERTS. */
  readonly caCertificatePath: string;
  readonly certificatePath: string;
  readonly keyPath: string;
  readonly caCertificate: string;
  /** Server certificate and key in PEM, for AwsEmulator.start({ tls: { cert, key } }). */
  readonly cert: string;
  readonly key: string;
}

/**
 * Writes a CA and a server certificate for 127.0.0.1 and localhost into dir with
 * the openssl CLI. Both are valid for two days, long enough for any test run.
 */
export function makeTestCertificateAuthority(dir: string): TestCertificateAuthority {
  fs.mkdirSync(dir, { recursive: true });
  const file = (name: string): string => path.join(dir, name);

  openssl([
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-keyout', file('ca.key'), '-out', file('ca.pem'),
    '-subj', '/CN=ECR push task test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl([
    'req', '-newkey', 'rsa:2048', '-nodes',
    '-keyout', file('server.key'), '-out', file('server.csr'),
    '-subj', '/CN=127.0.0.1',
  ]);
  fs.writeFileSync(
    file('server.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  openssl([
    'x509', '-req', '-days', '2',
    '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-extfile', file('server.ext'), '-out', file('server.pem'),
  ]);

  return {
    caCertificatePath: file('ca.pem'),
    certificatePath: file('server.pem'),
    keyPath: file('server.key'),
    caCertificate: fs.readFileSync(file('ca.pem'), 'utf8'),
    cert: fs.readFileSync(file('server.pem'), 'utf8'),
    key: fs.readFileSync(file('server.key'), 'utf8'),
  };
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.error) {
    throw new Error(`Could not run openssl (is it installed?): ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new Error(`openssl ${args[0]} failed with exit code ${result.status}: ${result.stderr.trim()}`);
  }
}
