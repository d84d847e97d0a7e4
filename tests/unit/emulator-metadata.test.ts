import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fromHttp, fromInstanceMetadata } from '@aws-sdk/credential-providers';
import { AwsEmulator, makeTestCertificateAuthority } from '../emulator';
import { httpRequest } from '../support/http-client';
import { startStubRegistry, type StubRegistry } from '../support/stub-registry';

let registry: StubRegistry;
let emulator: AwsEmulator;
const savedEndpoint = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;

beforeAll(async () => {
  registry = await startStubRegistry();
  emulator = await AwsEmulator.start({ registryUrl: registry.url, registryPassword: registry.password, region: 'ap-southeast-2' });
  process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = emulator.url;
});

afterAll(async () => {
  if (savedEndpoint === undefined) {
    delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  } else {
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = savedEndpoint;
  }
  await emulator?.stop();
  await registry?.stop();
});

beforeEach(() => emulator.reset());

describe('instance metadata emulation', () => {
  it('serves role credentials over IMDSv2', async () => {
    const credentials = await fromInstanceMetadata()();

    expect(credentials.accessKeyId).toBe(emulator.instanceProfileCredentials.accessKeyId);
    expect(credentials.sessionToken).toBe(emulator.instanceProfileCredentials.sessionToken);
    expect(emulator.requests.map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual([
      'PUT /latest/api/token 200',
      'GET /latest/meta-data/iam/security-credentials/ 200',
      'GET /latest/meta-data/iam/security-credentials/agent-instance-role 200',
    ]);
    expect(emulator.requests[1].headers['x-aws-ec2-metadata-token']).toBeDefined();
  });

  it('falls back to IMDSv1 after refusal', async () => {
    emulator.configureInstanceMetadata({ tokenRefusal: 405 });

    const credentials = await fromInstanceMetadata()();

    expect(credentials.accessKeyId).toBe(emulator.instanceProfileCredentials.accessKeyId);
    expect(emulator.requests[0].status).toBe(405);
    expect(emulator.requests[1].headers['x-aws-ec2-metadata-token']).toBeUndefined();
  });

  it('requires a token when configured', async () => {
    emulator.configureInstanceMetadata({ requireToken: true });

    const response = await httpRequest(`${emulator.url}/latest/meta-data/placement/region`);

    expect(response.status).toBe(401);
  });

  it('returns the region in the identity document', async () => {
    const token = await httpRequest(`${emulator.url}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } });
    const document = await httpRequest(`${emulator.url}/latest/dynamic/instance-identity/document`, { headers: { 'x-aws-ec2-metadata-token': token.body.toString() } });

    expect(document.status).toBe(200);
    expect(JSON.parse(document.body.toString())).toMatchObject({ region: 'ap-southeast-2', accountId: '123456789012' });
  });

  it('rejects a token request without a TTL', async () => {
    const response = await httpRequest(`${emulator.url}/latest/api/token`, { method: 'PUT' });

    expect(response.status).toBe(400);
  });
});

describe('container credentials emulation', () => {
  it('serves task role credentials', async () => {
    const credentials = await fromHttp({
      awsContainerCredentialsFullUri: emulator.containerCredentialsUrl,
      awsContainerAuthorizationToken: emulator.containerAuthorizationToken,
    })();

    expect(credentials.accessKeyId).toBe(emulator.containerCredentials.accessKeyId);
    expect(emulator.requests[0].service).toBe('container-credentials');
  });

  it('rejects a wrong authorization token', async () => {
    const response = await httpRequest(emulator.containerCredentialsUrl, { headers: { authorization: 'not-the-token' } });

    expect(response.status).toBe(401);
  });
});

describe('emulator over TLS', () => {
  it('serves HTTPS trusted by NODE_EXTRA_CA_CERTS', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-tls-'));
    const authority = makeTestCertificateAuthority(dir);
    const tlsEmulator = await AwsEmulator.start({ registryUrl: registry.url, registryPassword: registry.password, tls: authority });

    try {
      const script = `fetch(process.argv[1] + '/latest/meta-data/placement/region').then(async (r) => console.log(r.status, await r.text()))`;
      // The child must run asynchronously: a synchronous spawn would block the emulator in this process.
      const result = await promisify(execFile)(process.execPath, ['-e', script, tlsEmulator.url], {
        env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: authority.caCertificatePath },
        encoding: 'utf8',
        timeout: 20_000,
      });

      expect(tlsEmulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe('200 us-east-1');
    } finally {
      await tlsEmulator.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
